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
from collections.abc import Mapping
from typing import Any

from modelport._errors import (
    ModelRequestError,
    ProviderProtocolError,
)
from modelport.provider import ERROR_KINDS, error_for_kind, error_for_status

__all__ = [
    "PROVIDER",
    "error_from_body",
    "error_from_payload",
    "excerpt",
    "protocol_error",
]

PROVIDER = "openai-responses"

_EXCERPT = 200

# Codes only the Responses API sends (image input problems), added to the core table.
_KINDS: dict[str, int] = {
    **ERROR_KINDS,
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
        error = error_for_kind(
            message,
            code=code,
            kind=kind,
            numeric=numeric,
            provider=PROVIDER,
            model=model,
            headers=headers,
            kinds=_KINDS,
        )
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


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else str(value)
