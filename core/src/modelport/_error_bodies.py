"""JSON error bodies, and the protocol errors a decoder raises, built in one place.

Every provider meets the same handful of error shapes, over an HTTP error status, inside a 200
body, or as an event in the middle of a stream. Reading them here, with one classifier
(``error_for_status`` / ``error_for_kind``), is what makes ``except RateLimitError`` mean the
same thing for every provider and on every path. Shapes seen in the wild::

    {"error": {"message", "type", "param", "code": "context_length_exceeded"}}   OpenAI
    {"type": "error", "error": {"type": "overloaded_error", "message"}}          Anthropic
    {"error": {"message", "type": "exceed_context_size_error", "code": 400}}     llama.cpp
    {"object": "error", "message", "type": "BadRequestError", "code": 400}       older vLLM
    {"error": "Unexpected endpoint or method."}                                   LM Studio
    {"message": "..."} / {"detail": "Not Found"}                                  Bedrock, FastAPI
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ._error_kinds import ERROR_KINDS, error_for_kind, error_for_status
from ._errors import ModelRequestError, ProviderProtocolError

__all__ = [
    "decode_json",
    "error_from_body",
    "error_from_payload",
    "error_object",
    "excerpt",
    "protocol_error",
]

_EXCERPT = 200


def excerpt(data: bytes | str, limit: int = _EXCERPT) -> str:
    """A short, printable sample of what the server sent, for error messages."""
    if isinstance(data, bytes):
        data = data[: limit * 4].decode("utf-8", "replace")
    text = data.strip()
    return repr(text[:limit] + ("..." if len(text) > limit else ""))


def protocol_error(
    message: str,
    *,
    provider: str | None = None,
    model: str | None = None,
    body: bytes | str | None = None,
) -> ProviderProtocolError:
    """The error for a response that cannot be understood; ``body`` adds an excerpt of it."""
    if body is not None:
        message = f"{message}: {excerpt(body)}"
    return ProviderProtocolError(message, provider=provider, model=model)


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
    err: Mapping[str, Any] | str | None,
    *,
    status: int | None,
    headers: Mapping[str, str] | None = None,
    provider: str | None = None,
    model: str | None = None,
    kinds: Mapping[str, int] = ERROR_KINDS,
) -> ModelRequestError:
    """The typed error for one error object; ``status=None`` when no HTTP status applies
    (an error inside a 200 body or a stream), so its ``code`` / ``type`` decide, looked up in
    ``kinds`` (extend ``ERROR_KINDS`` with a provider's own codes)."""
    if isinstance(err, str):
        message, raw_code, kind = err, None, None
    elif err is None:
        message, raw_code, kind = "the provider reported a failure without details", None, None
    else:
        message = (
            _text(err.get("message"))
            or _text(err.get("msg"))
            or json.dumps(dict(err), default=str)[:500]
        )
        raw_code = err.get("code")
        kind = _text(err.get("type"))
        if kind == "error":  # a stream error event's own type, not an error kind
            kind = None
    code = raw_code if isinstance(raw_code, str) and raw_code else kind
    numeric = raw_code if isinstance(raw_code, int) and not isinstance(raw_code, bool) else None
    if status is not None:
        return error_for_status(
            status, message, provider=provider, model=model, code=code, headers=headers
        )
    return error_for_kind(
        message,
        code=code,
        kind=kind,
        numeric=numeric,
        provider=provider,
        model=model,
        headers=headers,
        kinds=kinds,
    )


def error_from_body(
    status: int,
    headers: Mapping[str, str] | None,
    body: bytes,
    *,
    provider: str | None = None,
    model: str | None = None,
    kinds: Mapping[str, int] = ERROR_KINDS,
) -> ModelRequestError:
    """An HTTP error response as a typed error, whatever its body looks like (JSON or not)."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        text = body[:500].decode("utf-8", "replace").strip()
        return error_for_status(
            status, text or f"HTTP {status}", provider=provider, model=model, headers=headers
        )
    err = error_object(data)
    if err is None and isinstance(data, dict):
        detail = data.get("detail") or data.get("message") or data.get("Message")
        if isinstance(detail, str) and detail:
            err = detail
    if err is None:
        return error_for_status(
            status,
            f"HTTP {status}: {excerpt(body)}",
            provider=provider,
            model=model,
            headers=headers,
        )
    return error_from_payload(
        err, status=status, headers=headers, provider=provider, model=model, kinds=kinds
    )


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else str(value)


def decode_json(
    body: bytes | str,
    *,
    provider: str | None = None,
    model: str | None = None,
    what: str = "response",
) -> Any:
    """A 200 body (or one stream event's data) as JSON, for a decoder.

    Not JSON: a ``ProviderProtocolError`` with an excerpt. An error object inside it (proxies
    and some servers answer 200 with ``{"error": ...}``): the typed error it stands for, raised
    the same way as for an HTTP error status. Otherwise the decoded value.
    """
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise protocol_error(f"{what} is not JSON", provider=provider, model=model, body=body)
    err = error_object(data)
    if err is not None:
        raise error_from_payload(err, status=None, provider=provider, model=model)
    return data
