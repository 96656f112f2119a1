"""What a provider plugin implements: a sans-IO translator between modelport and one wire API.

A provider never performs I/O, retries or caching. The core calls, per request::

    build_request(request)        -> WireRequest   (URL, headers, JSON body; no credentials)
    [shaping hooks edit the WireRequest; the core serializes the body]
    authenticate(wire)                              (add credentials; may sign the final bytes)
    parse_response(body, request) -> Response      (non-streamed)
    stream_decoder(request)       -> StreamDecoder (streamed: feed(bytes) / close() -> deltas)
    parse_error(status, headers, body) -> ModelRequestError

so a provider is tested by feeding it recorded bytes, with no server at all.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

from ._error_kinds import ERROR_KINDS, error_for_kind, retry_hint
from ._errors import (
    AuthenticationError,
    BadRequestError,
    ContextWindowExceededError,
    ModelNotFoundError,
    ModelRequestError,
    ProviderServerError,
    RateLimitError,
)
from ._request import Request
from ._response import Response
from ._sse import SSEDecoder, SSEEvent
from ._sse_stream import SSEResponseDecoder
from ._wire import (
    FinishDelta,
    MetaDelta,
    ReasoningDelta,
    RefusalDelta,
    TextDelta,
    ToolCallDelta,
    UsageDelta,
    WireDelta,
    WireRequest,
)

__all__ = [
    "ERROR_KINDS",
    "BaseProvider",
    "FinishDelta",
    "MetaDelta",
    "Provider",
    "ProviderSettings",
    "ReasoningDelta",
    "RefusalDelta",
    "SSEDecoder",
    "SSEEvent",
    "SSEResponseDecoder",
    "StreamDecoder",
    "TextDelta",
    "ToolCallDelta",
    "UsageDelta",
    "WireDelta",
    "WireRequest",
    "error_for_kind",
    "error_for_status",
    "merge_headers",
    "parse_retry_after",
    "retry_hint",
]


@dataclass(slots=True)
class ProviderSettings:
    """Per-``LLM`` configuration handed to a provider. ``api_key`` is never logged or cached."""

    model: str
    base_url: str | None = None
    api_key: str | None = field(default=None, repr=False)
    options: dict[str, Any] = field(default_factory=dict)


class StreamDecoder(Protocol):
    """Incremental decoder of one streamed response: any chunking yields the same deltas."""

    def feed(self, chunk: bytes) -> list[WireDelta]: ...

    def close(self) -> list[WireDelta]:
        """End of input. Raises ``ProviderProtocolError`` when the stream was cut short."""
        ...


class Provider(Protocol):
    name: ClassVar[str]
    version: ClassVar[str]

    settings: ProviderSettings

    def build_request(self, request: Request) -> WireRequest: ...

    def authenticate(self, wire: WireRequest) -> None: ...

    def parse_response(self, body: bytes, request: Request) -> Response: ...

    def stream_decoder(self, request: Request) -> StreamDecoder: ...

    def parse_error(
        self, status: int, headers: Mapping[str, str], body: bytes
    ) -> ModelRequestError: ...

    def models_request(self) -> WireRequest | None: ...

    def parse_models(self, body: bytes) -> list[str]: ...


class BaseProvider:
    """Convenient defaults for a provider class; subclasses set the ClassVars and translate.

    ``api_key_env`` names the environment variable read when no key is passed;
    ``requires_api_key`` says whether a missing key is a configuration error (local servers
    usually take none).
    """

    name: ClassVar[str] = ""
    version: ClassVar[str] = "0"
    default_base_url: ClassVar[str | None] = None
    api_key_env: ClassVar[str | None] = None
    requires_api_key: ClassVar[bool] = False

    def __init__(self, settings: ProviderSettings) -> None:
        self.settings = settings

    @property
    def base_url(self) -> str:
        url = self.settings.base_url or self.default_base_url or ""
        return url.rstrip("/")

    def secrets(self) -> list[str]:
        """Credential strings the core must scrub from every error (beyond ``api_key``).

        Override when the provider resolves credentials itself (e.g. from a cloud SDK chain).
        """
        return []

    def api_key_required(self) -> bool:
        """Hosted defaults need a key; a custom base URL (a local server) may take none."""
        return self.requires_api_key and self.settings.base_url is None

    def authenticate(self, wire: WireRequest) -> None:
        if self.settings.api_key:
            wire.headers["Authorization"] = f"Bearer {self.settings.api_key}"

    def models_request(self) -> WireRequest | None:
        return None

    def parse_models(self, body: bytes) -> list[str]:
        return []

    def parse_error(
        self, status: int, headers: Mapping[str, str], body: bytes
    ) -> ModelRequestError:
        message, code = _generic_error_text(body)
        return error_for_status(
            status,
            message or f"HTTP {status}",
            provider=self.name,
            model=self.settings.model,
            code=code,
            headers=headers,
        )


def _generic_error_text(body: bytes) -> tuple[str | None, str | None]:
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        text = body[:500].decode("utf-8", "replace").strip()
        return (text or None), None
    if isinstance(data, dict):
        err = data.get("error", data)
        if isinstance(err, dict):
            msg = err.get("message") or err.get("msg")
            code = err.get("code") or err.get("type")
            return (str(msg) if msg else None), (str(code) if code else None)
        if isinstance(err, str):
            return err, None
    return None, None


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
    request_id = (
        headers.get("x-request-id")
        or headers.get("request-id")
        or headers.get("x-amzn-requestid")
        or None
    )
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
        err = RateLimitError(f"rate limited: {message}", **kw)
        if "request too large" in lowered:
            # OpenAI's tokens-per-minute 429 for a single oversized request: waiting won't help.
            err.retryable = False  # type: ignore[attr-defined]
        return err
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


def merge_headers(defaults: Mapping[str, str], extra: Mapping[str, str]) -> dict[str, str]:
    """A provider's default headers overridden by the caller's ``extra_headers``.

    HTTP names are case-insensitive: the caller's "accept" replaces the default "Accept"
    instead of travelling next to it.
    """
    if not extra:
        return dict(defaults)
    given = {k.lower() for k in extra}
    merged = {k: v for k, v in defaults.items() if k.lower() not in given}
    merged.update(extra)
    return merged


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
    from email.utils import parsedate_to_datetime

    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    import time

    return max(0.0, when.timestamp() - time.time())
