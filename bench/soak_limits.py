"""Soak: 10,000 prompts at once through one ``LLM`` with a limit and a three-key pool.

The server (``modelport.testing.ProviderLimits`` on a ``ScriptedServer``) enforces its own
limits per key, as providers do: a requests-per-minute bucket (a minute's worth, starting full)
and a cap on requests in flight; over either it answers 429 with Retry-After, and every answer
carries ``x-ratelimit-*``. The client is configured a little under the provider's total, the
way a user would. "Done" for issue 9: no 429 storm, no leaked slot or key count, no hung call
(each call is bounded by ``--hung-after``). Prints what the server saw and what is left held.

The limit binds after its first minute's burst (a full bucket is ``rpm`` requests at once), so
the achieved rate is reported twice: the whole run against what the limit allows in that time
(``rpm`` + the refill), and the steady state: the arrival rate of the last ``--tail`` requests,
all of them granted by the refill.

    python bench/soak_limits.py [--calls 10000] [--rpm 5000] [--hung-after 120]
"""

from __future__ import annotations

import argparse
import asyncio
import time

import modelport as mp
from modelport.testing import (
    ProviderLimits,
    RecordedRequest,
    Reply,
    ScriptedServer,
    chat_completion,
)

KEYS = [f"sk-soak-{c * 24}" for c in "abc"]


def completion(request: RecordedRequest) -> Reply:
    return chat_completion()


async def batch(llm: mp.LLM, calls: int, hung_after: float) -> tuple[int, int, int]:
    async def one(i: int) -> str:
        r = await asyncio.wait_for(llm.acomplete(f"prompt {i}"), hung_after)
        return r.text

    results = await asyncio.gather(*(one(i) for i in range(calls)), return_exceptions=True)
    ok = sum(r == "ok" for r in results)
    hung = sum(isinstance(r, TimeoutError) for r in results)
    return ok, hung, len(results) - ok - hung


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=10_000)
    parser.add_argument("--rpm", type=float, default=5000.0, help="the client's limit")
    parser.add_argument("--concurrency", type=int, default=12, help="the client's limit")
    parser.add_argument("--hung-after", type=float, default=120.0)
    parser.add_argument("--tail", type=int, default=1000)
    args = parser.parse_args()
    per_key_rpm = args.rpm / len(KEYS) * 1.05  # the provider allows 5 % more than asked
    per_key_concurrency = -(-args.concurrency // len(KEYS))
    provider = ProviderLimits(
        completion,
        requests_per_minute=per_key_rpm,
        max_concurrency=per_key_concurrency,
        latency_s=0.002,
    )
    limits = mp.Limits(max_concurrency=args.concurrency, requests_per_minute=args.rpm)
    with ScriptedServer(max_connections=4 * args.concurrency) as server:
        server.route("POST", "/v1/chat/completions", provider)
        pool = mp.KeyPool(KEYS)
        llm = mp.LLM(
            "openai-chat:soak", base_url=server.base_url, api_key=pool, limits=limits, cache="never"
        )
        started = time.monotonic()
        ok, hung, failed = asyncio.run(batch(llm, args.calls, args.hung_after))
        wall = time.monotonic() - started
        limiter = llm._engine.setup.limiter
        assert limiter is not None
        held = limiter.active, limiter.waiting, sum(pool.load().values())
        llm.close()
        arrivals = sorted(provider.arrivals)
    allowed = args.rpm + args.rpm / 60 * wall
    tail = arrivals[-min(args.tail, len(arrivals)) :]
    steady = (len(tail) - 1) / (tail[-1] - tail[0]) * 60 if len(tail) > 1 else 0.0
    print(
        f"soak: {args.calls} calls at once, Limits(max_concurrency={args.concurrency}, "
        f"requests_per_minute={args.rpm:g}), {len(KEYS)} keys; the server allows per key "
        f"{per_key_rpm:g} rpm and {per_key_concurrency} in flight"
    )
    print(f"  calls ok:                  {ok} (failed {failed}, hung {hung})")
    print(f"  429s received:             {provider.refused}")
    print(
        f"  most in flight at server:  {provider.most_in_flight} "
        f"(limit {args.concurrency}); per key {provider.most_per_key()} "
        f"(limit {per_key_concurrency})"
    )
    print(f"  wall time:                 {wall:.1f} s")
    print(
        f"  whole run:                 {len(arrivals)} requests, the limit allows {allowed:.0f} "
        f"in {wall:.1f} s ({len(arrivals) / allowed:.3f}x)"
    )
    print(
        f"  steady (last {len(tail)}):        {steady:.0f} per minute "
        f"({steady / args.rpm:.3f}x the limit)"
    )
    print(f"  held at the end:           {held[0]} slots, {held[1]} waiting, {held[2]} key counts")
    return 0 if (ok == args.calls and held == (0, 0, 0)) else 1


if __name__ == "__main__":
    raise SystemExit(main())
