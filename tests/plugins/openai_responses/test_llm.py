"""End to end through ``modelport.LLM("openai-responses:...")``: the real llama.cpp server
(its /v1/responses endpoint) and the scripted server replaying the recorded corpus."""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import modelport as mp
import pytest
from llama_peer import LlamaServer
from modelport.provider import WireRequest
from modelport.testing import Fault, Reply, ScriptedServer
from modelport.transport import AsyncRawResponse, RawResponse
from modelport_openai_responses._decode import ITEMS_KEY

from ._helpers import recording, requires_corpus
from ._schema import validate_request_body

ANSWER = "Hello from tiny model."


def llm(base_url: str, **kw: object) -> mp.LLM:
    kw.setdefault("max_tokens", 64)
    kw.setdefault("cache", "never")
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


class RecordingTransport(mp.HttpxTransport):
    """The default transport, keeping every JSON body it sends (to validate what llama.cpp got)."""

    def __init__(self) -> None:
        super().__init__()
        self.bodies: list[dict[str, Any]] = []

    def _keep(self, request: WireRequest) -> None:
        if request.content:
            self.bodies.append(json.loads(request.content))

    def send(self, request: WireRequest, timeouts: mp.Timeouts) -> RawResponse:
        self._keep(request)
        return super().send(request, timeouts)

    async def asend(self, request: WireRequest, timeouts: mp.Timeouts) -> AsyncRawResponse:
        self._keep(request)
        return await super().asend(request, timeouts)


def history() -> list[mp.Message]:
    """Every kind of turn: assistant text, a tool call with text, its result, a late developer
    message, and a new user question at the end."""
    call = mp.ToolCall(id="call_a", name="lookup_weather", arguments='{"city": "Paris"}')
    return [
        mp.Message.system("You are terse."),
        mp.Message.user("Say hello."),
        mp.Message.assistant(ANSWER),
        mp.Message.user("What is the weather in Paris?"),
        mp.Message.assistant("Let me check.", tool_calls=[call]),
        mp.Message.tool("call_a", "sunny in Paris for 1 day(s)"),
        mp.Message.assistant("It is sunny in Paris."),
        mp.Message(role="developer", content="Answer in one sentence."),
        mp.Message.user("Thanks. Say hello again."),
    ]


def _post(base_url: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    req = urllib.request.Request(
        base_url + "/responses",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


@pytest.mark.peers
def test_llama_rejects_the_untyped_assistant_item(llama_plain: LlamaServer) -> None:
    """The shape the encoder used to send: why every multi-turn history failed (issue 11)."""
    untyped = {
        "model": "tiny",
        "input": [
            {"role": "user", "content": "hi"},
            {"role": "assistant", "content": "Hello"},
            {"role": "user", "content": "again"},
        ],
        "max_output_tokens": 16,
    }
    status, data = _post(llama_plain.base_url, untyped)
    assert status == 400 and "Cannot determine type" in data["error"]["message"]


@pytest.mark.peers
@pytest.mark.parametrize("variant", ["plain", "think"])
@pytest.mark.parametrize("mode", ["sync", "stream", "async"])
def test_llama_replays_a_history_with_assistant_turns_and_tool_calls(
    request: pytest.FixtureRequest, variant: str, mode: str
) -> None:
    server: LlamaServer = request.getfixturevalue(f"llama_{variant}")
    transport = RecordingTransport()
    with llm(server.base_url, transport=transport) as model:
        if mode == "sync":
            r = model.complete(history())
        elif mode == "stream":
            r = next(e.content for e in model.stream(history()) if e.type == "final")
        else:
            r = asyncio.run(model.acomplete(history()))
    assert (r.text, r.stop_reason) == (ANSWER, "stop")
    assert r.reasoning == (" Thinking quietly" if variant == "think" else None)
    (body,) = transport.bodies
    validate_request_body(body)
    assert body["instructions"] == "You are terse."
    assert [(i["type"], i.get("role")) for i in body["input"]] == [
        ("message", "user"),
        ("message", "assistant"),
        ("message", "user"),
        ("message", "assistant"),
        ("function_call", None),
        ("function_call_output", None),
        ("message", "assistant"),
        ("message", "developer"),
        ("message", "user"),
    ]
    assert body["input"][1] == {"type": "message", "role": "assistant", "content": ANSWER}
    assert body["input"][4] == {
        "type": "function_call",
        "call_id": "call_a",
        "name": "lookup_weather",
        "arguments": '{"city": "Paris"}',
    }
    assert body["input"][8]["content"] == [
        {"type": "input_text", "text": "Thanks. Say hello again."}
    ]


@pytest.mark.peers
@pytest.mark.parametrize("variant", ["plain", "think"])
@pytest.mark.parametrize("mode", ["sync", "stream", "async"])
def test_llama_tool_loop_then_next_turn(
    request: pytest.FixtureRequest, variant: str, mode: str
) -> None:
    """A full tool loop with a function tool, then the conversation goes on from its history
    (the assistant's answer included): every request is a valid openai body llama.cpp takes."""
    server: LlamaServer = request.getfixturevalue(f"llama_{variant}")
    transport = RecordingTransport()
    question = mp.Message.user("What is the weather in Paris?")

    async def both_async() -> tuple[mp.Response, mp.Response]:
        first = await model.acomplete([question], tools=[lookup_weather])
        follow = [question, *first.messages, mp.Message.user("Thanks. Say hello.")]
        return first, await model.acomplete(follow, tools=[lookup_weather])

    with llm(server.base_url, transport=transport) as model:
        if mode == "async":
            first, second = asyncio.run(both_async())
        else:
            first = model.complete([question], tools=[lookup_weather])
            follow = [question, *first.messages, mp.Message.user("Thanks. Say hello.")]
            if mode == "sync":
                second = model.complete(follow, tools=[lookup_weather])
            else:
                events = list(model.stream(follow, tools=[lookup_weather]))
                second = next(e.content for e in events if e.type == "final")
    # The first call: tool call, tool result, answer.
    assert [t.name for t in first.tool_calls] == ["lookup_weather"]
    assert first.tool_results[0].error is None
    assert first.tool_results[0].content.startswith("sunny in ")
    assert (first.text, first.stop_reason) == (ANSWER, "stop")
    assert [m.role for m in first.messages] == ["assistant", "tool", "assistant"]
    # The second call answers from a history holding the whole first exchange.
    assert second.text == ANSWER and second.stop_reason == "stop"
    assert not second.tool_calls
    assert len(transport.bodies) == 3
    for body in transport.bodies:
        validate_request_body(body)
    last = transport.bodies[-1]["input"]
    kinds = [(i["type"], i.get("role")) for i in last]
    if variant == "think":  # the recorded output items go back: reasoning before each answer
        assert kinds == [
            ("message", "user"),
            ("reasoning", None),
            ("function_call", None),
            ("function_call_output", None),
            ("reasoning", None),
            ("message", "assistant"),
            ("message", "user"),
        ]
        assert last[5]["id"].startswith("msg_") and last[5]["content"][0]["text"] == ANSWER
    else:
        assert kinds == [
            ("message", "user"),
            ("function_call", None),
            ("function_call_output", None),
            ("message", "assistant"),
            ("message", "user"),
        ]
        assert last[3] == {"type": "message", "role": "assistant", "content": ANSWER}
    call_ids = {
        i["call_id"] for i in last if i["type"] in ("function_call", "function_call_output")
    }
    assert call_ids == {first.tool_calls[0].id}


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
    types = [(i["type"], i.get("role")) for i in second["input"]]
    assert types == [
        ("message", "user"),
        ("reasoning", None),
        ("message", "assistant"),
        ("function_call", None),
        ("function_call_output", None),
    ]
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
    with llm(server.base_url, retry=0) as model, pytest.raises(mp.ModelRequestError):
        list(model.stream("hi", tools=[lookup_weather]))


@requires_corpus
def test_scripted_reset_mid_stream(server: ScriptedServer) -> None:
    sse = recording("responses-stream-reasoning-summary.sse")
    server.add(Fault.reset_mid_stream(Reply.from_file(sse), after_chunks=20))
    with llm(server.base_url, retry=0) as model:
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
    with llm(server.base_url, retry=0) as model, pytest.raises(mp.RateLimitError):
        list(model.stream("hi"))
