"""Anthropic-style error events inside a stream, through the core's one reader
(``modelport.provider.error_from_payload`` with ``status=None``, as an SSE decoder such as the
Anthropic example plugin's calls it): each kind is its typed error, and none gets an invented
HTTP status (the event came inside a 200 stream)."""

from __future__ import annotations

import pytest
from modelport.provider import (
    AuthenticationError,
    BadRequestError,
    ModelNotFoundError,
    ModelRequestError,
    ProviderServerError,
    RateLimitError,
    decode_json,
    error_from_payload,
)


@pytest.mark.parametrize(
    ("etype", "cls"),
    [
        ("overloaded_error", ProviderServerError),
        ("api_error", ProviderServerError),
        ("timeout_error", ProviderServerError),
        ("rate_limit_error", RateLimitError),
        ("invalid_request_error", BadRequestError),
        ("request_too_large", BadRequestError),
        ("authentication_error", AuthenticationError),
        ("permission_error", AuthenticationError),
        ("not_found_error", ModelNotFoundError),
    ],
)
def test_each_anthropic_error_kind_is_typed_without_a_status(etype: str, cls: type) -> None:
    event = {"type": "error", "error": {"type": etype, "message": "It failed"}}
    err = error_from_payload(event["error"], status=None, provider="anthropic", model="m")
    assert type(err) is cls
    assert (err.status, err.code, err.provider_message) == (None, etype, "It failed")
    # a stream's data line goes through the same reader
    with pytest.raises(cls) as info:
        decode_json(
            b'{"type": "error", "error": {"type": "%s", "message": "It failed"}}' % etype.encode()
        )
    assert info.value.status is None


def test_an_unknown_kind_is_a_general_provider_failure_without_a_status() -> None:
    err = error_from_payload({"type": "brand_new_error", "message": "?"}, status=None)
    assert type(err) is ModelRequestError and err.status is None
