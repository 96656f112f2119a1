"""LM Studio's error bodies -> modelport's typed errors, on every path.

Bodies quoted from real LM Studio servers, as users pasted them into public issues:

- NOT_LOADED_404: canopyai/Orpheus-TTS#229 (404, OpenAI-style object, code model_not_found)
- NOT_LOADED_STR: assafelovic/gpt-researcher#1556 (400, the error is a bare string)
- INVALID_ID: same issue (400, "Invalid model identifier", code model_not_found)
- JIT_NULL_CODE: lmstudio-ai/lmstudio-bug-tracker#1730 (server log of the error body;
  "code": null, status not shown -- served here as 400)
- UNEXPECTED_ENDPOINT: lmstudio-ai/lmstudio-bug-tracker#1680 (answered with status 200)
"""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st
from modelport._errors import (
    AuthenticationError,
    BadRequestError,
    ModelNotFoundError,
    ModelRequestError,
    ProviderServerError,
    RateLimitError,
)
from modelport._messages import Message
from modelport._request import Request
from modelport.provider import error_for_status
from modelport_lmstudio._errors import is_model_missing

from ._lmstudio import FAST, provider

REQUEST = Request(model="qwen/qwen3-8b", messages=[Message(role="user", content="hi")])

NOT_LOADED = (
    "No models loaded. Please load a model in the developer page or use the `lms load` command."
)
NOT_LOADED_404 = {
    "error": {
        "message": NOT_LOADED,
        "type": "invalid_request_error",
        "param": "model",
        "code": "model_not_found",
    }
}
NOT_LOADED_STR = {
    "error": "No models loaded. Please load a model in the developer page or use the 'lms load' "
    "command."
}
INVALID_ID = {
    "error": {
        "message": 'Invalid model identifier "o4-mini". Please specify a valid downloaded model '
        "(e.g., qwen3-vl-8b, huihui-qwen3-vl-30b-a3b-instruct-abliterated).",
        "type": "invalid_request_error",
        "param": "model",
        "code": "model_not_found",
    }
}
JIT_NULL_CODE = {
    "error": {
        "message": "No models loaded. Please load a model in the developer page or use the "
        "'lms load' command.",
        "type": "invalid_request_error",
        "param": "model",
        "code": None,
    }
}
UNEXPECTED_ENDPOINT = {"error": "Unexpected endpoint or method. (POST /v1/models/unload)"}


def body(obj: object) -> bytes:
    return json.dumps(obj).encode()


@pytest.mark.parametrize(
    ("status", "payload", "cls", "message"),
    [
        (404, NOT_LOADED_404, ModelNotFoundError, NOT_LOADED),
        (400, NOT_LOADED_STR, ModelNotFoundError, NOT_LOADED_STR["error"]),
        (400, INVALID_ID, ModelNotFoundError, INVALID_ID["error"]["message"]),
        (400, JIT_NULL_CODE, ModelNotFoundError, JIT_NULL_CODE["error"]["message"]),
        (400, {"error": "Unexpected endpoint or method. (POST /x)"}, BadRequestError, None),
        (401, NOT_LOADED_STR, AuthenticationError, None),
        (429, NOT_LOADED_STR, RateLimitError, None),
        (500, {"error": "Model is unloaded."}, ProviderServerError, "Model is unloaded."),
        (400, {"error": "Model is unloaded."}, ModelNotFoundError, "Model is unloaded."),
    ],
)
def test_parse_error(
    status: int, payload: object, cls: type[ModelRequestError], message: str | None
) -> None:
    err = provider(model="qwen/qwen3-8b").parse_error(status, {"x-request-id": "r1"}, body(payload))
    assert type(err) is cls
    assert err.provider == "lmstudio" and err.model == "qwen/qwen3-8b"
    assert err.status == status and err.request_id == "r1"
    if message is not None:
        assert err.provider_message == message


def test_error_in_a_200_body_is_typed() -> None:
    p = provider(model="qwen/qwen3-8b")
    with pytest.raises(ModelNotFoundError) as info:
        p.parse_response(body(JIT_NULL_CODE), REQUEST)
    assert info.value.provider == "lmstudio" and info.value.status is None
    with pytest.raises(ModelRequestError) as other:
        p.parse_response(body(UNEXPECTED_ENDPOINT), REQUEST)
    assert type(other.value) is ModelRequestError
    assert other.value.provider == "lmstudio"
    assert other.value.provider_message == UNEXPECTED_ENDPOINT["error"]


@pytest.mark.parametrize("native", [False, True])
def test_error_mid_stream_is_typed(native: bool) -> None:
    decoder = provider(api="native" if native else "openai").stream_decoder(REQUEST)
    decoder.feed(
        b'data: {"id":"c","model":"m","choices":[{"index":0,"delta":{"content":"a"}}]}\n\n'
    )
    with pytest.raises(ModelNotFoundError) as info:
        decoder.feed(b"data: " + body(NOT_LOADED_404) + b"\n\n")
    assert info.value.provider == "lmstudio"


def test_truncated_stream_names_lmstudio() -> None:
    decoder = provider().stream_decoder(REQUEST)
    decoder.feed(
        b'data: {"id":"c","model":"m","choices":[{"index":0,"delta":{"content":"a"}}]}\n\n'
    )
    with pytest.raises(ModelRequestError) as info:
        decoder.close()
    assert info.value.provider == "lmstudio"


@pytest.mark.parametrize(
    "message",
    [
        NOT_LOADED,
        "no models loaded",
        "Model is unloaded.",
        "Model not loaded",
        'Invalid model identifier "x".',
        "Model 'wrong-model-name' not found",
        "model does not exist",
    ],
)
def test_missing_model_phrases(message: str) -> None:
    assert is_model_missing(message)


@pytest.mark.parametrize(
    "message",
    ["", "Unexpected endpoint or method.", "context length exceeded", "Failed to load model"],
)
def test_other_phrases(message: str) -> None:
    assert not is_model_missing(message)


@FAST
@given(
    status=st.sampled_from([400, 404, 409, 422]),
    # A prefix that says something else the core recognizes ("prompt is too long": a context
    # window error) would rightly win; only neutral prefixes are tried.
    prefix=st.text(max_size=40).filter(
        lambda s: "." not in s and type(error_for_status(400, s)) is BadRequestError
    ),
    phrase=st.sampled_from(["No models loaded", "Model is unloaded", "Invalid model identifier"]),
    shape=st.sampled_from(["string", "object", "detail"]),
)
def test_any_client_error_about_a_missing_model_is_model_not_found(
    status: int, prefix: str, phrase: str, shape: str
) -> None:
    message = f"{prefix} {phrase}. Please load one."
    payload: object = {
        "string": {"error": message},
        "object": {"error": {"message": message, "type": "invalid_request_error"}},
        "detail": {"detail": message},
    }[shape]
    err = provider().parse_error(status, {}, body(payload))
    assert isinstance(err, ModelNotFoundError) and err.status == status
    assert err.provider == "lmstudio"


@FAST
@given(status=st.integers(400, 599), raw=st.binary(max_size=200))
def test_any_error_body_gives_a_typed_error(status: int, raw: bytes) -> None:
    err = provider().parse_error(status, {}, raw)
    assert isinstance(err, ModelRequestError)
    assert err.provider == "lmstudio" and err.status == status
    if status >= 500:
        assert isinstance(err, ProviderServerError)
