"""What a model call returns: ``Response`` and ``Usage`` (boundary records, see ``_record``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, Self

from ._cost import Bill, Cost
from ._messages import Message, ToolCall, tool_calls_of
from ._record import (
    Record,
    check_choice,
    check_dict,
    check_float,
    check_int,
    check_str,
    check_text,
    invalid,
)

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


class Usage(Record):
    """Token counts as the provider reported them (summed over retries and tool-loop turns).

    ``reasoning_tokens`` are part of ``output_tokens`` and ``cached_tokens`` part of
    ``input_tokens``, as OpenAI and Anthropic count them. ``cached_tokens`` are prompt-cache
    reads; ``cache_write_tokens`` the prompt tokens written to the cache by this call (also part
    of ``input_tokens``; providers that bill writes apart, such as Claude, report them).
    """

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
        *,
        input_tokens: int = 0,
        output_tokens: int = 0,
        reasoning_tokens: int = 0,
        cached_tokens: int = 0,
        cache_write_tokens: int = 0,
    ) -> None:
        # Counts are nearly always ints: checked inline, a call only for anything else.
        self.input_tokens = (
            input_tokens
            if type(input_tokens) is int
            else check_int("Usage", "input_tokens", input_tokens)
        )
        self.output_tokens = (
            output_tokens
            if type(output_tokens) is int
            else check_int("Usage", "output_tokens", output_tokens)
        )
        self.reasoning_tokens = (
            reasoning_tokens
            if type(reasoning_tokens) is int
            else check_int("Usage", "reasoning_tokens", reasoning_tokens)
        )
        self.cached_tokens = (
            cached_tokens
            if type(cached_tokens) is int
            else check_int("Usage", "cached_tokens", cached_tokens)
        )
        self.cache_write_tokens = (
            cache_write_tokens
            if type(cache_write_tokens) is int
            else check_int("Usage", "cache_write_tokens", cache_write_tokens)
        )

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


class ToolResult(Record):
    """The outcome of one executed tool call (filled by the tool loop)."""

    _fields = ("tool_call_id", "name", "content", "error")
    __slots__ = _fields
    tool_call_id: str
    name: str
    content: Any
    error: str | None

    def __init__(
        self, *, tool_call_id: str, name: str, content: Any = None, error: str | None = None
    ) -> None:
        self.tool_call_id = check_str("ToolResult", "tool_call_id", tool_call_id)
        self.name = check_str("ToolResult", "name", name)
        self.content = content
        self.error = check_text("ToolResult", "error", error)


_STOPS = frozenset(StopReason.__args__)  # type: ignore[attr-defined]
_SOURCES = frozenset(CacheSource.__args__)  # type: ignore[attr-defined]


_NO_BILL = Bill()  # an empty bill never changes (``Bill``), so every new Response shares it


class Response(Record):
    """The normalized answer of a model call, the same shape for every provider."""

    _fields = (
        "text",
        "reasoning",
        "tool_calls",
        "tool_results",
        "structured",
        "refusal",
        "usage",
        "stop_reason",
        "raw_stop_reason",
        "abort_reason",
        "model",
        "provider",
        "request_id",
        "latency_s",
        "time_to_first_token_s",
        "tokens_per_second",
        "attempts",
        "cache_source",
        "cache_key",
        "messages",
        "provider_metadata",
        "raw",
    )
    # _bill: what ``cost`` is priced from; _messages: ``messages``, None until first read when
    # the core finished the response (``_defer_messages``). Neither is a field.
    __slots__ = (*(f for f in _fields if f != "messages"), "_messages", "_bill")
    _hidden = frozenset({"raw"})
    text: str
    reasoning: str | None
    tool_calls: list[ToolCall]
    tool_results: list[ToolResult]
    structured: Any
    refusal: str | None
    usage: Usage
    stop_reason: StopReason | None
    raw_stop_reason: str | None
    abort_reason: str | None  # set with stop_reason "aborted" (an ``AbortSignal``)
    model: str
    provider: str
    request_id: str | None
    latency_s: float | None
    time_to_first_token_s: float | None
    tokens_per_second: float | None
    attempts: int
    cache_source: CacheSource
    cache_key: str | None
    _messages: list[Message] | None
    provider_metadata: dict[str, Any]
    raw: Any
    _bill: Bill

    def __init__(
        self,
        *,
        text: str = "",
        reasoning: str | None = None,
        tool_calls: list[ToolCall] | None = None,
        tool_results: list[ToolResult] | None = None,
        structured: Any = None,
        refusal: str | None = None,
        usage: Usage | Mapping[str, int] | None = None,
        stop_reason: StopReason | None = None,
        raw_stop_reason: str | None = None,
        abort_reason: str | None = None,
        model: str = "",
        provider: str = "",
        request_id: str | None = None,
        latency_s: float | None = None,
        time_to_first_token_s: float | None = None,
        tokens_per_second: float | None = None,
        attempts: int = 1,
        cache_source: CacheSource = "miss",
        cache_key: str | None = None,
        messages: list[Message] | None = None,
        provider_metadata: Mapping[str, Any] | None = None,
        raw: Any = None,
    ) -> None:
        self.text = text if type(text) is str else check_str("Response", "text", text)
        self.reasoning = (
            reasoning
            if reasoning is None or type(reasoning) is str
            else check_text("Response", "reasoning", reasoning)
        )
        self.tool_calls = [] if not tool_calls else tool_calls_of("Response", tool_calls)
        self.tool_results = [] if not tool_results else _results(tool_results)
        self.structured = structured
        self.refusal = (
            refusal
            if refusal is None or type(refusal) is str
            else check_text("Response", "refusal", refusal)
        )
        if usage is None:
            usage = Usage()
        elif not isinstance(usage, Usage):
            usage = Usage.model_validate(usage)
        self.usage = usage
        if stop_reason is not None and not (isinstance(stop_reason, str) and stop_reason in _STOPS):
            check_choice("Response", "stop_reason", stop_reason, _STOPS)
        self.stop_reason = stop_reason
        self.raw_stop_reason = (
            raw_stop_reason
            if raw_stop_reason is None or type(raw_stop_reason) is str
            else check_text("Response", "raw_stop_reason", raw_stop_reason)
        )
        self.abort_reason = (
            abort_reason
            if abort_reason is None or type(abort_reason) is str
            else check_text("Response", "abort_reason", abort_reason)
        )
        self.model = model if type(model) is str else check_str("Response", "model", model)
        self.provider = (
            provider if type(provider) is str else check_str("Response", "provider", provider)
        )
        self.request_id = (
            request_id
            if request_id is None or type(request_id) is str
            else check_text("Response", "request_id", request_id)
        )
        self.latency_s = (
            None if latency_s is None else check_float("Response", "latency_s", latency_s)
        )
        self.time_to_first_token_s = (
            None
            if time_to_first_token_s is None
            else check_float("Response", "time_to_first_token_s", time_to_first_token_s)
        )
        self.tokens_per_second = (
            None
            if tokens_per_second is None
            else check_float("Response", "tokens_per_second", tokens_per_second)
        )
        self.attempts = (
            attempts if type(attempts) is int else check_int("Response", "attempts", attempts)
        )
        self.cache_source = (
            cache_source
            if cache_source == "miss"  # a new answer: nothing to check
            else check_choice(  # type: ignore[assignment]
                "Response", "cache_source", cache_source, _SOURCES
            )
        )
        self.cache_key = (
            cache_key
            if cache_key is None or type(cache_key) is str
            else check_text("Response", "cache_key", cache_key)
        )
        if not messages:
            self._messages = []
        elif isinstance(messages, list | tuple):
            self._messages = [
                m if isinstance(m, Message) else Message.model_validate(m) for m in messages
            ]
        else:
            raise invalid("Response", "messages", "a list of Message", messages)
        self.provider_metadata = (
            {}
            if provider_metadata is None
            else check_dict("Response", "provider_metadata", provider_metadata)
        )
        self.raw = raw
        self._bill = _NO_BILL

    def __str__(self) -> str:
        return self.text

    @property
    def messages(self) -> list[Message]:
        """The turns this answer adds to a conversation (the assistant's; a tool loop's every
        turn). A finished call builds its assistant turn when this is first read, from the
        response as it is then (most callers read ``text`` only: 200 calls in flight build
        none)."""
        built = self._messages
        if built is None:
            built = self._messages = [self.assistant_message()]
        return built

    @messages.setter
    def messages(self, value: list[Message]) -> None:
        self._messages = value

    def _defer_messages(self) -> None:
        """The assistant turn built on first read of ``messages`` (the core's, as it finishes
        a response that has none yet)."""
        self._messages = None

    def _built_messages(self) -> list[Message]:
        """``messages`` if already built, else none (what an edit of every turn must reach:
        a turn built later is built from the edited response)."""
        return self._messages or []

    def replaced(self, **changes: Any) -> Self:
        self.messages  # noqa: B018  (a copy keeps this turn, not one built from its changes)
        return super().replaced(**changes)

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
        """The assistant turn to append to a history for the next call (its own copies of the
        tool calls list and the metadata: ``Message`` copies what it is given)."""
        return Message(
            role="assistant",
            content=self.text or None,
            tool_calls=self.tool_calls,
            reasoning=self.reasoning,
            provider_metadata=self.provider_metadata,
        )


def _results(value: Any) -> list[ToolResult]:
    if not isinstance(value, list | tuple):
        raise invalid("Response", "tool_results", "a list of ToolResult", value)
    return [r if isinstance(r, ToolResult) else ToolResult.model_validate(r) for r in value]
