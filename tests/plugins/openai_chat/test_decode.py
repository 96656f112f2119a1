"""Non-streamed bodies and error bodies: shapes the corpus does not cover, and malformed input.

Every recorded body is checked in test_conformance.py; these are the edges around it.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from modelport._errors import (
    AuthenticationError,
    BadRequestError,
    ContextWindowExceededError,
    LLMError,
    ModelNotFoundError,
    ModelRequestError,
    ProviderProtocolError,
    ProviderServerError,
    RateLimitError,
)
from modelport._messages import Message
from modelport._request import Request
from modelport._response import Response

from ._corpus import FAST, provider

REQUEST = Request(model="asked-model", messages=[Message.user("hi")])


def completion(message: dict[str, Any], finish: str | None = "stop", **extra: Any) -> bytes:
    body: dict[str, Any] = {
        "id": "chatcmpl-9",
        "object": "chat.completion",
        "created": 1,
        "model": "served-model",
        "choices": [
            {"index": 0, "message": {"role": "assistant", **message}, "finish_reason": finish}
        ],
    }
    body.update(extra)
    return json.dumps(body).encode()


def parse(body: bytes) -> Response:
    return provider().parse_response(body, REQUEST)


# -- well-formed bodies ----------------------------------------------------------------------


def test_minimal_completion() -> None:
    r = parse(completion({"content": "Hello"}))
    assert r.text == "Hello"
    assert r.reasoning is None
    assert r.tool_calls == []
    assert r.stop_reason == "stop"
    assert r.raw_stop_reason == "stop"
    assert r.model == "served-model"
    assert r.provider == "openai-chat"
    assert r.provider_metadata == {"response_id": "chatcmpl-9"}
    assert r.raw["id"] == "chatcmpl-9"
    assert r.usage.input_tokens == 0
    assert r.usage.output_tokens == 0


def test_model_falls_back_to_the_request() -> None:
    body = json.dumps({"choices": [{"message": {"content": "x"}, "finish_reason": "stop"}]})
    assert parse(body.encode()).model == "asked-model"


def test_unknown_fields_are_ignored() -> None:
    r = parse(
        completion(
            {
                "content": "ok",
                "annotations": [{"type": "url_citation"}],
                "audio": None,
                "brand_new_field": {"x": 1},
            },
            service_tier="flex",
            timings={"predicted_n": 3},
            x_groq={"id": "req_1"},
            usage={
                "prompt_tokens": 3,
                "completion_tokens": 1,
                "total_tokens": 4,
                "some_future_counter": 9,
            },
        )
    )
    assert r.text == "ok"
    assert (r.usage.input_tokens, r.usage.output_tokens) == (3, 1)


@pytest.mark.parametrize(
    ("usage", "expected"),
    [
        (None, (0, 0, 0, 0)),
        ({}, (0, 0, 0, 0)),
        ({"prompt_tokens": None, "completion_tokens": None}, (0, 0, 0, 0)),
        (
            {
                "prompt_tokens": 10,
                "completion_tokens": 5,
                "prompt_tokens_details": None,
                "completion_tokens_details": None,
            },
            (10, 5, 0, 0),
        ),
        (
            {
                "prompt_tokens": 10,
                "completion_tokens": 5,
                "prompt_tokens_details": {"cached_tokens": None},
                "completion_tokens_details": {"reasoning_tokens": None},
            },
            (10, 5, 0, 0),
        ),
        (
            {
                "prompt_tokens": 1149,
                "completion_tokens": 353,
                "prompt_tokens_details": {"cached_tokens": 1024},
                "completion_tokens_details": {"reasoning_tokens": 7},
            },
            (1149, 353, 7, 1024),
        ),
        # Together: cached_tokens at the top of usage.
        ({"prompt_tokens": 10, "completion_tokens": 5, "cached_tokens": 8}, (10, 5, 0, 8)),
        # DeepSeek: prompt_cache_hit_tokens.
        (
            {
                "prompt_tokens": 10,
                "completion_tokens": 5,
                "prompt_cache_hit_tokens": 6,
                "prompt_cache_miss_tokens": 4,
            },
            (10, 5, 0, 6),
        ),
    ],
)
def test_usage_variants(usage: Any, expected: tuple[int, int, int, int]) -> None:
    u = parse(completion({"content": "x"}, usage=usage)).usage
    assert (u.input_tokens, u.output_tokens, u.reasoning_tokens, u.cached_tokens) == expected


@pytest.mark.parametrize("count", ["1e400", "-1e400", "NaN", "Infinity"])
def test_a_non_finite_token_count_is_a_protocol_error(count: str) -> None:
    """``json.loads`` accepts these; an int cannot hold them, and a guess would be a lie."""
    body = completion({"content": "x"}, usage={"prompt_tokens": 1, "completion_tokens": 2})
    body = body.replace(b'"completion_tokens": 2', b'"completion_tokens": ' + count.encode())
    assert count.encode() in body
    with pytest.raises(ProviderProtocolError, match="non-finite token count"):
        parse(body)


def test_refusal_with_null_content_is_a_refusal_stop() -> None:
    r = parse(completion({"content": None, "refusal": "I can't help with that."}))
    assert r.text == ""
    assert r.refusal == "I can't help with that."
    assert r.stop_reason == "refusal"
    assert r.raw_stop_reason == "stop"


def test_null_refusal_next_to_content_is_not_a_refusal() -> None:
    r = parse(completion({"content": "Sure.", "refusal": None}))
    assert r.refusal is None
    assert r.stop_reason == "stop"


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [
        ("stop", "stop"),
        ("length", "length"),
        ("tool_calls", "tool_calls"),
        ("content_filter", "content_filter"),
        ("function_call", "tool_calls"),
        ("eos", "stop"),
        ("something_new", "unknown"),
        (None, None),
    ],
)
def test_finish_reasons(raw: str | None, normalized: str | None) -> None:
    r = parse(completion({"content": "x"}, finish=raw))
    assert r.raw_stop_reason == raw
    assert r.stop_reason == normalized


def test_inline_think_tags_are_left_for_the_core() -> None:
    r = parse(completion({"content": "<think>hmm</think>4"}))
    assert r.text == "<think>hmm</think>4"
    assert r.reasoning is None


@pytest.mark.parametrize("key", ["reasoning_content", "reasoning"])
def test_reasoning_fields(key: str) -> None:
    r = parse(completion({"content": "4", key: "2+2 is 4"}))
    assert (r.text, r.reasoning) == ("4", "2+2 is 4")


def test_empty_reasoning_content_means_none() -> None:
    # LM Studio sends "reasoning_content": "" for models that do not reason.
    assert parse(completion({"content": "4", "reasoning_content": ""})).reasoning is None


def test_reasoning_details_only() -> None:
    details = [
        {"type": "reasoning.text", "text": "First, ", "format": "anthropic-claude-v1", "index": 0},
        {"type": "reasoning.text", "text": "add.", "signature": "sig==", "index": 0},
        {"type": "reasoning.encrypted", "data": "opaque", "index": 1},
    ]
    r = parse(completion({"content": "4", "reasoning_details": details}))
    assert r.reasoning == "First, add."
    assert r.provider_metadata["reasoning_signatures"] == ["sig=="]


def test_reasoning_string_wins_over_details() -> None:
    details = [{"type": "reasoning.text", "text": "same text"}]
    r = parse(completion({"content": "4", "reasoning": "same text", "reasoning_details": details}))
    assert r.reasoning == "same text"


def test_content_as_typed_parts() -> None:
    # Mistral's reasoning models: a list of parts, with "thinking" parts for the reasoning.
    content = [
        {"type": "thinking", "thinking": [{"type": "text", "text": "Let me add."}]},
        {"type": "text", "text": "4"},
    ]
    r = parse(completion({"content": content}))
    assert (r.text, r.reasoning) == ("4", "Let me add.")


def test_tool_calls_edge_shapes() -> None:
    calls = [
        {
            "id": "call_a",
            "type": "function",
            "function": {"name": "get_weather", "arguments": '{"city": "Oslo"}'},
        },
        # No id (some compatible servers), arguments as an object instead of a JSON string.
        {"type": "function", "function": {"name": "now", "arguments": {"tz": "UTC"}}},
        {"type": "function", "function": {"name": "ping", "arguments": None}},
        {"id": "call_c", "type": "custom", "custom": {"name": "sql", "input": "SELECT 1"}},
        "garbage",
    ]
    r = parse(completion({"content": None, "tool_calls": calls}, finish="tool_calls"))
    assert [(c.id, c.name, c.arguments) for c in r.tool_calls] == [
        ("call_a", "get_weather", '{"city": "Oslo"}'),
        ("call_1", "now", '{"tz": "UTC"}'),
        ("call_2", "ping", ""),
        ("call_c", "sql", "SELECT 1"),
    ]
    assert r.stop_reason == "tool_calls"
    assert r.text == ""


def test_empty_tool_calls_list() -> None:
    # vLLM always sends "tool_calls": [].
    assert parse(completion({"content": "x", "tool_calls": []})).tool_calls == []


# -- not a completion ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"<html><body>502 Bad Gateway</body></html>",
        b'{"choices": [',
        b"\xff\xfe\x00",
        b"[]",
        b'"just a string"',
        b"null",
        b"{}",
        b'{"choices": []}',
        b'{"choices": null}',
        b'{"choices": ["x"]}',
        b'{"choices": [{"index": 0}]}',
        b'{"choices": [{"message": "hello"}]}',
        b'{"object": "text_completion", "choices": [{"text": "legacy", "index": 0}]}',
    ],
)
def test_bodies_that_are_not_completions(body: bytes) -> None:
    with pytest.raises(ProviderProtocolError) as info:
        parse(body)
    err = info.value
    assert err.provider == "openai-chat"
    assert err.model == "test-model"
    assert len(str(err)) < 600  # an excerpt, not the whole body


def test_protocol_error_excerpt_is_short() -> None:
    body = b"<html>" + b"x" * 100_000
    with pytest.raises(ProviderProtocolError) as info:
        parse(body)
    assert "<html>" in str(info.value)
    assert len(str(info.value)) < 600


@pytest.mark.parametrize(
    ("error", "cls", "status"),
    [
        (
            {
                "message": "Rate limit reached. Please try again in 2s.",
                "type": "requests",
                "code": "rate_limit_exceeded",
            },
            RateLimitError,
            None,
        ),
        (
            {
                "message": "The server had an error while processing your request.",
                "type": "server_error",
                "code": None,
            },
            ProviderServerError,
            None,
        ),
        (
            {
                "message": "Incorrect API key provided",
                "type": "invalid_request_error",
                "code": "invalid_api_key",
            },
            AuthenticationError,
            None,
        ),
        (
            {
                "message": "the request exceeds the available context size, try increasing it",
                "type": "exceed_context_size_error",
                "code": 400,
                "n_prompt_tokens": 5000,
                "n_ctx": 4096,
            },
            ContextWindowExceededError,
            400,
        ),
        (
            {"message": "Loading model", "type": "unavailable_error", "code": 503},
            ProviderServerError,
            503,
        ),
        ({"message": "something odd"}, ModelRequestError, None),
    ],
)
def test_200_with_an_error_body_raises_the_typed_error(
    error: dict[str, Any], cls: type[Exception], status: int | None
) -> None:
    with pytest.raises(cls) as info:
        parse(json.dumps({"error": error}).encode())
    assert isinstance(info.value, ModelRequestError)
    assert info.value.status == status
    assert info.value.provider_message == error["message"]


def test_200_with_a_string_error() -> None:
    with pytest.raises(ModelRequestError, match="Unexpected endpoint"):
        parse(b'{"error": "Unexpected endpoint or method. (POST /v1/chat/completion)"}')


def test_rate_limit_hint_from_the_message() -> None:
    with pytest.raises(RateLimitError) as info:
        parse(
            json.dumps(
                {
                    "error": {
                        "message": "Please try again in 1m30.5s.",
                        "code": "rate_limit_exceeded",
                    }
                }
            ).encode()
        )
    assert info.value.retry_after == pytest.approx(90.5)


# -- parse_error -----------------------------------------------------------------------------


def test_http_errors_without_json_bodies() -> None:
    p = provider()
    err = p.parse_error(502, {"x-request-id": "req_1"}, b"<html>502 Bad Gateway</html>")
    assert isinstance(err, ProviderServerError)
    assert (err.status, err.request_id) == (502, "req_1")
    assert "502 Bad Gateway" in (err.provider_message or "")
    err = p.parse_error(401, {}, b"")
    assert isinstance(err, AuthenticationError)
    assert err.status == 401


@pytest.mark.parametrize(
    ("status", "body", "cls", "code"),
    [
        # Older vLLM: the error object is the whole body.
        (
            400,
            {
                "object": "error",
                "message": "This model's maximum context length is 2048 "
                "tokens. However, you requested 3000 tokens.",
                "type": "BadRequestError",
                "param": None,
                "code": 400,
            },
            ContextWindowExceededError,
            "BadRequestError",
        ),
        # Newer vLLM.
        (
            404,
            {
                "error": {
                    "message": "The model `x` does not exist.",
                    "type": "NotFoundError",
                    "param": None,
                    "code": 404,
                }
            },
            ModelNotFoundError,
            "NotFoundError",
        ),
        # llama.cpp.
        (
            400,
            {
                "error": {
                    "code": 400,
                    "message": "the request exceeds the available context size, try increasing it",
                    "type": "exceed_context_size_error",
                }
            },
            ContextWindowExceededError,
            "exceed_context_size_error",
        ),
        (
            503,
            {"error": {"code": 503, "message": "Loading model", "type": "unavailable_error"}},
            ProviderServerError,
            "unavailable_error",
        ),
        # LM Studio / FastAPI shapes.
        (404, {"error": "Unexpected endpoint or method."}, ModelNotFoundError, None),
        (422, {"detail": "Field required"}, BadRequestError, None),
        (400, {"unexpected": True}, BadRequestError, None),
        (
            403,
            {
                "error": {
                    "message": "Project does not have access to model",
                    "type": "invalid_request_error",
                    "code": "model_not_found",
                }
            },
            AuthenticationError,
            "model_not_found",
        ),
    ],
)
def test_compatible_server_error_shapes(
    status: int, body: dict[str, Any], cls: type[Exception], code: str | None
) -> None:
    err = provider().parse_error(status, {}, json.dumps(body).encode())
    assert type(err) is cls
    assert err.status == status
    assert err.code == code
    assert err.provider == "openai-chat"


def test_retry_after_headers_win_over_the_message_hint() -> None:
    body = json.dumps(
        {
            "error": {
                "message": "Please try again in 20s.",
                "type": "requests",
                "code": "rate_limit_exceeded",
            }
        }
    ).encode()
    err = provider().parse_error(429, {"retry-after-ms": "1500"}, body)
    assert isinstance(err, RateLimitError)
    assert err.retry_after == pytest.approx(1.5)
    err = provider().parse_error(429, {}, body)
    assert isinstance(err, RateLimitError)
    assert err.retry_after == pytest.approx(20.0)


# -- property: any bytes give a Response or a typed error -----------------------------------

_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.sampled_from(
                [
                    "choices",
                    "message",
                    "content",
                    "error",
                    "usage",
                    "tool_calls",
                    "function",
                    "finish_reason",
                    "reasoning",
                    "code",
                    "id",
                    "model",
                ]
            ),
            inner,
            max_size=4,
        )
    ),
    max_leaves=12,
)


@FAST
@given(st.one_of(st.binary(max_size=200), _json_values.map(lambda v: json.dumps(v).encode())))
def test_arbitrary_bodies_never_escape_as_untyped_errors(body: bytes) -> None:
    try:
        r = parse(body)
    except LLMError:
        return
    assert isinstance(r, Response)
    assert isinstance(r.text, str)


@FAST
@given(status=st.integers(100, 599), body=st.binary(max_size=200))
def test_parse_error_always_returns_a_typed_error(status: int, body: bytes) -> None:
    err = provider().parse_error(status, {}, body)
    assert isinstance(err, ModelRequestError)
    assert err.status == status


# -- bodies captured from the real llama.cpp server in ../shared/peers (build b1-0c1e570) ------

LLAMACPP_CONTEXT = (
    b'{"error":{"code":400,"message":"request (1219 tokens) exceeds the available context size '
    b'(256 tokens), try increasing it","type":"exceed_context_size_error","n_prompt_tokens":1219,'
    b'"n_ctx":256}}'
)
LLAMACPP_EMPTY_ARGS = (
    b'{"error":{"code":500,"message":"Failed to parse tool call arguments as JSON: '
    b"[json.exception.parse_error.101] parse error at line 1, column 1: attempting to parse an "
    b'empty input; check that your input string or stream contains the expected JSON",'
    b'"type":"server_error"}}'
)


def test_llamacpp_context_error() -> None:
    # llama.cpp answers 400 with this body even when the request asked for a stream.
    err = provider("http://127.0.0.1:8080/v1").parse_error(400, {}, LLAMACPP_CONTEXT)
    assert isinstance(err, ContextWindowExceededError)
    assert err.code == "exceed_context_size_error"
    assert err.provider_message is not None
    assert err.provider_message.startswith("request (1219 tokens) exceeds")


def test_llamacpp_reports_unparseable_tool_arguments_as_500() -> None:
    # Why the encoder sends "{}" for empty arguments: llama.cpp parses them and fails with a 500.
    err = provider("http://127.0.0.1:8080/v1").parse_error(500, {}, LLAMACPP_EMPTY_ARGS)
    assert isinstance(err, ProviderServerError)
    assert err.code == "server_error"


def test_llamacpp_models_list_has_two_shapes() -> None:
    # llama.cpp's /v1/models carries an Ollama-style "models" array and the OpenAI "data" one.
    body = json.dumps(
        {
            "models": [{"name": "tiny", "model": "tiny", "type": "model"}],
            "object": "list",
            "data": [
                {"id": "tiny", "aliases": ["tiny"], "object": "model", "owned_by": "llamacpp"}
            ],
        }
    ).encode()
    assert provider("http://127.0.0.1:8080/v1").parse_models(body) == ["tiny"]
    assert provider().parse_models(b'{"models": [{"name": "a", "model": "a"}]}') == ["a"]
