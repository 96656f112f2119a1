"""Traffic control costs and accuracy, measured in one run (ratios and rates, not assertions).

1. The in-process limiter's cost per request when nothing has to wait: enqueue (granted at
   once) plus release, against a bare ``threading.Lock`` acquire/release as the floor.
2. Throughput held at a configured requests-per-minute: async calls against the local bench
   server through an ``LLM`` with ``Limits(requests_per_minute=R)``, started all at once; the
   achieved rate after the first minute's burst is what the limit promises.

    python bench/bench_limits.py [--rpm 1200] [--seconds 4]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import modelport as mp
from modelport._limits import Limiter
from run import BenchServer


def limiter_cost(n: int = 200_000) -> tuple[float, float]:
    limiter = Limiter(
        mp.Limits(max_concurrency=64, requests_per_minute=1e9, tokens_per_minute=1e12)
    )
    noop = lambda: None  # noqa: E731
    start = time.perf_counter()
    for _ in range(n):
        limiter.release(limiter.enqueue(100, noop), 50)
    per = (time.perf_counter() - start) / n
    lock = threading.Lock()
    start = time.perf_counter()
    for _ in range(n):
        lock.acquire()
        lock.release()
    floor = (time.perf_counter() - start) / n
    return per, floor


async def held_rate(base_url: str, rpm: float, seconds: float) -> tuple[int, float]:
    """Drain the initial burst (one minute's worth), then time ``seconds`` worth of calls: the
    intervals between their ends, in the steady second half, are the refill rate."""
    limits = mp.Limits(requests_per_minute=rpm)
    async with mp.LLM(
        "openai-chat:gpt-4o-mini", base_url=base_url, api_key="sk-x", cache="never", limits=limits
    ) as llm:
        await asyncio.gather(*(llm.acomplete("hi", max_tokens=1) for _ in range(int(rpm))))
        ends: list[float] = []

        async def one() -> None:
            await llm.acomplete("hi", max_tokens=1)
            ends.append(time.perf_counter())

        calls = max(6, int(rpm / 60 * seconds))
        await asyncio.gather(*(one() for _ in range(calls)))
    ends.sort()
    # The bucket refilled a little while the burst ran, so the first few go at once: measure
    # the second half, where every grant waited for the refill.
    half = ends[len(ends) // 2 :]
    return len(half) - 1, half[-1] - half[0]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rpm", type=float, default=1200.0)
    parser.add_argument("--seconds", type=float, default=4.0)
    args = parser.parse_args()
    per, floor = limiter_cost()
    print("limiter, no wait: enqueue (granted) + release")
    print(
        f"  {per * 1e6:.2f} µs per request ({per / floor:.1f}x a bare lock's {floor * 1e6:.2f} µs)"
    )
    server = BenchServer()
    try:
        calls, elapsed = asyncio.run(held_rate(server.base_url, args.rpm, args.seconds))
    finally:
        server.stop()
    achieved = calls / elapsed * 60
    print(f"held rate at requests_per_minute={args.rpm:g}, after the burst")
    print(
        f"  {calls} intervals in {elapsed:.2f} s = {achieved:.0f} per minute "
        f"({achieved / args.rpm:.3f}x the limit)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
