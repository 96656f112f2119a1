"""The L1 cache's SQLite connections: one per thread, none shared across ``fork()``.

- **A connection per thread** (``threading.local``). Measured against one connection behind a
  lock (a prototype of each, 2-core machine): the same single-thread latency (~12 µs for a
  2 KB hit), about 10 % more reads/s and 40 % more writes/s with 32 threads, and, what decides
  it, a reader never queues behind a writer of its own process that is waiting for another
  process to release the write lock (WAL lets readers proceed). ``close()`` reaches every
  thread's connection, and a finished thread's one is closed when the next thread opens its own.
- **WAL, ``synchronous=NORMAL``, a 10 s busy timeout** and, on top, a bounded retry loop for the
  ``SQLITE_BUSY`` cases SQLite returns without waiting (a stale WAL snapshot, recovery).
  ``NORMAL`` in WAL mode never corrupts the file; a power cut (not a process crash) may lose the
  last few committed writes, which for a cache is a miss.
- **Fork safety.** SQLite forbids using a connection inherited through ``fork()``, closing it
  included, so the child keeps such connections referenced (never finalized) and opens its own.

``sqlite3`` is imported on first use, not at import time (see ``_sqlite_cache``).
"""

from __future__ import annotations

import os
import random
import threading
import time
import weakref
from pathlib import Path
from typing import TYPE_CHECKING

from ._sqlite_errors import (
    MAX_BUSY_RETRIES,
    CacheCorruptError,
    CacheError,
    is_busy,
    is_corrupt,
    rollback,
)
from ._sqlite_schema import ensure_schema

if TYPE_CHECKING:
    import sqlite3

__all__ = ["SQLiteConnections"]

_JOURNAL_SIZE_LIMIT = 64 * 1024 * 1024  # the WAL is truncated to this after a checkpoint

# Connections inherited through fork(): SQLite forbids using them in the child, closing them
# included, so the child keeps them referenced (never finalized) and opens its own.
_ABANDONED: list[object] = []
_PRE_FORK: list[object] = []
_INSTANCES: weakref.WeakSet[SQLiteConnections] = weakref.WeakSet()


def _before_fork() -> None:
    # Strong references taken in the parent survive into the child, where the other threads'
    # thread-local connections would otherwise be finalized (closed) as those threads vanish.
    _PRE_FORK[:] = [conn for cache in list(_INSTANCES) for conn, _ in list(cache._conns)]


def _after_fork_in_parent() -> None:
    _PRE_FORK.clear()


def _after_fork_in_child() -> None:
    _ABANDONED.extend(_PRE_FORK)
    _PRE_FORK.clear()
    for cache in list(_INSTANCES):
        cache._lock = threading.Lock()  # another thread may have held it at fork time
        cache._conns = []
        cache._generation += 1


if hasattr(os, "register_at_fork"):
    os.register_at_fork(
        before=_before_fork,
        after_in_parent=_after_fork_in_parent,
        after_in_child=_after_fork_in_child,
    )


class _Local(threading.local):
    conn: sqlite3.Connection | None = None
    owner: tuple[int, int] = (0, 0)  # (pid, generation) the connection belongs to


class SQLiteConnections:
    """Base of ``SQLiteCache``: opens, configures, hands out and closes its connections.

    A base class rather than a separate object so that ``path`` and ``busy_timeout_s`` stay
    the cache's own attributes, read when a connection is opened, as before the split.
    """

    path: Path
    busy_timeout_s: float

    def __init__(self) -> None:
        self._local = _Local()
        self._lock = threading.Lock()
        # Every open connection and the thread that owns it, so that close() reaches them all
        # and a finished thread's connection is closed when the next one opens (a connection
        # and its statement cache form a reference cycle: without this only the cyclic GC
        # would close it, holding three file descriptors until then).
        self._conns: list[tuple[sqlite3.Connection, threading.Thread]] = []
        self._generation = 0
        _INSTANCES.add(self)

    def close(self) -> None:
        """Close every connection of this cache (all threads). The next operation reopens."""
        with self._lock:
            self._generation += 1
            conns = [conn for conn, _ in self._conns]
            self._conns = []
        for conn in conns:
            try:
                conn.close()
            except Exception:
                pass

    def _corrupt(self, exc: BaseException) -> CacheCorruptError:
        self.close()
        return CacheCorruptError(
            f"the modelport L1 cache file {self.path} is not a valid SQLite database ({exc}); "
            "delete it or call SQLiteCache.clear() (modelport recreates it on next use)"
        )

    def _connection(self) -> sqlite3.Connection:
        local = self._local
        owner = (os.getpid(), self._generation)
        conn = local.conn
        if conn is not None and local.owner == owner:
            return conn
        if conn is not None and local.owner[0] != owner[0]:
            _ABANDONED.append(conn)  # inherited through fork: never touch it again
        local.conn = None
        conn = self._open()
        with self._lock:
            finished = [c for c, thread in self._conns if not thread.is_alive()]
            self._conns = [(c, thread) for c, thread in self._conns if thread.is_alive()]
            self._conns.append((conn, threading.current_thread()))
        for stale in finished:
            stale.close()
        local.conn, local.owner = conn, (owner[0], self._generation)
        return conn

    def _open(self) -> sqlite3.Connection:
        import sqlite3

        if sqlite3.sqlite_version_info < (3, 24, 0):  # upsert: INSERT ... ON CONFLICT DO UPDATE
            raise CacheError(f"the L1 cache needs SQLite >= 3.24, not {sqlite3.sqlite_version}")
        path = self.path
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        if not path.exists():
            # Prompts and answers are private: the file (and the -wal/-shm files SQLite creates
            # with the same mode) is readable by its owner only. O_CREAT without O_EXCL never
            # truncates a file another process created first.
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
        try:
            conn = sqlite3.connect(
                str(path),
                timeout=self.busy_timeout_s,
                isolation_level=None,
                check_same_thread=False,
            )
        except sqlite3.Error as exc:
            raise CacheError(f"cannot open the L1 cache {path}: {exc}") from exc
        try:
            self._configure(conn)
        except BaseException as exc:
            conn.close()
            if isinstance(exc, sqlite3.DatabaseError) and is_corrupt(exc):
                raise self._corrupt(exc) from exc
            raise
        return conn

    def _configure(self, conn: sqlite3.Connection) -> None:
        import sqlite3

        deadline = time.monotonic() + self.busy_timeout_s
        attempt = 0
        while True:
            try:
                # Switching to WAL needs a moment of exclusive access; with many processes
                # opening a new file at once it can fail busy without waiting.
                conn.execute("PRAGMA journal_mode = WAL")
                conn.execute("PRAGMA synchronous = NORMAL")
                conn.execute(f"PRAGMA journal_size_limit = {_JOURNAL_SIZE_LIMIT}")
                ensure_schema(conn)
                return
            except sqlite3.OperationalError as exc:
                rollback(conn)
                attempt += 1
                if not is_busy(exc) or attempt >= MAX_BUSY_RETRIES:
                    raise
                if time.monotonic() >= deadline:
                    raise
                time.sleep(0.005 * attempt * random.uniform(0.5, 1.5))
