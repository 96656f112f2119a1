"""The mapping from modelport's types to the conventions' attribute values."""

from __future__ import annotations

import json

import modelport as mp
from modelport.provider import ImagePart, Message, Request, TextPart, ToolCall
from modelport_otel._attributes import (
    input_messages,
    output_messages,
    provider_name,
    request_attributes,
    server_of,
    tool_result_text,
)


def test_provider_names() -> None:
    assert provider_name("openai-chat") == provider_name("openai-responses") == "openai"
    assert provider_name("bedrock-claude") == "aws.bedrock"
    assert provider_name("lmstudio") == "lmstudio"  # no well-known value: its own name


def test_only_the_parameters_that_were_set() -> None:
    request = Request(model="m", messages=[], temperature=0.0, stop=["END"], seed=7)
    assert request_attributes(request) == {
        "gen_ai.request.temperature": 0.0,
        "gen_ai.request.seed": 7,
        "gen_ai.request.stop_sequences": ["END"],
    }
    assert request_attributes(Request(model="m", messages=[])) == {}


def test_server_address_and_port() -> None:
    assert server_of("https://api.openai.com/v1/chat") == ("api.openai.com", 443)
    assert server_of("http://10.0.0.1/v1") == ("10.0.0.1", 80)
    assert server_of("http://[::1]:8080/v1") == ("::1", 8080)
    assert server_of("not a url") is None
    assert server_of("http://h:99999/") is None  # a port out of range


def test_messages_in_the_conventions_shape() -> None:
    call = ToolCall(id="c1", name="look", arguments='{"q": 1}')
    request = Request(
        model="m",
        messages=[
            Message(role="system", content="Be brief."),
            Message(
                role="user",
                content=[
                    TextPart(text="What is this?"),
                    ImagePart(data="aGVsbG8=", media_type="image/png"),
                ],
            ),
            Message(role="assistant", tool_calls=[call]),
            Message(role="tool", tool_call_id="c1", content="found"),
        ],
    )
    system, messages = input_messages(request)
    assert json.loads(system or "") == [{"type": "text", "content": "Be brief."}]
    assert json.loads(messages) == [
        {
            "role": "user",
            "parts": [
                {"type": "text", "content": "What is this?"},
                {"type": "blob", "modality": "image"},  # never the bytes
            ],
        },
        {
            "role": "assistant",
            "parts": [{"type": "tool_call", "id": "c1", "name": "look", "arguments": '{"q": 1}'}],
        },
        {
            "role": "tool",
            "parts": [{"type": "tool_call_response", "id": "c1", "response": "found"}],
        },
    ]


def test_output_messages_and_tool_results() -> None:
    response = mp.Response(text="Hi.", reasoning="thought", stop_reason="stop")
    (message,) = json.loads(output_messages(response))
    assert message == {
        "role": "assistant",
        "parts": [{"type": "reasoning", "content": "thought"}, {"type": "text", "content": "Hi."}],
        "finish_reason": "stop",
    }
    assert tool_result_text(mp.ToolResult(tool_call_id="c", name="t", content={"a": 1})) == (
        '{"a": 1}'
    )
    failed = mp.ToolResult(tool_call_id="c", name="t", error="boom")
    assert tool_result_text(failed) == "boom"
