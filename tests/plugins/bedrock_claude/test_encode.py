"""Request bodies, thinking shaping and SigV4 signing (no server)."""

from __future__ import annotations

import json

import pytest
from modelport.provider import (
    ConfigurationError,
    ImagePart,
    Message,
    Request,
    TextPart,
    ToolCall,
    ToolSpec,
    WireRequest,
)

from ._bedrock import ACCESS_KEY, MODEL, SECRET_KEY, THINKER, provider


def body(model: str = MODEL, **kw) -> dict:  # type: ignore[no-untyped-def,type-arg]
    kw.setdefault("messages", [Message.user("hi")])
    wire = provider().build_request(Request(model=model, **kw))
    assert wire.body is not None
    return wire.body


def test_url_and_headers() -> None:
    p = provider()
    wire = p.build_request(Request(model=MODEL, messages=[Message.user("hi")]))
    assert wire.url == (
        "https://bedrock-runtime.us-east-1.amazonaws.com/model/"
        "anthropic.claude-3-5-sonnet-20240620-v1%3A0/invoke"
    )
    assert wire.headers["Accept"] == "application/json"
    stream = p.build_request(Request(model=MODEL, messages=[Message.user("hi")], stream=True))
    assert stream.url.endswith("/invoke-with-response-stream")
    assert stream.headers["Accept"] == "application/vnd.amazon.eventstream"
    assert "stream" not in (stream.body or {})
    assert (
        provider("http://127.0.0.1:9/")
        .build_request(Request(model=MODEL, messages=[Message.user("x")]))
        .url.startswith("http://127.0.0.1:9/model/")
    )


def test_arn_model_is_quoted() -> None:
    arn = "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-x:0"
    wire = provider().build_request(Request(model=arn, messages=[Message.user("x")]))
    assert "/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Ainference-profile%2Fus." in (
        wire.url
    )


def test_minimal_body() -> None:
    assert body() == {
        "anthropic_version": "bedrock-2023-05-31",
        "max_tokens": 4096,
        "messages": [{"role": "user", "content": "hi"}],
    }


def test_parameters_and_system() -> None:
    b = body(
        messages=[
            Message.system("be brief"),
            Message(role="developer", content="no emoji"),
            Message.user("hi"),
        ],
        max_tokens=100,
        temperature=0.2,
        top_p=0.9,
        stop=["END"],
        extra_body={"top_k": 5, "temperature": 0.3},
    )
    assert b["system"] == "be brief\n\nno emoji"
    assert (b["max_tokens"], b["temperature"], b["top_p"], b["stop_sequences"]) == (
        100,
        0.2,
        0.9,
        ["END"],
    )
    assert "top_k" not in b  # extras are the core's to merge (test_llm checks the wire)


def test_tools_and_choice() -> None:
    tools = [
        ToolSpec(
            name="get_weather",
            description="Weather",
            parameters={"type": "object", "properties": {"city": {"type": "string"}}},
        )
    ]
    b = body(tools=tools)
    assert b["tools"] == [
        {"name": "get_weather", "description": "Weather", "input_schema": tools[0].parameters}
    ]
    assert "tool_choice" not in b
    assert body(tools=tools, tool_choice="auto")["tool_choice"] == {"type": "auto"}
    assert body(tools=tools, tool_choice="required")["tool_choice"] == {"type": "any"}
    assert body(tools=tools, tool_choice="none")["tool_choice"] == {"type": "none"}
    assert body(tools=tools, tool_choice="get_weather")["tool_choice"] == {
        "type": "tool",
        "name": "get_weather",
    }
    assert body(tools=tools, parallel_tool_calls=False)["tool_choice"] == {
        "type": "auto",
        "disable_parallel_tool_use": True,
    }


def test_images() -> None:
    msg = Message.user(
        [
            TextPart(text="what is this"),
            ImagePart(data="iVBORw0KGgo=", media_type="image/png"),
            ImagePart(url="data:image/jpeg;base64,/9j/4AAQ"),
        ]
    )
    assert body(messages=[msg])["messages"][0]["content"] == [
        {"type": "text", "text": "what is this"},
        {
            "type": "image",
            "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="},
        },
        {
            "type": "image",
            "source": {"type": "base64", "media_type": "image/jpeg", "data": "/9j/4AAQ"},
        },
    ]
    with pytest.raises(ConfigurationError, match="base64"):
        body(messages=[Message.user([ImagePart(url="https://example.com/a.png")])])


def test_tool_loop_history_with_thinking_blocks() -> None:
    thinking = {"type": "thinking", "thinking": "I should call it.", "signature": "SIG=="}
    redacted = {"type": "redacted_thinking", "data": "opaque"}
    history = [
        Message.user("weather in Paris and Rome?"),
        Message(
            role="assistant",
            content="Let me check.",
            tool_calls=[
                ToolCall(id="t1", name="w", arguments='{"city": "Paris"}'),
                ToolCall(id="t2", name="w", arguments='{"city": "Rome"}'),
            ],
            reasoning="I should call it.",
            provider_metadata={
                "thinking_blocks": [thinking, redacted],
                "reasoning_signatures": ["SIG=="],
            },
        ),
        Message.tool("t1", "sunny"),
        Message.tool("t2", "rain"),
        Message.user("and tomorrow?"),
    ]
    msgs = body(messages=history)["messages"]
    assert msgs[1] == {
        "role": "assistant",
        "content": [
            thinking,
            redacted,
            {"type": "text", "text": "Let me check."},
            {"type": "tool_use", "id": "t1", "name": "w", "input": {"city": "Paris"}},
            {"type": "tool_use", "id": "t2", "name": "w", "input": {"city": "Rome"}},
        ],
    }
    assert msgs[2] == {
        "role": "user",
        "content": [
            {"type": "tool_result", "tool_use_id": "t1", "content": "sunny"},
            {"type": "tool_result", "tool_use_id": "t2", "content": "rain"},
            {"type": "text", "text": "and tomorrow?"},
        ],
    }
    assert len(msgs) == 3


def test_thinking_block_rebuilt_from_single_signature() -> None:
    msg = Message(
        role="assistant",
        content="x",
        reasoning="because",
        provider_metadata={"reasoning_signatures": ["S1"]},
    )
    content = body(messages=[Message.user("q"), msg, Message.user("r")])["messages"][1]["content"]
    assert content[0] == {"type": "thinking", "thinking": "because", "signature": "S1"}


@pytest.mark.parametrize(
    ("effort", "budget"), [("low", 1024), ("medium", 4096), ("high", 16384), ("3000", 3000)]
)
def test_reasoning_effort_budget(effort: str, budget: int) -> None:
    b = body(THINKER, reasoning_effort=effort, temperature=0.1, top_p=0.5, max_tokens=100000)
    assert b["thinking"] == {"type": "enabled", "budget_tokens": budget}
    assert "temperature" not in b and "top_p" not in b
    assert b["max_tokens"] == 100000


def test_thinking_raises_max_tokens_above_budget() -> None:
    assert body(THINKER, reasoning_effort="high", max_tokens=1000)["max_tokens"] == 16384 + 1000
    assert body(THINKER, reasoning_effort="high")["max_tokens"] == 16384 + 4096
    assert body(THINKER, reasoning_effort="low")["max_tokens"] == 4096  # above the budget


def test_thinking_off_and_forced_tool() -> None:
    assert "thinking" not in body(THINKER, reasoning_effort="none", temperature=0.5)
    tools = [ToolSpec(name="answer")]
    with pytest.warns(UserWarning, match="cannot think while a tool choice is forced"):
        b = body(THINKER, reasoning_effort="high", tools=tools, tool_choice="answer", temperature=0)
    assert "thinking" not in b and b["temperature"] == 0  # the forced tool wins, said aloud
    with pytest.raises(ConfigurationError, match="reasoning_effort"):
        body(THINKER, reasoning_effort="extreme")


def test_sigv4_headers_and_secret_never_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    monkeypatch.setenv("AWS_SESSION_TOKEN", "canary-TOKEN-abcdef0123456789")
    p = provider()
    wire = p.build_request(Request(model=MODEL, messages=[Message.user("hi")]))
    wire.content = json.dumps(wire.body).encode()
    p.authenticate(wire)
    assert wire.headers["Authorization"].startswith(f"AWS4-HMAC-SHA256 Credential={ACCESS_KEY}/")
    assert "/us-east-1/bedrock/aws4_request" in wire.headers["Authorization"]
    assert wire.headers["X-Amz-Security-Token"] == "canary-TOKEN-abcdef0123456789"
    first = wire.headers["Authorization"]
    p.authenticate(wire)  # re-signing replaces, never duplicates
    assert sum(k.lower() == "authorization" for k in wire.headers) == 1
    assert first.split("Signature=")[0] == wire.headers["Authorization"].split("Signature=")[0]
    for text in (repr(wire), repr(p), repr(p.settings)):
        assert SECRET_KEY not in text and "canary-TOKEN" not in text


def test_missing_region(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    for var in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    from modelport.provider import ProviderSettings
    from modelport_bedrock_claude._provider import BedrockClaudeProvider

    p = BedrockClaudeProvider(ProviderSettings(model=MODEL))
    with pytest.raises(ConfigurationError, match="region"):
        p.build_request(Request(model=MODEL, messages=[Message.user("x")]))
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-3")
    p = BedrockClaudeProvider(ProviderSettings(model=MODEL))
    assert p.base_url == "https://bedrock-runtime.eu-west-3.amazonaws.com"


def test_missing_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    with pytest.raises(ConfigurationError, match="credentials"):
        provider().authenticate(WireRequest("POST", "https://x/model/m/invoke", {}, None, b"{}"))
