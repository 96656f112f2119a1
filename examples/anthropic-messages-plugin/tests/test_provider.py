"""The provider against recorded llama.cpp ``/v1/messages`` traffic, over a real loopback socket.

``modelport.testing.ScriptedServer`` replays the bodies in ``recordings/`` (see ``record.py``),
so these tests need no model server; the same checks against a live llama.cpp run in
modelport's own end-to-end suite.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import modelport as mp
import pytest
from modelport.plugins import PluginHost
from modelport.provider import check_provider_class
from modelport.testing import Reply, ScriptedServer, sse_event
from modelport_anthropic_messages import AnthropicMessagesProvider, AnthropicMessagesStreamDecoder
from modelport_anthropic_messages import plugin as entry_point

RECORDINGS = Path(__file__).parent / "recordings"


def get_weather(city: str) -> str:
    """The current weather in a city."""
    return "sunny"


@pytest.fixture
def host() -> PluginHost:
    """Only this plugin, whether or not the package is installed (no entry-point scan)."""
    plugins = PluginHost(entry_points=False)
    plugins.register(entry_point, name="anthropic-messages")
    return plugins


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    with ScriptedServer() as s:
        yield s


def llm(server: ScriptedServer, host: PluginHost, **kw: object) -> mp.LLM:
    return mp.LLM(
        "anthropic-messages:tiny",
        base_url=server.base_url,
        api_key="sk-ant-test",
        plugins=host,
        cache="never",
        retry=mp.RetryPolicy(max_retries=0),  # each scripted reply answers one attempt
        **kw,  # type: ignore[arg-type]
    )


def final(events: Iterator[mp.StreamEvent]) -> mp.Response:
    response = next(e.content for e in events if e.type == "final")
    assert isinstance(response, mp.Response)
    return response


def test_the_class_carries_the_contract() -> None:
    assert check_provider_class(AnthropicMessagesProvider, "anthropic-messages")


def test_text_and_the_headers_this_api_wants(server: ScriptedServer, host: PluginHost) -> None:
    server.add(Reply.from_file(RECORDINGS / "text.json"))
    with llm(server, host) as model:
        r = model.complete("hi", system="Be brief.", temperature=0, max_tokens=64)
    assert (r.text, r.stop_reason, r.raw_stop_reason) == (
        "Hello from tiny model.",
        "stop",
        "end_turn",
    )
    assert r.usage.input_tokens == 21 and r.usage.output_tokens == 6
    sent = server.requests[0]
    assert sent.path == "/v1/messages"
    assert sent.headers["x-api-key"] == "sk-ant-test"
    assert sent.headers["anthropic-version"] == "2023-06-01"
    assert "authorization" not in sent.headers
    body = sent.json()
    assert body["system"] == "Be brief." and body["temperature"] == 0
    assert body["messages"] == [{"role": "user", "content": [{"type": "text", "text": "hi"}]}]


@pytest.mark.parametrize("name", ["text", "thinking", "tool-use", "tool-result", "length"])
def test_streamed_equals_whole(server: ScriptedServer, host: PluginHost, name: str) -> None:
    server.add(Reply.from_file(RECORDINGS / f"{name}.json"))
    server.add(Reply.from_file(RECORDINGS / f"{name}.sse"))
    with llm(server, host) as model:
        whole = model.complete("hi", tools=[get_weather], tool_exec=False)
        events = list(model.stream("hi", tools=[get_weather], tool_exec=False))
    final = events[-2].content
    assert events[-2].type == "final"
    answer = "".join(e.content for e in events if e.type == "answer")
    assert answer == final.text == whole.text
    assert final.reasoning == whole.reasoning
    assert final.stop_reason == whole.stop_reason
    assert [(c.name, c.parsed_arguments()) for c in final.tool_calls] == [
        (c.name, c.parsed_arguments()) for c in whole.tool_calls
    ]


def test_thinking_is_reasoning(server: ScriptedServer, host: PluginHost) -> None:
    server.add(Reply.from_file(RECORDINGS / "thinking.sse"))
    with llm(server, host) as model:
        events = list(model.stream("hi"))
    assert "".join(e.content for e in events if e.type == "reasoning") == " Thinking quietly"
    assert events[-2].content.text == "Hello from tiny model."


def test_a_tool_call_round_trip(server: ScriptedServer, host: PluginHost) -> None:
    server.add(Reply.from_file(RECORDINGS / "tool-use.sse"))
    server.add(Reply.from_file(RECORDINGS / "tool-result.sse"))
    with llm(server, host) as model:
        r = final(model.stream("weather?", tools=[get_weather]))
    assert r.text == "Hello from tiny model."
    assert [t.content for t in r.tool_results] == ["sunny"]
    second = server.requests[1].json()["messages"]
    assert [m["role"] for m in second] == ["user", "assistant", "user"]
    call = second[1]["content"][0]
    assert call["type"] == "tool_use" and call["name"] == "get_weather"
    assert isinstance(call["input"], dict)
    assert second[2]["content"] == [
        {"type": "tool_result", "tool_use_id": call["id"], "content": "sunny"}
    ]


def test_a_thinking_signature_goes_back_unchanged(server: ScriptedServer, host: PluginHost) -> None:
    """Claude signs its thinking; the next turn of a tool loop must carry the block as sent."""

    def delta(index: int, **fields: str) -> dict[str, Any]:
        return {"type": "content_block_delta", "index": index, "delta": fields}

    tool = {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {}}
    events: list[dict[str, Any]] = [
        {"type": "message_start", "message": {"id": "msg_1", "model": "m", "usage": {}}},
        {"type": "content_block_start", "index": 0, "content_block": {"type": "thinking"}},
        delta(0, type="thinking_delta", thinking="hm"),
        delta(0, type="signature_delta", signature="c2ln"),
        {"type": "content_block_stop", "index": 0},
        {"type": "content_block_start", "index": 1, "content_block": tool},
        delta(1, type="input_json_delta", partial_json='{"city": "Paris"}'),
        {"type": "content_block_stop", "index": 1},
        {"type": "message_delta", "delta": {"stop_reason": "tool_use"}, "usage": {}},
        {"type": "message_stop"},
    ]
    server.add(Reply.sse([sse_event(e, event=e["type"]) for e in events]))
    server.add(Reply.from_file(RECORDINGS / "tool-result.json"))
    with llm(server, host) as model:
        r = final(model.stream("weather?", tools=[get_weather], reasoning_effort="low"))
    assert r.text == "Hello from tiny model."
    turn = server.requests[1].json()["messages"][1]["content"]
    assert turn[0] == {"type": "thinking", "thinking": "hm", "signature": "c2ln"}
    assert turn[1]["type"] == "tool_use" and turn[1]["input"] == {"city": "Paris"}
    assert server.requests[0].json()["thinking"] == {"type": "enabled", "budget_tokens": 1024}


def test_errors_are_typed(server: ScriptedServer, host: PluginHost) -> None:
    overloaded = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
    server.add(Reply.json((RECORDINGS / "context-window-error-400.json").read_bytes(), status=400))
    server.add(Reply.status(529, overloaded))
    server.add(Reply.sse([sse_event(overloaded, event="error")]))
    server.add(Reply.json({"type": "error", "error": {"type": "rate_limit_error", "message": "x"}}))
    with llm(server, host) as model:
        with pytest.raises(mp.ContextWindowExceededError):
            model.complete("hi")
        with pytest.raises(mp.ProviderServerError):
            model.complete("hi")
        with pytest.raises(mp.ProviderServerError, match="Overloaded"):
            list(model.stream("hi"))
        with pytest.raises(mp.RateLimitError):
            model.complete("hi")


def test_a_stream_cut_short_is_an_error(server: ScriptedServer, host: PluginHost) -> None:
    recorded = (RECORDINGS / "text.sse").read_bytes()
    server.add(Reply.sse([recorded[: recorded.index(b"event: message_stop")]]))
    with llm(server, host) as model, pytest.raises(mp.IncompleteStreamError):
        list(model.stream("hi"))


def test_any_chunking_gives_the_same_deltas() -> None:
    for name in ("thinking.sse", "tool-use.sse"):
        data = (RECORDINGS / name).read_bytes()
        whole = AnthropicMessagesStreamDecoder(model="tiny")
        expected = whole.feed(data) + whole.close()
        for size in (1, 7, 64):
            decoder = AnthropicMessagesStreamDecoder(model="tiny")
            got = [d for i in range(0, len(data), size) for d in decoder.feed(data[i : i + size])]
            assert got + decoder.close() == expected


def test_unknown_reasoning_effort_is_a_configuration_error(
    server: ScriptedServer, host: PluginHost
) -> None:
    with llm(server, host) as model, pytest.raises(mp.ConfigurationError, match="reasoning_effort"):
        model.complete("hi", reasoning_effort="extreme")
    assert json.dumps([r.path for r in server.requests]) == "[]"
