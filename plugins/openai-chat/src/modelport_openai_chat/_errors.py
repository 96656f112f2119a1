"""Error bodies of OpenAI and compatible servers, turned into modelport's typed errors.

One classifier serves the three places an error can show up: an HTTP error status, a 200 body
that carries an error object (some proxies and servers do that), and an ``error`` event in the
middle of a stream. Using the same one everywhere is what makes ``except RateLimitError`` work
the same on every path.

Shapes seen in the wild::

    {"error": {"message", "type", "param", "code": "context_length_exceeded"}}   OpenAI
    {"error": {"message", "type": "exceed_context_size_error", "code": 400}}     llama.cpp
    {"object": "error", "message", "type": "BadRequestError", "code": 400}       older vLLM
    {"error": "Unexpected endpoint or method."}                                   LM Studio
    {"detail": "Not Found"}                                                       FastAPI servers
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from modelport._errors import (
    ModelRequestError,
    ProviderProtocolError,
)
from modelport.provider import error_for_kind, error_for_status

__all__ = [
    "PROVIDER",
    "error_from_body",
    "error_from_payload",
    "error_object",
    "excerpt",
    "protocol_error",
]

PROVIDER = "openai-chat"

_EXCERPT = 200


def excerpt(data: bytes | str, limit: int = _EXCERPT) -> str:
    """A short, printable sample of what the server sent, for error messages."""
    if isinstance(data, bytes):
        data = data[: limit * 4].decode("utf-8", "replace")
    text = data.strip()
    return repr(text[:limit] + ("..." if len(text) > limit else ""))


def protocol_error(message: str, *, model: str | None) -> ProviderProtocolError:
    return ProviderProtocolError(message, provider=PROVIDER, model=model)


def error_object(data: Any) -> dict[str, Any] | str | None:
    """The error inside a decoded body, or ``None`` when the body is not an error."""
    if not isinstance(data, dict):
        return None
    err = data.get("error")
    if isinstance(err, dict | str) and err:
        return err
    if data.get("object") == "error" and "message" in data:
        return data
    return None


def error_from_payload(
    err: dict[str, Any] | str,
    *,
    status: int | None,
    headers: Mapping[str, str] | None = None,
    model: str | None = None,
) -> ModelRequestError:
    """Build the typed error for one error object; ``status=None`` when no HTTP status applies."""
    if isinstance(err, str):
        message, raw_code, kind = err, None, None
    else:
        message = _text(err.get("message")) or _text(err.get("msg")) or json.dumps(err)[:500]
        raw_code = err.get("code")
        kind = _text(err.get("type"))
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
    err = error_object(data)
    if err is None and isinstance(data, dict):
        detail = data.get("detail") or data.get("message")
        if isinstance(detail, str) and detail:
            err = detail
    if err is None:
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
