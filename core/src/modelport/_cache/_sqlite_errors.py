"""What a SQLite failure means for the L1 cache: busy (retry), corrupt (report), or neither.

The cache's own exceptions live here too, next to the classification that decides which one a
``sqlite3`` error becomes, so that every module of the cache raises the same types.
``sqlite3`` is only named for type checking: importing this module must stay free.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._errors import LLMError

if TYPE_CHECKING:
    import sqlite3

__all__ = [
    "MAX_BUSY_RETRIES",
    "CacheCorruptError",
    "CacheError",
    "is_busy",
    "is_corrupt",
    "rollback",
]

# SQLite primary result codes (the low byte of an extended code).
_SQLITE_CORRUPT = 11
_SQLITE_NOTADB = 26
_SQLITE_BUSY = 5
_SQLITE_LOCKED = 6

# Attempts for the SQLITE_BUSY cases SQLite returns without waiting in its busy handler.
MAX_BUSY_RETRIES = 8


class CacheError(LLMError):
    """The L1 cache could not be used; the core reports it as a warning and treats it as a miss."""


class CacheCorruptError(CacheError):
    """The cache file is not a SQLite database, or is damaged. ``SQLiteCache.clear()`` fixes it."""


def _code(exc: BaseException) -> int:
    return int(getattr(exc, "sqlite_errorcode", -1)) & 0xFF


def is_busy(exc: BaseException) -> bool:
    return _code(exc) in (_SQLITE_BUSY, _SQLITE_LOCKED) or "locked" in str(exc)


def is_corrupt(exc: BaseException) -> bool:
    return _code(exc) in (_SQLITE_CORRUPT, _SQLITE_NOTADB) or "not a database" in str(exc)


def rollback(conn: sqlite3.Connection) -> None:
    """End a failed statement's transaction, if any, so the connection can be used again."""
    try:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
    except Exception:
        pass
