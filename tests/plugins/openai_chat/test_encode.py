"""Request encoding: exact bodies for each feature, and every body valid for openai's own types."""

from __future__ import annotations

import json
from typing import Any

import modelport as mp
import pytest
from hypothesis import given
from hypothesis import strategies as st
from modelport._errors import ConfigurationError
from modelport._messages import ImagePart, Message, TextPart, ToolCall
from modelport._request import Request, ResponseFormat, ToolSpec
from modelport.provider import WireRequest
from modelport.testing import shaped_request

from ._corpus import FAST, provider
from ._openai_schema import validate_request_body

WEATHER = ToolSpec(
    name="get_weather",
    description="Current weather for a city",
    parameters={
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
        "additionalProperties": False,
    },
    strict=True,
)


def body_of(request: Request, base_url: str | None = None, **options: Any) -> dict[str, Any]:
    wire = provider(base_url, **options).build_request(request)
    assert wire.body is not None
    json.dumps(wire.body)  # the core serializes it; it must be plain JSON
    return wire.body


def shaped(base_url: str | None = None, **kw: Any) -> WireRequest:
    """The wire request after the core's steps (shaping hooks, then the caller's extras)."""
    with mp.LLM("openai-chat:gpt-4o-mini", base_url=base_url, api_key="sk-test") as llm:
        return shaped_request(llm, "hi", **kw)


def req(*messages: Message, **kw: Any) -> Request:
    return Request(model="gpt-4o-mini", messages=list(messages) or [Message.user("hi")], **kw)


# -- the wire request ------------------------------------------------------------------------


def test_minimal_request_is_exactly_model_and_messages() -> None:
    wire = provider().build_request(req(Message.user("What is 2+2?")))
    assert wire.method == "POST"
    assert wire.url == "https://api.openai.com/v1/chat/completions"
    assert wire.headers == {"Content-Type": "application/json", "Accept": "application/json"}
    assert wire.body == {
        "model": "gpt-4o-mini",
        "messages": [{"role": "user", "content": "What is 2+2?"}],
    }
    validate_request_body(wire.body)


def test_custom_base_url_trailing_slash_and_extra_headers() -> None:
    url = "http://127.0.0.1:8080/v1/"
    wire = shaped(url, extra_headers={"X-Trace": "abc", "Accept": "application/x"})
    assert wire.url == "http://127.0.0.1:8080/v1/chat/completions"
    assert wire.headers["X-Trace"] == "abc"
    assert wire.headers["Accept"] == "application/x"  # the caller's header wins
    wire = shaped(url, extra_headers={"content-type": "application/json; charset=utf-8"})
    assert wire.headers == {
        "Accept": "application/json",
        "content-type": "application/json; charset=utf-8",
    }


def test_no_credentials_until_authenticate() -> None:
    p = provider()
    p.settings.api_key = "sk-canary-0123456789abcdef"
    wire = p.build_request(req())
    assert "Authorization" not in wire.headers
    assert "sk-canary" not in json.dumps(wire.body)
    p.authenticate(wire)
    assert wire.headers["Authorization"] == "Bearer sk-canary-0123456789abcdef"
    assert "sk-canary" not in repr(wire)


def test_provider_class_attributes() -> None:
    from modelport_openai_chat import OpenAIChatProvider, __version__

    assert OpenAIChatProvider.name == "openai-chat"
    assert OpenAIChatProvider.version == __version__
    assert OpenAIChatProvider.default_base_url == "https://api.openai.com/v1"
    assert OpenAIChatProvider.api_key_env == "OPENAI_API_KEY"
    assert OpenAIChatProvider.requires_api_key is True
    assert provider().api_key_required() is True
    assert provider("http://127.0.0.1:8080/v1").api_key_required() is False


def test_plugin_registers_the_provider_lazily() -> None:
    from modelport.plugins import PluginHost
    from modelport_openai_chat import plugin
    from modelport_openai_chat._provider import OpenAIChatProvider

    registered: list[tuple[Any, Any]] = []
    plugin.register_providers(lambda target, name=None: registered.append((target, name)))
    assert registered == [("modelport_openai_chat._provider:OpenAIChatProvider", "openai-chat")]
    assert hasattr(plugin.register_providers, "modelport_impl")
    host = PluginHost(allow={"openai-chat"}, strict=True)
    assert host.provider_class("openai-chat") is OpenAIChatProvider


# -- messages --------------------------------------------------------------------------------


def test_every_role_and_content_shape() -> None:
    messages = [
        Message.system("Be brief."),
        Message(role="developer", content="Use metric units."),
        Message(role="user", name="alice", content="Weather in Paris and Oslo?"),
        Message.user(
            [
                TextPart(text="And this picture?"),
                ImagePart(url="https://example.com/cat.png", detail="low"),
                ImagePart(data="iVBORw0KGgo=", media_type="image/png"),
            ]
        ),
        Message.assistant(
            None,
            tool_calls=[
                ToolCall(id="call_1", name="get_weather", arguments='{"city": "Paris"}'),
                ToolCall(id="call_2", name="get_weather", arguments=""),
            ],
        ),
        Message.tool("call_1", "18 C, sunny"),
        Message(role="tool", tool_call_id="call_2", content=[TextPart(text="9 C, rain")]),
        Message.assistant("Paris is sunny, Oslo rainy."),
        Message.user("Thanks"),
    ]
    body = body_of(req(*messages))
    assert body["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "developer", "content": "Use metric units."},
        {"role": "user", "content": "Weather in Paris and Oslo?", "name": "alice"},
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "And this picture?"},
                {
                    "type": "image_url",
                    "image_url": {"url": "https://example.com/cat.png", "detail": "low"},
                },
                {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}},
            ],
        },
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
                },
                {
                    "id": "call_2",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": "{}"},
                },
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": "18 C, sunny"},
        {
            "role": "tool",
            "tool_call_id": "call_2",
            "content": [{"type": "text", "text": "9 C, rain"}],
        },
        {"role": "assistant", "content": "Paris is sunny, Oslo rainy."},
        {"role": "user", "content": "Thanks"},
    ]
    validate_request_body(body)


def test_assistant_without_content_or_calls_sends_empty_string() -> None:
    body = body_of(req(Message.user("a"), Message.assistant(None), Message.user("b")))
    assert body["messages"][1] == {"role": "assistant", "content": ""}
    validate_request_body(body)


def test_assistant_reasoning_is_not_sent_back() -> None:
    # DeepSeek rejects reasoning_content in input messages; OpenAI does not know the field.
    history = Message.assistant("4", reasoning="2+2 is 4")
    body = body_of(req(Message.user("2+2?"), history, Message.user("and 3+3?")))
    assert body["messages"][1] == {"role": "assistant", "content": "4"}


def test_tool_message_without_id_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="tool_call_id"):
        body_of(req(Message(role="tool", content="x")))


# A tool result's images are sent in a user message after it (tests/core/test_tool_images.py).
@pytest.mark.parametrize("role", ["system", "developer", "assistant"])
def test_images_outside_user_turns_are_refused(role: str) -> None:
    msg = Message(
        role=role,  # type: ignore[arg-type]
        content=[ImagePart(url="https://example.com/x.png")],
    )
    with pytest.raises(ConfigurationError, match="ImagePart"):
        body_of(req(msg))


# -- parameters ------------------------------------------------------------------------------


def test_parameters_are_omitted_when_none() -> None:
    body = body_of(req())
    for key in (
        "temperature",
        "top_p",
        "stop",
        "seed",
        "presence_penalty",
        "frequency_penalty",
        "user",
        "reasoning_effort",
        "parallel_tool_calls",
        "max_tokens",
        "max_completion_tokens",
        "tools",
        "tool_choice",
        "response_format",
        "stream",
        "stream_options",
    ):
        assert key not in body


def test_all_sampling_parameters() -> None:
    body = body_of(
        req(
            temperature=0,
            top_p=0.9,
            stop=["\n\n", "END"],
            seed=42,
            presence_penalty=0.5,
            frequency_penalty=-0.5,
            user="user-123",
            reasoning_effort="high",
            max_tokens=256,
        )
    )
    assert body["temperature"] == 0
    assert body["top_p"] == 0.9
    assert body["stop"] == ["\n\n", "END"]
    assert body["seed"] == 42
    assert body["presence_penalty"] == 0.5
    assert body["frequency_penalty"] == -0.5
    assert body["user"] == "user-123"
    assert body["reasoning_effort"] == "high"
    assert body["max_completion_tokens"] == 256
    assert "max_tokens" not in body
    validate_request_body(body)


@pytest.mark.parametrize(
    ("base_url", "options", "field"),
    [
        (None, {}, "max_completion_tokens"),
        ("https://api.openai.com/v1", {}, "max_completion_tokens"),
        ("https://api.openai.com/v1/", {}, "max_completion_tokens"),
        ("http://127.0.0.1:8080/v1", {}, "max_tokens"),
        ("http://localhost:8000/v1", {}, "max_tokens"),
        ("https://api.groq.com/openai/v1", {}, "max_tokens"),
        ("https://proxy.example.com/api.openai.com/v1", {}, "max_tokens"),
        (
            "http://127.0.0.1:8080/v1",
            {"max_tokens_field": "max_completion_tokens"},
            "max_completion_tokens",
        ),
        (None, {"max_tokens_field": "max_tokens"}, "max_tokens"),
    ],
)
def test_max_tokens_field(base_url: str | None, options: dict[str, Any], field: str) -> None:
    body = body_of(req(max_tokens=16), base_url, **options)
    assert body[field] == 16
    other = "max_tokens" if field == "max_completion_tokens" else "max_completion_tokens"
    assert other not in body


def test_tools_and_named_tool_choice() -> None:
    plain = ToolSpec(name="now", parameters={"type": "object", "properties": {}})
    body = body_of(
        req(tools=[WEATHER, plain], tool_choice="get_weather", parallel_tool_calls=False)
    )
    assert body["tools"] == [
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "description": "Current weather for a city",
                "parameters": WEATHER.parameters,
                "strict": True,
            },
        },
        {"type": "function", "function": {"name": "now", "parameters": plain.parameters}},
    ]
    assert body["tool_choice"] == {"type": "function", "function": {"name": "get_weather"}}
    assert body["parallel_tool_calls"] is False
    validate_request_body(body)


@pytest.mark.parametrize("choice", ["auto", "none", "required"])
def test_tool_choice_keywords_pass_through(choice: str) -> None:
    body = body_of(req(tools=[WEATHER], tool_choice=choice))
    assert body["tool_choice"] == choice
    validate_request_body(body)


def test_tool_choice_and_parallel_need_tools() -> None:
    # OpenAI answers 400 to tool_choice / parallel_tool_calls without tools.
    body = body_of(req(tool_choice="auto", parallel_tool_calls=True))
    assert "tool_choice" not in body
    assert "parallel_tool_calls" not in body


def test_response_format_json_schema() -> None:
    schema = {
        "type": "object",
        "properties": {"joke": {"type": "string"}, "rating": {"type": "integer"}},
        "required": ["joke", "rating"],
        "additionalProperties": False,
    }
    body = body_of(req(response_format=ResponseFormat(name="Joke", schema=schema)))
    assert body["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "Joke", "schema": schema, "strict": True},
    }
    validate_request_body(body)


def test_stream_asks_for_usage() -> None:
    wire = provider().build_request(req(stream=True))
    assert wire.headers["Accept"] == "text/event-stream"
    assert wire.body is not None
    assert wire.body["stream"] is True
    assert wire.body["stream_options"] == {"include_usage": True}
    validate_request_body(wire.body)


def test_stream_usage_can_be_turned_off() -> None:
    body = body_of(req(stream=True), "http://127.0.0.1:8080/v1", include_usage=False)
    assert body["stream"] is True
    assert "stream_options" not in body


def test_extra_body_is_merged_last_and_wins() -> None:
    body = shaped(
        temperature=1.0,
        stream=True,
        extra_body={
            "temperature": 0.2,
            "logprobs": True,
            "top_logprobs": 2,
            "stream_options": {"include_usage": False},
            "metadata": {"run": "7"},
        },
    ).body
    assert body is not None
    assert body["temperature"] == 0.2
    assert body["logprobs"] is True
    assert body["stream_options"] == {"include_usage": False}
    validate_request_body(body)


def test_extra_body_for_compatible_servers_reaches_the_wire() -> None:
    # llama.cpp and vLLM parameters the openai types do not know: sent unchanged.
    body = shaped("http://127.0.0.1:8080", extra_body={"cache_prompt": True, "top_k": 40}).body
    assert body is not None
    assert body["cache_prompt"] is True
    assert body["top_k"] == 40


def test_body_key_order_is_stable() -> None:
    a = body_of(req(temperature=0, max_tokens=5, tools=[WEATHER], tool_choice="auto"))
    b = body_of(req(tool_choice="auto", tools=[WEATHER], max_tokens=5, temperature=0))
    assert json.dumps(a) == json.dumps(b)


# -- property: whatever the request, openai's types accept the body ---------------------------

_text = st.text(min_size=1, max_size=20)
_part = st.one_of(
    st.builds(TextPart, text=_text),
    st.builds(
        ImagePart,
        url=st.just("https://example.com/i.png"),
        detail=st.sampled_from([None, "auto", "low", "high"]),
    ),
)
_call = st.builds(
    ToolCall,
    id=st.from_regex(r"call_[A-Za-z0-9]{4}", fullmatch=True),
    name=st.sampled_from(["get_weather", "now"]),
    arguments=st.sampled_from(["", "{}", '{"city": "Oslo"}']),
)
_message = st.one_of(
    st.builds(Message, role=st.sampled_from(["system", "developer"]), content=_text),
    st.builds(
        Message,
        role=st.just("user"),
        content=st.one_of(_text, st.lists(_part, min_size=1, max_size=3)),
        name=st.one_of(st.none(), st.sampled_from(["alice", "bob"])),
    ),
    st.builds(
        Message,
        role=st.just("assistant"),
        content=st.one_of(st.none(), _text),
        tool_calls=st.lists(_call, max_size=2),
    ),
    st.builds(Message, role=st.just("tool"), tool_call_id=st.just("call_x"), content=_text),
)
_maybe = st.none().__or__
_requests = st.builds(
    Request,
    model=st.sampled_from(["gpt-4o-mini", "o3", "llama"]),
    messages=st.lists(_message, min_size=1, max_size=5),
    tools=st.lists(st.just(WEATHER), max_size=1),
    tool_choice=_maybe(st.sampled_from(["auto", "none", "required", "get_weather"])),
    parallel_tool_calls=_maybe(st.booleans()),
    response_format=_maybe(st.just(ResponseFormat(name="R", schema={"type": "object"}))),
    temperature=_maybe(st.floats(0, 2)),
    top_p=_maybe(st.floats(0, 1)),
    max_tokens=_maybe(st.integers(1, 4096)),
    stop=_maybe(st.lists(_text, min_size=1, max_size=4)),
    seed=_maybe(st.integers(0, 2**31)),
    presence_penalty=_maybe(st.floats(-2, 2)),
    frequency_penalty=_maybe(st.floats(-2, 2)),
    reasoning_effort=_maybe(st.sampled_from(["minimal", "low", "medium", "high"])),
    user=_maybe(_text),
    stream=st.booleans(),
)


@FAST
@given(request=_requests, base_url=st.sampled_from([None, "http://127.0.0.1:8080/v1"]))
def test_any_request_encodes_to_a_valid_openai_body(request: Request, base_url: str | None) -> None:
    body = body_of(request, base_url)
    validate_request_body(body)
    assert body["model"] == request.model
    assert len(body["messages"]) == len(request.messages)
    assert ("stream" in body) is request.stream


# -- models ----------------------------------------------------------------------------------


def test_models_request_and_parse() -> None:
    p = provider("http://127.0.0.1:8080/v1")
    wire = p.models_request()
    assert wire is not None
    assert (wire.method, wire.url) == ("GET", "http://127.0.0.1:8080/v1/models")
    body = json.dumps(
        {
            "object": "list",
            "data": [
                {"id": "gpt-4o-mini", "object": "model", "owned_by": "system"},
                {"id": "text-embedding-3-small", "object": "model"},
            ],
        }
    ).encode()
    assert p.parse_models(body) == ["gpt-4o-mini", "text-embedding-3-small"]
    assert p.parse_models(b'[{"id": "a"}, "b"]') == ["a", "b"]


def test_models_body_that_is_not_a_list_is_a_protocol_error() -> None:
    from modelport._errors import ProviderProtocolError

    with pytest.raises(ProviderProtocolError):
        provider().parse_models(b"<html>nope</html>")
    with pytest.raises(ProviderProtocolError):
        provider().parse_models(b'{"object": "list"}')
