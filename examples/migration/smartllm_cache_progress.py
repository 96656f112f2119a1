"""SmartLLM's cache (temperature 0, ``clear_cache``, ``use_cache``) and ``on_progress``.

    python examples/migration/smartllm_cache_progress.py --base-url http://127.0.0.1:8080/v1

Guide: docs/migration/smartllm.md, "Caching" and "Progress". Both seeds' cache rule holds:
a temperature-0 request is cached locally (level 1); the shared DynamoDB level 2 is the
``modelport-dynamodb-cache`` plugin, switched on by environment variables.
"""

from __future__ import annotations

import argparse
import asyncio

import modelport as mp


def show(event: mp.ProgressEvent) -> None:
    print("progress:", event.kind)


async def main(base_url: str) -> None:
    async with mp.LLM("openai-chat:tiny", base_url=base_url, max_tokens=32) as client:
        prompt = "What is the capital of France?"
        # First call: clear_cache=True forces the API (started ... done)
        r = await client.acomplete(prompt, temperature=0, clear_cache=True, on_progress=show)
        print("first:", r.cache_source)
        # Second call: served from the cache (started, cache_hit)
        r = await client.acomplete(prompt, temperature=0, on_progress=show)
        print("second:", r.cache_source)
        # use_cache=False -> cache="never"
        r = await client.acomplete(prompt, temperature=0, cache="never")
        print("never:", r.cache_source)
        # sampling requests are not cached (unless cache="always")
        r = await client.acomplete(prompt, temperature=0.7)
        print("sampling cacheable:", r.cache_key is not None)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--base-url", default="http://127.0.0.1:8080/v1")
    asyncio.run(main(parser.parse_args().base_url))
