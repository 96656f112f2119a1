"""better-llm-sdk's ``LLM``: responses, streams, async, structured output, verbose, errors.

    python examples/migration/llm_sdk_basics.py --base-url http://127.0.0.1:8080/v1

Guide: docs/migration/llm-sdk.md. The seed's ``LLM(model=, base_url=, api_key=)`` is
``mp.LLM("openai-chat:<model>", base_url=, api_key=)``; ``response()`` returns a
``Response`` object instead of a dict (``r.text`` for ``r["answer"]``).
"""

from __future__ import annotations

import argparse
import asyncio
from typing import Literal

import modelport as mp

NO_THINK = {"chat_template_kwargs": {"enable_thinking": False}}


class PersonInfo:
    """Information about a person."""

    name: str = "Unknown"
    age: int
    hobbies: list[str]
    status: Literal["active", "inactive"]


def run(base_url: str) -> None:
    # LLM(model=..., base_url=..., api_key=..., default_stop_sequences=..., timeout=300.0,
    #     extra_body=...)
    with mp.LLM(
        "openai-chat:tiny",
        base_url=base_url,
        api_key="lm-studio",
        stop=["<|im_end|>"],
        timeout=300.0,
        temperature=0,
        max_tokens=64,
    ) as llm:
        messages = [{"role": "user", "content": "Hello, how are you?"}]

        response = llm.complete(messages)  # llm.response(messages)["answer"]
        print("response:", response.text)

        text = ""
        for event in llm.stream(messages):  # llm.stream_response(messages, final=True)
            if event.type == "answer":
                text += event.content
            elif event.type == "final":
                print("final:", event.content.text == text)

        # verbose=True: a "verbose" event, and the same numbers on the Response
        for event in llm.stream(messages, verbose=True):
            if event.type == "verbose":
                print(
                    "verbose has tokens:", {"input_tokens", "output_tokens"} <= set(event.content)
                )
        print("tokens/s known:", response.tokens_per_second is not None)

        # output_format=PersonInfo (a plain annotated class) -> response_format=PersonInfo
        person = llm.complete(
            "Tell me about Alice, 28, likes coding, active",
            response_format=PersonInfo,
            extra_body=NO_THINK,
            max_tokens=200,
        ).structured
        print("structured:", type(person).__name__, type(person.age).__name__)

        # per-request extra_body / max_tokens override the instance defaults
        short = llm.complete(messages, max_tokens=3, extra_body={"top_k": 1})
        print("max_tokens=3:", short.stop_reason)

        # errors: ValueError/RuntimeError of old versions -> typed modelport errors
        try:
            llm.complete(messages, temprature=0)
        except mp.ConfigurationError as exc:
            print("ConfigurationError:", type(exc).__name__)

    # async with LLM(...) + asyncio.gather of async_response(...)
    async def batch(prompts: list[str]) -> list[str]:
        async with mp.LLM("openai-chat:tiny", base_url=base_url, temperature=0) as llm:
            results = await asyncio.gather(
                *(llm.acomplete([{"role": "user", "content": p}], max_tokens=16) for p in prompts)
            )
            return [r.text for r in results]

    answers = asyncio.run(batch(["Translate 'hello' to French", "What's 2+2?", "Name a color"]))
    print("batch:", len(answers), answers[0])


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--base-url", default="http://127.0.0.1:1234/v1")
    run(parser.parse_args().base_url)
