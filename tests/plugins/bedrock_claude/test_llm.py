"""End to end through ``modelport.LLM("bedrock-claude:...")`` against a scripted Bedrock server
on loopback that verifies every request's SigV4 signature and speaks event-stream framing."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import Iterator

import modelport as mp
import pytest
from modelport.provider import ProviderProtocolError
from modelport.testing import Fault, Reply, ScriptedServer

from ._bedrock import (
    ACCESS_KEY,
    MODEL,
    SECRET_KEY,
    THINKER,
    chunk_frame,
    exception_frame,
    frame,
    message_events,
    recording,
    requires_corpus,
)
from ._signed import SignedEndpoint, aws_error

pytestmark = requires_corpus

EVENTSTREAM = "application/vnd.amazon.eventstream"


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    for var in ("AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture
def bedrock(aws_env: None) -> Iterator[SignedEndpoint]:
    with ScriptedServer() as server:
        endpoint = SignedEndpoint(server)
        yield endpoint
        assert endpoint.problems == []


def llm(endpoint: SignedEndpoint, model: str = MODEL, **kw: object) -> mp.LLM:
    kw.setdefault("cache", "never")
    return mp.LLM(  # type: ignore[arg-type]
        f"bedrock-claude:{model}",
        base_url=endpoint.server.url,
        options={"region": "us-east-1"},
        retry=mp.RetryPolicy(max_retries=2, backoff_base=0.01, jitter=0),
        **kw,
    )


def events_reply(events: list[dict]) -> Reply:  # type: ignore[type-arg]
    return Reply.raw(200, content_type=EVENTSTREAM, chunks=[chunk_frame(e) for e in events])


def no_secret(*things: object) -> None:
    for thing in things:
        assert SECRET_KEY not in str(thing) and SECRET_KEY not in repr(thing)


def test_complete(bedrock: SignedEndpoint) -> None:
    bedrock.add(
        Reply.from_file(recording("invoke-text.json"), headers={"x-amzn-RequestId": "20a78996"})
    )
    with llm(bedrock) as model:
        r = model.complete(
            "Tell me a joke about OpenTelemetry", system="Be funny.", max_tokens=1024
        )
        no_secret(model, r)
    assert r.text.endswith("tripped up by all the Spans!")
    assert (r.usage.input_tokens, r.usage.output_tokens, r.stop_reason) == (17, 50, "stop")
    assert bedrock.bodies == [
        {
            "anthropic_version": "bedrock-2023-05-31",
            "max_tokens": 1024,
            "system": "Be funny.",
            "messages": [{"role": "user", "content": "Tell me a joke about OpenTelemetry"}],
        }
    ]
    req = bedrock.server.requests[0]
    assert req.path == "/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/invoke"
    assert req.headers["accept"] == "application/json"


def test_request_id_from_x_amzn_request_id(bedrock: SignedEndpoint) -> None:
    rid = "5e2d3a1f-0000-4c5b-9d8e-request-id"
    bedrock.add(
        Reply.from_file(recording("invoke-text.json"), headers={"x-amzn-RequestId": rid}),
        Reply.from_file(recording("stream-text.bin"), headers={"X-Amzn-RequestId": rid + "-s"}),
    )
    with llm(bedrock) as model:
        whole = model.complete("joke")
        events = list(model.stream("joke"))
    streamed = next(e.content for e in events if e.type == "final")
    assert (whole.request_id, streamed.request_id) == (rid, rid + "-s")


def test_extras_reach_the_wire_and_are_signed(bedrock: SignedEndpoint) -> None:
    """The core merges ``extra_body`` / ``extra_headers`` before ``authenticate``: the
    signature covers them, and the caller's Accept replaces the default one."""
    bedrock.add(Reply.from_file(recording("invoke-text.json")))
    with llm(bedrock) as model:
        model.complete(
            "joke",
            max_tokens=64,
            extra_body={"top_k": 5, "max_tokens": 32},
            extra_headers={"X-Amzn-Bedrock-Trace": "ENABLED", "accept": "*/*"},
        )
    [body] = bedrock.bodies
    assert (body["top_k"], body["max_tokens"]) == (5, 32)
    [req] = bedrock.server.requests
    assert req.headers["x-amzn-bedrock-trace"] == "ENABLED" and req.headers["accept"] == "*/*"
    signed = req.headers["authorization"].split("SignedHeaders=")[1].split(",")[0].split(";")
    assert {"accept", "content-type", "x-amzn-bedrock-trace"} <= set(signed)


def test_stream_recording(bedrock: SignedEndpoint) -> None:
    bedrock.add(Reply.from_file(recording("stream-parallel-tool-use.bin")))
    with llm(bedrock) as model:
        events = list(model.stream("weather and population of SF?", tool_exec=False))
    answer = "".join(e.content for e in events if e.type == "answer")
    final = next(e.content for e in events if e.type == "final")
    assert answer == final.text and answer.startswith("Of course! I'd be happy")
    assert [c.name for c in final.tool_calls] == [
        "get_current_weather_info",
        "get_current_population_info",
    ]
    assert (final.usage.input_tokens, final.usage.output_tokens) == (702, 130)
    req = bedrock.server.requests[0]
    assert req.path.endswith("/invoke-with-response-stream")
    assert req.headers["accept"] == EVENTSTREAM


def test_async_stream(bedrock: SignedEndpoint) -> None:
    bedrock.add(Reply.from_file(recording("stream-text.bin")))

    async def run() -> str:
        async with llm(bedrock) as model:
            parts = [e.content async for e in model.astream("joke") if e.type == "answer"]
        return "".join(parts)

    assert asyncio.run(run()).endswith("To get to the other service!")


def get_weather(city: str) -> str:
    """Current weather.

    Args:
        city: City name.
    """
    return f"sunny in {city}"


THINKING = {
    "type": "thinking",
    "thinking": "The user wants weather. Call get_weather.",
    "signature": "EqQBCkgIARABGAIiQL0sig+/abc==",
}


@pytest.mark.parametrize("streamed", [False, True])
def test_tool_loop_sends_thinking_back_unchanged(bedrock: SignedEndpoint, streamed: bool) -> None:
    first = {
        "id": "msg_bdrk_1",
        "type": "message",
        "role": "assistant",
        "model": "claude-3-7-sonnet",
        "content": [
            THINKING,
            {
                "type": "tool_use",
                "id": "toolu_bdrk_1",
                "name": "get_weather",
                "input": {"city": "Paris"},
            },
        ],
        "stop_reason": "tool_use",
        "stop_sequence": None,
        "usage": {"input_tokens": 50, "output_tokens": 30},
    }
    second = {
        **first,
        "id": "msg_bdrk_2",
        "content": [{"type": "text", "text": "It is sunny in Paris."}],
        "stop_reason": "end_turn",
        "usage": {"input_tokens": 90, "output_tokens": 8},
    }
    if streamed:
        bedrock.add(events_reply(message_events(first)), events_reply(message_events(second)))
    else:
        bedrock.add(Reply.json(first), Reply.json(second))
    with llm(bedrock, THINKER, reasoning_effort="low") as model:
        if streamed:
            events = list(model.stream("Weather in Paris?", tools=[get_weather]))
            r = next(e.content for e in events if e.type == "final")
        else:
            r = model.complete("Weather in Paris?", tools=[get_weather])
    assert r.text == "It is sunny in Paris."
    assert len(bedrock.bodies) == 2
    b1, b2 = bedrock.bodies
    assert b1["thinking"] == {"type": "enabled", "budget_tokens": 1024}
    assistant, results = b2["messages"][1], b2["messages"][2]
    assert assistant == {
        "role": "assistant",
        "content": [
            THINKING,
            {
                "type": "tool_use",
                "id": "toolu_bdrk_1",
                "name": "get_weather",
                "input": {"city": "Paris"},
            },
        ],
    }
    assert results["role"] == "user"
    assert results["content"][0]["type"] == "tool_result"
    assert results["content"][0]["tool_use_id"] == "toolu_bdrk_1"
    assert "sunny in Paris" in json.dumps(results["content"][0]["content"])


def test_throttling_is_retried(bedrock: SignedEndpoint) -> None:
    bedrock.add(
        aws_error(
            429, "ThrottlingException", "Too many requests, please wait before trying again."
        ),
        Reply.from_file(recording("invoke-text.json")),
    )
    with llm(bedrock) as model:
        r = model.complete("joke")
    assert r.attempts == 2 and r.usage.output_tokens == 50
    a, b = bedrock.server.requests
    assert a.headers["authorization"] and b.headers["authorization"]


def test_throttling_gives_up(bedrock: SignedEndpoint) -> None:
    for _ in range(3):
        bedrock.add(aws_error(429, "ThrottlingException", "Too many tokens, please wait."))
    with llm(bedrock) as model, pytest.raises(mp.RateLimitError) as info:
        model.complete("joke")
    assert info.value.status == 429 and info.value.request_id == "req-0000-test"
    no_secret(info.value)


def test_exception_frame_mid_stream(bedrock: SignedEndpoint) -> None:
    head = message_events(
        {
            "id": "m",
            "model": "c",
            "content": [{"type": "text", "text": "Hi"}],
            "stop_reason": "end_turn",
            "usage": {},
        }
    )[:3]
    bedrock.add(
        Reply.raw(
            200,
            content_type=EVENTSTREAM,
            chunks=[
                *(chunk_frame(e) for e in head),
                exception_frame("throttlingException", "Too many requests, please wait."),
            ],
        )
    )
    with llm(bedrock) as model, pytest.raises(mp.RateLimitError) as info:
        list(model.stream("hi"))
    assert info.value.code == "throttlingException"
    no_secret(info.value)


def test_exception_frame_before_output_is_retried(bedrock: SignedEndpoint) -> None:
    bedrock.add(
        Reply.raw(
            200,
            content_type=EVENTSTREAM,
            chunks=[exception_frame("modelStreamErrorException", "try again")],
        ),
        Reply.from_file(recording("stream-text.bin")),
    )
    with llm(bedrock) as model:
        events = list(model.stream("joke"))
    final = next(e.content for e in events if e.type == "final")
    assert final.text.endswith("other service!") and final.attempts == 2


def test_truncated_stream(bedrock: SignedEndpoint) -> None:
    bedrock.add(
        Fault.close_mid_stream(Reply.from_file(recording("stream-text.bin")), after_chunks=5)
    )
    with llm(bedrock) as model, pytest.raises(mp.ModelRequestError):
        list(model.stream("joke"))  # connection closed mid-body: a typed error
    # a body that ends cleanly but before message_stop is a protocol error, never a silent loss
    frames = Reply.from_file(recording("stream-text.bin")).chunks or ()
    bedrock.add(Reply.raw(200, content_type=EVENTSTREAM, chunks=list(frames[:-1])))
    with llm(bedrock) as model, pytest.raises(ProviderProtocolError, match="message_stop"):
        list(model.stream("joke"))


def test_bad_signature_rejected(aws_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wrong-secret-wrong-secret-1234")
    with ScriptedServer() as server:
        endpoint = SignedEndpoint(server)
        with llm(endpoint) as model, pytest.raises(mp.AuthenticationError) as info:
            model.complete("hi")
        assert endpoint.problems == ["signature mismatch"]
    assert info.value.status == 403 and info.value.code == "InvalidSignatureException"
    assert "wrong-secret" not in str(info.value)


def test_http_validation_error_on_stream(bedrock: SignedEndpoint) -> None:
    bedrock.add(
        Reply.from_file(
            recording("error-400-validation-invalid-model-stream.json"),
            status=400,
            headers={
                "x-amzn-ErrorType": "ValidationException:http://internal.amazon.com/coral/com.amazon.bedrock/"
            },
        )
    )
    with llm(bedrock) as model, pytest.raises(mp.ModelRequestError) as info:
        list(model.stream("hi"))
    assert isinstance(info.value, mp.ModelNotFoundError)  # "model identifier is invalid"
    assert (info.value.status, info.value.code) == (400, "ValidationException")


def test_reasoning_effort_shaping_on_the_wire(bedrock: SignedEndpoint) -> None:
    bedrock.add(Reply.from_file(recording("anthropic-api-equivalent/messages-thinking.json")))
    with llm(bedrock, THINKER) as model:
        r = model.complete(
            "How many r in strawberry?",
            reasoning_effort="medium",
            temperature=0.2,
            top_p=0.8,
            max_tokens=2000,
        )
    [b] = bedrock.bodies
    assert b["thinking"] == {"type": "enabled", "budget_tokens": 4096}
    assert b["max_tokens"] == 4096 + 2000
    assert "temperature" not in b and "top_p" not in b
    assert r.reasoning is not None and r.reasoning.startswith("Let me count")


def test_structured_output_uses_forced_tool(bedrock: SignedEndpoint) -> None:
    answer = {
        "id": "m",
        "type": "message",
        "role": "assistant",
        "model": "c",
        "content": [
            {"type": "tool_use", "id": "t", "name": "Person", "input": {"name": "Ada", "age": 36}}
        ],
        "stop_reason": "tool_use",
        "usage": {"input_tokens": 5, "output_tokens": 5},
    }
    bedrock.add(Reply.json(answer))
    schema = {
        "title": "Person",
        "type": "object",
        "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
        "required": ["name", "age"],
    }
    with llm(bedrock) as model:
        r = model.complete("Ada, 36", response_format=schema)
    assert r.structured == {"name": "Ada", "age": 36}
    [b] = bedrock.bodies
    assert b["tool_choice"]["type"] == "tool"
    assert b["tool_choice"]["name"] == b["tools"][0]["name"]


def test_import_does_not_import_botocore() -> None:
    code = (
        "import sys, modelport, modelport_bedrock_claude, modelport_bedrock_claude.plugin\n"
        "from modelport_bedrock_claude import BedrockClaudeProvider\n"
        "m = modelport.LLM('bedrock-claude:anthropic.claude-3-5-sonnet-20240620-v1:0', "
        "options={'region': 'us-east-1'})\n"
        "assert 'botocore' not in sys.modules, 'botocore imported'\n"
        "print(type(m.provider).__name__)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "BedrockClaudeProvider"


def test_frame_encoder_matches_botocore() -> None:
    from botocore.eventstream import EventStreamBuffer

    buf = EventStreamBuffer()
    buf.add_data(frame({":message-type": "event", ":event-type": "chunk"}, b'{"bytes":""}'))
    [msg] = list(buf)
    assert msg.headers == {":message-type": "event", ":event-type": "chunk"}
    assert msg.payload == b'{"bytes":""}'
