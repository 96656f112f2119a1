"""Cache backends, public names (see docs/caching.md).

The core's level-1 cache is a SQLite file shared by every process of a user; ``shared_cache()``
is the instance the built-in plugin registers, for maintenance (``clear()``, ``stats()``), and
``SQLiteCache`` makes a differently configured one to register in its place. ``CacheBackend``
is the protocol a plugin's own backend follows (``get``, ``set``, ``delete``).
"""

from __future__ import annotations

from ._cache._backend import CacheBackend
from ._cache._builtin import shared_cache
from ._cache._sqlite_cache import SQLiteCache
from ._cache._sqlite_errors import CacheCorruptError, CacheError

__all__ = ["CacheBackend", "CacheCorruptError", "CacheError", "SQLiteCache", "shared_cache"]
