"""The built-in transports, registered as an internal plugin (``builtin-transports``).

They go through the same ``register_transports`` hook as a third party's transports, so that
``LLM(transport="stdlib")`` and ``LLM(transport="aiohttp")`` are resolved alike, and a plugin can
replace one by name (``@hookimpl(tryfirst=True)``). Both are registered lazily: importing this
module imports neither transport module, and choosing ``"httpx2"`` imports httpx2 only when the
first request is sent.
"""

from __future__ import annotations

from collections.abc import Callable

from .._markers import hookimpl

__all__ = ["register_transports"]


@hookimpl
def register_transports(register: Callable[..., None]) -> None:
    """Register ``httpx2`` (the default) and ``stdlib``."""
    register("modelport._http._transport:HttpxTransport", name="httpx2")
    register("modelport._http._stdlib_transport:StdlibTransport", name="stdlib")
