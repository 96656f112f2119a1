"""Registered transports: a name, and the factory behind it, imported no sooner than chosen.

A plugin registers a transport as ``register("pkg.mod:Factory", name="my-http")``: the name is
all the core needs to list it or to check ``LLM(transport="my-http")``, and the module (with its
HTTP library) is imported the first time an ``LLM`` chooses that name. ``register(Factory,
name=...)`` hands the factory over directly. A factory is anything called with no arguments
that returns a transport (a class usually); each ``LLM`` that chooses the name gets its own
instance, so it owns its connection pool as with the default.

A transport has ``send`` / ``asend`` and ``close`` / ``aclose`` (``modelport.transport
.Transport``). A failure found when a name is first chosen (the module does not import, has no
such attribute, the factory raises or returns something that is not a transport) is a
``ConfigurationError`` naming the plugin and the target, remembered so that a broken module is
not executed again for every ``LLM``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, cast

from .._errors import ConfigurationError
from .._host._lazy_target import describe, find_target, import_target, split_target
from .._slotted import Slotted

if TYPE_CHECKING:
    from ._transport import Transport

__all__ = ["DEFAULT_TRANSPORT", "TransportEntry", "check_transport", "unknown_transport"]

# The transport an LLM gets when it names none (and MODELPORT_TRANSPORT is unset).
DEFAULT_TRANSPORT = "httpx2"
_METHODS = ("send", "asend", "close", "aclose")


def check_transport(obj: object, where: str) -> Transport:
    """``obj`` if it has the four methods of the transport seam, else a ``ConfigurationError``."""
    if isinstance(obj, type):
        raise ConfigurationError(
            f"{where}: got the class {obj.__qualname__}, not a transport; pass an instance "
            f"({obj.__qualname__}()) or a registered name"
        )
    missing = [m for m in _METHODS if not callable(getattr(obj, m, None))]
    if missing:
        raise ConfigurationError(
            f"{where}: {type(obj).__qualname__} is not a transport (no {', '.join(missing)}); "
            "a transport has send, asend, close and aclose (modelport.transport.Transport)"
        )
    return cast("Transport", obj)


def check_transport_name(name: object, plugin: str) -> str:
    if not isinstance(name, str) or not name or name != name.strip() or ":" in name:
        raise ConfigurationError(
            f"plugin {plugin!r}: a transport name must be a non-empty string without ':' or "
            f"surrounding spaces; got {name!r}"
        )
    return name


def unknown_transport(name: str, available: Iterable[str], source: str) -> ConfigurationError:
    import difflib  # only for the error: a first call must not pay for it

    names = sorted(available)
    close = difflib.get_close_matches(name, names, n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    listed = ", ".join(names) or "none registered"
    return ConfigurationError(
        f"unknown transport {name!r} in {source}.{hint} Available: {listed} (a transport "
        "plugin adds its name when installed, e.g. pip install modelport-aiohttp)"
    )


def _split_target(target: str, plugin: str) -> tuple[str, str]:
    return split_target(target, plugin, "transport", "package.module:Factory")


class TransportEntry(Slotted):
    """A transport name, the plugin that registered it, and its factory or where to import it."""

    _fields = ("name", "plugin", "target", "lazy")
    __slots__ = (*_fields, "_factory", "_failure")

    def __init__(
        self,
        name: str,
        plugin: str,
        target: str,  # "package.module:Factory", for a factory handed over directly too
        lazy: bool,
        _factory: Callable[[], object] | None = None,
    ) -> None:
        self.name = name
        self.plugin = plugin
        self.target = target
        self.lazy = lazy
        self._factory = _factory
        self._failure: tuple[str, BaseException | None] | None = None

    @classmethod
    def of_target(cls, target: str, plugin: str, name: str | None) -> TransportEntry:
        """An entry for ``"package.module:Factory"``; nothing is imported yet."""
        if name is None:
            raise ConfigurationError(
                f"plugin {plugin!r} registered transport {target!r} without a name: write "
                f"register({target!r}, name='...')"
            )
        _split_target(target, plugin)
        return cls(check_transport_name(name, plugin), plugin, target, lazy=True)

    @classmethod
    def of_factory(cls, factory: object, plugin: str, name: str | None) -> TransportEntry:
        """An entry for a factory (usually a transport class) handed over directly."""
        if not callable(factory):
            raise ConfigurationError(
                f"plugin {plugin!r}: register a transport factory (a class or a function "
                f"returning a transport) or 'package.module:Factory'; got {factory!r}"
            )
        if name is None:
            raise ConfigurationError(
                f"plugin {plugin!r} registered transport {factory!r} without a name: write "
                "register(factory, name='...')"
            )
        module = getattr(factory, "__module__", "?")
        qualname = getattr(factory, "__qualname__", type(factory).__qualname__)
        return cls(
            check_transport_name(name, plugin),
            plugin,
            f"{module}:{qualname}",
            lazy=False,
            _factory=factory,
        )

    def check_findable(self) -> None:
        """Fail now, without running the module, if the target's module cannot be found."""
        if self._factory is not None:
            return
        module, _ = _split_target(self.target, self.plugin)
        find_target(module, self._error)

    def create(self, trace: Callable[[str], None] | None = None) -> Transport:
        """A new transport from the factory (imported on the first call)."""
        factory = self._resolve(trace)
        try:
            obj = factory()
        except Exception as exc:
            raise self._error(f"creating the transport failed: {describe(exc)}") from exc
        try:
            return check_transport(obj, f"plugin {self.plugin!r}")
        except ConfigurationError as exc:
            raise self._error(exc.message.removeprefix(f"plugin {self.plugin!r}: ")) from None

    def _resolve(self, trace: Callable[[str], None] | None) -> Callable[[], object]:
        factory = self._factory
        if factory is not None:
            return factory
        if self._failure is None:
            try:
                factory = self._import(trace)
            except ConfigurationError as exc:
                self._failure = (exc.message, exc.__cause__)
            else:
                self._factory = factory
                return factory
        message, cause = self._failure
        raise ConfigurationError(message) from cause

    def _import(self, trace: Callable[[str], None] | None) -> Callable[[], object]:
        module_name, attr = _split_target(self.target, self.plugin)
        if trace is not None:
            trace(f"import transport {self.name} -> {self.target} (plugin {self.plugin})")
        obj = import_target(module_name, attr, self._error)
        if not callable(obj):
            raise self._error(f"{obj!r} is not callable (a transport class or factory)")
        return cast(Callable[[], object], obj)

    def _error(self, what: str) -> ConfigurationError:
        return ConfigurationError(
            f"plugin {self.plugin!r} registered transport {self.name!r} as {self.target!r}: {what}"
        )
