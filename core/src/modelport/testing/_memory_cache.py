"""``MemoryCache``: a cache backend in a dict, for tests that look at what was stored."""

from __future__ import annotations

import threading
from typing import Any

__all__ = ["MemoryCache"]


class MemoryCache:
    """A ``modelport.cache.CacheBackend`` in memory: ``data`` holds the entries by key, and
    ``ttls`` the ``ttl_s`` each was stored with. Safe to share between threads (async calls run
    cache I/O in worker threads). Register it from a test plugin::

        class Plugin:
            def __init__(self) -> None:
                self.backend = MemoryCache()

            @modelport.hookimpl
            def register_caches(self, register):
                register(self.backend, level=1)
    """

    def __init__(self) -> None:
        self.data: dict[str, dict[str, Any]] = {}
        self.ttls: dict[str, float | None] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> dict[str, Any] | None:
        with self._lock:
            return self.data.get(key)

    def set(self, key: str, entry: dict[str, Any], ttl_s: float | None) -> None:
        with self._lock:
            self.data[key] = entry
            self.ttls[key] = ttl_s

    def delete(self, key: str) -> None:
        with self._lock:
            self.data.pop(key, None)
            self.ttls.pop(key, None)
