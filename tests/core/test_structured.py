"""Structured output through LLM: strategies, validation, refusal, truncation, retries, cache."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import modelport as mp
import pytest
from modelport.testing import RecordedRequest, Reply, ScriptedServer
from pydantic import BaseModel


class Joke(BaseModel):
    """A joke and its self-rating."""

    joke: str
    rating: int


@dataclasses.dataclass
class JokeDC:
    joke: str
    rating: int = 0


class PlainJoke:
    """A plain annotated class, as the LLM SDK seed accepts."""

    joke: str
    rating: int = 5


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    with ScriptedServer() as s:
        yield s


@pytest.fixture
def chat(conformance: Path) -> Path:
    return conformance / "openai-chat"


def make(server: ScriptedServer, **kw: Any) -> mp.LLM:
    kw.setdefault("cache", "never")
    return mp.LLM("openai-chat:gpt-4.1-nano", base_url=server.base_url, api_key="k", **kw)


def answer(content: str | None, finish: str = "stop", **message: Any) -> Reply:
    return Reply.json(
        {
            "id": "c",
            "object": "chat.completion",
            "model": "m",
            "choices": [
                {
                    "index": 0,
                    "finish_reason": finish,
                    "message": {"role": "assistant", "content": content, **message},
                }
            ],
            "usage": {"prompt_tokens": 10, "completion_tokens": 5},
        }
    )


@pytest.mark.parametrize("target", [Joke, JokeDC, PlainJoke])
def test_recorded_json_schema_answer_validates(
    server: ScriptedServer, chat: Path, target: type
) -> None:
    server.add(Reply.from_file(chat / "chat-structured-json-schema.json"))
    with make(server) as llm:
        r = llm.complete("Tell me a joke about opentelemetry", response_format=target)
    assert isinstance(r.structured, target)
    assert r.structured.rating == 7 and r.structured.joke.startswith("Why did the developer")
    fmt = server.requests[0].json()["response_format"]
    assert fmt["type"] == "json_schema" and fmt["json_schema"]["strict"] is True
    schema = fmt["json_schema"]["schema"]
    assert schema["additionalProperties"] is False
    assert sorted(schema["required"]) == ["joke", "rating"]


def test_dict_schema_gives_a_dict(server: ScriptedServer, chat: Path) -> None:
    server.add(Reply.from_file(chat / "chat-structured-json-schema.json"))
    schema = {
        "type": "object",
        "properties": {"joke": {"type": "string"}, "rating": {"type": "integer"}},
        "required": ["joke", "rating"],
    }
    with make(server) as llm:
        r = llm.complete("joke", response_format={"name": "Joke", "schema": schema})
    assert r.structured["rating"] == 7


def test_refusal_is_a_typed_error(server: ScriptedServer, chat: Path) -> None:
    server.add(Reply.from_file(chat / "chat-structured-refusal.json"))
    with make(server) as llm, pytest.raises(mp.RefusalError) as info:
        llm.complete("bad", response_format=Joke)
    assert info.value.refusal == "I'm very sorry, but I can't assist with that request."


def test_truncation_is_reported_and_not_reasked(server: ScriptedServer) -> None:
    server.add(answer('{"joke": "Why did', finish="length"))
    with make(server) as llm, pytest.raises(mp.TruncatedOutputError, match="cut off"):
        llm.complete("joke", response_format=Joke, structured_retries=2)
    assert len(server.requests) == 1  # the same limit would cut the same answer again


def test_validation_failure_carries_raw_text_and_errors(server: ScriptedServer) -> None:
    server.add(answer('{"joke": "x", "rating": "very funny"}'))
    with make(server) as llm, pytest.raises(mp.StructuredOutputError) as info:
        llm.complete("joke", response_format=Joke)
    assert info.value.raw_text == '{"joke": "x", "rating": "very funny"}'
    assert "rating" in str(info.value)


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_structured_retries_reask_with_the_error(server: ScriptedServer, mode: str) -> None:
    server.add(answer('{"joke": "x"}'))
    server.add(answer('{"joke": "x", "rating": 3}'))
    with make(server) as llm:
        if mode == "sync":
            r = llm.complete("joke", response_format=Joke, structured_retries=1)
        else:
            import asyncio

            r = asyncio.run(llm.acomplete("joke", response_format=Joke, structured_retries=1))
    assert r.structured == Joke(joke="x", rating=3)
    assert r.usage.input_tokens == 20 and r.attempts == 2
    retry = server.requests[1].json()["messages"]
    assert retry[-2]["role"] == "assistant" and "rating" in retry[-1]["content"]


def test_retries_are_bounded(server: ScriptedServer) -> None:
    for _ in range(3):
        server.add(answer('{"joke": "x"}'))
    with make(server) as llm, pytest.raises(mp.StructuredOutputError):
        llm.complete("joke", response_format=Joke, structured_retries=2)
    assert len(server.requests) == 3


def test_json_encoded_list_is_repaired_only_on_failure(server: ScriptedServer) -> None:
    class Tags(BaseModel):
        tags: list[str]

    server.add(answer('{"tags": "[\\"a\\", \\"b\\"]"}'))
    with make(server) as llm:
        r = llm.complete("tags", response_format=Tags)
    assert r.structured.tags == ["a", "b"]


def test_forced_tool_strategy(server: ScriptedServer) -> None:
    server.add(
        answer(
            None,
            finish="tool_calls",
            tool_calls=[
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "Joke", "arguments": '{"joke": "ha", "rating": 2}'},
                }
            ],
        )
    )
    with make(server) as llm:
        r = llm.complete("joke", response_format=Joke, structured_strategy="tool")
    assert r.structured == Joke(joke="ha", rating=2)
    body = server.requests[0].json()
    assert body["tool_choice"] == {"type": "function", "function": {"name": "Joke"}}
    assert "response_format" not in body


def test_prompted_json_strategy(server: ScriptedServer) -> None:
    server.add(answer('Sure! ```json\n{"joke": "ha", "rating": 2}\n```'))
    with make(server) as llm:
        r = llm.complete("joke", response_format=Joke, structured_strategy="prompt")
    assert r.structured == Joke(joke="ha", rating=2)
    first = server.requests[0].json()["messages"][0]
    assert first["role"] == "system" and '"rating"' in first["content"]


def test_cached_answer_is_revalidated_against_the_current_schema(
    server: ScriptedServer, chat: Path
) -> None:
    from pydantic import field_validator

    def stricter() -> type[BaseModel]:
        class Joke(BaseModel):  # same name and JSON schema, so the same cache key
            """A joke and its self-rating."""

            joke: str
            rating: int

            @field_validator("rating")
            @classmethod
            def high(cls, v: int) -> int:
                if v < 9:
                    raise ValueError("only great jokes")
                return v

        return Joke

    server.add(Reply.from_file(chat / "chat-structured-json-schema.json"))
    server.add(answer('{"joke": "better", "rating": 10}'))
    with make(server, cache="auto", temperature=0) as llm:
        first = llm.complete("joke", response_format=Joke)
        again = llm.complete("joke", response_format=Joke)
        assert (first.cache_source, again.cache_source) == ("miss", "l1")
        assert again.structured == first.structured
        third = llm.complete("joke", response_format=stricter())
    assert third.cache_key == first.cache_key
    assert third.cache_source == "miss" and third.structured.rating == 10
    assert len(server.requests) == 2


def test_streamed_final_response_is_validated(server: ScriptedServer) -> None:
    def stream(req: RecordedRequest) -> Reply:
        base = {"id": "c", "object": "chat.completion.chunk", "model": "m"}
        parts = ['{"joke": ', '"ha", "rat', 'ing": 4}']
        chunks = [{**base, "choices": [{"index": 0, "delta": {"content": p}}]} for p in parts]
        chunks.append({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
        return Reply.sse([f"data: {json.dumps(c)}\n\n" for c in chunks] + ["data: [DONE]\n\n"])

    server.route("POST", "/v1/chat/completions", stream)
    with make(server) as llm:
        events = list(llm.stream("joke", response_format=Joke))
    assert events[-2].content.structured == Joke(joke="ha", rating=4)
    # One ``structured`` event with the validated object, right before ``final``; the text
    # deltas stay available.
    assert [e.type for e in events][-3:] == ["structured", "final", "done"]
    assert events[-3].content == Joke(joke="ha", rating=4)
    text = "".join(e.content for e in events if e.type == "answer")
    assert text == '{"joke": "ha", "rating": 4}'
