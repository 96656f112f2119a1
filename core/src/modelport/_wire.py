"""Wire-level values exchanged between providers, hooks, the transport and the core.

Hot-path objects: ``Slotted`` classes (a delta is built per stream chunk, and every first call
imports this module). ``WireRequest.__repr__`` never shows header values that may carry
credentials.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._slotted import Slotted

__all__ = [
    "SENSITIVE_HEADERS",
    "FinishDelta",
    "MetaDelta",
    "ReasoningDelta",
    "RefusalDelta",
    "TextDelta",
    "ToolCallDelta",
    "UsageDelta",
    "WireDelta",
    "WireRequest",
    "merge_headers",
]

SENSITIVE_HEADERS = frozenset(
    {
        "authorization",
        "api-key",
        "x-api-key",
        "proxy-authorization",
        "cookie",
        "x-amz-security-token",
        "x-goog-api-key",
    }
)


class WireRequest(Slotted):
    """An HTTP request before it is sent: ``body`` is the JSON object; ``content`` its bytes.

    Shaping hooks edit ``body``/``headers``; the core serializes ``body`` into ``content`` once
    shaping is done, then the provider's ``authenticate`` may sign the final bytes.
    """

    _fields = ("method", "url", "headers", "body", "content", "cache_url")
    __slots__ = _fields
    method: str
    url: str
    headers: dict[str, str]
    body: dict[str, Any] | None
    content: bytes | None
    # The URL the response-cache key uses when ``url`` depends on streaming (Bedrock's
    # ``invoke`` / ``invoke-with-response-stream``): one entry serves both ways of asking.
    cache_url: str | None

    def __init__(
        self,
        method: str,
        url: str,
        headers: dict[str, str] | None = None,
        body: dict[str, Any] | None = None,
        content: bytes | None = None,
        cache_url: str | None = None,
    ) -> None:
        self.method = method
        self.url = url
        self.headers = {} if headers is None else headers
        self.body = body
        self.content = content
        self.cache_url = cache_url

    def __repr__(self) -> str:
        shown = {
            k: ("[REDACTED]" if k.lower() in SENSITIVE_HEADERS else v)
            for k, v in self.headers.items()
        }
        return f"WireRequest(method={self.method!r}, url={self.url!r}, headers={shown!r})"


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


# Deltas: what a provider's stream decoder emits. The core assembles them into StreamEvents and
# the final Response, identically for every provider.


class TextDelta(Slotted):
    __slots__ = ("text",)
    text: str

    def __init__(self, text: str) -> None:
        self.text = text


class ReasoningDelta(Slotted):
    _fields = ("text", "signature")
    __slots__ = _fields
    text: str
    signature: str | None

    def __init__(self, text: str, signature: str | None = None) -> None:
        self.text = text
        self.signature = signature


class RefusalDelta(Slotted):
    __slots__ = ("text",)
    text: str

    def __init__(self, text: str) -> None:
        self.text = text


class ToolCallDelta(Slotted):
    """A fragment of a tool call. Grouped by ``id``, else ``index``, else a new ``name``."""

    _fields = ("index", "id", "name", "arguments")
    __slots__ = _fields
    index: int | None
    id: str | None
    name: str | None
    arguments: str

    def __init__(
        self,
        index: int | None = None,
        id: str | None = None,
        name: str | None = None,
        arguments: str = "",
    ) -> None:
        self.index = index
        self.id = id
        self.name = name
        self.arguments = arguments


class UsageDelta(Slotted):
    _fields = (
        "input_tokens",
        "output_tokens",
        "reasoning_tokens",
        "cached_tokens",
        "cache_write_tokens",
    )
    __slots__ = _fields
    input_tokens: int
    output_tokens: int
    reasoning_tokens: int
    cached_tokens: int
    cache_write_tokens: int

    def __init__(
        self,
        input_tokens: int = 0,
        output_tokens: int = 0,
        reasoning_tokens: int = 0,
        cached_tokens: int = 0,
        cache_write_tokens: int = 0,
    ) -> None:
        self.input_tokens = input_tokens
        self.output_tokens = output_tokens
        self.reasoning_tokens = reasoning_tokens
        self.cached_tokens = cached_tokens
        self.cache_write_tokens = cache_write_tokens


class FinishDelta(Slotted):
    __slots__ = ("reason",)
    reason: str | None

    def __init__(self, reason: str | None) -> None:
        self.reason = reason


class MetaDelta(Slotted):
    """Response metadata (model name, response id, provider extras) seen in the stream."""

    _fields = ("model", "response_id", "metadata")
    __slots__ = _fields
    model: str | None
    response_id: str | None
    metadata: dict[str, Any] | None

    def __init__(
        self,
        model: str | None = None,
        response_id: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        self.model = model
        self.response_id = response_id
        self.metadata = metadata


WireDelta = (
    TextDelta | ReasoningDelta | RefusalDelta | ToolCallDelta | UsageDelta | FinishDelta | MetaDelta
)
