"""The HTTP seam, public names: the protocol a transport implements and the two built in.

A transport has one sync and one async method (``send`` / ``asend``) returning a response whose
body is read incrementally; it raises modelport errors (``connection_error`` builds them with
the facts the retry loop needs). Providers never see it. See docs/guide.md ("Transports").
"""

from __future__ import annotations

from ._http._stdlib_transport import StdlibTransport
from ._http._transport import (
    AsyncRawResponse,
    HttpxTransport,
    RawResponse,
    Transport,
    connection_error,
)

__all__ = [
    "AsyncRawResponse",
    "HttpxTransport",
    "RawResponse",
    "StdlibTransport",
    "Transport",
    "connection_error",
]
