"""Per-request hook calls that name the plugin at fault.

pluggy re-raises an implementation's exception as it is, so a bug in some plugin's
``shape_request`` would reach the caller as a bare ``KeyError`` with no hint of whose it was.
Here each implementation runs in pluggy's order (``tryfirst`` first, then the latest
registered), and anything but an ``LLMError`` becomes the typed error the call site chooses,
naming the plugin and the hook. An ``LLMError`` a plugin raises on purpose passes unchanged.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from .._errors import LLMError

if TYPE_CHECKING:
    from ._plugins import PluginHost

__all__ = ["call_hook", "plugin_failure"]


def plugin_failure(error: type[LLMError], plugin: str, where: str, exc: BaseException) -> LLMError:
    """The typed error for a plugin bug: which plugin, in which call, and what it raised."""
    return error(f"plugin {plugin!r} failed in {where}: {type(exc).__name__}: {exc}")


def call_hook(host: PluginHost, hook: str, error: type[LLMError], **kwargs: Any) -> list[Any]:
    """Call every implementation of ``hook``; return the non-``None`` results in call order."""
    results: list[Any] = []
    impls = getattr(host.pm.hook, hook).get_hookimpls()
    for impl in reversed(impls):  # pluggy calls the last of this list first
        if host.trace:
            sys.stderr.write(f"modelport hook {hook} -> {impl.plugin_name}\n")
        try:
            result = impl.function(**{name: kwargs[name] for name in impl.argnames})
        except LLMError:
            raise
        except Exception as exc:
            raise plugin_failure(error, impl.plugin_name, hook, exc) from exc
        if result is not None:
            results.append(result)
    return results
