"""Wire-level values exchanged between providers, hooks, the transport and the core.

Hot-path objects: slotted dataclasses. ``WireRequest.__repr__`` never shows header values that
may carry credentials.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

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


@dataclass(slots=True)
class WireRequest:
    """An HTTP request before it is sent: ``body`` is the JSON object; ``content`` its bytes.

    Shaping hooks edit ``body``/``headers``; the core serializes ``body`` into ``content`` once
    shaping is done, then the provider's ``authenticate`` may sign the final bytes.
    """

    method: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)
    body: dict[str, Any] | None = None
    content: bytes | None = None
    # The URL the response-cache key uses when ``url`` depends on streaming (Bedrock's
    # ``invoke`` / ``invoke-with-response-stream``): one entry serves both ways of asking.
    cache_url: str | None = None

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


@dataclass(slots=True)
class TextDelta:
    text: str


@dataclass(slots=True)
class ReasoningDelta:
    text: str
    signature: str | None = None


@dataclass(slots=True)
class RefusalDelta:
    text: str


@dataclass(slots=True)
class ToolCallDelta:
    """A fragment of a tool call. Grouped by ``id``, else ``index``, else a new ``name``."""

    index: int | None = None
    id: str | None = None
    name: str | None = None
    arguments: str = ""


@dataclass(slots=True)
class UsageDelta:
    input_tokens: int = 0
    output_tokens: int = 0
    reasoning_tokens: int = 0
    cached_tokens: int = 0
    cache_write_tokens: int = 0


@dataclass(slots=True)
class FinishDelta:
    reason: str | None


@dataclass(slots=True)
class MetaDelta:
    """Response metadata (model name, response id, provider extras) seen in the stream."""

    model: str | None = None
    response_id: str | None = None
    metadata: dict[str, Any] | None = None


WireDelta = (
    TextDelta | ReasoningDelta | RefusalDelta | ToolCallDelta | UsageDelta | FinishDelta | MetaDelta
)
