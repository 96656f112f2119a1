"""Decorators that turn a Python signature into a model call (see docs/fn.md).

``@llm_function``: the docstring is the prompt (``{name}`` placeholders are filled from the
arguments), the return annotation is the output type: ``str`` gives the text; models,
dataclasses and other object types are used as ``response_format``; primitives, lists, dicts,
tuples, enums and ``Literal``\\s are wrapped in ``{"result": ...}`` and unwrapped.

``@llm_chat``: the docstring is the system prompt; the ``history`` (or ``chat_history``)
parameter and the message are bound by name. ``stream=True`` (the default) yields
``(chunk, history)`` pairs, or, with ``events=True``, the core's ``StreamEvent``\\s together with
the typed lifecycle events below; ``stream=False`` returns ``(text, history)``. The history
holds every turn, tool calls and results included. An ``AbortSignal`` stops a streaming chat.

Both decorators accept the LLM positionally or as SimpleLLMFunc's ``llm_interface=``, its
``toolkit=`` for ``tools=``, and ``max_tool_calls=None`` for "no limit". They work on ``def``
and ``async def`` functions; the function body is never executed.
"""

from __future__ import annotations

from ._fn._chat import ChatReply, llm_chat
from ._fn._common import AbortSignal
from ._fn._events import (
    LIFECYCLE_EVENT_TYPES,
    LifecycleEvent,
    LoopEnd,
    LoopStart,
    ModelCallEnd,
    ModelCallStart,
    ToolCallEnd,
    ToolCallError,
    ToolCallStart,
)
from ._fn._function import llm_function

__all__ = [
    "LIFECYCLE_EVENT_TYPES",
    "AbortSignal",
    "ChatReply",
    "LifecycleEvent",
    "LoopEnd",
    "LoopStart",
    "ModelCallEnd",
    "ModelCallStart",
    "ToolCallEnd",
    "ToolCallError",
    "ToolCallStart",
    "llm_chat",
    "llm_function",
]
