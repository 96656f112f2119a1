"""Request bodies: exact shapes, and validity against openai's own ``ResponseCreateParams``."""

from __future__ import annotations

from typing import Any

import modelport as mp
import pytest
from hypothesis import given
from hypothesis import strategies as st
from modelport._errors import ConfigurationError
from modelport._messages import ImagePart, Message, TextPart, ToolCall
from modelport._request import Request, ResponseFormat, ToolSpec
from modelport.testing import shaped_request
from modelport_openai_responses._decode import ITEMS_KEY

from ._helpers import FAST, provider
from ._schema import validate_request_body

TOOL = ToolSpec(
    name="add",
    description="Add two numbers.",
    parameters={"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]},
)


def body(request: Request, **options: Any) -> dict[str, Any]:
    wire = provider(**options).build_request(request)
    assert wire.body is not None
    validate_request_body(wire.body)
    return wire.body


def test_url_headers_and_minimal_body() -> None:
    p = provider()
    wire = p.build_request(Request(model="gpt-5", messages=[Message.user("hi")], stream=True))
    assert wire.method == "POST" and wire.url == "https://api.openai.com/v1/responses"
    assert wire.headers["Accept"] == "text/event-stream"
    assert wire.body == {
        "model": "gpt-5",
        "input": [
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "hi"}]}
        ],
        "stream": True,
    }
    with mp.LLM("openai-responses:m", base_url="http://127.0.0.1:9/v1/") as llm:
        local = shaped_request(
            llm, "x", extra_headers={"accept": "x/y"}, extra_body={"store": False, "top_p": 1}
        )
    assert local.url == "http://127.0.0.1:9/v1/responses"
    assert local.headers == {"Content-Type": "application/json", "accept": "x/y"}
    assert local.body is not None
    assert local.body["store"] is False and local.body["top_p"] == 1  # the caller's extras win


def test_full_request_body() -> None:
    messages = [
        Message.system("Be terse."),
        Message(role="developer", content="Use tools."),
        Message.user(
            [
                TextPart(text="What is this?"),
                ImagePart(url="https://x/cat.png", detail="low"),
                ImagePart(data="AAAA", media_type="image/jpeg"),
            ]
        ),
        Message.assistant(
            "Let me add.", tool_calls=[ToolCall(id="call_1", name="add", arguments="")]
        ),
        Message.tool("call_1", "3"),
        Message.system("Late system note."),
    ]
    b = body(
        Request(
            model="gpt-5",
            messages=messages,
            tools=[TOOL],
            tool_choice="add",
            parallel_tool_calls=False,
            response_format=ResponseFormat(name="Answer", schema={"type": "object"}),
            temperature=0,
            top_p=0.5,
            max_tokens=64,
            reasoning_effort="low",
            user="u1",
        ),
        reasoning_summary="auto",
        include_encrypted_reasoning=True,
    )
    assert b == {
        "model": "gpt-5",
        "instructions": "Be terse.",
        "input": [
            {
                "type": "message",
                "role": "developer",
                "content": [{"type": "input_text", "text": "Use tools."}],
            },
            {
                "type": "message",
                "role": "user",
                "content": [
                    {"type": "input_text", "text": "What is this?"},
                    {"type": "input_image", "image_url": "https://x/cat.png", "detail": "low"},
                    {
                        "type": "input_image",
                        "image_url": "data:image/jpeg;base64,AAAA",
                        "detail": "auto",
                    },
                ],
            },
            {"type": "message", "role": "assistant", "content": "Let me add."},
            {"type": "function_call", "call_id": "call_1", "name": "add", "arguments": "{}"},
            {"type": "function_call_output", "call_id": "call_1", "output": "3"},
            {
                "type": "message",
                "role": "system",
                "content": [{"type": "input_text", "text": "Late system note."}],
            },
        ],
        "temperature": 0,
        "top_p": 0.5,
        "max_output_tokens": 64,
        "reasoning": {"effort": "low", "summary": "auto"},
        "include": ["reasoning.encrypted_content"],
        "user": "u1",
        "tools": [
            {
                "type": "function",
                "name": "add",
                "description": "Add two numbers.",
                "parameters": TOOL.parameters,
                "strict": False,
            }
        ],
        "tool_choice": {"type": "function", "name": "add"},
        "parallel_tool_calls": False,
        "text": {
            "format": {
                "type": "json_schema",
                "name": "Answer",
                "schema": {"type": "object"},
                "strict": True,
            }
        },
    }


def test_system_as_items_when_instructions_are_off() -> None:
    b = body(
        Request(model="m", messages=[Message.system("s"), Message.user("u")]), instructions=False
    )
    assert "instructions" not in b and b["input"][0] == {
        "type": "message",
        "role": "system",
        "content": [{"type": "input_text", "text": "s"}],
    }


def test_tool_choice_without_tools_is_not_sent() -> None:
    b = body(Request(model="m", messages=[Message.user("u")], tool_choice="required"))
    assert "tool_choice" not in b


@pytest.mark.parametrize("name", ["stop", "seed", "presence_penalty", "frequency_penalty"])
def test_parameters_the_api_lacks_are_configuration_errors(name: str) -> None:
    value: Any = ["x"] if name == "stop" else 1
    with pytest.raises(ConfigurationError, match=name):
        provider().build_request(Request(model="m", messages=[Message.user("u")], **{name: value}))


def test_bad_messages_are_configuration_errors() -> None:
    with pytest.raises(ConfigurationError, match="tool_call_id"):
        body(Request(model="m", messages=[Message(role="tool", content="x")]))
    with pytest.raises(ConfigurationError, match="ImagePart"):
        body(Request(model="m", messages=[Message(role="system", content=[ImagePart(url="u")])]))


def test_every_message_is_a_typed_item() -> None:
    """llama.cpp answers 400 "Cannot determine type of 'item'" for an untyped assistant turn."""
    b = body(
        Request(
            model="m",
            messages=[
                Message.user("q"),
                Message.assistant("a"),
                Message(role="user", content=None),
                Message.assistant(None, tool_calls=[ToolCall(id="c", name="f", arguments="{}")]),
                Message.tool("c", "r"),
            ],
        )
    )
    assert b["input"] == [
        {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "q"}]},
        {"type": "message", "role": "assistant", "content": "a"},
        {"type": "message", "role": "user", "content": [{"type": "input_text", "text": ""}]},
        {"type": "function_call", "call_id": "c", "name": "f", "arguments": "{}"},
        {"type": "function_call_output", "call_id": "c", "output": "r"},
    ]


def test_tool_results_with_images_are_parts() -> None:
    result = Message(
        role="tool",
        tool_call_id="c",
        content=[TextPart(text="the chart:"), ImagePart(data="AAAA", media_type="image/png")],
    )
    text_only = Message(
        role="tool", tool_call_id="d", content=[TextPart(text="a"), TextPart(text="b")]
    )
    b = body(Request(model="m", messages=[Message.user("q"), result, text_only]))
    assert b["input"][1]["output"] == [
        {"type": "input_text", "text": "the chart:"},
        {"type": "input_image", "image_url": "data:image/png;base64,AAAA", "detail": "auto"},
    ]
    assert b["input"][2]["output"] == "ab"


def _replayed(text: str | None, calls: list[ToolCall]) -> Message:
    items = [
        {"type": "reasoning", "id": "rs_1", "summary": [], "encrypted_content": "enc"},
        {
            "type": "message",
            "id": "msg_1",
            "role": "assistant",
            "status": "completed",
            "content": [{"type": "output_text", "text": "Checking.", "annotations": []}],
        },
        {
            "type": "function_call",
            "id": "fc_1",
            "call_id": "call_1",
            "name": "add",
            "arguments": '{"a":1}',
            "status": "completed",
        },
    ]
    return Message.assistant(text, tool_calls=calls, provider_metadata={ITEMS_KEY: items})


def test_reasoning_items_are_replayed_in_order_with_ids() -> None:
    call = ToolCall(id="call_1", name="add", arguments='{"a":1}')
    b = body(Request(model="m", messages=[Message.user("q"), _replayed("Checking.", [call])]))
    assert b["input"][1:] == [
        {"type": "reasoning", "id": "rs_1", "summary": [], "encrypted_content": "enc"},
        {
            "type": "message",
            "id": "msg_1",
            "role": "assistant",
            "status": "completed",
            "content": [{"type": "output_text", "text": "Checking.", "annotations": []}],
        },
        {
            "type": "function_call",
            "call_id": "call_1",
            "name": "add",
            "arguments": '{"a":1}',
            "id": "fc_1",
        },
    ]


def test_edited_text_is_sent_as_a_plain_message_in_place() -> None:
    call = ToolCall(id="call_1", name="add", arguments='{"a":2}')
    extra = ToolCall(id="call_2", name="add", arguments="{}")
    b = body(Request(model="m", messages=[Message.user("q"), _replayed("Edited.", [call, extra])]))
    assert [i["type"] for i in b["input"][1:]] == [
        "reasoning",
        "message",
        "function_call",
        "function_call",
    ]
    assert b["input"][2] == {"type": "message", "role": "assistant", "content": "Edited."}
    assert b["input"][3]["arguments"] == '{"a":2}' and b["input"][4]["call_id"] == "call_2"


_text = st.text(max_size=20)
_messages = st.lists(
    st.one_of(
        _text.map(Message.system),
        _text.map(Message.user),
        st.builds(lambda t: Message(role="developer", content=t), _text),
        st.builds(
            lambda t, n: Message.assistant(
                t or None,
                tool_calls=[ToolCall(id=f"c{i}", name="f", arguments="{}") for i in range(n)],
            ),
            _text,
            st.integers(0, 2),
        ),
        st.builds(lambda t: Message.tool("c0", t), _text),
    ),
    min_size=1,
    max_size=6,
)


@FAST
@given(
    messages=_messages,
    stream=st.booleans(),
    temperature=st.none() | st.floats(0, 2),
    max_tokens=st.none() | st.integers(1, 4096),
    effort=st.none() | st.sampled_from(["minimal", "low", "medium", "high"]),
    tools=st.booleans(),
    choice=st.none() | st.sampled_from(["auto", "none", "required", "add"]),
    fmt=st.booleans(),
)
def test_every_body_is_a_valid_openai_request(
    messages: list[Message],
    stream: bool,
    temperature: float | None,
    max_tokens: int | None,
    effort: str | None,
    tools: bool,
    choice: str | None,
    fmt: bool,
) -> None:
    body(
        Request(
            model="gpt-5",
            messages=messages,
            stream=stream,
            temperature=temperature,
            max_tokens=max_tokens,
            reasoning_effort=effort,
            tools=[TOOL] if tools else [],
            tool_choice=choice,
            response_format=ResponseFormat(schema={"type": "object"}) if fmt else None,
        )
    )
