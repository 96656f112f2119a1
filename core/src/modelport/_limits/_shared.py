"""One limiter per (provider, base URL, model, limits) in the process.

Two ``LLM`` objects for the same model share a budget, because the provider counts per key and
model, not per object. A different ``Limits`` value is a different budget (a per-call override).
With ``Limits(backend=...)`` the budget is also shared by every process using that backend.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from ._backed import BackedLimiter
from ._backend import limit_scope
from ._limiter import Limiter, Limits
from ._named import named_backend

if TYPE_CHECKING:
    from .._host._plugins import PluginHost

__all__ = ["shared_limiter"]

_limiters: dict[tuple[str, str, str, Limits], Limiter] = {}
_lock = threading.Lock()


def shared_limiter(
    provider: str, base_url: str, model: str, limits: Limits, host: PluginHost | None = None
) -> Limiter | None:
    """``host``: where a backend named by a string is looked up (the ``LLM``'s plugins)."""
    if limits.unlimited:
        return None
    key = (provider, base_url, model, limits)
    with _lock:
        limiter = _limiters.get(key)
        if limiter is None:
            if limits.backend is None:
                limiter = Limiter(limits)
            else:
                backend = limits.backend
                if isinstance(backend, str):
                    backend = named_backend(host, backend)
                scope = limit_scope(provider, base_url, model, limits)
                limiter = BackedLimiter(limits, scope, backend)
            _limiters[key] = limiter
        return limiter
