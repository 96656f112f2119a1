"""Traffic control costs and accuracy, measured in one run (ratios and rates, not assertions).

1. The in-process limiter's cost per request when nothing has to wait: enqueue (granted at
   once) plus release, against a bare ``threading.Lock`` acquire/release as the floor.
2. Throughput held at a configured requests-per-minute: async calls against the local bench
   server through an ``LLM`` with ``Limits(requests_per_minute=R)``, started all at once. A
   full bucket is one minute's burst, so the bucket is drained first, directly on the shared
   limiter (calling through it would take seconds on a loaded machine, while the bucket
   refills): from then on every grant waits for the refill, and the rate of the calls' ends
   over ``--seconds`` is the rate the limit holds.

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
from modelport._limits import Limiter, shared_limiter
from run import BenchServer


def limiter_cost(n: int = 50_000, repeat: int = 5) -> tuple[float, float, float]:
    """Best and median of ``repeat`` runs of ``n`` (the best is the cost, the rest is the
    machine's other load), and a bare lock's best: the floor of any thread-safe limiter."""
    limiter = Limiter(
        mp.Limits(max_concurrency=64, requests_per_minute=1e9, tokens_per_minute=1e12)
    )
    noop = lambda: None  # noqa: E731
    runs: list[float] = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(n):
            limiter.release(limiter.enqueue(100, noop), 50)
        runs.append((time.perf_counter() - start) / n)
    lock = threading.Lock()
    floors: list[float] = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(n):
            lock.acquire()
            lock.release()
        floors.append((time.perf_counter() - start) / n)
    runs.sort()
    return runs[0], runs[len(runs) // 2], min(floors)


def drain(limiter: Limiter, most: int) -> int:
    """Take every request the bucket holds (each grant released at once: a request bucket
    gives nothing back); what is left is less than one request."""
    noop = lambda: None  # noqa: E731
    for taken in range(most):
        ticket = limiter.enqueue(0, noop)
        if not ticket.granted:
            limiter.cancel(ticket)
            return taken
        limiter.release(ticket)
    return most


async def held_rate(base_url: str, rpm: float, seconds: float) -> tuple[int, float, int]:
    """``seconds`` worth of calls from a drained bucket: intervals between their ends, the
    time they spanned, and how many the drain took."""
    limits = mp.Limits(requests_per_minute=rpm)
    model = "gpt-4o-mini"
    async with mp.LLM(
        f"openai-chat:{model}", base_url=base_url, api_key="sk-x", cache="never", limits=limits
    ) as llm:
        await llm.acomplete("hi", max_tokens=1)  # the connection and the first-call setup
        limiter = shared_limiter("openai-chat", base_url, model, limits)
        assert limiter is not None
        ends: list[float] = []

        async def one() -> None:
            await llm.acomplete("hi", max_tokens=1)
            ends.append(time.perf_counter())

        calls = max(6, int(rpm / 60 * seconds))
        drained = drain(limiter, int(rpm) * 2)
        await asyncio.gather(*(one() for _ in range(calls)))
    ends.sort()
    # Every grant waited for the refill; a call's latency shifts its end, not the spacing.
    return len(ends) - 1, ends[-1] - ends[0], drained


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rpm", type=float, default=1200.0)
    parser.add_argument("--seconds", type=float, default=4.0)
    args = parser.parse_args()
    per, median, floor = limiter_cost()
    print("limiter, no wait: enqueue (granted) + release (target: 5 µs)")
    print(
        f"  {per * 1e6:.2f} µs per request, best of 5 (median {median * 1e6:.2f} µs; "
        f"{per / floor:.1f}x a bare lock's {floor * 1e6:.2f} µs)"
    )
    server = BenchServer()
    try:
        calls, elapsed, drained = asyncio.run(held_rate(server.base_url, args.rpm, args.seconds))
    finally:
        server.stop()
    achieved = calls / elapsed * 60
    print(
        f"held rate at requests_per_minute={args.rpm:g}, from a drained bucket "
        f"({drained} burst requests taken first)"
    )
    print(
        f"  {calls} intervals in {elapsed:.2f} s = {achieved:.0f} per minute "
        f"({achieved / args.rpm:.3f}x the limit)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
