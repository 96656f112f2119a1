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

from collections.abc import Mapping
from typing import Any

from modelport import provider as sdk
from modelport.provider import ERROR_KINDS, ModelRequestError, ProviderProtocolError, excerpt

__all__ = [
    "PROVIDER",
    "error_from_body",
    "error_from_payload",
    "excerpt",
    "protocol_error",
]

PROVIDER = "openai-responses"

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


def protocol_error(message: str, *, model: str | None) -> ProviderProtocolError:
    return sdk.protocol_error(message, provider=PROVIDER, model=model)


def error_from_payload(
    err: Mapping[str, Any] | str | None,
    *,
    status: int | None,
    headers: Mapping[str, str] | None = None,
    model: str | None = None,
) -> ModelRequestError:
    """The typed error for one error object; ``status=None`` when no HTTP status applies."""
    return sdk.error_from_payload(
        err, status=status, headers=headers, provider=PROVIDER, model=model, kinds=_KINDS
    )


def error_from_body(
    status: int, headers: Mapping[str, str] | None, body: bytes, *, model: str | None
) -> ModelRequestError:
    """``parse_error``: an HTTP error response, whatever its body looks like."""
    return sdk.error_from_body(status, headers, body, provider=PROVIDER, model=model, kinds=_KINDS)
