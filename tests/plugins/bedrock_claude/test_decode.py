"""Non-streamed InvokeModel bodies and HTTP errors from the recorded corpus."""

from __future__ import annotations

import json

import pytest
from modelport.provider import (
    AuthenticationError,
    BadRequestError,
    ContextWindowExceededError,
    ModelNotFoundError,
    ProviderProtocolError,
    ProviderServerError,
    RateLimitError,
)

from ._bedrock import SECRET_KEY, provider, recording, requires_corpus

pytestmark = requires_corpus


def parse(name: str):  # type: ignore[no-untyped-def]
    return provider().parse_response(recording(name).read_bytes(), None)  # type: ignore[arg-type]


def test_invoke_text() -> None:
    r = parse("invoke-text.json")
    assert r.text.startswith("Here's an OpenTelemetry-themed joke for you:")
    assert r.text.endswith("tripped up by all the Spans!")
    assert (r.usage.input_tokens, r.usage.output_tokens, r.usage.cached_tokens) == (17, 50, 0)
    assert (r.stop_reason, r.raw_stop_reason, r.model) == (
        "stop",
        "end_turn",
        "claude-3-haiku-20240307",
    )
    assert r.provider == "bedrock-claude"
    assert r.provider_metadata == {"response_id": "msg_bdrk_01BpNWhDaaMSLb423BECgv49"}
    assert r.messages[0].role == "assistant" and r.messages[0].content == r.text


def test_invoke_text_long() -> None:
    r = parse("invoke-text-long.json")
    assert r.text.startswith("Sure, I'd be happy to explain large language models")
    assert (r.usage.input_tokens, r.usage.output_tokens) == (38, 246)


def test_invoke_cache_write() -> None:
    r = parse("invoke-cache-write.json")
    assert (r.usage.input_tokens, r.usage.cached_tokens, r.usage.output_tokens) == (18135, 0, 50)
    assert r.provider_metadata["cache_creation_input_tokens"] == 18131
    assert r.provider_metadata["uncached_input_tokens"] == 4
    assert r.stop_reason == "length"


def test_invoke_cache_read() -> None:
    r = parse("invoke-cache-read.json")
    assert (r.usage.input_tokens, r.usage.cached_tokens, r.usage.output_tokens) == (
        18135,
        18131,
        50,
    )
    assert "cache_creation_input_tokens" not in r.provider_metadata


def test_invoke_cache_read_haiku45() -> None:
    r = parse("invoke-cache-read-haiku45.json")
    assert (r.usage.input_tokens, r.usage.cached_tokens) == (3 + 9511 + 1956, 9511)
    assert r.provider_metadata["cache_creation_input_tokens"] == 1956
    assert r.model == "claude-haiku-4-5-20251001"


def test_invoke_newer_usage_fields() -> None:
    data = json.loads(recording("invoke-text-newer-usage-fields.json").read_bytes())
    r = parse("invoke-text-newer-usage-fields.json")
    assert r.text.startswith("I'll set aside that instruction")
    usage = data["usage"]
    assert r.usage.output_tokens == usage["output_tokens"]
    assert r.usage.reasoning_tokens == usage["output_tokens_details"]["thinking_tokens"]
    assert r.stop_reason == "stop"


def test_invoke_tool_use() -> None:
    r = parse("invoke-tool-use.json")
    assert r.text.startswith("Certainly! I can help you with that information.")
    [call] = r.tool_calls
    assert (call.id, call.name) == ("toolu_bdrk_01MqHGzs8QwkdkVjJYrbLTPp", "get_weather")
    assert json.loads(call.arguments) == {"location": "San Francisco, CA"}
    assert (r.stop_reason, r.usage.input_tokens, r.usage.output_tokens) == ("tool_calls", 373, 94)


def test_invoke_tool_use_truncated() -> None:
    r = parse("invoke-tool-use-truncated-max-tokens.json")
    assert [(c.name, c.parsed_arguments()) for c in r.tool_calls] == [
        ("get_weather", {"location": "San Francisco, CA", "unit": "fahrenheit"}),
        ("calculate", {}),
    ]
    assert (r.stop_reason, r.raw_stop_reason) == ("length", "max_tokens")


def test_thinking_message() -> None:
    r = parse("anthropic-api-equivalent/messages-thinking.json")
    data = json.loads(recording("anthropic-api-equivalent/messages-thinking.json").read_bytes())
    thinking = data["content"][0]
    assert r.text == "The letter 'r' appears 3 times in the word \"strawberry\"."
    assert r.reasoning == thinking["thinking"]
    assert r.provider_metadata["reasoning_signatures"] == [thinking["signature"]]
    assert r.provider_metadata["thinking_blocks"] == [thinking]  # unchanged, for the next turn
    assert r.assistant_message().provider_metadata["thinking_blocks"] == [thinking]


def test_redacted_thinking_kept() -> None:
    body = {
        "id": "m",
        "model": "c",
        "stop_reason": "end_turn",
        "usage": {},
        "content": [
            {"type": "redacted_thinking", "data": "EmwKAhgB..."},
            {"type": "text", "text": "ok"},
        ],
    }
    r = provider().parse_response(json.dumps(body).encode(), None)  # type: ignore[arg-type]
    assert r.provider_metadata["thinking_blocks"] == [body["content"][0]]
    assert (r.text, r.reasoning) == ("ok", None)


@pytest.mark.parametrize("body", [b"not json", b"[]", b'{"id": "x"}'])
def test_malformed_body(body: bytes) -> None:
    with pytest.raises(ProviderProtocolError):
        provider().parse_response(body, None)  # type: ignore[arg-type]


# -- errors -------------------------------------------------------------------------------------

_VALIDATION = "ValidationException:http://internal.amazon.com/coral/com.amazon.bedrock/"


@pytest.mark.parametrize(
    "name",
    [
        "error-400-validation-invalid-model-invoke.json",
        "error-400-validation-invalid-model-stream.json",
    ],
)
def test_recorded_invalid_model(name: str) -> None:
    headers = {"x-amzn-ErrorType": _VALIDATION, "x-amzn-RequestId": "rid-1"}
    err = provider().parse_error(400, headers, recording(name).read_bytes())
    assert isinstance(err, ModelNotFoundError) and isinstance(err, BadRequestError)
    assert (err.status, err.code, err.request_id) == (400, "ValidationException", "rid-1")
    assert err.provider_message == "The provided model identifier is invalid."


def test_recorded_converse_validation() -> None:
    body = recording("error-400-validation-converse-unsupported-content.json").read_bytes()
    err = provider().parse_error(400, {"x-amzn-errortype": "ValidationException"}, body)
    assert type(err) is BadRequestError
    assert err.provider_message is not None and "video content block" in err.provider_message


@pytest.mark.parametrize(
    ("status", "etype", "message", "cls"),
    [
        (
            429,
            "ThrottlingException",
            "Too many requests, please wait before trying again.",
            RateLimitError,
        ),
        (
            429,
            "ThrottlingException",
            "Too many tokens per day, please wait before trying again.",
            RateLimitError,
        ),
        (403, "AccessDeniedException", "You don't have access to the model", AuthenticationError),
        (
            403,
            "UnrecognizedClientException",
            "The security token included in the request is invalid.",
            AuthenticationError,
        ),
        (
            404,
            "ResourceNotFoundException",
            "Could not resolve the foundation model",
            ModelNotFoundError,
        ),
        (408, "ModelTimeoutException", "Model has timed out", ProviderServerError),
        (
            503,
            "ServiceUnavailableException",
            "Bedrock is unable to process your request.",
            ProviderServerError,
        ),
        (500, "InternalServerException", "internal error", ProviderServerError),
        (
            400,
            "ValidationException",
            "Input is too long for requested model.",
            ContextWindowExceededError,
        ),
        (
            400,
            "ValidationException",
            "prompt is too long: 210000 tokens > 200000 maximum",
            ContextWindowExceededError,
        ),
        (400, "ValidationException", "max_tokens: Field required", BadRequestError),
    ],
)
def test_error_types(status: int, etype: str, message: str, cls: type) -> None:
    headers = {
        "x-amzn-ErrorType": f"{etype}:http://internal.amazon.com/coral/",
        "x-amzn-RequestId": "rid-2",
    }
    err = provider().parse_error(status, headers, json.dumps({"message": message}).encode())
    assert type(err) is cls
    assert (err.status, err.code, err.request_id, err.provider_message) == (
        status,
        etype,
        "rid-2",
        message,
    )


def test_error_type_from_body() -> None:
    body = json.dumps(
        {"__type": "com.amazon.coral.service#ThrottlingException", "message": "slow"}
    ).encode()
    err = provider().parse_error(429, {}, body)
    assert isinstance(err, RateLimitError) and err.code == "ThrottlingException"


def test_non_json_error() -> None:
    err = provider().parse_error(502, {}, b"<html>Bad Gateway</html>")
    assert isinstance(err, ProviderServerError) and err.status == 502


def test_error_never_shows_the_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLEMODELPORT")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    p = provider()
    from modelport.provider import WireRequest

    p.authenticate(WireRequest("POST", "https://x/model/m/invoke", {}, None, b"{}"))
    body = json.dumps({"message": f"echo {SECRET_KEY}"}).encode()
    err = p.parse_error(400, {"x-amzn-ErrorType": "ValidationException"}, body)
    assert SECRET_KEY not in str(err) and SECRET_KEY not in repr(err)
    assert SECRET_KEY not in (err.provider_message or "")
