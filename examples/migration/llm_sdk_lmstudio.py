"""better-llm-sdk's LM Studio helpers: context length, unloading other models, token counts.

    python examples/migration/llm_sdk_lmstudio.py --base-url http://127.0.0.1:1234/v1

Guide: docs/migration/llm-sdk.md, "LM Studio". Needs LM Studio 0.4 (REST API v1), or the
scripted LM Studio server the tests start. The seed used the ``lmstudio`` SDK; modelport
talks to LM Studio's REST API and needs no extra package.
"""

from __future__ import annotations

import argparse
import asyncio

import modelport as mp
import modelport_lmstudio as lms


def run(base_url: str, model: str) -> None:
    with mp.LLM(f"lmstudio:{model}", base_url=base_url, temperature=0, max_tokens=32) as llm:
        # llm.lm_studio_get_context_length(): None while the model is not loaded
        print("context length before:", lms.loaded_context_length(llm))

        # llm.response(messages, lm_studio_unload_model=True): unload the others, then load
        info = lms.load_model(llm, unload_others=True, context_length=8192)
        print("loaded:", info.instance_id, "unloaded first:", list(info.unloaded))
        print("context length after:", lms.loaded_context_length(llm))

        # the same from async code, without blocking the event loop
        async def again() -> None:
            unloaded = await lms.aunload_others(llm)
            print("async unload_others:", unloaded)

        asyncio.run(again())

        # llm.lm_studio_count_tokens("Hello, world!"): LM Studio's REST API has no tokenizer,
        # so this is an estimate, and says so
        count = llm.count_tokens("Hello, world!")
        print("count_tokens:", count.tokens > 0, "estimated:", count.estimated)

        print("answered:", bool(llm.complete("Hello").text))


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--base-url", default="http://127.0.0.1:1234/v1")
    parser.add_argument("--model", default="deepseek-r1")
    args = parser.parse_args()
    run(args.base_url, args.model)
