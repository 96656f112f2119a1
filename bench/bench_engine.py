"""Per-event cost of a stream with and without the tool loop, sync and async, in one run.

The tool loop runs each model turn as a nested call program, so a turn's events should cost
what a plain stream's do (issue: within 10 %). Measured against the local bench server, 1000
content chunks per stream, the median of several rounds; ratios are printed, not asserted.

    python bench/bench_engine.py [--rounds N]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import modelport as mp
from run import CHUNKS, PROMPT, BenchServer


def lookup(city: str) -> str:
    """Look a city up (never called: the bench server answers with text)."""
    return city


def drain(llm: mp.LLM, **kw: Any) -> int:
    return sum(1 for ev in llm.stream(PROMPT, **kw) if ev.type == "answer")


async def adrain(llm: mp.LLM, **kw: Any) -> int:
    return sum([1 async for ev in llm.astream(PROMPT, **kw) if ev.type == "answer"])


def per_event(fn: Any, rounds: int) -> float:
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        events = fn()
        samples.append((time.perf_counter() - start) / max(events, 1))
    return statistics.median(samples)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    server = BenchServer()
    try:
        with mp.LLM("openai-chat:gpt-4o-mini", base_url=server.base_url, api_key="sk-x") as llm:
            for _ in range(3):  # warm-up: pools, imports
                drain(llm)
                drain(llm, tools=[lookup])
            sync_plain = per_event(lambda: drain(llm), args.rounds)
            sync_tools = per_event(lambda: drain(llm, tools=[lookup]), args.rounds)

            async def measure() -> tuple[float, float]:
                async def plain() -> int:
                    return await adrain(llm)

                async def tools() -> int:
                    return await adrain(llm, tools=[lookup])

                for _ in range(3):
                    await plain()
                    await tools()
                out = []
                for coro in (plain, tools):
                    samples = []
                    for _ in range(args.rounds):
                        start = time.perf_counter()
                        events = await coro()
                        samples.append((time.perf_counter() - start) / max(events, 1))
                    out.append(statistics.median(samples))
                return out[0], out[1]

            async_plain, async_tools = asyncio.run(measure())
    finally:
        server.stop()
    print(f"per-event cost, {CHUNKS}-chunk stream, median of {args.rounds} rounds")
    print(f"  {'path':<8} {'no tools':>10} {'with tools':>11} {'ratio':>7}")
    for name, plain, tools in (
        ("sync", sync_plain, sync_tools),
        ("async", async_plain, async_tools),
    ):
        print(f"  {name:<8} {plain * 1e6:>8.2f}µs {tools * 1e6:>9.2f}µs {tools / plain:>6.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
