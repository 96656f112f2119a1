"""Message content only when turned on; credentials never, on any span, event or metric."""

from __future__ import annotations

import json

import modelport as mp
import modelport_otel
import pytest
from modelport.testing import Fault, Reply, ScriptedServer

from .conftest import Otel, chat_reply, stream_reply, tool_call_reply

CANARY = "sk-canary-otel-0123456789abcdef"


def lookup(city: str) -> str:
    """The weather in a city."""
    return f"sunny in {city}"


def test_content_is_off_by_default(otel: Otel, server: ScriptedServer) -> None:
    server.add(tool_call_reply("lookup", '{"city": "Paris"}'), chat_reply("It is sunny."))
    with mp.LLM("openai-chat:m", base_url=server.base_url, api_key="k") as llm:
        llm.complete("Weather in Paris?", tools=[lookup])
    for span in otel.spans():
        text = json.dumps(dict(span.attributes or {}))
        assert "Paris" not in text and "sunny" not in text, span.name


@pytest.mark.parametrize("how", ["env", "configure"])
def test_content_when_turned_on(
    otel: Otel, server: ScriptedServer, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    if how == "env":
        monkeypatch.setenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "true")
    else:
        modelport_otel.configure(
            capture_content=True,
            tracer_provider=otel.tracer_provider,
            meter_provider=modelport_otel._settings.settings.meter_provider,
        )
    server.add(tool_call_reply("lookup", '{"city": "Paris"}'), chat_reply("It is sunny."))
    with mp.LLM("openai-chat:m", base_url=server.base_url, api_key="k") as llm:
        llm.complete("Weather in Paris?", system="Be brief.", tools=[lookup])
    (call,) = otel.named("chat ")
    attrs = dict(call.attributes or {})
    assert json.loads(str(attrs["gen_ai.system_instructions"])) == [
        {"type": "text", "content": "Be brief."}
    ]
    inputs = json.loads(str(attrs["gen_ai.input.messages"]))
    assert inputs == [{"role": "user", "parts": [{"type": "text", "content": "Weather in Paris?"}]}]
    turns = json.loads(str(attrs["gen_ai.output.messages"]))
    assert [t["role"] for t in turns] == ["assistant", "tool", "assistant"]
    assert turns[0]["parts"] == [
        {"type": "tool_call", "id": "call_1", "name": "lookup", "arguments": '{"city": "Paris"}'}
    ]
    assert turns[1]["parts"] == [
        {"type": "tool_call_response", "id": "call_1", "response": "sunny in Paris"}
    ]
    assert turns[2]["parts"] == [{"type": "text", "content": "It is sunny."}]
    assert turns[2]["finish_reason"] == "stop" and "finish_reason" not in turns[0]
    (tool,) = otel.named("execute_tool ")
    tool_attrs = dict(tool.attributes or {})
    assert json.loads(str(tool_attrs["gen_ai.tool.call.arguments"])) == {"city": "Paris"}
    assert tool_attrs["gen_ai.tool.call.result"] == "sunny in Paris"


def test_the_env_var_false_keeps_content_off(
    otel: Otel, server: ScriptedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "false")
    server.add(chat_reply())
    with mp.LLM("openai-chat:m", base_url=server.base_url, api_key="k") as llm:
        llm.complete("secret plans")
    (call,) = otel.named("chat ")
    assert "gen_ai.input.messages" not in dict(call.attributes or {})


def test_no_span_or_metric_holds_the_key(
    otel: Otel, server: ScriptedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Content on, errors that echo the key, retries, a key in the URL's query, a stream cut
    mid-way, a tool loop: the canary appears nowhere in what is exported."""
    monkeypatch.setenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "true")
    echo = {"error": {"message": f"Incorrect API key provided: {CANARY}"}}
    server.add(Reply.status(500, echo), Reply.status(401, echo))
    server.add(Fault.reset_mid_stream(stream_reply(["a", "b", "c", "d"]), after_chunks=2))
    server.add(tool_call_reply("lookup", '{"city": "Oslo"}'), chat_reply("done"))
    base = f"{server.base_url.replace('http://', f'http://user:{CANARY}@')}"
    with mp.LLM(
        "openai-chat:m",
        base_url=base,
        api_key=CANARY,
        retry=1,
        extra_headers={"x-api-key": CANARY},
    ) as llm:
        with pytest.raises(mp.AuthenticationError):
            llm.complete("hi")
        with pytest.raises(mp.LLMError):
            list(llm.stream("hi"))
        llm.complete("weather?", tools=[lookup])
    spans = otel.spans()
    assert len(otel.named("chat ")) == 3 and otel.named("execute_tool ")
    for span in spans:
        dump = span.to_json()
        assert CANARY not in dump and CANARY[-8:] not in dump, span.name
        assert "user:" not in dump, span.name
    data = otel.reader.get_metrics_data()
    assert data is not None
    dump = data.to_json()
    assert "gen_ai.client.operation.duration" in dump
    assert CANARY not in dump and CANARY[-8:] not in dump
