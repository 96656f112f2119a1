"""Runnable example: three plain functions as tools, a multi-turn loop, and a human approval.

    python examples/tools_with_approval.py --base-url http://127.0.0.1:8080/v1 --model tiny

Without --base-url it starts the local llama.cpp peer from ../shared/peers (as the demo does).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Iterator
from pathlib import Path

import modelport as mp


def get_weather(city: str, unit: str = "C") -> dict[str, object]:
    """Current weather for a city.

    Args:
        city: City name, e.g. "Paris".
        unit: "C" or "F".
    """
    return {"city": city, "temp": 21, "unit": unit}


async def get_time(zone: str) -> str:
    """Current time in a time zone (an async tool)."""
    return f"12:00 {zone}"


def count_down(n: int) -> Iterator[int]:
    """Counts down, streaming each step (a generator tool; its return value is the result)."""
    yield from range(n, 0, -1)
    return 0


TOOLS = [get_weather, get_time, count_down]


def run(base_url: str, model: str) -> None:
    with mp.LLM(f"openai-chat:{model}", base_url=base_url, temperature=0, max_tokens=64) as llm:
        # 1. Non-streamed: the loop runs until the model answers in text.
        r = llm.complete("What's the weather?", tools=TOOLS)
        print("answer:", r.text)
        print("tool calls:", [(c.name, c.arguments) for c in r.tool_calls])
        print("tool results:", [t.content for t in r.tool_results])

        # 2. Streamed, with a human approval for get_weather: the stream pauses at a
        #    review_request until send() answers it; send() returns the next event.
        stream = llm.stream("What's the weather?", tools=TOOLS, interceptor=[get_weather])
        for ev in stream:
            if ev.type == "review_request":
                print(f"review: {ev.content.name}({ev.data['arguments']}) -> approved")
                ev = stream.send(True)  # or stream.send("reason to reject"), or edited args
            if ev.type in ("tool_call", "tool_result", "tool_error", "tool_stream", "answer"):
                print(f"  {ev.type}: {ev.content!r}")

        # 3. Async, with an approval callback instead of a stream.
        async def main() -> mp.Response:
            return await llm.acomplete(
                "What's the weather?",
                tools=TOOLS,
                interceptor=True,
                approve=lambda name, args: name != "count_down",
            )

        print("async answer:", asyncio.run(main()).text)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--base-url")
    parser.add_argument("--model", default="tiny")
    args = parser.parse_args()
    if args.base_url:
        run(args.base_url, args.model)
    else:
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))
        from llama_peer import LlamaServer

        with LlamaServer("plain") as server:
            run(server.base_url, args.model)
