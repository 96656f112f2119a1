"""modelport transport on aiohttp's connections: async calls faster than raw aiohttp.

Importing this package is cheap: aiohttp is imported with ``modelport_aiohttp._transport``,
which the core imports only when an ``LLM`` chooses the transport (``transport="aiohttp"`` or
``MODELPORT_TRANSPORT=aiohttp``). ``AiohttpTransport`` is resolved lazily here for users who
want to configure an instance themselves.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = ["AiohttpTransport", "__version__"]

if TYPE_CHECKING:
    from ._transport import AiohttpTransport


def __getattr__(name: str) -> Any:
    if name == "AiohttpTransport":
        from ._transport import AiohttpTransport

        return AiohttpTransport
    raise AttributeError(f"module 'modelport_aiohttp' has no attribute {name!r}")
