"""Limit backends by name: ``Limits(backend="redis")`` through the ``register_limit_backends``
hook. One instance per name and plugin host, made on first use (a connection pool is made
once, not per limit)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from .._errors import ConfigurationError
from ._backend import LimitBackend

if TYPE_CHECKING:
    from .._host._plugins import PluginHost

__all__ = ["named_backend"]

_made: dict[tuple[int, str], LimitBackend] = {}
_lock = threading.Lock()


def named_backend(host: PluginHost | None, name: str) -> LimitBackend:
    if host is None:
        from .._host._plugins import default_host

        host = default_host()
    with _lock:
        made = _made.get((id(host), name))
        if made is not None:
            return made
        factories = _factories(host)
        factory = factories.get(name)
        if factory is None:
            known = ", ".join(sorted(factories)) or "none"
            raise ConfigurationError(
                f"no limit backend is registered as {name!r} (registered: {known}); "
                "install its plugin, e.g. modelport-redis"
            )
        backend = factory()
        if not isinstance(backend, LimitBackend):
            raise ConfigurationError(
                f"the limit backend factory for {name!r} returned {type(backend).__name__}, "
                "not a LimitBackend"
            )
        _made[(id(host), name)] = backend
        return backend


def _factories(host: PluginHost) -> dict[str, Callable[[], object]]:
    from .._host._hook_calls import call_hook

    host.load()
    found: dict[str, Callable[[], object]] = {}

    def register(name: str, factory: Callable[[], object]) -> None:
        if not isinstance(name, str) or not name or not callable(factory):
            raise ConfigurationError("register(name, factory): a name and a callable")
        found.setdefault(name, factory)  # the first registration wins

    call_hook(host, "register_limit_backends", ConfigurationError, register=register)
    return found
