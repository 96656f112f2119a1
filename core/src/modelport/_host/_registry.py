"""What plugins registered: the registration hooks, called in pluggy's own order.

The core calls each implementation of ``register_providers``, ``register_transports``,
``register_caches`` and ``register_thinking`` itself, one at a time, rather than through
``pm.hook.<name>(...)``: one plugin that raises is then named and skipped without losing what
the others registered. The order is the one pluggy would call them in (the last element of
``get_hookimpls()`` first: ``tryfirst`` implementations, then the most recently registered,
then ``trylast``), so a marker means here what it means for every other hook.

A provider (or transport) name claimed twice goes to the plugin called first. If a marker
decided that (the winner is ``tryfirst``, or the loser ``trylast``) someone chose it: that is
how a plugin overrides another's provider on purpose, and only the trace mentions it. If both
have the same priority, registration order alone decided, which nobody chose, so the loser gets
a warning naming both plugins (a ``ConfigurationError`` in strict mode).
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Callable

import pluggy

from .._cache._backend import CACHE_METHODS, CacheBackend
from .._errors import ConfigurationError
from .._http._transport_entry import TransportEntry
from .._logs import plugins_log
from .._slotted import Slotted
from ._provider_entry import ProviderEntry

__all__ = [
    "CacheRegistration",
    "Registry",
    "ThinkingRegistration",
    "call_order",
    "collect",
    "report_problem",
]

Trace = Callable[[str], None]


class CacheRegistration(Slotted):
    _fields = ("backend", "level", "plugin")
    __slots__ = _fields
    backend: CacheBackend
    level: int
    plugin: str

    def __init__(self, backend: CacheBackend, level: int, plugin: str) -> None:
        self.backend = backend
        self.level = level
        self.plugin = plugin


class ThinkingRegistration(Slotted):
    _fields = ("start", "end", "models", "plugin")
    __slots__ = _fields
    start: str
    end: str
    models: Callable[[str, str], bool] | None
    plugin: str

    def __init__(
        self, start: str, end: str, models: Callable[[str, str], bool] | None, plugin: str
    ) -> None:
        self.start = start
        self.end = end
        self.models = models
        self.plugin = plugin


class Registry(Slotted):
    """Provider and transport names (imported on demand), cache levels and thinking patterns."""

    _fields = ("providers", "provider_plugin", "transports", "caches", "thinking")
    __slots__ = _fields
    providers: dict[str, ProviderEntry]
    provider_plugin: dict[str, str]
    transports: dict[str, TransportEntry]
    caches: list[CacheRegistration]
    thinking: list[ThinkingRegistration]

    def __init__(
        self,
        providers: dict[str, ProviderEntry] | None = None,
        provider_plugin: dict[str, str] | None = None,
        transports: dict[str, TransportEntry] | None = None,
        caches: list[CacheRegistration] | None = None,
        thinking: list[ThinkingRegistration] | None = None,
    ) -> None:
        self.providers = {} if providers is None else providers
        self.provider_plugin = {} if provider_plugin is None else provider_plugin
        self.transports = {} if transports is None else transports
        self.caches = [] if caches is None else caches
        self.thinking = [] if thinking is None else thinking


def report_problem(
    strict_text: str, warn_text: str, *, strict: bool, cause: BaseException | None = None
) -> None:
    """Raise in strict mode, else warn: one broken plugin must not take the others down."""
    if strict:
        raise ConfigurationError(strict_text) from cause
    plugins_log.warning("%s", warn_text)
    warnings.warn(warn_text, RuntimeWarning, stacklevel=_outside_modelport())


def _outside_modelport() -> int:
    """The stack level of the first caller outside modelport: the line a user can act on."""
    level, frame = 2, sys._getframe(2)
    while frame.f_back is not None:
        module = frame.f_globals.get("__name__", "")
        if module != "modelport" and not module.startswith("modelport."):
            break
        level, frame = level + 1, frame.f_back
    return level


def call_order(caller: pluggy.HookCaller) -> list[pluggy.HookImpl]:
    """The implementations of a hook in the order pluggy calls them."""
    return list(reversed(caller.get_hookimpls()))


def _priority(impl: pluggy.HookImpl) -> int:
    return 1 if impl.tryfirst else -1 if impl.trylast else 0


def _marker(impl: pluggy.HookImpl) -> str:
    return " (tryfirst)" if impl.tryfirst else " (trylast)" if impl.trylast else ""


def collect(
    pm: pluggy.PluginManager,
    *,
    strict: bool,
    trace: Trace | None,
    record: Callable[[str, str], None],
) -> Registry:
    """Call every registration hook; ``record(plugin, text)`` notes a problem for listings."""
    return _Collector(strict, trace, record).run(pm)


class _Collector:
    def __init__(
        self, strict: bool, trace: Trace | None, record: Callable[[str, str], None]
    ) -> None:
        self.strict = strict
        self.trace = trace
        self.record = record
        self.reg = Registry()
        self._winner: dict[tuple[str, str], pluggy.HookImpl] = {}  # (kind, name) -> impl

    def run(self, pm: pluggy.PluginManager) -> Registry:
        for impl in call_order(pm.hook.register_providers):
            conflicts: list[tuple[str, str]] = []
            added: list[ProviderEntry] = []
            self._call(impl, "register_providers", self._provider_adder(impl, conflicts, added))
            for name, text in conflicts:  # reported outside the plugin's call: not its failure
                self._conflict(impl.plugin_name, "provider", name, text)
            for entry in added:
                self._check_findable(entry, "register_providers")
        for impl in call_order(pm.hook.register_transports):
            conflicts = []
            transports: list[TransportEntry] = []
            self._call(
                impl, "register_transports", self._transport_adder(impl, conflicts, transports)
            )
            for name, text in conflicts:
                self._conflict(impl.plugin_name, "transport", name, text)
            for transport in transports:
                self._check_findable(transport, "register_transports")
        for impl in call_order(pm.hook.register_caches):
            self._call(impl, "register_caches", self._cache_adder(impl.plugin_name))
        self.reg.caches.sort(key=lambda c: c.level)  # stable: call order within a level
        for impl in call_order(pm.hook.register_thinking):
            self._call(impl, "register_thinking", self._thinking_adder(impl.plugin_name))
        return self.reg

    def _call(self, impl: pluggy.HookImpl, hook: str, register: Callable[..., None]) -> None:
        if self.trace is not None:
            self.trace(f"hook {hook} -> {impl.plugin_name}")
        try:
            if impl.hookwrapper or impl.wrapper:
                raise TypeError(f"{hook} cannot be a wrapper: it registers, it wraps nothing")
            impl.function(register=register)
        except Exception as exc:
            text = f"{type(exc).__name__}: {exc}"
            what = f"modelport plugin {impl.plugin_name!r} failed in {hook}"
            report_problem(
                f"{what}: {text}", f"{what} and was skipped: {text}", strict=self.strict, cause=exc
            )
            self.record(impl.plugin_name, f"{hook}: {text}")

    # -- providers ------------------------------------------------------------------------------

    def _provider_adder(
        self,
        impl: pluggy.HookImpl,
        conflicts: list[tuple[str, str]],
        added: list[ProviderEntry],
    ) -> Callable[..., None]:
        plugin = impl.plugin_name

        def register(provider: object, name: str | None = None) -> None:
            if isinstance(provider, str):
                entry = ProviderEntry.of_target(provider, plugin, name)
            else:
                entry = ProviderEntry.of_class(provider, plugin, name)
            winner = self._winner.get(("provider", entry.name))
            if winner is not None:
                self._shadowed(impl, winner, "provider", entry.name, entry.target, conflicts)
                return
            self._winner["provider", entry.name] = impl
            self.reg.providers[entry.name] = entry
            self.reg.provider_plugin[entry.name] = plugin
            added.append(entry)
            if self.trace is not None:
                lazy = ", lazy" if entry.lazy else ""
                self.trace(
                    f"register provider {entry.name} -> {entry.target} (plugin {plugin}{lazy})"
                )

        return register

    def _shadowed(
        self,
        impl: pluggy.HookImpl,
        winner: pluggy.HookImpl,
        kind: str,
        name: str,
        target: str,
        conflicts: list[tuple[str, str]],
    ) -> None:
        plugin, first = impl.plugin_name, winner.plugin_name
        if self.trace is not None:
            self.trace(
                f"register {kind} {name} -> {target} "
                f"(plugin {plugin}{_marker(impl)}) shadowed by plugin {first}{_marker(winner)}"
            )
        if plugin == first:
            text = f"plugin {plugin!r} registers {kind} {name!r} twice; the first is kept"
        elif _priority(winner) == _priority(impl):
            text = (
                f"plugins {first!r} and {plugin!r} both register {kind} {name!r}; "
                f"{first!r} is called first (registered later) and wins. To override a "
                f"{kind} on purpose, mark the overriding register_{kind}s "
                "@hookimpl(tryfirst=True)"
            )
        else:
            return  # a marker decided: a deliberate override
        conflicts.append((name, text))

    def _conflict(self, plugin: str, kind: str, name: str, text: str) -> None:
        report_problem(
            f"modelport: {text}",
            f"modelport: {text}; the registration by {plugin!r} was skipped",
            strict=self.strict,
        )
        self.record(plugin, f"register_{kind}s: {kind} {name!r} shadowed: {text}")

    def _check_findable(self, entry: ProviderEntry | TransportEntry, hook: str) -> None:
        try:
            entry.check_findable()
        except ConfigurationError as exc:
            text = f"modelport {exc.message}"
            report_problem(text, text, strict=self.strict, cause=exc.__cause__)
            self.record(entry.plugin, f"{hook}: {exc.message}")

    # -- transports -----------------------------------------------------------------------------

    def _transport_adder(
        self,
        impl: pluggy.HookImpl,
        conflicts: list[tuple[str, str]],
        added: list[TransportEntry],
    ) -> Callable[..., None]:
        plugin = impl.plugin_name

        def register(transport: object, name: str | None = None) -> None:
            if isinstance(transport, str):
                entry = TransportEntry.of_target(transport, plugin, name)
            else:
                entry = TransportEntry.of_factory(transport, plugin, name)
            winner = self._winner.get(("transport", entry.name))
            if winner is not None:
                self._shadowed(impl, winner, "transport", entry.name, entry.target, conflicts)
                return
            self._winner["transport", entry.name] = impl
            self.reg.transports[entry.name] = entry
            added.append(entry)
            if self.trace is not None:
                lazy = ", lazy" if entry.lazy else ""
                self.trace(
                    f"register transport {entry.name} -> {entry.target} (plugin {plugin}{lazy})"
                )

        return register

    # -- caches and thinking patterns -----------------------------------------------------------

    def _cache_adder(self, plugin: str) -> Callable[..., None]:
        def register(backend: CacheBackend, level: int = 1) -> None:
            missing = [m for m in CACHE_METHODS if not callable(getattr(backend, m, None))]
            if missing:
                raise ConfigurationError(
                    f"plugin {plugin!r} registered a cache backend ({type(backend).__qualname__})"
                    f" without {', '.join(missing)}: a backend has get, set and delete"
                )
            reg = CacheRegistration(backend, int(level), plugin)
            self.reg.caches.append(reg)
            if self.trace is not None:
                kind = type(backend).__qualname__
                self.trace(f"register cache level {reg.level} -> {kind} (plugin {plugin})")

        return register

    def _thinking_adder(self, plugin: str) -> Callable[..., None]:
        def register(
            start: str, end: str, models: Callable[[str, str], bool] | None = None
        ) -> None:
            if not start or not end:
                raise ConfigurationError("a thinking pattern needs both start and end")
            self.reg.thinking.append(ThinkingRegistration(start, end, models, plugin))
            if self.trace is not None:
                where = " for some models" if models is not None else ""
                self.trace(f"register thinking {start!r} {end!r}{where} (plugin {plugin})")

        return register
