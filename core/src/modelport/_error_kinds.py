"""Classifying provider errors that arrive without an HTTP status.

An error can show up inside a 200 body or as an event in the middle of a stream; then only the
error's own ``code`` / ``type`` says what failed. Every provider that speaks an OpenAI- or
Anthropic-style error object shares this table, so ``except RateLimitError`` means the same on
every path of every provider. Also here: the "try again in 9.8s" hint OpenAI puts in 429
messages, which is the only wait hint a caller gets when a proxy strips ``Retry-After``.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from typing import Any

from ._errors import (
    AuthenticationError,
    BadRequestError,
    ContextWindowExceededError,
    ModelNotFoundError,
    ModelRequestError,
    ProviderServerError,
    RateLimitError,
)

__all__ = [
    "ERROR_KINDS",
    "error_for_kind",
    "error_for_status",
    "parse_retry_after",
    "request_id_from",
    "retry_hint",
]

# Codes and types seen from OpenAI (chat and Responses), llama.cpp, vLLM, Groq, OpenRouter and
# Anthropic, mapped to the HTTP status they stand for.
ERROR_KINDS: Mapping[str, int] = {
    "server_error": 500,
    "internal_error": 500,
    "internal_server_error": 500,
    "api_error": 500,
    "service_unavailable": 503,
    "unavailable_error": 503,
    "overloaded_error": 529,
    "timeout_error": 504,
    "rate_limit_exceeded": 429,
    "rate_limit_error": 429,
    "tokens": 429,
    "requests": 429,
    "insufficient_quota": 429,
    "invalid_api_key": 401,
    "authentication_error": 401,
    "permission_error": 403,
    "model_not_found": 404,
    "not_found_error": 404,
    "context_length_exceeded": 400,
    "exceed_context_size_error": 400,
    "invalid_request_error": 400,
    "request_too_large": 413,
    "badrequesterror": 400,
    "invalid_prompt": 400,
}

_TRY_AGAIN = re.compile(r"try again in\s+((?:\d+(?:\.\d+)?\s*(?:ms|h|m|s)\s*)+)", re.IGNORECASE)
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)\s*(ms|h|m|s)")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def retry_hint(message: str) -> float | None:
    """Seconds to wait, from "Please try again in 9.816s" / "in 644ms" / "in 1m30s"."""
    match = _TRY_AGAIN.search(message)
    if match is None:
        return None
    total = 0.0
    for number, unit in _DURATION_PART.findall(match.group(1)):
        total += float(number) * _UNIT_SECONDS[unit.lower()]
    return total


def error_for_kind(
    message: str,
    *,
    code: str | None = None,
    kind: str | None = None,
    numeric: int | None = None,
    provider: str | None = None,
    model: str | None = None,
    headers: Mapping[str, str] | None = None,
    kinds: Mapping[str, int] = ERROR_KINDS,
) -> ModelRequestError:
    """The typed error for an error object with no HTTP status (``numeric``: a status-like
    number some servers put in ``code``). An unknown kind stays a general provider failure
    unless the message clearly names a context-window or missing-model problem."""
    guess = numeric if numeric is not None and 400 <= numeric < 600 else None
    if guess is None:
        for key in (code, kind):
            if key:
                guess = kinds.get(key.lower())
                if guess is not None:
                    break
    if guess is not None:
        error = error_for_status(
            guess, message, provider=provider, model=model, code=code, headers=headers
        )
    else:
        probe = error_for_status(
            400, message, provider=provider, model=model, code=code, headers=headers
        )
        if isinstance(probe, ContextWindowExceededError | ModelNotFoundError):
            error = probe
        else:
            error = ModelRequestError(
                f"provider error: {message}",
                provider=provider,
                model=model,
                provider_message=message,
                code=code,
            )
    error.status = numeric if numeric is not None and 100 <= numeric < 600 else None
    return error


_CONTEXT_CODES = (
    "context_length_exceeded",
    "context_window",
    "string_above_max_length",
    "exceed_context_size",  # llama.cpp's error type
)
_CONTEXT_PHRASES = (
    "maximum context length",
    "context length",
    "context window",
    "too many tokens",
    "exceeds the available context",
    "prompt is too long",
)
_NOT_FOUND_CODES = ("model_not_found",)


def error_for_status(
    status: int,
    message: str,
    *,
    provider: str | None = None,
    model: str | None = None,
    code: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> ModelRequestError:
    """Pick the error class for an HTTP failure from its status, code and message."""
    headers = headers or {}
    request_id = request_id_from(headers)
    kw: dict[str, Any] = {
        "provider": provider,
        "model": model,
        "status": status,
        "request_id": request_id,
        "provider_message": message,
        "code": code,
        "retry_after": parse_retry_after(headers),
    }
    lowered = message.lower()
    if status in (401, 403):
        return AuthenticationError(f"authentication failed: {message}", **kw)
    if status == 429:
        if kw["retry_after"] is None:
            kw["retry_after"] = retry_hint(message)  # OpenAI's "try again in 9.8s"
        # OpenAI's tokens-per-minute 429 for a single oversized request: waiting won't help.
        retryable = False if "request too large" in lowered else None
        return RateLimitError(f"rate limited: {message}", retryable=retryable, **kw)
    if status >= 500:
        return ProviderServerError(f"provider error: {message}", **kw)
    if (code and any(c in code for c in _CONTEXT_CODES)) or any(
        p in lowered for p in _CONTEXT_PHRASES
    ):
        return ContextWindowExceededError(f"context window exceeded: {message}", **kw)
    if status == 404 or (code and code in _NOT_FOUND_CODES):
        return ModelNotFoundError(f"model not found: {message}", **kw)
    if 400 <= status < 500:
        return BadRequestError(f"request rejected: {message}", **kw)
    return ModelRequestError(f"unexpected HTTP {status}: {message}", **kw)


def request_id_from(headers: Mapping[str, str] | None) -> str | None:
    """The provider's request id from response headers (OpenAI, Anthropic, AWS spellings)."""
    if not headers:
        return None
    return (
        headers.get("x-request-id")
        or headers.get("request-id")
        or headers.get("x-amzn-requestid")
        or headers.get("x-amzn-request-id")
        or None
    )


def parse_retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds to wait, from ``retry-after-ms`` (OpenAI) or ``Retry-After`` (seconds or date)."""
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            return max(0.0, float(ms) / 1000.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    from email.utils import parsedate_to_datetime  # rare (HTTP-date form): import on use

    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())
