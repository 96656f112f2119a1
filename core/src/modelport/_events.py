"""Stream events (what users iterate) and progress events (what observers receive).

Both are hot-path objects, created per chunk, so they are ``Slotted`` classes, not records.
"""

from __future__ import annotations

from typing import Any, Literal

from ._slotted import Slotted

__all__ = ["EVENT_TYPES", "ProgressEvent", "StreamEvent", "StreamEventType"]

StreamEventType = Literal[
    "answer",
    "reasoning",
    "tool_call",
    "tool_result",
    "tool_error",
    "tool_stream",
    "review_request",
    "verbose",
    "structured",
    "final",
    "done",
]
EVENT_TYPES: frozenset[str] = frozenset(StreamEventType.__args__)  # type: ignore[attr-defined]


class StreamEvent(Slotted):
    """One thing that happened in a stream.

    ``content`` is text for answer/reasoning, a ``ToolCall`` for tool_call, the ``Response`` for
    final. ``source`` names who produced it ("model" or a tool name), ``tool_id`` the tool call it
    belongs to, ``job`` groups events of one tool execution, ``depth`` counts nesting when a tool
    forwards a stream of its own.
    """

    _fields = ("type", "content", "source", "tool_id", "job", "depth", "data")
    __slots__ = _fields
    type: StreamEventType
    content: Any
    source: str
    tool_id: str | None
    job: str | None
    depth: int
    data: dict[str, Any] | None

    def __init__(
        self,
        type: StreamEventType,
        content: Any = None,
        source: str = "model",
        tool_id: str | None = None,
        job: str | None = None,
        depth: int = 0,
        data: dict[str, Any] | None = None,
    ) -> None:
        self.type = type
        self.content = content
        self.source = source
        self.tool_id = tool_id
        self.job = job
        self.depth = depth
        self.data = data


ProgressKind = Literal[
    "started",
    "done",
    "retry",
    "cache_hit",
    "error",
    "stream_progress",
    "first_token",
    "queued",
    "rate_limited",
    "key_cooldown",
    "fallback",
]


class ProgressEvent(Slotted):
    """A lifecycle event for observers (``on_progress=`` callbacks and the ``on_progress`` hook).

    Never carries credentials: ``detail`` holds counts, delays, statuses and error class names.
    """

    _fields = ("kind", "provider", "model", "attempt", "elapsed_s", "detail")
    __slots__ = _fields
    kind: ProgressKind
    provider: str
    model: str
    attempt: int
    elapsed_s: float
    detail: dict[str, Any]

    def __init__(
        self,
        kind: ProgressKind,
        provider: str,
        model: str,
        attempt: int = 1,
        elapsed_s: float = 0.0,
        detail: dict[str, Any] | None = None,
    ) -> None:
        self.kind = kind
        self.provider = provider
        self.model = model
        self.attempt = attempt
        self.elapsed_s = elapsed_s
        self.detail = {} if detail is None else detail
