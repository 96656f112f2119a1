"""Plugin management from code: list, block, register.

Blocking by name works for entry-point plugins and for built-ins (``builtin-thinking``), and a
blocked plugin is never imported. The same is available from the environment
(``MODELPORT_DISABLE_PLUGINS``, ``MODELPORT_LOAD_PLUGINS``, ``MODELPORT_STRICT_PLUGINS``,
``MODELPORT_TRACE_PLUGINS``); see docs/plugins.md.
"""

from __future__ import annotations

from typing import Any

from ._host._plugins import (
    BUILTIN_PLUGINS,
    PluginHost,
    PluginInfo,
    default_host,
    reset_default_host,
)

__all__ = [
    "BUILTIN_PLUGINS",
    "PluginHost",
    "PluginInfo",
    "default_host",
    "disable",
    "list_plugins",
    "register",
    "reset",
    "unregister",
]


def disable(*names: str) -> None:
    """Block plugins by name for this process (before or after they loaded)."""
    default_host().block(*names)


def register(plugin: object, name: str | None = None) -> str:
    """Register a plugin object (module, class or instance carrying ``@hookimpl`` functions)."""
    return default_host().register(plugin, name)


def unregister(name: str) -> None:
    default_host().unregister(name)


def list_plugins() -> list[dict[str, Any]]:
    """Name, version and implemented hooks of every loaded (or failed) plugin."""
    return [info.as_dict() for info in default_host().plugins()]


def reset() -> None:
    """Forget loaded plugins; the next use re-reads the environment and entry points."""
    reset_default_host(None)
