"""The L1 cache's tables, indexes and triggers, and how schema versions coexist in one file.

- **Versioned tables** (``entries_v<N>``): a process only ever reads the table of its own schema
  version, so rows in another format are never misread, even with two modelport versions running
  at once. Opening the file drops tables of older versions and leaves newer ones alone.
- **Running totals kept by triggers**, so the size bound is checked in O(1) per write rather than
  by counting the table.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import sqlite3

__all__ = ["META", "SCHEMA_VERSION", "STATS", "TABLE", "ensure_schema", "recreate_schema"]

SCHEMA_VERSION = 1

TABLE = f"entries_v{SCHEMA_VERSION}"
STATS = f"stats_v{SCHEMA_VERSION}"
# One row, schema_version: the newest schema version that has opened this file (diagnostics).
META = "modelport_meta"


def ensure_schema(conn: sqlite3.Connection) -> None:
    """Make sure this version's table exists; drop older versions' tables.

    The common case (the schema is current) is one read of ``sqlite_master``, no write lock.
    """
    tables = _all_tables(conn)
    if {TABLE, STATS, META} <= tables and all(
        _version_of(t) >= SCHEMA_VERSION for t in tables if _version_of(t) >= 0
    ):
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        for name in _versioned_tables(conn):  # re-read under the write lock
            if _version_of(name) < SCHEMA_VERSION:
                conn.execute(f'DROP TABLE IF EXISTS "{name}"')
        _create_schema(conn)
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def recreate_schema(conn: sqlite3.Connection) -> None:
    """Drop every version's tables and create this version's, empty: what ``clear()`` does."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        for name in _versioned_tables(conn):
            conn.execute(f'DROP TABLE IF EXISTS "{name}"')
        _create_schema(conn)
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def _all_tables(conn: sqlite3.Connection) -> set[str]:
    return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def _versioned_tables(conn: sqlite3.Connection) -> list[str]:
    return [t for t in _all_tables(conn) if _version_of(t) >= 0]


def _version_of(table: str) -> int:
    """N for ``entries_vN`` / ``stats_vN``, else -1."""
    for prefix in ("entries_v", "stats_v"):
        if table.startswith(prefix) and table[len(prefix) :].isdigit():
            return int(table[len(prefix) :])
    return -1


def _create_schema(conn: sqlite3.Connection) -> None:
    """This version's tables, indexes and the triggers that keep the running totals."""
    t, s = TABLE, STATS
    conn.execute(f"CREATE TABLE IF NOT EXISTS {META} (name TEXT PRIMARY KEY, value NOT NULL)")
    conn.execute(
        f"CREATE TABLE IF NOT EXISTS {t} ("
        " key TEXT PRIMARY KEY NOT NULL,"
        " value TEXT NOT NULL,"  # compact JSON
        " created_at REAL NOT NULL,"
        " expires_at REAL,"  # NULL: never expires
        " last_access REAL NOT NULL,"
        " size INTEGER NOT NULL)"  # bytes of key + value, what max_bytes counts
    )
    conn.execute(f"CREATE INDEX IF NOT EXISTS {t}_lru ON {t} (last_access)")
    conn.execute(
        f"CREATE INDEX IF NOT EXISTS {t}_expiry ON {t} (expires_at) WHERE expires_at IS NOT NULL"
    )
    conn.execute(
        f"CREATE TABLE IF NOT EXISTS {s} (id INTEGER PRIMARY KEY CHECK (id = 0),"
        " entries INTEGER NOT NULL, bytes INTEGER NOT NULL)"
    )
    # Recomputed, never assumed: either table may have been dropped without the other. This
    # path runs only when the schema needed repair (or on clear()), not per connection.
    conn.execute(
        f"INSERT OR REPLACE INTO {s} (id, entries, bytes)"
        f" SELECT 0, count(*), coalesce(sum(size), 0) FROM {t}"
    )
    conn.execute(
        f"CREATE TRIGGER IF NOT EXISTS {t}_ins AFTER INSERT ON {t} BEGIN"
        f" UPDATE {s} SET entries = entries + 1, bytes = bytes + NEW.size WHERE id = 0; END"
    )
    conn.execute(
        f"CREATE TRIGGER IF NOT EXISTS {t}_del AFTER DELETE ON {t} BEGIN"
        f" UPDATE {s} SET entries = entries - 1, bytes = bytes - OLD.size WHERE id = 0; END"
    )
    conn.execute(
        f"CREATE TRIGGER IF NOT EXISTS {t}_upd AFTER UPDATE OF size ON {t} BEGIN"
        f" UPDATE {s} SET bytes = bytes - OLD.size + NEW.size WHERE id = 0; END"
    )
    conn.execute(
        f"INSERT INTO {META} (name, value) VALUES ('schema_version', ?)"
        " ON CONFLICT (name) DO UPDATE SET value = max(value, excluded.value)",
        (SCHEMA_VERSION,),
    )
