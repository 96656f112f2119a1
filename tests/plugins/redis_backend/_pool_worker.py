"""One process of the key-pool tests: ``calls`` calls, one after another, through an ``LLM``
with a key pool whose state lives in Redis. Arguments: base URL, Redis URL, key prefix, the
keys (comma-separated), calls."""

from __future__ import annotations

import sys
import warnings

import modelport as mp
from modelport_redis import RedisLimits


def main(argv: list[str]) -> int:
    base_url, redis_url, prefix, keys, calls = argv[:5]
    pool = mp.KeyPool(keys.split(","), backend=RedisLimits(redis_url, prefix=prefix))
    with (
        warnings.catch_warnings(),
        mp.LLM("openai-chat:pooled", base_url=base_url, api_key=pool, cache="never") as llm,
    ):
        warnings.simplefilter("ignore")  # the bench's warning; the parent reads Redis
        texts = [llm.complete(f"q{i}").text for i in range(int(calls))]
    print("ok", len(texts), ",".join(pool.benched()), flush=True)
    return 0  # the pool's writes to Redis finish before the interpreter exits


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
