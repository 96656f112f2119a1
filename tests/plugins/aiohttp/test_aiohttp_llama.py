"""End to end against the real llama.cpp server (../shared/peers), through aiohttp.

llama.cpp closes the connection after every streamed reply without saying so: the calls that
follow a stream go out on a connection the server has closed, or race with that close, and
must still succeed in one attempt (the free retry covers the race).
"""

from __future__ import annotations

import asyncio

import modelport as mp
import pytest
from llama_peer import LlamaServer

pytestmark = pytest.mark.peers
ANSWER = "Hello from tiny model."


def test_async_stream_then_calls_on_the_closed_connection(llama_plain: LlamaServer) -> None:
    async def run() -> tuple[list[mp.StreamEvent], mp.Response, mp.Response, list[mp.StreamEvent]]:
        async with mp.LLM(
            "openai-chat:tiny",
            base_url=llama_plain.base_url,
            transport="aiohttp",
            temperature=0,
            max_tokens=64,
            cache="never",
        ) as llm:
            events = [ev async for ev in llm.astream("Say hello.")]
            whole = await llm.acomplete("Say hello.")
            cut = await llm.acomplete("Say hello.", max_tokens=3)
            again = [ev async for ev in llm.astream("Say hello.")]
            return events, whole, cut, again

    events, whole, cut, again = asyncio.run(run())
    answer = "".join(e.content for e in events if e.type == "answer")
    assert answer == events[-2].content.text == whole.text == ANSWER
    assert sum(e.type == "answer" for e in events) > 1  # really streamed, token by token
    assert [e.type for e in events[-2:]] == ["final", "done"]
    assert events[-2].content.usage.output_tokens == whole.usage.output_tokens > 0
    assert whole.attempts == 1 and cut.stop_reason == "length"
    assert "".join(e.content for e in again if e.type == "answer") == ANSWER


def test_concurrent_async_calls(llama_think: LlamaServer) -> None:
    async def run() -> list[mp.Response]:
        async with mp.LLM(
            "openai-chat:tiny",
            base_url=llama_think.base_url,
            transport="aiohttp",
            temperature=0,
            max_tokens=64,
            cache="never",
        ) as llm:
            return await asyncio.gather(*(llm.acomplete("Say hello.") for _ in range(8)))

    responses = asyncio.run(run())
    assert {r.text for r in responses} == {ANSWER}
    assert all(r.reasoning for r in responses)  # reasoning_content from the think model
