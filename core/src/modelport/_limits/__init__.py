"""Traffic control: how many calls a model gets, and how fast (see docs/limits.md).

The names load on first use: a call without limits or a key pool (most calls) never imports
the limiter, the pool or the shared backends, only the header reading the contract names.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .._lazy import lazy_attribute

if TYPE_CHECKING:
    from ._backed import BackedLimiter
    from ._backend import LimitBackend, LimitGrant, limit_scope
    from ._headers import LimitHeaders, LimitReading, read_limit_headers
    from ._heed import heed_limit_headers
    from ._keypool import KeyPool, fingerprint
    from ._limiter import Limiter, Limits, Ticket
    from ._shared import shared_limiter

__all__ = [
    "BackedLimiter",
    "KeyPool",
    "LimitBackend",
    "LimitGrant",
    "LimitHeaders",
    "LimitReading",
    "Limiter",
    "Limits",
    "Ticket",
    "fingerprint",
    "heed_limit_headers",
    "limit_scope",
    "read_limit_headers",
    "shared_limiter",
]

_WHERE = {
    "BackedLimiter": "._backed",
    "LimitBackend": "._backend",
    "LimitGrant": "._backend",
    "limit_scope": "._backend",
    "LimitHeaders": "._headers",
    "LimitReading": "._headers",
    "read_limit_headers": "._headers",
    "heed_limit_headers": "._heed",
    "KeyPool": "._keypool",
    "fingerprint": "._keypool",
    "Limiter": "._limiter",
    "Limits": "._limiter",
    "Ticket": "._limiter",
    "shared_limiter": "._shared",
}


def __getattr__(name: str) -> Any:
    return lazy_attribute(globals(), _WHERE, name)
