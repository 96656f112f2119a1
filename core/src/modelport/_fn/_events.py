"""The lifecycle events of an ``llm_chat`` stream (SimpleLLMFunc's ReAct events, typed).

They travel in the same iterator as the core's ``StreamEvent``s and, like them, have a ``type``
string, so one ``match ev.type`` (or ``isinstance``) handles both. Order, for one call::

    loop_start
    model_call_start(1)  answer/reasoning deltas ...  model_call_end(1)
        tool_call, tool_call_start      (per call the model asked for)
        [review_request] [tool_stream ...]
        tool_result, tool_call_end  |  tool_error, tool_call_error      (per call)
    model_call_start(2) ... model_call_end(2)
    final  loop_end  done

Every ``tool_call_start`` is followed by exactly one ``tool_call_end`` or ``tool_call_error``
(also for calls that were not executed: a rejection, the ``max_tool_calls`` limit,
``tool_exec=False``). An aborted chat ends with ``loop_end`` (``aborted=True``), without
``final``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from .._cost import Cost
from .._messages import ToolCall  # at runtime too: typing.get_type_hints() works on the events
from .._response import Response, Usage

__all__ = [
    "LIFECYCLE_EVENT_TYPES",
    "LifecycleEvent",
    "LoopEnd",
    "LoopStart",
    "ModelCallEnd",
    "ModelCallStart",
    "ToolCallEnd",
    "ToolCallError",
    "ToolCallStart",
]


@dataclass(slots=True)
class LoopStart:
    """The chat began: what the first model call sends (``messages``, OpenAI-style dicts, the
    system prompt included) and the tools offered (OpenAI ``{"type": "function", ...}`` dicts)."""

    type: ClassVar[Literal["loop_start"]] = "loop_start"
    messages: list[dict[str, Any]]
    tools: list[dict[str, Any]] = field(default_factory=list)


@dataclass(slots=True)
class ModelCallStart:
    """Model call number ``iteration`` (from 1) begins, with these ``messages`` and ``tools``."""

    type: ClassVar[Literal["model_call_start"]] = "model_call_start"
    iteration: int
    messages: list[dict[str, Any]]
    tools: list[dict[str, Any]] = field(default_factory=list)


@dataclass(slots=True)
class ModelCallEnd:
    """Model call ``iteration`` finished: its answer text and reasoning, its token ``usage``
    and its ``elapsed_s`` (measured by the core, retries included), time to first token,
    tokens/s, attempts and cache source; its ``cost`` and ``cost_saved`` as ``Response.cost``
    has them (``None``: unknown; a cache hit spent a zero ``Cost``). The calls it asked for
    follow as ``tool_call`` events, each with its ``tool_call_start``."""

    type: ClassVar[Literal["model_call_end"]] = "model_call_end"
    iteration: int
    text: str
    reasoning: str | None
    usage: Usage
    elapsed_s: float | None
    time_to_first_token_s: float | None = None
    tokens_per_second: float | None = None
    attempts: int = 1
    cache_source: str = "miss"
    cost: Cost | None = None
    cost_saved: Cost | None = None


@dataclass(slots=True)
class ToolCallStart:
    """A call the model asked for in model call ``iteration`` is about to run. ``arguments``
    is the parsed JSON object, or ``None`` when the model's text is not one (``call.arguments``
    keeps the raw text)."""

    type: ClassVar[Literal["tool_call_start"]] = "tool_call_start"
    iteration: int
    call: ToolCall
    name: str
    tool_call_id: str
    arguments: dict[str, Any] | None


@dataclass(slots=True)
class ToolCallEnd:
    """The call returned ``result`` (the tool's Python value) after ``elapsed_s``."""

    type: ClassVar[Literal["tool_call_end"]] = "tool_call_end"
    iteration: int
    call: ToolCall
    name: str
    tool_call_id: str
    arguments: dict[str, Any] | None
    result: Any
    elapsed_s: float


@dataclass(slots=True)
class ToolCallError:
    """The call failed or was not executed; ``error`` is what the model is told (without the
    ``Error:`` prefix). ``elapsed_s`` is 0 for a call that never ran."""

    type: ClassVar[Literal["tool_call_error"]] = "tool_call_error"
    iteration: int
    call: ToolCall
    name: str
    tool_call_id: str
    arguments: dict[str, Any] | None
    error: str
    elapsed_s: float


@dataclass(slots=True)
class LoopEnd:
    """The chat ended: the final ``text``, the ``response`` (None when aborted), the updated
    ``history``, and totals: ``model_calls``, ``tool_calls`` (calls the model asked for),
    ``usage``, ``cost`` and ``cost_saved`` (summed over model calls, ``None`` when a part is
    unknown), ``elapsed_s`` (the whole chat, wall clock)."""

    type: ClassVar[Literal["loop_end"]] = "loop_end"
    text: str
    response: Response | None
    history: list[Any]
    model_calls: int
    tool_calls: int
    usage: Usage
    elapsed_s: float
    aborted: bool = False
    reason: str | None = None
    cost: Cost | None = None
    cost_saved: Cost | None = None


LifecycleEvent = (
    LoopStart
    | ModelCallStart
    | ModelCallEnd
    | ToolCallStart
    | ToolCallEnd
    | ToolCallError
    | LoopEnd
)

LIFECYCLE_EVENT_TYPES: frozenset[str] = frozenset(
    {
        "loop_start",
        "model_call_start",
        "model_call_end",
        "tool_call_start",
        "tool_call_end",
        "tool_call_error",
        "loop_end",
    }
)
