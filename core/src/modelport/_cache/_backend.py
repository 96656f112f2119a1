"""``CacheBackend``: the seam every cache level fills (the SQLite file, DynamoDB, a plugin's).

Three calls, each of which may block: async calls run them in a worker thread, so a backend
that talks to a network never stalls the event loop. A backend that raises is a miss, reported
once as a warning (``CacheLevels``); a call never fails because its cache did.
"""

from __future__ import annotations

from typing import Any, Protocol

__all__ = ["CACHE_METHODS", "CacheBackend"]

CACHE_METHODS = ("get", "set", "delete")


class CacheBackend(Protocol):
    def get(self, key: str) -> dict[str, Any] | None:
        """The stored entry (a JSON-able dict), or ``None`` when there is none or it expired."""

    def set(self, key: str, entry: dict[str, Any], ttl_s: float | None) -> None:
        """Store ``entry`` for ``ttl_s`` seconds (``None``: the backend's own default)."""

    def delete(self, key: str) -> None:
        """Forget ``key`` (``clear_cache=True`` and refused hits); a missing key is no error."""
