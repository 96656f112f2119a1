"""Memory: peak RSS of a process using modelport, and RSS over 10,000 streamed requests.

A fresh child process (so nothing else this bench loaded counts) imports modelport, builds
one ``LLM`` and streams N requests from the loopback bench server, printing its resident set
size (``/proc/self/statm``) after 1k, 5k and 10k streams and its peak (``VmHWM``) at the
end. Targets (issue 12, item 6): peak RSS <= 55 MB; RSS flat (within 5 MB) from 1k to 10k
streams. Each stream has ``--chunks`` content chunks (100 by default, so 10k streams take
seconds, not minutes; the state a stream leaves behind is the same for any length).

    python bench/bench_memory.py [--streams 10000] [--chunks 100] [--transport httpx2]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import KEY, MODEL, BenchServer, say, table

PEAK_MB = 55.0
FLAT_MB = 5.0

CHILD = """
import asyncio, json, os, sys
import modelport as mp

url, n, chunks, transport, marks = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], \
    [int(x) for x in sys.argv[5].split(",")]
page = os.sysconf("SC_PAGE_SIZE")

def rss_mb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * page / 2**20

out = {"rss_mb": {}}
opts = dict(base_url=url, api_key=KEY, cache="never", max_tokens=chunks, transport=transport)
if transport == "aiohttp":
    async def main():
        async with mp.LLM("openai-chat:" + MODEL, **opts) as llm:
            for i in range(1, n + 1):
                async for ev in llm.astream("hi"):
                    pass
                if i in marks:
                    out["rss_mb"][i] = rss_mb()
    asyncio.run(main())
else:
    with mp.LLM("openai-chat:" + MODEL, **opts) as llm:
        for i in range(1, n + 1):
            for ev in llm.stream("hi"):
                pass
            if i in marks:
                out["rss_mb"][i] = rss_mb()
# VmHWM: this process's own high-water mark (ru_maxrss would count the parent's pages that
# the fork copied before exec).
with open("/proc/self/status") as f:
    out["peak_mb"] = next(int(l.split()[1]) for l in f if l.startswith("VmHWM:")) / 1024
print(json.dumps(out))
"""


def run_child(url: str, streams: int, chunks: int, transport: str) -> dict[str, Any]:
    marks = sorted({min(m, streams) for m in (1, 1000, 5000, 10000, streams)})
    code = f"KEY = {KEY!r}\nMODEL = {MODEL!r}\n" + CHILD
    args = [url, str(streams), str(chunks), transport, ",".join(map(str, marks))]
    out = subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        timeout=1800,
        check=True,
    )
    res: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    res["rss_mb"] = {int(k): v for k, v in res["rss_mb"].items()}
    res["peak_mb"] = max(res["peak_mb"], *res["rss_mb"].values())  # the high-water mark lags
    return res


def bench_memory(url: str, streams: int, chunks: int, transports: list[str]) -> dict[str, Any]:
    say(f"memory: {streams:,} streams of {chunks} chunks in a fresh process, RSS (MB)")
    results: dict[str, Any] = {}
    for transport in transports:
        results[transport] = run_child(url, streams, chunks, transport)
    marks = sorted(next(iter(results.values()))["rss_mb"])
    rows = []
    for transport, res in results.items():
        rss = res["rss_mb"]
        after_1k = rss.get(1000, rss[marks[0]])
        drift = rss[marks[-1]] - after_1k
        res["drift_mb"] = drift
        rows.append(
            [f"modelport, {transport}"]
            + [f"{rss[m]:.1f}" for m in marks]
            + [f"{res['peak_mb']:.1f}", f"{drift:+.1f}"]
        )
    say(
        table(
            ["client", *(f"after {m:,}" for m in marks), "peak", "drift from 1k"],
            rows,
        )
    )
    for transport, res in results.items():
        peak_ok = res["peak_mb"] <= PEAK_MB
        flat_ok = abs(res["drift_mb"]) <= FLAT_MB
        say(
            f"  {transport}: peak {res['peak_mb']:.1f} MB (target <= {PEAK_MB:.0f}: "
            f"{'met' if peak_ok else 'NOT met'}); drift {res['drift_mb']:+.1f} MB over "
            f"{streams:,} streams (target within ±{FLAT_MB:.0f}: {'met' if flat_ok else 'NOT met'})"
        )
    return results


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--streams", type=int, default=10_000)
    ap.add_argument("--chunks", type=int, default=100)
    ap.add_argument("--transport", action="append", help="httpx2, aiohttp (default both)")
    args = ap.parse_args(argv)
    server = BenchServer()
    try:
        bench_memory(
            server.base_url, args.streams, args.chunks, args.transport or ["httpx2", "aiohttp"]
        )
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
