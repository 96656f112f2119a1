"""Micro-benchmark: what the built-in L1 cache (SQLite) costs per get and set.

The entry is what the core stores for a typical short chat answer, built with the core's own
``entry_from_response`` from a ``Response`` (about 2 KB of JSON: the text, usage, the assistant
message, provider metadata). The file lives in a fresh temporary directory on the same disk as
``$TMPDIR`` and is pre-filled with ``--fill`` entries so that lookups walk a realistic B-tree.

Figures are medians of per-operation timings (``perf_counter_ns``), in microseconds, printed
next to two references measured in the same run: the JSON encode + decode of the same entry
(work any JSON-file cache does too), and one ``asyncio.to_thread`` hop (how the core calls the
backend from async code). Nothing is asserted.

    python bench/bench_cache_l1.py [--n 3000] [--fill 10000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "core" / "src"))

from modelport._cache._levels import entry_from_response
from modelport._cache._sqlite_cache import SQLiteCache
from modelport._response import Response, Usage

ANSWER = (
    "Paris is the capital of France. It sits on the Seine in the north of the country and has "
    "been the seat of government for most of the last thousand years. "
) * 10


def typical_entry() -> dict[str, object]:
    response = Response(
        text=ANSWER,
        usage=Usage(input_tokens=42, output_tokens=260, cached_tokens=0),
        stop_reason="stop",
        raw_stop_reason="stop",
        model="gpt-4o-mini-2024-07-18",
        provider="openai-chat",
        request_id="req_8f2c1e6b0a9d4c3b",
        time_to_first_token_s=0.21,
        tokens_per_second=88.4,
        provider_metadata={"system_fingerprint": "fp_0ba0d124f1", "service_tier": "default"},
    )
    return entry_from_response(response)


def median_us(op: Callable[[int], object], n: int) -> float:
    samples = []
    for i in range(n):
        start = time.perf_counter_ns()
        op(i)
        samples.append(time.perf_counter_ns() - start)
    return statistics.median(samples) / 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=3000, help="operations per figure")
    parser.add_argument("--fill", type=int, default=10_000, help="entries stored beforehand")
    args = parser.parse_args()
    n = args.n
    entry = typical_entry()
    size = len(json.dumps(entry, separators=(",", ":")).encode())

    with tempfile.TemporaryDirectory() as tmp:
        # The built-in plugin's configuration: 512 MB bound (checked on every set), LRU
        # timestamps refreshed at most once a minute per entry.
        cache = SQLiteCache(Path(tmp) / "cache.sqlite3", max_bytes=512 * 1024 * 1024)
        for i in range(args.fill):
            cache.set(f"fill-{i:064}", entry)
        keys = [f"{i:064x}" for i in range(n)]
        for key in keys[:100]:  # warm up: connection open, statements prepared
            cache.set(key, entry)
            cache.get(key)

        figures = {
            "set, new key": median_us(lambda i: cache.set(f"new-{keys[i]}", entry), n),
            "set, replace": median_us(lambda i: cache.set(keys[i], entry), n),
            "get, hit": median_us(lambda i: cache.get(keys[i]), n),
            "get, miss": median_us(lambda i: cache.get(f"absent-{keys[i]}"), n),
        }
        figures["ref: json dumps + loads"] = median_us(
            lambda i: json.loads(json.dumps(entry, separators=(",", ":"))), n
        )

        async def hops() -> float:
            loop_samples = []
            for _ in range(min(n, 1000)):
                start = time.perf_counter_ns()
                await asyncio.to_thread(int)
                loop_samples.append(time.perf_counter_ns() - start)
            return statistics.median(loop_samples) / 1000

        figures["ref: asyncio.to_thread hop"] = asyncio.run(hops())
        stats = cache.stats()
        cache.close()

    print(f"L1 cache (SQLite {__import__('sqlite3').sqlite_version}), entry {size} B of JSON,")
    print(f"{stats['entries']} entries in the file, median of {n} operations each")
    for name, value in figures.items():
        print(f"  {name:<28} {value:8.1f} µs")


if __name__ == "__main__":
    main()
