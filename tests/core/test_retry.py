from __future__ import annotations

import pytest
from modelport import (
    BadRequestError,
    LLMTimeoutError,
    ModelRequestError,
    ProviderConnectionError,
    ProviderProtocolError,
    ProviderServerError,
    RateLimitError,
)
from modelport._engine._retry import RetryPolicy
from modelport._errors import redact
from modelport.provider import error_for_status, parse_retry_after


@pytest.mark.parametrize(
    ("error", "retried"),
    [
        (RateLimitError("x", status=429), True),
        (ProviderServerError("x", status=503), True),
        (LLMTimeoutError("x"), True),
        (ProviderConnectionError("x"), True),
        (ModelRequestError("x", status=408), True),
        (ModelRequestError("x", status=409), True),
        (BadRequestError("x", status=400), False),
        (ProviderProtocolError("x"), False),
    ],
)
def test_what_is_retried(error: ModelRequestError, retried: bool) -> None:
    assert (RetryPolicy().delay(error, 1) is not None) is retried


def test_backoff_grows_and_stops_after_max_retries() -> None:
    policy = RetryPolicy(max_retries=3, backoff_base=1.0, jitter=0.0)
    err = ProviderServerError("x", status=500)
    assert [policy.delay(err, a) for a in (1, 2, 3, 4)] == [1.0, 2.0, 4.0, None]


def test_retry_after_is_honoured_and_capped() -> None:
    policy = RetryPolicy(max_retry_after=10)
    assert policy.delay(RateLimitError("x", retry_after=0.25), 1) == 0.25
    assert policy.delay(RateLimitError("x", retry_after=30), 1) is None


def test_request_too_large_429_is_not_retried() -> None:
    err = error_for_status(
        429,
        "Request too large for gpt-4o in organization org-x on tokens per min (TPM): "
        "Limit 30000, Requested 31538.",
    )
    assert isinstance(err, RateLimitError)
    assert RetryPolicy().delay(err, 1) is None


def test_parse_retry_after_forms() -> None:
    assert parse_retry_after({"retry-after-ms": "1500"}) == 1.5
    assert parse_retry_after({"retry-after": "3"}) == 3.0
    assert parse_retry_after({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}) == 0.0
    assert parse_retry_after({"retry-after": "soon"}) is None
    assert parse_retry_after({}) is None


def test_error_for_status_classifies() -> None:
    from modelport import (
        AuthenticationError,
        ContextWindowExceededError,
        ModelNotFoundError,
    )

    assert isinstance(error_for_status(401, "bad key"), AuthenticationError)
    assert isinstance(error_for_status(404, "nope"), ModelNotFoundError)
    assert isinstance(
        error_for_status(400, "This model's maximum context length is 8192 tokens"),
        ContextWindowExceededError,
    )
    rl = error_for_status(429, "slow", headers={"retry-after": "2", "x-request-id": "req_9"})
    assert isinstance(rl, RateLimitError) and rl.retry_after == 2.0 and rl.request_id == "req_9"


def test_redact_masks_whole_and_abbreviated_keys() -> None:
    key = "sk-canary-0123456789abcdef"
    text = f"Incorrect API key provided: {key}; also sk-canar***{key[-8:]}"
    out = redact(text, [key])
    assert key not in out and key[-8:] not in out and "[REDACTED]" in out


def test_retry_hint_from_the_message_when_no_header() -> None:
    from modelport.provider import retry_hint

    err = error_for_status(429, "Rate limit reached ... Please try again in 9.816s. Visit ...")
    assert isinstance(err, RateLimitError) and err.retry_after == pytest.approx(9.816)
    assert retry_hint("try again in 644ms") == pytest.approx(0.644)
    assert retry_hint("try again in 1m30s") == 90.0
    header = error_for_status(429, "try again in 9s", headers={"retry-after": "2"})
    assert header.retry_after == 2.0  # the header wins


def test_errors_without_a_status_are_classified_by_kind() -> None:
    from modelport import AuthenticationError
    from modelport.provider import error_for_kind

    assert isinstance(error_for_kind("slow", code="rate_limit_exceeded"), RateLimitError)
    assert isinstance(error_for_kind("busy", kind="overloaded_error"), ProviderServerError)
    assert isinstance(error_for_kind("who?", kind="authentication_error"), AuthenticationError)
    assert isinstance(error_for_kind("bad", numeric=400), BadRequestError)
    unknown = error_for_kind("something odd", kind="mystery")
    assert type(unknown) is ModelRequestError and unknown.status is None
