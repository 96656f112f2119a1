"""Traffic control: how many calls a model gets, and how fast (see docs/limits.md)."""

from __future__ import annotations

from ._keypool import KeyPool, fingerprint
from ._limiter import Limiter, Limits, Ticket
from ._shared import shared_limiter

__all__ = ["KeyPool", "Limiter", "Limits", "Ticket", "fingerprint", "shared_limiter"]
