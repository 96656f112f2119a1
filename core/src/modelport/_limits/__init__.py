"""Traffic control: how many calls a model gets, and how fast (see docs/limits.md)."""

from __future__ import annotations

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
