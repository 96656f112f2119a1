"""Progress events: async observers are awaited, long streams send a throttled pulse."""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Iterator

import modelport as mp
import pytest
from modelport.testing import Reply, ScriptedServer


def whole() -> Reply:
    message = {"role": "assistant", "content": "ok"}
    return Reply.json(
        {
            "id": "c",
            "object": "chat.completion",
            "model": "m",
            "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
        }
    )


def stream(words: int, delay: float) -> Reply:
    base = {"id": "c", "object": "chat.completion.chunk", "model": "m"}
    chunks = [
        {**base, "choices": [{"index": 0, "delta": {"content": "w "}, "finish_reason": None}]}
        for _ in range(words)
    ]
    chunks.append({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
    events = [f"data: {json.dumps(c)}\n\n" for c in chunks] + ["data: [DONE]\n\n"]
    return Reply.sse(events, chunk_delay=delay)


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    with ScriptedServer() as s:
        yield s


def test_a_long_stream_emits_throttled_stream_progress(server: ScriptedServer) -> None:
    server.route("POST", "/v1/chat/completions", stream(words=24, delay=0.05))
    seen: list[mp.ProgressEvent] = []
    with mp.LLM("openai-chat:m", base_url=server.base_url, on_progress=seen.append) as llm:
        list(llm.stream("hi"))
    pulses = [e for e in seen if e.kind == "stream_progress"]
    assert pulses  # a ~1.2 s stream: at least one pulse
    gaps = [b.elapsed_s - a.elapsed_s for a, b in itertools.pairwise(pulses)]
    assert all(gap >= 0.45 for gap in gaps)  # throttled: at most one every 0.5 s
    assert pulses[-1].detail["chars"] > 0 and pulses[-1].detail["chunks"] > 1


def test_an_async_on_progress_callback_is_awaited(server: ScriptedServer) -> None:
    server.route("POST", "/v1/chat/completions", whole())
    seen: list[str] = []

    async def observe(event: mp.ProgressEvent) -> None:
        await asyncio.sleep(0)
        seen.append(event.kind)

    async def main() -> None:
        async with mp.LLM("openai-chat:m", base_url=server.base_url, on_progress=observe) as llm:
            await llm.acomplete("hi")
        await asyncio.sleep(0.05)  # the observers' tasks finish

    asyncio.run(main())
    assert "started" in seen and "done" in seen


def test_an_async_callback_from_a_sync_call_runs_too(server: ScriptedServer) -> None:
    server.route("POST", "/v1/chat/completions", whole())
    seen: list[str] = []

    async def observe(event: mp.ProgressEvent) -> None:
        seen.append(event.kind)

    with mp.LLM("openai-chat:m", base_url=server.base_url, on_progress=observe) as llm:
        llm.complete("hi")
    assert "done" in seen
