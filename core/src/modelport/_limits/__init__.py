"""Traffic control: how many calls a model gets, and how fast (see docs/limits.md)."""

from __future__ import annotations

from ._limiter import Limiter, Limits, Ticket
from ._shared import shared_limiter

__all__ = ["Limiter", "Limits", "Ticket", "shared_limiter"]
