"""Fallbacks: the next model answers when one fails after its retries, before any output."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import modelport as mp
import pytest
from modelport.testing import Fault, Reply, ScriptedServer


def ok(model: str) -> Reply:
    return Reply.json(
        {
            "id": "c",
            "object": "chat.completion",
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": f"from {model}"},
                    "finish_reason": "stop",
                }
            ],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1},
        }
    )


def stream_of(text: str) -> Reply:
    base = {"id": "c", "object": "chat.completion.chunk", "model": "backup"}
    chunks = [
        {**base, "choices": [{"index": 0, "delta": {"content": word}, "finish_reason": None}]}
        for word in text.split(" ")
    ]
    chunks.append({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
    return Reply.sse([f"data: {json.dumps(c)}\n\n" for c in chunks] + ["data: [DONE]\n\n"])


@pytest.fixture
def servers() -> Iterator[tuple[ScriptedServer, ScriptedServer]]:
    with ScriptedServer() as first, ScriptedServer() as second:
        yield first, second


def chain(first: ScriptedServer, second: ScriptedServer, **kw: Any) -> mp.LLM:
    backup = mp.LLM("openai-chat:backup", base_url=second.base_url, cache="never", retry=0)
    return mp.LLM(
        "openai-chat:primary",
        base_url=first.base_url,
        cache="never",
        retry=1,
        fallbacks=[backup],
        **kw,
    )


def test_a_server_error_after_retries_falls_back(
    servers: tuple[ScriptedServer, ScriptedServer],
) -> None:
    first, second = servers
    first.route("POST", "/v1/chat/completions", Reply.status(503, {"error": "down"}))
    second.route("POST", "/v1/chat/completions", ok("backup"))
    events: list[mp.ProgressEvent] = []
    with chain(first, second, on_progress=events.append) as llm:
        r = llm.complete("hi")
    assert (r.text, r.model, r.provider) == ("from backup", "backup", "openai-chat")
    assert len(first.requests) == 2  # its own retry first
    fallback = [e for e in events if e.kind == "fallback"]
    assert len(fallback) == 1 and fallback[0].detail["to"] == "openai-chat:backup"
    assert fallback[0].detail["error"] == "ProviderServerError"


def test_a_context_window_error_falls_back_and_a_bad_request_does_not(
    servers: tuple[ScriptedServer, ScriptedServer],
) -> None:
    first, second = servers
    too_long = {
        "error": {"message": "maximum context length exceeded", "code": "context_length_exceeded"}
    }
    first.add(
        Reply.status(400, too_long), Reply.status(400, {"error": {"message": "bad temperature"}})
    )
    second.route("POST", "/v1/chat/completions", ok("backup"))
    with chain(first, second) as llm:
        assert llm.complete("long").text == "from backup"
        with pytest.raises(mp.BadRequestError):
            llm.complete("bad")


def test_fallback_on_narrows_the_set(servers: tuple[ScriptedServer, ScriptedServer]) -> None:
    first, second = servers
    first.route("POST", "/v1/chat/completions", Reply.status(503, {"error": "down"}))
    second.route("POST", "/v1/chat/completions", ok("backup"))
    with chain(first, second, fallback_on=(mp.RateLimitError,)) as llm:
        with pytest.raises(mp.ProviderServerError):
            llm.complete("hi")
    assert second.requests == []


def test_a_stream_falls_back_only_before_its_first_event(
    servers: tuple[ScriptedServer, ScriptedServer],
) -> None:
    first, second = servers
    first.add(Reply.status(500, {"error": "x"}), Reply.status(500, {"error": "x"}))
    second.route("POST", "/v1/chat/completions", stream_of("hello from backup"))
    with chain(first, second) as llm:
        events = list(llm.stream("hi"))
        final = next(e for e in events if e.type == "final").content
        assert final.model == "backup" and final.text == "hellofrombackup"
        # Mid-stream, after output reached the caller: no fallback, the error is raised.
        first.add(Fault.reset_mid_stream(stream_of("one two three four"), after_chunks=2))
        seen = 0
        with pytest.raises(mp.ProviderConnectionError):
            for ev in llm.stream("again"):
                seen += ev.type == "answer"
        assert seen >= 1
    assert len(second.requests) == 1


async def _acomplete(llm: mp.LLM) -> mp.Response:
    return await llm.acomplete("hi")


def test_async_calls_fall_back_too(servers: tuple[ScriptedServer, ScriptedServer]) -> None:
    import asyncio

    first, second = servers
    first.route("POST", "/v1/chat/completions", Reply.status(429, {"error": "slow"}))
    second.route("POST", "/v1/chat/completions", ok("backup"))
    with chain(first, second) as llm:
        r = asyncio.run(_acomplete(llm))
    assert r.model == "backup"


def test_a_fallback_spec_must_be_a_model(servers: tuple[ScriptedServer, ScriptedServer]) -> None:
    first, _ = servers
    with pytest.raises(mp.ConfigurationError, match="fallback"):
        mp.LLM("openai-chat:m", base_url=first.base_url, fallbacks=[42])
    with pytest.raises(mp.ConfigurationError, match="unknown provider"):
        mp.LLM("openai-chat:m", base_url=first.base_url, fallbacks=["nope:x"])
