"""OpenAI-style error bodies, stamped with this provider's name.

The shapes (OpenAI, llama.cpp, vLLM, LM Studio, FastAPI servers) are read by the core's
``modelport.provider.error_from_body`` / ``error_from_payload``, the one classifier every
provider shares: an HTTP error status, an error object inside a 200 body and an ``error`` event
mid-stream all map the same way, so ``except RateLimitError`` works on every path. This module
only binds the provider name, which lmstudio overrides through its own module.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from modelport import provider as sdk
from modelport.provider import ModelRequestError, ProviderProtocolError, error_object, excerpt

__all__ = [
    "PROVIDER",
    "error_from_body",
    "error_from_payload",
    "error_object",
    "excerpt",
    "protocol_error",
]

PROVIDER = "openai-chat"


def protocol_error(message: str, *, model: str | None) -> ProviderProtocolError:
    return sdk.protocol_error(message, provider=PROVIDER, model=model)


def error_from_payload(
    err: dict[str, Any] | str,
    *,
    status: int | None,
    headers: Mapping[str, str] | None = None,
    model: str | None = None,
) -> ModelRequestError:
    """The typed error for one error object; ``status=None`` when no HTTP status applies."""
    return sdk.error_from_payload(
        err, status=status, headers=headers, provider=PROVIDER, model=model
    )


def error_from_body(
    status: int, headers: Mapping[str, str] | None, body: bytes, *, model: str | None
) -> ModelRequestError:
    """``parse_error``: an HTTP error response, whatever its body looks like."""
    return sdk.error_from_body(status, headers, body, provider=PROVIDER, model=model)
