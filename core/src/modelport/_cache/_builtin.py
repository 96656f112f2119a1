"""The built-in level-1 cache (SQLite in the user cache directory), registered as a plugin.

It goes through the same ``register_caches`` hook as any third-party backend so that a user can
block it by name (``MODELPORT_DISABLE_PLUGINS=builtin-cache``) or replace it, without special
cases in the core. Importing this module imports neither ``sqlite3`` nor anything else heavy,
and registering creates no file: ``SQLiteCache`` touches the disk on its first ``get``/``set``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from .._markers import hookimpl
from ._sqlite_cache import SQLiteCache, default_cache_path, max_bytes_from_env

__all__ = ["register_caches", "shared_cache"]

# One instance per (file, size bound) for the whole process, so every LLM and every reload of
# the plugin host shares its per-thread connections instead of opening new ones. Keyed by the
# configuration read from the environment at registration time, so that changing
# MODELPORT_CACHE_DIR and calling ``modelport.plugins.reset()`` takes effect.
_shared: dict[tuple[str, int], SQLiteCache] = {}
_lock = threading.Lock()


def shared_cache() -> SQLiteCache:
    """The process-wide L1 cache for the current ``MODELPORT_CACHE_*`` environment."""
    path = default_cache_path()
    max_bytes = max_bytes_from_env()
    key = (str(path), max_bytes)
    with _lock:
        cache = _shared.get(key)
        if cache is None:
            cache = _shared[key] = SQLiteCache(path, max_bytes=max_bytes)
        return cache


@hookimpl
def register_caches(register: Callable[..., None]) -> None:
    """Register the process-wide SQLite cache as level 1 (read first, before shared caches)."""
    register(shared_cache(), level=1)
