"""The built-in L1 cache: a SQLite file shared by threads and processes.

Time-dependent behaviour (TTL, LRU order) runs on an injected clock, not on sleeps. The
concurrency tests use real threads and real processes on one real file; every entry written by
them encodes its own key and a checksum, so a partial or mixed-up entry cannot pass as valid.
"""

from __future__ import annotations

import contextlib
import hashlib
import inspect
import json
import os
import random
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from modelport._cache import _builtin as _builtin_cache
from modelport._cache._levels import CacheLevels
from modelport._cache._sqlite_cache import (
    SCHEMA_VERSION,
    CacheCorruptError,
    CacheError,
    SQLiteCache,
    default_cache_dir,
    default_cache_path,
    max_bytes_from_env,
)
from modelport._errors import ConfigurationError
from modelport._host._plugins import CacheRegistration, PluginHost

TABLE = f"entries_v{SCHEMA_VERSION}"


class Clock:
    """A settable wall clock: tests move time instead of sleeping."""

    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "cache" / "cache.sqlite3"


@pytest.fixture
def clock() -> Clock:
    return Clock()


@contextlib.contextmanager
def raw(path: Path) -> Iterator[sqlite3.Connection]:
    """A plain autocommit connection to inspect the file as SQLite sees it."""
    conn = sqlite3.connect(path, isolation_level=None, timeout=10)
    try:
        yield conn
    finally:
        conn.close()


def rows(path: Path) -> dict[str, tuple[Any, ...]]:
    with raw(path) as conn:
        result = conn.execute(
            f"SELECT key, value, created_at, expires_at, last_access, size FROM {TABLE}"
        ).fetchall()
    return {r[0]: r[1:] for r in result}


def assert_totals_consistent(path: Path) -> None:
    """The trigger-maintained totals equal a full count (they drive the size bound)."""
    with raw(path) as conn:
        counted = conn.execute(f"SELECT count(*), coalesce(sum(size), 0) FROM {TABLE}").fetchone()
        kept = conn.execute(f"SELECT entries, bytes FROM stats_v{SCHEMA_VERSION}").fetchone()
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert kept == counted


# -- entries that prove their own integrity (also run inside the worker processes) ----------


def make_entry(
    key: str, writer: int, seq: int, rng: random.Random, size: int = 0
) -> dict[str, Any]:
    """An entry of random size (up to several pages) that encodes its key and a checksum."""
    size = size or rng.choice([10, 200, 2_000, 9_000, 30_000])
    body = {
        "key": key,
        "writer": writer,
        "seq": seq,
        "payload": rng.randbytes(size // 2).hex() + "é中🙂",
        "usage": {"input_tokens": seq, "output_tokens": size},
    }
    digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
    return {**body, "sha": digest}


def entry_is_valid(key: str, entry: Any) -> bool:
    if not isinstance(entry, dict) or entry.get("key") != key:
        return False
    body = {k: v for k, v in entry.items() if k != "sha"}
    digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
    return bool(entry.get("sha") == digest)


WORKER_MAIN = r"""
import json, os, random, sys, time
from modelport._cache._sqlite_cache import SQLiteCache

mode, path, writer, ops, keys, go = sys.argv[1:7]
writer, ops, keys = int(writer), int(ops), int(keys)
rng = random.Random(writer)
cache = SQLiteCache(path, max_entries=keys * 2 // 3, touch_interval_s=0)
names = [f"key-{i}" for i in range(keys)]
while not os.path.exists(go):
    time.sleep(0.001)
if mode == "mixed":
    reads = hits = 0
    bad = []
    for seq in range(ops):
        key = rng.choice(names)
        roll = rng.random()
        if roll < 0.45:
            ttl = 0.05 if rng.random() < 0.2 else None
            cache.set(key, make_entry(key, writer, seq, rng), ttl)
        elif roll < 0.95:
            entry = cache.get(key)
            reads += 1
            if entry is not None:
                hits += 1
                if not entry_is_valid(key, entry):
                    bad.append(key)
        else:
            cache.delete(key)
    print(json.dumps({"reads": reads, "hits": hits, "bad": bad}))
else:  # "crash" / "suicide": write until killed
    # Two prebuilt versions per key, large (up to 150 pages), so that most of the loop is
    # SQLite writing and a torn write would mix two versions and fail the checksum.
    versions = [
        [make_entry(k, writer, v, rng, size=rng.choice([4_000, 100_000, 600_000])) for v in (0, 1)]
        for k in names
    ]
    if mode == "suicide":  # die at a random instruction inside a write transaction
        import signal
        conn = cache._connection()
        countdown = [rng.randrange(20, 400)]
        def tick():
            if conn.in_transaction:
                countdown[0] -= 1
                if countdown[0] <= 0:
                    os.kill(os.getpid(), signal.SIGKILL)
            return 0
        conn.set_progress_handler(tick, 5)
    seq = 0
    while True:
        i = rng.randrange(keys)
        cache.set(names[i], versions[i][seq % 2])
        seq += 1
        if seq == 5:
            print("ready", flush=True)
"""

WORKER = "\n".join(
    [
        "import hashlib, json, random",
        "from typing import Any",
        inspect.getsource(make_entry),
        inspect.getsource(entry_is_valid),
        textwrap.dedent(WORKER_MAIN),
    ]
)


def spawn(*args: object) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", WORKER, *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


# -- the backend protocol -------------------------------------------------------------------


def test_get_set_delete(path: Path) -> None:
    cache = SQLiteCache(path)
    assert cache.get("k") is None
    cache.set("k", {"text": "4", "usage": {"input_tokens": 3}})
    assert cache.get("k") == {"text": "4", "usage": {"input_tokens": 3}}
    cache.set("k", {"text": "replaced"})
    assert cache.get("k") == {"text": "replaced"}
    assert cache.stats()["entries"] == 1
    cache.delete("k")
    cache.delete("never-stored")
    assert cache.get("k") is None
    assert_totals_consistent(path)


def test_clear_removes_everything_and_cache_keeps_working(path: Path) -> None:
    cache = SQLiteCache(path)
    for i in range(20):
        cache.set(f"k{i}", {"i": i})
    cache.clear()
    assert [cache.get(f"k{i}") for i in range(20)] == [None] * 20
    assert cache.stats()["entries"] == 0
    cache.set("after", {"ok": True})
    assert cache.get("after") == {"ok": True}
    assert_totals_consistent(path)


def test_stores_exactly_what_it_is_given(path: Path) -> None:
    """Each row is the key, the entry's compact JSON, timestamps and a size: nothing else.

    The backend never reads credentials or other environment state; the core gives it only
    keys (hashes) and responses without secrets. A canary in the environment stays out of
    the file, and a value given to it is stored verbatim, neither scrubbed nor special-cased.
    """
    canary = "sk-canary-" + os.urandom(8).hex()
    os.environ["MODELPORT_TEST_CANARY_KEY"] = canary
    try:
        cache = SQLiteCache(path)
        cache.set("k", {"text": "hi", "n": [1, 2.5, None, True]}, ttl_s=60)
        cache.set("looks-like-a-key", {"text": "sk-not-a-secret-just-text"})
        stored = rows(path)
        value, created, expires, last, size = stored["k"]
        assert value == '{"text":"hi","n":[1,2.5,null,true]}'
        assert expires == pytest.approx(created + 60)
        assert last == created
        assert size == len(value.encode()) + len(b"k")
        assert cache.get("looks-like-a-key") == {"text": "sk-not-a-secret-just-text"}
        cache.close()
        blob = b"".join(p.read_bytes() for p in path.parent.iterdir())
        assert canary.encode() not in blob
    finally:
        del os.environ["MODELPORT_TEST_CANARY_KEY"]


json_leaf = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False)
    | st.text()
)
json_value = st.recursive(
    json_leaf,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


_round_trip_caches: dict[Path, SQLiteCache] = {}


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(entry=st.dictionaries(st.text(), json_value, max_size=6))
def test_json_round_trips_exactly(path: Path, entry: dict[str, Any]) -> None:
    cache = _round_trip_caches.setdefault(path, SQLiteCache(path))  # one file per test run
    cache.set("k", entry)
    assert cache.get("k") == entry


def test_text_that_utf8_cannot_hold_still_round_trips(path: Path) -> None:
    cache = SQLiteCache(path)
    entry = {"text": "broken emoji \ud83d from a provider", "cjk": "中文", "nul": "a\x00b"}
    cache.set("k", entry)
    assert cache.get("k") == entry
    cache.set("k2", {"cjk": "中文"})
    assert "中文" in rows(path)["k2"][0]  # stored unescaped when UTF-8 can hold it


def test_rejects_what_json_cannot_represent(path: Path) -> None:
    cache = SQLiteCache(path)
    with pytest.raises(TypeError):
        cache.set("k", {"raw": b"bytes"})
    with pytest.raises(TypeError):
        cache.set("k", ["not", "a", "dict"])  # type: ignore[arg-type]
    assert cache.get("k") is None


# -- TTL --------------------------------------------------------------------------------------


def test_ttl_expiry_is_a_miss_and_deletes_the_row(path: Path, clock: Clock) -> None:
    cache = SQLiteCache(path, clock=clock)
    cache.set("k", {"v": 1}, ttl_s=5)
    cache.set("forever", {"v": 2})
    clock.now += 4.9
    assert cache.get("k") == {"v": 1}
    clock.now += 0.1
    assert cache.get("k") is None
    assert "k" not in rows(path)
    clock.now += 10**9
    assert cache.get("forever") == {"v": 2}
    assert_totals_consistent(path)


def test_default_ttl_and_non_positive_ttl(path: Path, clock: Clock) -> None:
    cache = SQLiteCache(path, clock=clock, default_ttl_s=10)
    cache.set("default", {"v": 1})
    cache.set("explicit", {"v": 2}, ttl_s=100)
    cache.set("gone", {"v": 3})
    cache.set("gone", {"v": 4}, ttl_s=0)  # an already-expired write replaces by deleting
    assert cache.get("gone") is None
    clock.now += 11
    assert cache.get("default") is None
    assert cache.get("explicit") == {"v": 2}


# -- LRU and the size bound -------------------------------------------------------------------


def test_lru_eviction_order(path: Path, clock: Clock) -> None:
    cache = SQLiteCache(path, max_entries=4, clock=clock, touch_interval_s=0)
    for key in "abcd":
        clock.now += 1
        cache.set(key, {"k": key})
    for key in "ac":  # recently used: survive
        clock.now += 1
        assert cache.get(key) == {"k": key}
    clock.now += 1
    cache.set("e", {"k": "e"})
    assert set(rows(path)) == {"a", "c", "d", "e"}  # b was least recently used
    clock.now += 1
    cache.set("f", {"k": "f"})
    assert set(rows(path)) == {"a", "c", "e", "f"}
    assert_totals_consistent(path)


def test_eviction_goes_down_to_ninety_percent(path: Path, clock: Clock) -> None:
    cache = SQLiteCache(path, max_entries=20, clock=clock)
    for i in range(21):
        clock.now += 1
        cache.set(f"k{i:02}", {"i": i})
    assert sorted(rows(path)) == [f"k{i:02}" for i in range(3, 21)]  # 18 = 20 - 20 // 10


def test_touch_interval_keeps_reads_from_writing(path: Path, clock: Clock) -> None:
    cache = SQLiteCache(path, clock=clock, touch_interval_s=60)
    cache.set("k", {"v": 1})
    written = clock.now
    clock.now += 59
    assert cache.get("k") == {"v": 1}
    assert rows(path)["k"][3] == written  # last_access untouched: no write on this read
    clock.now += 1
    assert cache.get("k") == {"v": 1}
    assert rows(path)["k"][3] == clock.now


def test_expired_entries_are_evicted_first(path: Path, clock: Clock) -> None:
    cache = SQLiteCache(path, max_entries=3, clock=clock, touch_interval_s=0)
    clock.now += 1
    cache.set("newest-but-expiring", {"v": 0}, ttl_s=5)
    for key in ("old1", "old2"):
        clock.now -= 0.5  # older than the expiring one in LRU order
        cache.set(key, {"v": key})
    clock.now += 10
    cache.set("new", {"v": "new"})
    assert set(rows(path)) == {"old1", "old2", "new"}


def test_size_bound(path: Path, clock: Clock) -> None:
    bound = 20_000
    cache = SQLiteCache(path, max_bytes=bound, clock=clock)
    for i in range(60):
        clock.now += 1
        cache.set(f"k{i:02}", {"payload": "x" * 1000})
        assert cache.stats()["bytes"] <= bound
    kept = sorted(rows(path))
    assert kept[-1] == "k59"
    assert kept == [f"k{i:02}" for i in range(60 - len(kept), 60)]  # a suffix: the newest
    assert_totals_consistent(path)
    cache.set("k59", {"payload": "y" * (bound + 1)})  # larger than the whole bound
    assert cache.get("k59") is None
    assert cache.stats()["bytes"] <= bound


def test_size_bound_from_environment(monkeypatch: pytest.MonkeyPatch, path: Path) -> None:
    monkeypatch.delenv("MODELPORT_CACHE_MAX_MB", raising=False)
    assert SQLiteCache(path).max_bytes == 512 * 1024 * 1024
    monkeypatch.setenv("MODELPORT_CACHE_MAX_MB", "1.5")
    assert max_bytes_from_env() == 1536 * 1024
    assert SQLiteCache(path).max_bytes == 1536 * 1024
    monkeypatch.setenv("MODELPORT_CACHE_MAX_MB", "0")
    assert SQLiteCache(path).max_bytes is None
    assert SQLiteCache(path, max_bytes=1000).max_bytes == 1000  # the argument wins
    for bad in ("lots", "-1", "nan", "inf"):
        monkeypatch.setenv("MODELPORT_CACHE_MAX_MB", bad)
        with pytest.raises(ConfigurationError, match="MODELPORT_CACHE_MAX_MB"):
            SQLiteCache(path)


# -- schema versions and damaged files --------------------------------------------------------


def test_rows_of_an_older_schema_are_never_read(path: Path) -> None:
    path.parent.mkdir(parents=True)
    with raw(path) as conn:
        conn.execute("CREATE TABLE modelport_meta (name TEXT PRIMARY KEY, value NOT NULL)")
        conn.execute("INSERT INTO modelport_meta VALUES ('schema_version', 0)")
        conn.execute("CREATE TABLE entries_v0 (key TEXT PRIMARY KEY, value BLOB)")
        conn.execute("INSERT INTO entries_v0 VALUES ('k', x'789c0300')")  # another format
    cache = SQLiteCache(path)
    assert cache.get("k") is None
    cache.set("k", {"v": "new"})
    assert cache.get("k") == {"v": "new"}
    with raw(path) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        version = conn.execute("SELECT value FROM modelport_meta").fetchone()[0]
    assert "entries_v0" not in tables  # started fresh
    assert version == SCHEMA_VERSION


def test_a_newer_schema_is_left_to_the_newer_version(path: Path) -> None:
    path.parent.mkdir(parents=True)
    newer = SCHEMA_VERSION + 1
    with raw(path) as conn:
        conn.execute("CREATE TABLE modelport_meta (name TEXT PRIMARY KEY, value NOT NULL)")
        conn.execute("INSERT INTO modelport_meta VALUES ('schema_version', ?)", (newer,))
        conn.execute(f"CREATE TABLE entries_v{newer} (key TEXT PRIMARY KEY, blob BLOB)")
        conn.execute(f"INSERT INTO entries_v{newer} VALUES ('k', x'00')")
    cache = SQLiteCache(path)
    assert cache.get("k") is None
    cache.set("k", {"v": 1})
    assert cache.get("k") == {"v": 1}
    with raw(path) as conn:
        assert conn.execute(f"SELECT count(*) FROM entries_v{newer}").fetchone() == (1,)
        assert conn.execute("SELECT value FROM modelport_meta").fetchone() == (newer,)


def test_table_dropped_underneath_is_recreated(path: Path) -> None:
    cache = SQLiteCache(path)
    cache.set("k", {"v": 1})
    with raw(path) as conn:
        conn.execute(f"DROP TABLE {TABLE}")
    assert cache.get("k") is None
    cache.set("k", {"v": 2})
    assert cache.get("k") == {"v": 2}
    assert_totals_consistent(path)


def test_corrupt_file_raises_a_clear_error_and_clear_recovers(path: Path) -> None:
    path.parent.mkdir(parents=True)
    path.write_bytes(b"this is not a database" * 500)
    cache = SQLiteCache(path)
    with pytest.raises(CacheCorruptError, match=r"not a valid SQLite database.*clear\(\)") as info:
        cache.get("k")
    assert str(path) in str(info.value)
    with pytest.raises(CacheCorruptError):
        cache.set("k", {"v": 1})
    cache.clear()
    assert not path.exists()
    cache.set("k", {"v": 1})
    assert cache.get("k") == {"v": 1}


def test_corrupt_l1_is_a_warning_and_a_miss_for_the_core(path: Path) -> None:
    path.parent.mkdir(parents=True)
    path.write_bytes(b"\x00garbage" * 1000)

    class DictCache(dict[str, Any]):
        def set(self, key: str, entry: dict[str, Any], ttl_s: float | None) -> None:
            self[key] = entry

        def delete(self, key: str) -> None:
            self.pop(key, None)

    l2 = DictCache(k={"text": "from l2"})
    levels = CacheLevels(
        [CacheRegistration(SQLiteCache(path), 1, "l1"), CacheRegistration(l2, 2, "l2")]
    )
    with pytest.warns(RuntimeWarning, match="CacheCorruptError"):
        assert levels.get("k") == ({"text": "from l2"}, 2)


def test_a_held_write_lock_blocks_writers_boundedly_but_not_readers(path: Path) -> None:
    cache = SQLiteCache(path, busy_timeout_s=0.3)
    cache.set("k", {"v": 1})
    with raw(path) as other:
        other.execute("BEGIN IMMEDIATE")
        start = time.monotonic()
        with pytest.raises(CacheError, match="locked"):
            cache.set("k", {"v": 2})
        assert time.monotonic() - start < 3  # bounded: not busy_timeout x attempts
        assert cache.get("k") == {"v": 1}  # WAL: readers proceed while a writer holds the lock
        other.execute("ROLLBACK")
    cache.set("k", {"v": 2})
    assert cache.get("k") == {"v": 2}


# -- location, laziness, the plugin -----------------------------------------------------------


def test_location(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("MODELPORT_CACHE_DIR", raising=False)
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_path() == tmp_path / "xdg" / "modelport" / "cache.sqlite3"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/is/ignored")
    assert default_cache_dir() == tmp_path / "home" / ".cache" / "modelport"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert default_cache_dir() == tmp_path / "home" / ".cache" / "modelport"
    monkeypatch.setattr(sys, "platform", "darwin")
    assert default_cache_dir() == tmp_path / "home" / "Library" / "Caches" / "modelport"
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setenv("LOCALAPPDATA", str(tmp_path / "local"))
    assert default_cache_dir() == tmp_path / "local" / "modelport"
    monkeypatch.setenv("MODELPORT_CACHE_DIR", str(tmp_path / "mine"))
    assert default_cache_path() == tmp_path / "mine" / "cache.sqlite3"
    assert SQLiteCache().path == tmp_path / "mine" / "cache.sqlite3"


def test_no_file_before_first_use(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    cache_dir = tmp_path / "lazy"
    monkeypatch.setenv("MODELPORT_CACHE_DIR", str(cache_dir))
    host = PluginHost(entry_points=False, blocked=["builtin-cache"])
    host.register(_builtin_cache, name="l1-under-test")
    (registration,) = host.registry().caches
    assert registration.level == 1
    assert isinstance(registration.backend, SQLiteCache)
    assert registration.backend is _builtin_cache.shared_cache()  # one per process and path
    assert registration.backend.path == cache_dir / "cache.sqlite3"
    assert not cache_dir.exists()
    registration.backend.clear()  # nothing to clear: still nothing on disk
    assert not cache_dir.exists()
    assert registration.backend.get("k") is None
    assert (cache_dir / "cache.sqlite3").exists()


def test_importing_the_plugin_does_not_import_sqlite3() -> None:
    code = "import sys, modelport._cache._builtin; print('sqlite3' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
def test_cache_file_is_private(path: Path) -> None:
    cache = SQLiteCache(path)
    cache.set("k", {"v": 1})
    assert (path.stat().st_mode & 0o777) == 0o600
    assert (path.parent.stat().st_mode & 0o777) == 0o700
    for suffix in ("-wal", "-shm"):
        side = Path(f"{path}{suffix}")
        if side.exists():
            assert (side.stat().st_mode & 0o077) == 0


def test_close_from_another_thread_then_reuse(path: Path) -> None:
    cache = SQLiteCache(path)
    cache.set("k", {"v": 1})
    closer = threading.Thread(target=cache.close)
    closer.start()
    closer.join()
    assert cache.get("k") == {"v": 1}  # reopened


def test_connections_of_finished_threads_are_closed(path: Path) -> None:
    cache = SQLiteCache(path)
    for _ in range(5):
        thread = threading.Thread(target=cache.get, args=("k",))
        thread.start()
        thread.join()
    assert len(cache._conns) == 1  # each new thread's open closed the finished ones
    cache.close()
    assert cache._conns == []


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_forked_child_opens_its_own_connection(path: Path) -> None:
    cache = SQLiteCache(path)
    cache.set("parent", {"v": 1})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # fork with threads (3.12+)
        pid = os.fork()
    if pid == 0:  # pragma: no cover - child
        ok = cache.get("parent") == {"v": 1}
        cache.set("child", {"v": 2})
        os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert cache.get("child") == {"v": 2}
    assert_totals_consistent(path)


# -- concurrency: threads, processes, crashes -------------------------------------------------


def test_32_threads(path: Path) -> None:
    cache = SQLiteCache(path, max_entries=10, touch_interval_s=0)
    keys = [f"key-{i}" for i in range(16)]
    barrier = threading.Barrier(32)
    bad: list[str] = []
    errors: list[BaseException] = []
    hits = [0]

    def hammer(writer: int) -> None:
        rng = random.Random(writer)
        try:
            barrier.wait()
            for seq in range(60):
                key = rng.choice(keys)
                if rng.random() < 0.5:
                    cache.set(key, make_entry(key, writer, seq, rng))
                else:
                    entry = cache.get(key)
                    if entry is not None:
                        hits[0] += 1
                        if not entry_is_valid(key, entry):
                            bad.append(key)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=hammer, args=(i,)) for i in range(32)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert bad == []
    assert hits[0] > 0
    assert cache.stats()["entries"] <= 10
    assert_totals_consistent(path)


def test_16_processes_share_one_file(path: Path, tmp_path: Path) -> None:
    go = tmp_path / "go"
    procs = [spawn("mixed", path, writer, 120, 12, go) for writer in range(16)]
    time.sleep(0.2)
    go.touch()  # start together, once all are (about) ready
    reports = []
    for proc in procs:
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        reports.append(json.loads(out))
    assert [r["bad"] for r in reports] == [[]] * 16  # no corrupt or partial entry ever read
    assert sum(r["hits"] for r in reports) > 0
    assert_totals_consistent(path)
    cache = SQLiteCache(path)
    for key, (value, *_rest) in rows(path).items():
        assert entry_is_valid(key, json.loads(value))
        got = cache.get(key)  # None when its short TTL has passed
        assert got is None or entry_is_valid(key, got)


@pytest.mark.parametrize("mode", ["sigkill", "sigkill-with-reader", "suicide"])
def test_crash_mid_write_leaves_only_valid_entries(path: Path, tmp_path: Path, mode: str) -> None:
    """A writer dies by SIGKILL: at a random moment (often inside SQLite writing the WAL), or,
    in "suicide" mode, from within its own write transaction. Every entry left is whole."""
    if mode == "suicide" and os.name != "posix":
        pytest.skip("needs SIGKILL")
    go = tmp_path / "go"
    go.touch()
    SQLiteCache(path).set("key-0", make_entry("key-0", 99, 0, random.Random(0)))
    proc = spawn("suicide" if mode == "suicide" else "crash", path, 1, 0, 8, go)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        if mode == "suicide":
            assert proc.wait(timeout=30) == -9  # killed itself mid-transaction
        else:
            assert line == "ready"
            reader = SQLiteCache(path)
            deadline = time.monotonic() + random.uniform(0.05, 0.3)
            while mode == "sigkill-with-reader" and time.monotonic() < deadline:
                entry = reader.get("key-0")
                assert entry is None or entry_is_valid("key-0", entry)
            time.sleep(max(0.0, deadline - time.monotonic()))
            proc.kill()  # SIGKILL on POSIX: no cleanup, no rollback
            proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()
    assert_totals_consistent(path)
    cache = SQLiteCache(path)
    stored = rows(path)
    assert stored
    for key in stored:
        assert entry_is_valid(key, cache.get(key))
    cache.set("after-crash", {"ok": True})
    assert cache.get("after-crash") == {"ok": True}
