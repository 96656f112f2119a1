"""What a model call returns: ``Response`` and ``Usage`` (pydantic boundary types)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from ._cost import Bill, Cost
from ._messages import Message, ToolCall

__all__ = [
    "CacheSource",
    "Cost",
    "Response",
    "StopReason",
    "ToolResult",
    "Usage",
    "normalize_stop",
]

StopReason = Literal[
    "stop", "length", "tool_calls", "content_filter", "refusal", "error", "aborted", "unknown"
]
CacheSource = Literal["miss", "l1", "l2"]

_STOP_MAP: dict[str, StopReason] = {
    "stop": "stop",
    "end_turn": "stop",
    "stop_sequence": "stop",
    "eos": "stop",
    "eosfound": "stop",
    "completed": "stop",
    "length": "length",
    "max_tokens": "length",
    "max_output_tokens": "length",
    "model_length": "length",
    "tool_calls": "tool_calls",
    "tool_use": "tool_calls",
    "function_call": "tool_calls",
    "content_filter": "content_filter",
    "safety": "content_filter",
    "refusal": "refusal",
    "error": "error",
}


def normalize_stop(raw: str | None) -> StopReason | None:
    """Map a provider's finish reason to modelport's small set; unknown values say so."""
    if raw is None:
        return None
    return _STOP_MAP.get(raw.lower(), "unknown")


class Usage(BaseModel):
    """Token counts as the provider reported them (summed over retries and tool-loop turns).

    ``reasoning_tokens`` are part of ``output_tokens`` and ``cached_tokens`` part of
    ``input_tokens``, as OpenAI and Anthropic count them. ``cached_tokens`` are prompt-cache
    reads; ``cache_write_tokens`` the prompt tokens written to the cache by this call (also part
    of ``input_tokens``; providers that bill writes apart, such as Claude, report them).
    """

    model_config = ConfigDict(defer_build=True)

    input_tokens: int = 0
    output_tokens: int = 0
    reasoning_tokens: int = 0
    cached_tokens: int = 0
    cache_write_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            input_tokens=self.input_tokens + other.input_tokens,
            output_tokens=self.output_tokens + other.output_tokens,
            reasoning_tokens=self.reasoning_tokens + other.reasoning_tokens,
            cached_tokens=self.cached_tokens + other.cached_tokens,
            cache_write_tokens=self.cache_write_tokens + other.cache_write_tokens,
        )


class ToolResult(BaseModel):
    """The outcome of one executed tool call (filled by the tool loop)."""

    model_config = ConfigDict(defer_build=True)
    tool_call_id: str
    name: str
    content: Any = None
    error: str | None = None


class Response(BaseModel):
    """The normalized answer of a model call, the same shape for every provider."""

    model_config = ConfigDict(arbitrary_types_allowed=True, extra="ignore", defer_build=True)

    text: str = ""
    reasoning: str | None = None
    tool_calls: list[ToolCall] = Field(default_factory=list)
    tool_results: list[ToolResult] = Field(default_factory=list)
    structured: Any = None
    refusal: str | None = None
    usage: Usage = Field(default_factory=Usage)
    stop_reason: StopReason | None = None
    raw_stop_reason: str | None = None
    abort_reason: str | None = None  # set with stop_reason "aborted" (an ``AbortSignal``)
    model: str = ""
    provider: str = ""
    request_id: str | None = None
    latency_s: float | None = None
    time_to_first_token_s: float | None = None
    tokens_per_second: float | None = None
    attempts: int = 1
    cache_source: CacheSource = "miss"
    cache_key: str | None = None
    messages: list[Message] = Field(default_factory=list)
    provider_metadata: dict[str, Any] = Field(default_factory=dict)
    raw: Any = Field(default=None, repr=False)
    _bill: Bill = PrivateAttr(default_factory=Bill)  # what ``cost`` is priced from

    def __str__(self) -> str:
        return self.text

    @property
    def cost(self) -> Cost | None:
        """What this call spent, in USD (summed over tool-loop turns and structured re-asks);
        ``None`` when a model's price or the usage is unknown. A cache hit spent nothing
        (a zero ``Cost``): what it saved is ``cost_saved``. Priced when read, not before
        (docs/observability.md, "Cost")."""
        return self._bill.cost()

    @property
    def cost_saved(self) -> Cost | None:
        """What the cache hits among this call's model calls would have cost; ``None`` when
        there were none, or a price is unknown."""
        return self._bill.saved_cost()

    def assistant_message(self) -> Message:
        """The assistant turn to append to a history for the next call."""
        return Message(
            role="assistant",
            content=self.text or None,
            tool_calls=list(self.tool_calls),
            reasoning=self.reasoning,
            provider_metadata=dict(self.provider_metadata),
        )
