"""modelport.fn: llm_function and llm_chat against the scripted server."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import modelport as mp
import pytest
from modelport.fn import AbortSignal, llm_chat, llm_function
from modelport.testing import Reply, ScriptedServer
from pydantic import BaseModel


class City(BaseModel):
    name: str
    country: str


def completion(content: str) -> Reply:
    return Reply.json(
        {
            "id": "c",
            "object": "chat.completion",
            "model": "m",
            "choices": [
                {
                    "index": 0,
                    "finish_reason": "stop",
                    "message": {"role": "assistant", "content": content},
                }
            ],
            "usage": {"prompt_tokens": 3, "completion_tokens": 2},
        }
    )


def sse(words: list[str]) -> Reply:
    base = {"id": "c", "object": "chat.completion.chunk", "model": "m"}
    chunks = [{**base, "choices": [{"index": 0, "delta": {"content": w}}]} for w in words]
    chunks.append({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
    return Reply.sse([f"data: {json.dumps(c)}\n\n" for c in chunks] + ["data: [DONE]\n\n"])


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    with ScriptedServer() as s:
        yield s


@pytest.fixture
def llm(server: ScriptedServer) -> Iterator[mp.LLM]:
    with mp.LLM("openai-chat:m", base_url=server.base_url, api_key="k", cache="never") as m:
        yield m


def test_llm_function_text_and_placeholders(server: ScriptedServer, llm: mp.LLM) -> None:
    @llm_function(llm, temperature=0)
    def shout(word: str, times: int = 2) -> str:
        """Repeat {word} {times} times, in capitals."""

    server.add(completion("HI HI"))
    assert shout("hi") == "HI HI"
    body = server.requests[0].json()
    assert body["messages"][-1]["content"] == "Repeat hi 2 times, in capitals."
    assert body["temperature"] == 0


def test_llm_function_structured_output(server: ScriptedServer, llm: mp.LLM) -> None:
    @llm_function(llm)
    def capital(country: str) -> City:
        """Name the capital city."""

    server.add(completion('{"name": "Paris", "country": "France"}'))
    assert capital("France") == City(name="Paris", country="France")
    body = server.requests[0].json()
    assert body["response_format"]["json_schema"]["name"] == "City"
    assert '"country": "France"' in body["messages"][-1]["content"]  # no placeholders: JSON


def test_async_llm_function(server: ScriptedServer, llm: mp.LLM) -> None:
    @llm_function(llm)
    async def greet(name: str) -> str:
        """Greet {name}."""

    server.add(completion("Hello Ann"))
    assert asyncio.run(greet("Ann")) == "Hello Ann"


def test_docstring_is_required_and_placeholders_checked(llm: mp.LLM) -> None:
    @llm_function(llm)
    def nodoc(x: int) -> str: ...

    @llm_function(llm)
    def typo(x: int) -> str:
        """Use {y}."""

    with pytest.raises(mp.ConfigurationError, match="docstring"):
        nodoc(1)
    with pytest.raises(mp.ConfigurationError, match="'y'"):
        typo(1)


def test_llm_chat_streams_chunks_with_history(server: ScriptedServer, llm: mp.LLM) -> None:
    @llm_chat(llm)
    def chat(history: list[Any], message: str) -> None:
        """You are a parrot."""

    server.add(sse(["Hel", "lo", "!"]))
    pairs = list(
        chat([{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}], "hi")
    )
    assert [c for c, _ in pairs] == ["Hel", "lo", "!"]
    history = pairs[-1][1]
    assert history[-2:] == [
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": "Hello!"},
    ]
    sent = server.requests[0].json()["messages"]
    assert sent[0] == {"role": "system", "content": "You are a parrot."}
    assert [m["role"] for m in sent] == ["system", "user", "assistant", "user"]


def test_llm_chat_abort_stops_the_stream(server: ScriptedServer, llm: mp.LLM) -> None:
    @llm_chat(llm)
    def chat(history: list[Any], message: str) -> None:
        """Be long-winded."""

    server.add(sse([f"w{i} " for i in range(50)]))
    signal = AbortSignal()
    seen = []
    history: list[Any] = []
    for chunk, so_far in chat([], "talk", abort=signal):
        seen.append(chunk)
        history = so_far
        if len(seen) == 3:
            signal.abort()
    assert seen[:3] == ["w0 ", "w1 ", "w2 "] and seen[-1] == ""
    assert history[-1] == {"role": "assistant", "content": "w0 w1 w2 ", "interrupted": True}


def test_llm_chat_events_and_async(server: ScriptedServer, llm: mp.LLM) -> None:
    @llm_chat(llm, events=True)
    async def chat(history: list[Any], message: str) -> None:
        """Assistant."""

    server.route("POST", "/v1/chat/completions", lambda r: sse(["a", "b"]))

    async def run() -> list[mp.StreamEvent]:
        return [ev async for ev in chat([], "x")]

    events = asyncio.run(run())
    final = next(e for e in events if e.type == "final")
    assert final.data["history"][-1] == {"role": "assistant", "content": "ab"}
    assert [e.content for e in events if e.type == "answer"] == ["a", "b"]
