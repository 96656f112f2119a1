"""One limiter per (provider, base URL, model, limits) in the process.

Two ``LLM`` objects for the same model share a budget, because the provider counts per key and
model, not per object. A different ``Limits`` value is a different budget (a per-call override).
"""

from __future__ import annotations

import threading

from ._limiter import Limiter, Limits

__all__ = ["shared_limiter"]

_limiters: dict[tuple[str, str, str, Limits], Limiter] = {}
_lock = threading.Lock()


def shared_limiter(provider: str, base_url: str, model: str, limits: Limits) -> Limiter | None:
    if limits.unlimited:
        return None
    key = (provider, base_url, model, limits)
    with _lock:
        limiter = _limiters.get(key)
        if limiter is None:
            limiter = _limiters[key] = Limiter(limits)
        return limiter
