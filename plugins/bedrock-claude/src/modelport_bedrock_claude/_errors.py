"""Bedrock failures as modelport's typed errors.

Bedrock names its errors: an HTTP error carries ``x-amzn-ErrorType: ValidationException:<url>``
and a ``{"message": ...}`` body (sometimes with ``__type``); a failure inside a stream is an
event-stream frame with ``:message-type: exception`` and ``:exception-type: throttlingException``
(lower camel case). Both go through ``classify``, so a throttle is a ``RateLimitError`` whether it
came as HTTP 429 or mid-stream.

A failure inside a stream arrives after the HTTP 200: it has no HTTP status of its own, so its
error carries ``status=None`` and is typed by its name alone (the retry loop decides by class,
not status). An HTTP error keeps the status it came with. A model timeout is the provider's
own time limit, not one of the caller's deadlines, so it is a retryable
``ProviderServerError`` on both paths rather than an ``LLMTimeoutError`` (whose ``phase``
names the caller's connect/read/first-chunk/total deadlines).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from modelport.provider import (
    AuthenticationError,
    BadRequestError,
    ContextWindowExceededError,
    ModelNotFoundError,
    ModelRequestError,
    ProviderServerError,
    RateLimitError,
    error_for_status,
    parse_retry_after,
    request_id_from,
)

__all__ = ["PROVIDER", "anthropic_error", "classify", "error_from_http"]

PROVIDER = "bedrock-claude"

_AUTH = frozenset(
    {
        "accessdeniedexception",
        "unrecognizedclientexception",
        "invalidsignatureexception",
        "incompletesignatureexception",
        "expiredtokenexception",
        "missingauthenticationtokenexception",
        "invalidclienttokenidexception",
        "signaturedoesnotmatchexception",
    }
)
_THROTTLE = frozenset({"throttlingexception", "toomanyrequestsexception"})
_QUOTA = frozenset({"servicequotaexceededexception"})
# The model is overloaded: a server-side condition that passes, so retryable.
_OVERLOAD = frozenset({"overloadedexception", "overloaded_error"})
_NOT_FOUND = frozenset({"resourcenotfoundexception"})
# The provider failed on its side; each passes, so each is retried.
_SERVER = frozenset(
    {
        "internalserverexception",
        "internalfailure",
        "serviceunavailableexception",
        "serviceunavailable",
        "modeltimeoutexception",
        "modelerrorexception",
        "modelstreamerrorexception",
        "modelnotreadyexception",
    }
)
_CONTEXT_PHRASES = (
    "input is too long",
    "prompt is too long",
    "exceed context limit",
    "context window",
    "maximum context length",
    "too many input tokens",
)
# Anthropic error event types (``{"type": "error", "error": {"type": ...}}``) inside a chunk,
# as the Bedrock names ``classify`` knows.
_ANTHROPIC_TYPES: dict[str, str] = {
    "overloaded_error": "overloadedexception",
    "api_error": "internalserverexception",
    "rate_limit_error": "throttlingexception",
    "invalid_request_error": "validationexception",
    "authentication_error": "accessdeniedexception",
    "permission_error": "accessdeniedexception",
    "not_found_error": "resourcenotfoundexception",
    "request_too_large": "validationexception",
    "timeout_error": "modeltimeoutexception",
}


def _short_type(value: str | None) -> str | None:
    """``ValidationException:http://internal...`` / ``com.amazon...#ValidationException``."""
    if not value:
        return None
    value = value.split(":", 1)[0].strip()
    value = value.rsplit("#", 1)[-1].strip()
    return value or None


def classify(
    status: int | None,
    error_type: str | None,
    message: str,
    *,
    model: str | None,
    request_id: str | None = None,
    retry_after: float | None = None,
    secrets: Iterable[str] = (),
) -> ModelRequestError:
    """The typed error for a Bedrock error name (any case) and message; ``status`` is the HTTP
    status, or None for a failure inside a stream (and then stays None)."""
    code = _short_type(error_type)
    key = (code or "").lower()
    lowered = message.lower()
    kw: dict[str, Any] = {
        "provider": PROVIDER,
        "model": model,
        "request_id": request_id,
        "provider_message": message,
        "code": code,
        "retry_after": retry_after,
    }
    err: ModelRequestError
    if key in _THROTTLE:
        err = RateLimitError(f"rate limited: {message}", status=status, **kw)
    elif key in _QUOTA:
        # A quota is not a rate window: waiting does not bring it back, so never retried.
        err = RateLimitError(
            f"service quota exceeded: {message}", status=status, retryable=False, **kw
        )
    elif key in _OVERLOAD:
        err = ProviderServerError(
            f"model overloaded: {message}", status=status, retryable=True, **kw
        )
    elif key in _AUTH:
        err = AuthenticationError(f"authentication failed: {message}", status=status, **kw)
    elif key in _NOT_FOUND:
        err = ModelNotFoundError(f"model not found: {message}", status=status, **kw)
    elif key in _SERVER:
        err = ProviderServerError(f"provider error: {message}", status=status, retryable=True, **kw)
    elif any(p in lowered for p in _CONTEXT_PHRASES) and (status is None or status < 500):
        err = ContextWindowExceededError(f"context window exceeded: {message}", status=status, **kw)
    elif key == "validationexception":
        if "model identifier is invalid" in lowered:
            err = ModelNotFoundError(f"model not found: {message}", status=status, **kw)
        else:
            err = BadRequestError(f"request rejected: {message}", status=status, **kw)
    elif status is not None:
        err = error_for_status(status, message, provider=PROVIDER, model=model, code=code)
        err.request_id = request_id
        if retry_after is not None:
            err.retry_after = retry_after
    else:
        err = ProviderServerError(f"provider error: {message}", **kw)
    secrets = [s for s in secrets if s]
    if secrets:
        err.scrubbed(secrets)
    return err


def error_from_http(
    status: int,
    headers: Mapping[str, str],
    body: bytes,
    *,
    model: str | None,
    secrets: Iterable[str] = (),
) -> ModelRequestError:
    """An HTTP error response: ``x-amzn-ErrorType`` + ``{"message": ...}`` (+ ``__type``)."""
    lowered = {k.lower(): v for k, v in headers.items()}
    error_type = lowered.get("x-amzn-errortype")
    message: str | None = None
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        data = None
    if isinstance(data, dict):
        raw = data.get("message", data.get("Message"))
        if isinstance(raw, str):
            message = raw
        if error_type is None:
            for key in ("__type", "code", "type"):
                if isinstance(data.get(key), str):
                    error_type = data[key]
                    break
    if message is None:
        text = body[:300].decode("utf-8", "replace").strip()
        message = text + ("..." if len(body) > 300 else "") if text else f"HTTP {status}"
    request_id = request_id_from(lowered) or lowered.get("x-amz-request-id")
    return classify(
        status,
        error_type,
        message,
        model=model,
        request_id=request_id,
        retry_after=parse_retry_after(lowered),
        secrets=secrets,
    )


def anthropic_error(data: dict[str, Any], *, model: str | None) -> ModelRequestError:
    """An Anthropic ``{"type": "error", "error": {...}}`` event carried in a chunk: typed by
    its ``type``, with no HTTP status (it came inside a 200 stream)."""
    error = data.get("error")
    error = error if isinstance(error, dict) else {}
    etype = str(error.get("type") or "api_error")
    message = str(error.get("message") or etype)
    name = _ANTHROPIC_TYPES.get(etype, "internalserverexception")
    err = classify(None, name, message, model=model)
    err.code = etype
    return err
