"""A ``review_request`` yielded by a generator tool: it waits for the caller's answer.

better-llm-sdk lets a generator tool yield a ``review_request`` (its own, or one forwarded from
a nested stream inside a ``tool_stream``); the caller sees it wrapped in a ``tool_stream`` event
and answers with ``send()``, and the answer is sent into the generator. The tool runs in a
worker thread or a task, so the question travels to the driver as a ``Question`` through the
turn's event queue, the driver hands the event to the caller and puts the caller's answer in the
question, and the waiting tool resumes with it (``None`` when the caller just went on).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .._events import StreamEvent

if TYPE_CHECKING:  # imported where used: this module loads with every sync call
    import asyncio

__all__ = ["AsyncQuestion", "Question", "is_review"]


def is_review(item: Any, depth: int = 0) -> bool:
    """A ``review_request`` (a ``StreamEvent`` or an event dict), or a ``tool_stream`` holding
    one, however deeply nested (bounded, so a self-referencing dict cannot loop)."""
    if depth > 32:
        return False
    kind, content = None, None
    if isinstance(item, StreamEvent):
        kind, content = item.type, item.content
    elif isinstance(item, Mapping):
        kind, content = item.get("type"), item.get("content")
    if kind == "review_request":
        return True
    return kind == "tool_stream" and is_review(content, depth + 1)


class Question:
    """Sync side: a worker thread waits in ``wait()`` until the driver calls ``answer()``."""

    __slots__ = ("_answer", "_done", "event")

    def __init__(self, event: StreamEvent) -> None:
        self.event = event
        self._done = threading.Event()
        self._answer: Any = None

    def answer(self, value: Any) -> None:
        if not self._done.is_set():
            self._answer = value
            self._done.set()

    def wait(self) -> Any:
        self._done.wait()
        return self._answer


class AsyncQuestion:
    """Async side: the tool's task awaits ``wait()``; the task is cancelled with its turn."""

    __slots__ = ("_future", "event")

    def __init__(self, event: StreamEvent) -> None:
        import asyncio

        self.event = event
        self._future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()

    def answer(self, value: Any) -> None:
        if not self._future.done():
            self._future.set_result(value)

    async def wait(self) -> Any:
        return await self._future
