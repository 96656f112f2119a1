"""Responses API error bodies and error events, turned into modelport's typed errors.

An error reaches us in four shapes, and all of them must end as the same typed error so that
``except RateLimitError`` works on every path::

    HTTP error status   {"error": {"message", "type", "param", "code"}}
    200 body, failed    {"object": "response", "status": "failed", "error": {"code", "message"}}
    stream ``error``    {"type": "error", "code", "message", "param"}   (fields at the top level)
    stream failed       {"type": "response.failed", "response": {..., "error": {...}}}

Without an HTTP status (the last three), the error's ``code`` / ``type`` decides the class.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from modelport._errors import (
    ContextWindowExceededError,
    ModelNotFoundError,
    ModelRequestError,
    ProviderProtocolError,
    RateLimitError,
)
from modelport.provider import error_for_status

__all__ = [
    "PROVIDER",
    "error_from_body",
    "error_from_payload",
    "excerpt",
    "protocol_error",
]

PROVIDER = "openai-responses"

_EXCERPT = 200

# Codes and types OpenAI uses in response.error and error events, and llama.cpp's types.
_STATUS_BY_KIND: dict[str, int] = {
    "server_error": 500,
    "internal_error": 500,
    "api_error": 500,
    "service_unavailable": 503,
    "overloaded_error": 529,
    "rate_limit_exceeded": 429,
    "rate_limit_error": 429,
    "insufficient_quota": 429,
    "tokens": 429,
    "requests": 429,
    "invalid_api_key": 401,
    "authentication_error": 401,
    "permission_error": 403,
    "model_not_found": 404,
    "not_found_error": 404,
    "context_length_exceeded": 400,
    "exceed_context_size_error": 400,
    "invalid_request_error": 400,
    "invalid_prompt": 400,
    "invalid_image": 400,
    "invalid_image_format": 400,
    "invalid_base64_image": 400,
    "invalid_image_url": 400,
    "image_too_large": 400,
    "image_too_small": 400,
    "image_parse_error": 400,
    "image_content_policy_violation": 400,
    "invalid_image_mode": 400,
    "image_file_too_large": 400,
    "unsupported_image_media_type": 400,
    "empty_image_file": 400,
    "failed_to_download_image": 400,
    "image_file_not_found": 400,
}

_TRY_AGAIN = re.compile(r"try again in\s+((?:\d+(?:\.\d+)?\s*(?:ms|h|m|s)\s*)+)", re.IGNORECASE)
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)\s*(ms|h|m|s)")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def excerpt(data: bytes | str, limit: int = _EXCERPT) -> str:
    """A short, printable sample of what the server sent, for error messages."""
    if isinstance(data, bytes):
        data = data[: limit * 4].decode("utf-8", "replace")
    text = data.strip()
    return repr(text[:limit] + ("..." if len(text) > limit else ""))


def protocol_error(message: str, *, model: str | None) -> ProviderProtocolError:
    return ProviderProtocolError(message, provider=PROVIDER, model=model)


def error_from_payload(
    err: Mapping[str, Any] | str | None,
    *,
    status: int | None,
    headers: Mapping[str, str] | None = None,
    model: str | None = None,
) -> ModelRequestError:
    """The typed error for one error object; ``status=None`` when no HTTP status applies."""
    if isinstance(err, str):
        message, raw_code, kind = err, None, None
    elif err is None:
        message, raw_code, kind = "the provider reported a failure without details", None, None
    else:
        message = _text(err.get("message")) or json.dumps(dict(err), default=str)[:500]
        raw_code = err.get("code")
        kind = _text(err.get("type"))
        if kind == "error":  # a stream error event's own type, not an error kind
            kind = None
    code = raw_code if isinstance(raw_code, str) and raw_code else kind
    numeric = raw_code if isinstance(raw_code, int) and not isinstance(raw_code, bool) else None
    if status is not None:
        error = error_for_status(
            status, message, provider=PROVIDER, model=model, code=code, headers=headers
        )
    else:
        error = _classify_without_status(message, code, kind, numeric, headers, model)
    if isinstance(error, RateLimitError) and error.retry_after is None:
        error.retry_after = retry_hint(message)
    return error


def error_from_body(
    status: int, headers: Mapping[str, str] | None, body: bytes, *, model: str | None
) -> ModelRequestError:
    """``parse_error``: an HTTP error response, whatever its body looks like."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        text = body[:500].decode("utf-8", "replace").strip()
        return error_for_status(
            status, text or f"HTTP {status}", provider=PROVIDER, model=model, headers=headers
        )
    err: Any = data.get("error") if isinstance(data, dict) else None
    if not err and isinstance(data, dict):
        detail = data.get("detail") or data.get("message")
        if isinstance(detail, str) and detail:
            err = detail
    if not isinstance(err, dict | str) or not err:
        return error_for_status(
            status,
            f"HTTP {status}: {excerpt(body)}",
            provider=PROVIDER,
            model=model,
            headers=headers,
        )
    return error_from_payload(err, status=status, headers=headers, model=model)


def retry_hint(message: str) -> float | None:
    """Seconds to wait, from OpenAI's "Please try again in 9.816s" / "in 644ms" / "in 1m30s".

    A failed response or a stream error event has no Retry-After header, so the text is the
    only hint there is.
    """
    match = _TRY_AGAIN.search(message)
    if match is None:
        return None
    total = 0.0
    for number, unit in _DURATION_PART.findall(match.group(1)):
        total += float(number) * _UNIT_SECONDS[unit.lower()]
    return total


def _classify_without_status(
    message: str,
    code: str | None,
    kind: str | None,
    numeric: int | None,
    headers: Mapping[str, str] | None,
    model: str | None,
) -> ModelRequestError:
    guess = numeric if numeric is not None and 400 <= numeric < 600 else None
    if guess is None:
        for key in (code, kind):
            if key:
                guess = _STATUS_BY_KIND.get(key.lower())
                if guess is not None:
                    break
    if guess is not None:
        error = error_for_status(
            guess, message, provider=PROVIDER, model=model, code=code, headers=headers
        )
    else:
        # Unknown kind: only a clear context-window or missing-model signal is specific enough
        # to name; anything else stays the general provider failure.
        probe = error_for_status(
            400, message, provider=PROVIDER, model=model, code=code, headers=headers
        )
        if isinstance(probe, ContextWindowExceededError | ModelNotFoundError):
            error = probe
        else:
            error = ModelRequestError(
                f"provider error: {message}",
                provider=PROVIDER,
                model=model,
                provider_message=message,
                code=code,
            )
    error.status = numeric if numeric is not None and 100 <= numeric < 600 else None
    return error


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else str(value)
