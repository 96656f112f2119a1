"""One process of the multi-process tests: ``calls`` calls at once through one ``LLM`` whose
limit lives in Redis. Arguments: base URL, Redis URL, key prefix, calls, max concurrency
(0: none), lease seconds, requests per minute (optional; 0: none)."""

from __future__ import annotations

import asyncio
import sys

import modelport as mp
from modelport_redis import RedisLimits


async def main(argv: list[str]) -> int:
    base_url, redis_url, prefix, calls, most, lease = argv[:6]
    rpm = float(argv[6]) if len(argv) > 6 else 0.0
    backend = RedisLimits(redis_url, prefix=prefix, lease_s=float(lease))
    limits = mp.Limits(
        max_concurrency=int(most) or None, requests_per_minute=rpm or None, backend=backend
    )
    async with mp.LLM(
        "openai-chat:shared", base_url=base_url, api_key="sk-x", cache="never", limits=limits
    ) as llm:
        answers = await asyncio.gather(*(llm.acomplete(f"q{i}") for i in range(int(calls))))
    print("ok", len(answers), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1:])))
