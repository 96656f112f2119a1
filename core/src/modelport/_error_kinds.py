"""Classifying provider errors that arrive without an HTTP status.

An error can show up inside a 200 body or as an event in the middle of a stream; then only the
error's own ``code`` / ``type`` says what failed. Every provider that speaks an OpenAI- or
Anthropic-style error object shares this table, so ``except RateLimitError`` means the same on
every path of every provider. Also here: the "try again in 9.8s" hint OpenAI puts in 429
messages, which is the only wait hint a caller gets when a proxy strips ``Retry-After``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from ._errors import ContextWindowExceededError, ModelNotFoundError, ModelRequestError

__all__ = ["ERROR_KINDS", "error_for_kind", "retry_hint"]

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
    from .provider import error_for_status

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
