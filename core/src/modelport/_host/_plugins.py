"""Plugin discovery and isolation on top of pluggy.

Plugins load on first use (the first ``LLM`` or ``modelport plugins``), never on
``import modelport``. Each plugin is imported, registered and validated in its own ``try``: a
broken plugin is named in a warning and skipped, unless strict mode is on. Blocked plugins are
never imported. What the plugins register is collected by ``_registry`` in pluggy's call order;
a provider registered as ``"module:Class"`` is imported only when its name is first resolved,
a transport registered that way only when an ``LLM`` chooses it.
Environment variables (read when the host is created):

- ``MODELPORT_DISABLE_PLUGINS=a,b``   block these names (entry points and built-ins)
- ``MODELPORT_LOAD_PLUGINS=a,b``      load only these entry points (built-ins stay unless blocked)
- ``MODELPORT_STRICT_PLUGINS=1``      raise ``ConfigurationError`` on any plugin failure
- ``MODELPORT_TRACE_PLUGINS=1``       print plugin loading, every registration and every hook
                                      call to stderr (``modelport ...`` lines, plus pluggy's
                                      own trace of ``pm.hook`` calls)
- ``MODELPORT_TRANSPORT=name``        the transport of every ``LLM`` that names none (default
                                      ``httpx2``; ``stdlib``, or ``aiohttp`` with its plugin)
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from functools import partial
from types import ModuleType
from typing import TYPE_CHECKING, Any

import pluggy

from .. import hookspecs
from .._contract import Provider
from .._errors import ConfigurationError
from .._http._transport_entry import DEFAULT_TRANSPORT, check_transport, unknown_transport
from .._markers import PROJECT
from ._registry import CacheRegistration, Registry, ThinkingRegistration, collect, report_problem

if TYPE_CHECKING:
    from .._http._transport import Transport
    from ._entry_points import FoundEntryPoint

__all__ = [
    "BUILTIN_PLUGINS",
    "CacheRegistration",
    "PluginHost",
    "PluginInfo",
    "ThinkingRegistration",
    "default_host",
    "reset_default_host",
]

ENTRY_POINT_GROUP = "modelport"

# Internal plugins: built-in behaviour registered through the same hooks, blockable by name.
BUILTIN_PLUGINS: dict[str, str] = {
    "builtin-cache": "modelport._cache._builtin",
    "builtin-thinking": "modelport._thinking._builtin",
    "builtin-transports": "modelport._http._builtin_transports",
}


@dataclass(slots=True)
class PluginInfo:
    """One plugin as ``modelport plugins`` shows it; ``providers`` and ``transports`` are the
    names it serves."""

    name: str
    version: str | None
    hooks: list[str]
    builtin: bool = False
    error: str | None = None
    providers: list[str] = field(default_factory=list)
    transports: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "version": self.version, "hooks": self.hooks}
        if self.providers:
            out["providers"] = self.providers
        if self.transports:
            out["transports"] = self.transports
        if self.builtin:
            out["builtin"] = True
        if self.error:
            out["error"] = self.error
        return out


def _env_names(name: str) -> set[str] | None:
    raw = os.environ.get(name)
    if raw is None:
        return None
    return {part.strip() for part in raw.split(",") if part.strip()}


def _truthy(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


def _trace(line: str) -> None:
    """One trace line, in the ``modelport hook <name> -> <plugin>`` style of ``_hook_calls``."""
    sys.stderr.write(f"modelport {line}\n")


class PluginHost:
    """Owns the pluggy manager, loads plugins lazily and keeps what they registered."""

    def __init__(
        self,
        *,
        blocked: Iterable[str] = (),
        allow: Iterable[str] | None = None,
        strict: bool | None = None,
        trace: bool | None = None,
        entry_points: bool = True,
        transport: str | None = None,
    ) -> None:
        env_blocked = _env_names("MODELPORT_DISABLE_PLUGINS") or set()
        env_allow = _env_names("MODELPORT_LOAD_PLUGINS")
        self.blocked: set[str] = set(blocked) | env_blocked
        self.allow: set[str] | None = set(allow) if allow is not None else env_allow
        self.strict = _truthy("MODELPORT_STRICT_PLUGINS") if strict is None else strict
        self.trace = _truthy("MODELPORT_TRACE_PLUGINS") if trace is None else trace
        self.use_entry_points = entry_points
        env_transport = os.environ.get("MODELPORT_TRANSPORT", "").strip()
        # The transport of an LLM that names none, and where that was chosen (for errors).
        self.default_transport = (
            (transport, "PluginHost(transport=...)")
            if transport is not None
            else (env_transport, "MODELPORT_TRANSPORT")
            if env_transport
            else (DEFAULT_TRANSPORT, "the default")
        )
        self.pm = pluggy.PluginManager(PROJECT)
        self.pm.add_hookspecs(hookspecs)
        self._lock = threading.RLock()
        self._loaded = False
        self._info: dict[str, PluginInfo] = {}
        self._dists: dict[str, FoundEntryPoint] = {}  # where an entry-point plugin came from
        self._registry: Registry | None = None
        self._problems: dict[str, list[str]] = {}  # per plugin, from the last collection
        self._impl_cache: dict[str, bool] = {}
        if self.trace:
            self.pm.trace.root.setwriter(sys.stderr.write)
            self.pm.enable_tracing()

    def _tracer(self) -> Callable[[str], None] | None:
        return _trace if self.trace else None

    # -- loading -------------------------------------------------------------------------------

    def block(self, *names: str) -> None:
        """Block plugins by name; an already registered one is unregistered."""
        with self._lock:
            for name in names:
                self.blocked.add(name)
                if self.pm.get_plugin(name) is not None:
                    self.pm.unregister(name=name)
                self.pm.set_blocked(name)
                self._info.pop(name, None)
            self._invalidate()

    def register(self, plugin: object, name: str | None = None) -> str:
        """Register a plugin object (module, class or instance with hookimpls) from code."""
        self.load()
        with self._lock:
            plugin_name = name or getattr(plugin, "__name__", None) or type(plugin).__name__
            if plugin_name in self.blocked:
                raise ConfigurationError(f"plugin {plugin_name!r} is blocked")
            source = getattr(plugin, "__name__", None) or type(plugin).__qualname__
            self._add(plugin_name, lambda: plugin, source, version=None, builtin=False)
            self._invalidate()
            return plugin_name

    def unregister(self, name: str) -> None:
        with self._lock:
            if self.pm.get_plugin(name) is not None:
                self.pm.unregister(name=name)
            self._info.pop(name, None)
            self._invalidate()

    def load(self) -> None:
        if self._loaded:
            return
        with self._lock:
            self._load_locked()

    def _load_locked(self) -> None:
        if self._loaded:  # another thread loaded while we waited for the lock
            return
        for name, module in BUILTIN_PLUGINS.items():
            if name in self.blocked:
                self._skipped(name, "blocked")
                continue
            load = partial(_import, module)
            self._add(name, load, module, version=_core_version(), builtin=True)
        if self.use_entry_points:
            self._load_entry_points()
        self._loaded = True

    def _load_entry_points(self) -> None:
        from ._entry_points import group_entry_points

        for ep in sorted(group_entry_points(ENTRY_POINT_GROUP), key=lambda e: e.name):
            if ep.name in self._info:
                continue
            if ep.name in self.blocked:
                self._skipped(ep.name, "blocked")
                continue
            if self.allow is not None and ep.name not in self.allow:
                self._skipped(ep.name, "not in the allow-list")
                continue
            # Versions are read when ``plugins()`` shows them (a METADATA read each).
            self._dists[ep.name] = ep
            self._add(ep.name, ep.load, ep.value, version=None, builtin=False)

    def _skipped(self, name: str, why: str) -> None:
        if self.trace:
            _trace(f"skip plugin {name} ({why})")

    def _add(
        self,
        name: str,
        load: Callable[[], object],
        source: str,
        *,
        version: str | None,
        builtin: bool,
    ) -> None:
        if self.trace:
            _trace(f"load plugin {name} -> {source}")
        try:
            plugin = load()
            self.pm.register(plugin, name=name)
            self._check_hooks(name, plugin)
        except Exception as exc:
            if self.pm.get_plugin(name) is not None:
                self.pm.unregister(name=name)
            self._fail(name, version, builtin, exc)
            return
        hooks = sorted(caller.name for caller in self.pm.get_hookcallers(plugin) or [])
        self._info[name] = PluginInfo(name=name, version=version, hooks=hooks, builtin=builtin)

    def _check_hooks(self, name: str, plugin: object) -> None:
        """Reject implementations of hooks that do not exist (usually a misspelling)."""
        known = sorted(n for n, c in vars(self.pm.hook).items() if c.has_spec())
        for caller in self.pm.get_hookcallers(plugin) or []:
            if caller.has_spec():
                continue
            impls = [i for i in caller.get_hookimpls() if i.plugin_name == name]
            if any(not i.optionalhook for i in impls):
                import difflib  # only for the error: a first call must not pay for it

                close = difflib.get_close_matches(caller.name, known, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise pluggy.PluginValidationError(plugin, f"unknown hook {caller.name!r}{hint}")

    def _fail(self, name: str, version: str | None, builtin: bool, exc: Exception) -> None:
        text = f"{type(exc).__name__}: {exc}"
        what = f"modelport plugin {name!r} failed to load"
        report_problem(
            f"{what}: {text}", f"{what} and was skipped: {text}", strict=self.strict, cause=exc
        )
        self._info[name] = PluginInfo(
            name=name, version=version, hooks=[], builtin=builtin, error=text
        )

    # -- what plugins registered ----------------------------------------------------------------

    def _invalidate(self) -> None:
        self._registry = None
        self._impl_cache.clear()

    def registry(self) -> Registry:
        reg = self._registry  # once built, the plugins are loaded: every call asks, no call here
        if reg is None:
            self.load()
            with self._lock:
                reg = self._registry
                if reg is None:
                    self._problems = {}
                    reg = self._registry = collect(
                        self.pm, strict=self.strict, trace=self._tracer(), record=self._record
                    )
        return reg

    def _record(self, plugin: str, text: str) -> None:
        self._problems.setdefault(plugin, []).append(text)

    def has_impls(self, hook: str) -> bool:
        """Whether any plugin implements a per-request hook (cached: skip unused hooks)."""
        cached = self._impl_cache.get(hook)
        if cached is None:
            self.load()
            cached = bool(getattr(self.pm.hook, hook).get_hookimpls())
            self._impl_cache[hook] = cached
        return cached

    def provider_class(self, name: str) -> type[Provider]:
        """The class serving model specs ``name:...``, imported now if registered lazily."""
        reg = self.registry()
        entry = reg.providers.get(name)
        if entry is None:
            available = ", ".join(sorted(reg.providers)) or "none installed"
            hint = ""
            import difflib  # only for the error

            close = difflib.get_close_matches(name, list(reg.providers), n=1)
            if close:
                hint = f"; did you mean {close[0]!r}?"
            raise ConfigurationError(
                f"unknown provider {name!r} (available: {available}){hint}. "
                f"Install its plugin, e.g. pip install modelport-{name}"
            )
        return entry.resolve(self._tracer())

    def transport(self, transport: Transport | str | None = None) -> Transport:
        """A transport for one ``LLM``: the object itself, a new instance of the transport
        registered under a name, or (``None``) of the default: the host's ``transport=``, else
        ``MODELPORT_TRANSPORT``, else ``httpx2``."""
        if transport is None:
            name, source = self.default_transport
        elif isinstance(transport, str):
            name, source = transport, "LLM(transport=...)"
        else:
            return check_transport(transport, "LLM(transport=...)")
        reg = self.registry()
        entry = reg.transports.get(name)
        if entry is None:
            if source == "the default":
                source = "the default (is the plugin 'builtin-transports' blocked?)"
            raise unknown_transport(name, reg.transports, source)
        return entry.create(self._tracer())

    def transport_names(self) -> list[str]:
        """Every registered transport name, without importing a lazily registered factory."""
        return sorted(self.registry().transports)

    def provider_names(self) -> list[str]:
        """Every registered provider name, without importing a lazily registered class."""
        return sorted(self.registry().providers)

    def plugins(self) -> list[PluginInfo]:
        """Every loaded or failed plugin; lists provider names without importing their classes."""
        reg = self.registry()
        out = []
        for info in self._info.values():
            problems = ([info.error] if info.error else []) + self._problems.get(info.name, [])
            served = sorted(n for n, p in reg.provider_plugin.items() if p == info.name)
            carried = sorted(n for n, e in reg.transports.items() if e.plugin == info.name)
            dist = self._dists.get(info.name)
            out.append(
                replace(
                    info,
                    version=dist.version() if dist is not None else info.version,
                    error="; ".join(problems) or None,
                    providers=served,
                    transports=carried,
                )
            )
        return sorted(out, key=lambda i: (not i.builtin, i.name))


def _import(module: str) -> ModuleType:
    from importlib import import_module

    return import_module(module)


def _core_version() -> str:
    from .. import __version__

    return __version__


_default: PluginHost | None = None
_default_lock = threading.Lock()


def default_host() -> PluginHost:
    """The process-wide host, created on first use from the environment."""
    global _default
    host = _default
    if host is None:
        with _default_lock:
            host = _default
            if host is None:
                host = _default = PluginHost()
    return host


def reset_default_host(host: PluginHost | None = None) -> None:
    """Replace the process-wide host (tests; or to re-read the environment)."""
    global _default
    with _default_lock:
        _default = host
