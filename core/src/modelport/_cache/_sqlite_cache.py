"""The built-in level-1 cache: one SQLite file in the user cache directory (stdlib only).

Why SQLite rather than one JSON file per entry (what the SmartLLM seed did): a write is one
transaction, so a crash mid-write leaves the old entry or none, never half of one; many threads
and processes can share the file through SQLite's own locking; and LRU/TTL bookkeeping is a few
indexed columns instead of a directory walk.

How it is used and why it is shaped this way:

- **Cheap to import.** ``sqlite3`` is imported on first use, not at import time: registering the
  built-in cache plugin must not cost a user who never caches anything.
- **No I/O until the first ``get``/``set``.** The constructor only resolves the path; the
  directory, the file and the schema are created by the first operation.

This module is the cache's operations (get, set, eviction, busy retries); the rest lives next to
it: ``_sqlite_settings`` (file location and size bound from the environment), ``_sqlite_schema``
(versioned tables, the triggers that keep running totals), ``_sqlite_connections`` (a connection
per thread, WAL, fork safety) and ``_sqlite_errors`` (the exceptions, busy/corrupt detection).
Their public names are re-exported here, where callers have always imported them from.
"""

from __future__ import annotations

import json
import os
import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from ._sqlite_connections import SQLiteConnections
from ._sqlite_errors import (
    MAX_BUSY_RETRIES,
    CacheCorruptError,
    CacheError,
    is_busy,
    is_corrupt,
    rollback,
)
from ._sqlite_schema import SCHEMA_VERSION, STATS, TABLE, ensure_schema, recreate_schema
from ._sqlite_settings import (
    DEFAULT_MAX_MB,
    ENV_DIR,
    ENV_MAX_MB,
    FILENAME,
    default_cache_dir,
    default_cache_path,
    max_bytes_from_env,
)

if TYPE_CHECKING:
    import sqlite3

__all__ = [
    "DEFAULT_MAX_MB",
    "ENV_DIR",
    "ENV_MAX_MB",
    "FILENAME",
    "SCHEMA_VERSION",
    "CacheCorruptError",
    "CacheError",
    "SQLiteCache",
    "default_cache_dir",
    "default_cache_path",
    "max_bytes_from_env",
]

_T = TypeVar("_T")


def _encode(entry: dict[str, Any]) -> tuple[str, int]:
    """Compact JSON and its UTF-8 size.

    Non-ASCII text is stored as is (a CJK answer is half the size escaped); a string with a lone
    surrogate, which UTF-8 cannot hold, falls back to ``\\uXXXX`` escapes so it still round-trips.
    """
    if not isinstance(entry, dict):
        raise TypeError(f"a cache entry must be a dict, not {type(entry).__name__}")
    text = json.dumps(entry, ensure_ascii=False, separators=(",", ":"))
    try:
        return text, len(text.encode())
    except UnicodeEncodeError:
        text = json.dumps(entry, separators=(",", ":"))
        return text, len(text)


class SQLiteCache(SQLiteConnections):
    """Level-1 cache backend: ``get(key)``, ``set(key, entry, ttl_s)``, ``delete(key)``.

    ``path`` is the database file (default: :func:`default_cache_path`). ``max_entries`` bounds
    the number of entries (default: no bound); ``max_bytes`` the stored bytes (default:
    ``$MODELPORT_CACHE_MAX_MB``, 512 MB; ``0``: no bound). Over a bound, expired entries go
    first, then the least recently used ones, down to 90 % of the bound so that eviction runs
    once per tenth of the bound's writes instead of on every write.

    ``default_ttl_s`` applies when ``set`` is given no TTL (default: entries never expire).
    ``touch_interval_s``: a hit refreshes the entry's LRU timestamp only when the stored one is
    older than this, so that hot reads do not turn into a write each; LRU order is therefore
    exact to within this interval. ``clock`` (seconds since the epoch, shared across processes)
    exists for tests. ``busy_timeout_s`` is how long one statement waits for another writer.
    """

    def __init__(
        self,
        path: str | os.PathLike[str] | None = None,
        *,
        max_entries: int | None = None,
        max_bytes: int | None = None,
        default_ttl_s: float | None = None,
        touch_interval_s: float = 60.0,
        busy_timeout_s: float = 10.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if path is not None and os.fspath(path) in ("", ":memory:"):
            raise ValueError("SQLiteCache needs a file path (connections are per thread)")
        self.path = Path(path).expanduser() if path is not None else default_cache_path()
        if max_entries is not None and max_entries <= 0:
            raise ValueError("max_entries must be positive (or None for no bound)")
        if max_bytes is not None and max_bytes < 0:
            raise ValueError("max_bytes must be >= 0 (0 or None from the environment: see docs)")
        self.max_entries = max_entries
        self.max_bytes: int | None = max_bytes_from_env() if max_bytes is None else max_bytes
        if self.max_bytes == 0:
            self.max_bytes = None
        self.default_ttl_s = default_ttl_s
        self.touch_interval_s = touch_interval_s
        self.busy_timeout_s = busy_timeout_s
        self._clock = clock
        super().__init__()  # the per-thread connections (none opened yet)

    def __repr__(self) -> str:
        return f"SQLiteCache({str(self.path)!r})"

    # -- the backend protocol ------------------------------------------------------------------

    def get(self, key: str) -> dict[str, Any] | None:
        """The entry stored under ``key``, or ``None``; an expired entry is a miss, and deleted."""
        text = self._run(lambda conn: self._get(conn, key))
        if text is None:
            return None
        try:
            entry = json.loads(text)
        except ValueError:
            entry = None
        if not isinstance(entry, dict):
            # Only damage outside SQLite's control gets here; drop the row so it warns once.
            self.delete(key)
            raise CacheCorruptError(f"L1 cache entry {key!r} in {self.path} is not a JSON object")
        return entry

    def set(self, key: str, entry: dict[str, Any], ttl_s: float | None = None) -> None:
        """Store ``entry`` (a JSON-compatible dict) under ``key``, replacing any previous one.

        The write is one transaction (the upsert and any eviction it causes): a crash leaves the
        previous state. A TTL <= 0, or an entry larger than ``max_bytes`` on its own, is not
        stored (and the key's previous entry is deleted, as a replacing write would).
        """
        text, size = _encode(entry)
        size += len(key.encode("utf-8", "surrogatepass"))
        if ttl_s is None:
            ttl_s = self.default_ttl_s
        if (ttl_s is not None and ttl_s <= 0) or (
            self.max_bytes is not None and size > self.max_bytes
        ):
            self.delete(key)
            return
        self._run(lambda conn: self._set(conn, key, text, size, ttl_s))

    def delete(self, key: str) -> None:
        """Remove ``key``'s entry, if any."""
        self._run(lambda conn: conn.execute(f"DELETE FROM {TABLE} WHERE key = ?", (key,)))

    # -- maintenance ---------------------------------------------------------------------------

    def clear(self) -> None:
        """Delete every entry; a corrupt file is deleted instead, and recreated on next use.

        Also reclaims the disk space (``VACUUM``, best effort: skipped when another process keeps
        the file busy beyond the busy timeout). Creates nothing when the file does not exist yet.
        """
        if not self.path.exists():
            return
        try:
            self._run(recreate_schema)
        except CacheCorruptError:
            self.close()
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)
            return
        import sqlite3

        try:
            conn = self._connection()
            conn.execute("VACUUM")
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        except sqlite3.OperationalError:
            pass

    def stats(self) -> dict[str, Any]:
        """``{"path", "entries", "bytes"}``: entries and stored bytes as the bound counts them."""
        row = self._run(
            lambda conn: conn.execute(f"SELECT entries, bytes FROM {STATS} WHERE id = 0").fetchone()
        )
        entries, size = row if row is not None else (0, 0)
        return {"path": str(self.path), "entries": int(entries), "bytes": int(size)}

    # -- operations (run inside _run, on this thread's connection) -----------------------------

    def _get(self, conn: sqlite3.Connection, key: str) -> str | None:
        import sqlite3

        row = conn.execute(
            f"SELECT value, expires_at, last_access FROM {TABLE} WHERE key = ?", (key,)
        ).fetchone()
        if row is None:
            return None
        text, expires_at, last_access = row
        now = self._clock()
        if expires_at is not None and expires_at <= now:
            # Conditional: another process may have stored a fresh entry in the meantime.
            conn.execute(f"DELETE FROM {TABLE} WHERE key = ? AND expires_at <= ?", (key, now))
            return None
        if now - last_access >= self.touch_interval_s:
            try:
                conn.execute(
                    f"UPDATE {TABLE} SET last_access = ? WHERE key = ? AND last_access < ?",
                    (now, key, now),
                )
            except sqlite3.OperationalError as exc:
                if not is_busy(exc):
                    raise
                # Best effort: a busy file costs LRU precision, never the hit.
        return str(text)

    def _set(
        self, conn: sqlite3.Connection, key: str, text: str, size: int, ttl_s: float | None
    ) -> None:
        now = self._clock()
        expires_at = now + ttl_s if ttl_s is not None else None
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute(
                f"INSERT INTO {TABLE} (key, value, created_at, expires_at, last_access, size)"
                " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET"
                " value = excluded.value, created_at = excluded.created_at,"
                " expires_at = excluded.expires_at, last_access = excluded.last_access,"
                " size = excluded.size",
                (key, text, now, expires_at, now, size),
            )
            if self.max_entries is not None or self.max_bytes is not None:
                self._evict(conn, key, now)
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    def _over(self, conn: sqlite3.Connection) -> tuple[int, int] | None:
        """How many entries and bytes to evict, or None when within both bounds."""
        entries, size = conn.execute(f"SELECT entries, bytes FROM {STATS} WHERE id = 0").fetchone()
        over_n = self.max_entries is not None and entries > self.max_entries
        over_b = self.max_bytes is not None and size > self.max_bytes
        if not (over_n or over_b):
            return None
        excess_n = excess_b = 0
        if self.max_entries is not None:
            excess_n = entries - (self.max_entries - self.max_entries // 10)
        if self.max_bytes is not None:
            excess_b = size - (self.max_bytes - self.max_bytes // 10)
        return excess_n, excess_b

    def _evict(self, conn: sqlite3.Connection, keep: str, now: float) -> None:
        if self._over(conn) is None:
            return
        conn.execute(f"DELETE FROM {TABLE} WHERE expires_at <= ? AND key != ?", (now, keep))
        excess = self._over(conn)
        if excess is None:
            return
        excess_n, excess_b = excess
        victims: list[tuple[str]] = []
        cursor = conn.execute(
            f"SELECT key, size FROM {TABLE} WHERE key != ? ORDER BY last_access", (keep,)
        )
        try:
            while excess_n > 0 or excess_b > 0:
                rows = cursor.fetchmany(256)
                if not rows:
                    break
                for victim, size in rows:
                    if excess_n <= 0 and excess_b <= 0:
                        break
                    victims.append((victim,))
                    excess_n -= 1
                    excess_b -= size
        finally:
            cursor.close()
        conn.executemany(f"DELETE FROM {TABLE} WHERE key = ?", victims)

    # -- retries ---------------------------------------------------------------------------------

    def _run(self, op: Callable[[sqlite3.Connection], _T]) -> _T:
        """Run ``op`` on this thread's connection, retrying busy errors within a bounded time.

        SQLite's busy handler already waited up to ``busy_timeout_s`` inside each statement;
        this loop covers the busy errors it returns at once, with jittered backoff, and gives up
        after a few attempts or once ``busy_timeout_s`` has passed overall. A table dropped
        under us (``clear()`` elsewhere, another version's upgrade) is recreated, once.
        """
        import sqlite3

        deadline = time.monotonic() + self.busy_timeout_s
        delay = 0.002
        attempt = 0
        healed = False
        while True:
            conn = self._connection()
            try:
                return op(conn)
            except sqlite3.OperationalError as exc:
                rollback(conn)
                if is_busy(exc):
                    attempt += 1
                    if attempt < MAX_BUSY_RETRIES and time.monotonic() < deadline:
                        time.sleep(delay * random.uniform(0.5, 1.5))
                        delay = min(delay * 2, 0.25)
                        continue
                    raise CacheError(
                        f"L1 cache {self.path} stayed locked by another writer: {exc}"
                    ) from exc
                if "no such table" in str(exc) and not healed:
                    healed = True
                    ensure_schema(conn)
                    continue
                if is_corrupt(exc):
                    raise self._corrupt(exc) from exc
                raise
            except sqlite3.DatabaseError as exc:
                rollback(conn)
                if is_corrupt(exc):
                    raise self._corrupt(exc) from exc
                raise
