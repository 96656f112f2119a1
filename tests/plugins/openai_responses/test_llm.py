"""End to end through ``modelport.LLM("openai-responses:...")``: the real llama.cpp server
(its /v1/responses endpoint) and the scripted server replaying the recorded corpus."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import modelport as mp
import pytest
from llama_peer import LlamaServer
from modelport.testing import Fault, Reply, ScriptedServer
from modelport_openai_responses._decode import ITEMS_KEY

from ._helpers import recording, requires_corpus
from ._schema import validate_request_body

ANSWER = "Hello from tiny model."


def llm(base_url: str, **kw: object) -> mp.LLM:
    kw.setdefault("max_tokens", 64)
    kw.setdefault("use_cache", False)
    return mp.LLM("openai-responses:tiny", base_url=base_url, temperature=0, **kw)  # type: ignore[arg-type]


def lookup_weather(city: str, days: int = 1) -> str:
    """Weather forecast for a city.

    Args:
        city: City name.
        days: Number of days.
    """
    return f"sunny in {city} for {days} day(s)"


# -- the real llama.cpp server ---------------------------------------------------------------


@pytest.mark.peers
def test_llama_plain_text(llama_plain: LlamaServer) -> None:
    with llm(llama_plain.base_url) as model:
        r = model.complete("Say hello.", system="You are terse.")
    assert (r.text, r.reasoning, r.stop_reason) == (ANSWER, None, "stop")
    assert r.provider == "openai-responses" and r.model == "tiny"
    assert r.usage.input_tokens > 0 and r.usage.output_tokens > 0


@pytest.mark.peers
def test_llama_streaming_matches_non_streaming(llama_plain: LlamaServer) -> None:
    with llm(llama_plain.base_url) as model:
        events = list(model.stream("Say hello."))
        whole = model.complete("Say hello.")  # after llama.cpp closed the streamed connection
    answer = "".join(e.content for e in events if e.type == "answer")
    final = events[-2].content
    assert answer == final.text == whole.text == ANSWER
    assert [e.type for e in events[-2:]] == ["final", "done"]
    assert sum(e.type == "answer" for e in events) > 1
    assert final.usage.output_tokens == whole.usage.output_tokens > 0


@pytest.mark.peers
def test_llama_reasoning_streamed_and_not(llama_think: LlamaServer) -> None:
    with llm(llama_think.base_url) as model:
        r = model.complete("Say hello.")
        events = list(model.stream("Say hello."))
    assert (r.text, r.reasoning) == (ANSWER, " Thinking quietly")
    reasoning = "".join(e.content for e in events if e.type == "reasoning")
    answer = "".join(e.content for e in events if e.type == "answer")
    assert (answer, reasoning) == (ANSWER, " Thinking quietly")
    items = r.provider_metadata[ITEMS_KEY]
    assert items[0]["type"] == "reasoning" and items[0]["id"].startswith("rs_")
    assert events[-2].content.provider_metadata[ITEMS_KEY][0]["type"] == "reasoning"


@pytest.mark.peers
@pytest.mark.parametrize("mode", ["sync", "stream", "async"])
def test_llama_tool_loop_replays_reasoning(llama_think: LlamaServer, mode: str) -> None:
    """Tool call, tool result, answer; the reasoning item goes back on the second turn."""
    with llm(llama_think.base_url) as model:
        if mode == "sync":
            r = model.complete("Weather?", tools=[lookup_weather])
        elif mode == "stream":
            events = list(model.stream("Weather?", tools=[lookup_weather]))
            r = events[-2].content
            assert [e.type for e in events].count("tool_result") == 1
        else:
            r = asyncio.run(model.acomplete("Weather?", tools=[lookup_weather]))
    assert len(r.tool_calls) == 1 and r.tool_calls[0].name == "lookup_weather"
    assert r.tool_calls[0].id.startswith("call_")
    assert r.tool_results[0].error is None
    assert r.tool_results[0].content.startswith("sunny in ")
    assert (r.text, r.stop_reason) == (ANSWER, "stop")
    assert [m.role for m in r.messages] == ["assistant", "tool", "assistant"]
    first_turn = r.messages[0].provider_metadata[ITEMS_KEY]
    assert [i["type"] for i in first_turn] == ["reasoning", "function_call"]


# -- the scripted server replaying recordings ------------------------------------------------


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    with ScriptedServer() as s:
        yield s


@requires_corpus
def test_scripted_non_streamed_text(server: ScriptedServer) -> None:
    server.add(Reply.from_file(recording("responses-nonstream-text.json")))
    with llm(server.base_url, api_key="sk-test", max_tokens=16) as model:
        r = model.complete("Reply with exactly: pong")
    assert (r.text, r.stop_reason, r.usage.output_tokens) == ("pong", "stop", 5)
    sent = server.requests[0]
    assert sent.path == "/v1/responses" and sent.headers["authorization"] == "Bearer sk-test"
    body = sent.json()
    validate_request_body(body)
    assert body["max_output_tokens"] == 16 and body["temperature"] == 0


@requires_corpus
def test_scripted_stream_with_reasoning_summary(server: ScriptedServer) -> None:
    server.add(Reply.from_file(recording("responses-stream-reasoning-summary.sse")))
    with llm(server.base_url) as model:
        events = list(model.stream("Count the r's."))
    final = events[-2].content
    assert final.text.endswith("The letter \u201cr\u201d appears 3 times.")
    assert final.reasoning.startswith('**Counting letters in "strawberry"**')
    assert "".join(e.content for e in events if e.type == "reasoning") == final.reasoning
    assert (final.usage.reasoning_tokens, final.stop_reason) == (448, "stop")


@requires_corpus
def test_scripted_tool_loop_sends_reasoning_back(server: ScriptedServer) -> None:
    """Recorded function call (with an encrypted reasoning item), then a text answer."""
    server.add(Reply.from_file(recording("responses-stream-reasoning-text-function-call.sse")))
    server.add(Reply.from_file(recording("responses-stream-text.sse")))

    def get_capital(country: str) -> str:
        """The capital of a country."""
        return "Chipsville"

    with llm(server.base_url) as model:
        events = list(model.stream("What is the capital of PotatoLand?", tools=[get_capital]))
    final = events[-2].content
    assert final.text == "pong" and final.tool_results[0].content == "Chipsville"
    second = server.requests[1].json()
    validate_request_body(second)
    types = [i.get("type", i.get("role")) for i in second["input"]]
    assert types == ["user", "reasoning", "message", "function_call", "function_call_output"]
    assert second["input"][1]["encrypted_content"].startswith("gAAAAABqaR3_")
    assert second["input"][3]["id"] == "fc_0fabc13af1ee0049006a691dff0c1481a1b4a0eec7e3c753bb"
    assert second["input"][4] == {
        "type": "function_call_output",
        "call_id": "call_LabG58Uhrq9kZvR52BYKjToD",
        "output": "Chipsville",
    }


@requires_corpus
def test_scripted_error_status_is_typed(server: ScriptedServer) -> None:
    server.add(Reply.from_file(recording("error-400-invalid-temperature.json"), status=400))
    with llm(server.base_url) as model, pytest.raises(mp.ModelRequestError) as info:
        model.complete("hi")
    assert info.value.status == 400 and info.value.code == "decimal_below_min_value"
    assert len(server.requests) == 1


@requires_corpus
def test_scripted_stream_cut_is_a_typed_error(server: ScriptedServer) -> None:
    sse = recording("responses-stream-function-call.sse").read_bytes()
    cut = sse[: sse.index(b"event: response.completed")]
    server.add(Reply.sse([cut]))
    with llm(server.base_url, max_retries=0) as model, pytest.raises(mp.ModelRequestError):
        list(model.stream("hi", tools=[lookup_weather]))


@requires_corpus
def test_scripted_reset_mid_stream(server: ScriptedServer) -> None:
    sse = recording("responses-stream-reasoning-summary.sse")
    server.add(Fault.reset_mid_stream(Reply.from_file(sse), after_chunks=20))
    with llm(server.base_url, max_retries=0) as model:
        with pytest.raises(mp.ModelRequestError):
            list(model.stream("hi"))


def test_scripted_failed_event_mid_stream(server: ScriptedServer) -> None:
    events = [
        {"type": "response.created", "response": {"id": "resp_1", "model": "m"}},
        {"type": "response.output_text.delta", "item_id": "msg_1", "delta": "Hi"},
        {
            "type": "response.failed",
            "response": {
                "id": "resp_1",
                "status": "failed",
                "error": {"code": "rate_limit_exceeded", "message": "Try again in 20ms."},
            },
        },
    ]
    server.add(Reply.sse([f"data: {json.dumps(e)}\n\n".encode() for e in events]))
    with llm(server.base_url, max_retries=0) as model, pytest.raises(mp.RateLimitError):
        list(model.stream("hi"))
