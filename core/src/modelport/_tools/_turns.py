"""Running one turn's tool calls at the same time, the sync way and the async way.

This is driver code (``_drive`` performs a ``RunTools`` request with it): the calls of a turn
overlap, and the events the tools produce (``tool_stream``, ``tool_result``, ``tool_error``)
reach the caller as they happen. Async: tasks on the caller's loop. Sync: one worker thread per
call, with sync tools and generators called directly there (no event loop), except a lone plain
sync tool, which simply runs on the caller's thread.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, Any

from .._engine._actions import Done, RunTools
from .._events import StreamEvent
from .._response import ToolResult
from ._review import AsyncQuestion, Question

# asyncio and queue are imported where a turn runs, not here: this module loads with the
# engine, and a first sync call without tools must not pay for them.
if TYPE_CHECKING:
    import asyncio
    import queue

__all__ = ["AsyncQuestion", "Question", "run_turn_async", "run_turn_sync"]


class _Finished:
    __slots__ = ("error", "index", "result")

    def __init__(self, index: int, result: ToolResult | None, error: BaseException | None):
        self.index = index
        self.result = result
        self.error = error


def run_turn_sync(
    action: RunTools, waiting: list[Any], *, interruptible: bool = False
) -> Iterator[Any]:
    """Events, then ``Done(results)``; while it waits, its inbox is in ``waiting`` so that an
    abort can drop a marker into it (that marker is yielded as it is). ``interruptible``: an
    abort may come, so even a lone sync tool runs in a worker thread the caller can leave."""
    runner, calls, decisions = action.runner, action.calls, action.decisions
    lone_sync = len(calls) == 1 and getattr(runner.tools.get(calls[0].name), "kind", None) == "sync"
    if lone_sync and not interruptible:
        events: list[StreamEvent] = []
        runner.emit = events.append
        result = runner.run_blocking(calls[0], decisions.get(calls[0].id))
        yield from events
        yield Done([result])
        return
    import queue

    inbox: queue.SimpleQueue[Any] = queue.SimpleQueue()
    runner.emit = inbox.put
    asked: list[Question] = []

    def ask(event: StreamEvent) -> Any:
        """A generator tool's review_request: the driver answers it with the caller's send()."""
        question = Question(event)
        asked.append(question)
        inbox.put(question)
        return question.wait()

    async def aask(event: StreamEvent) -> Any:
        # An async generator tool of a sync call runs on the background loop: wait off it.
        import asyncio

        return await asyncio.to_thread(ask, event)

    runner.ask, runner.aask = ask, aask
    waiting.append(inbox)

    def work(index: int) -> None:
        call = calls[index]
        try:
            inbox.put(_Finished(index, runner.run_blocking(call, decisions.get(call.id)), None))
        except BaseException as exc:  # re-raised on the caller's thread below
            inbox.put(_Finished(index, None, exc))

    for index in range(len(calls)):
        threading.Thread(target=work, args=(index,), name="modelport-tool", daemon=True).start()
    results: list[ToolResult | None] = [None] * len(calls)
    remaining = len(calls)
    failure: BaseException | None = None
    try:
        while remaining:
            item = inbox.get()
            if isinstance(item, _Finished):
                remaining -= 1
                results[item.index] = item.result
                failure = failure or item.error
            else:
                yield item
    finally:
        waiting.remove(inbox)
        for question in asked:  # left unanswered (the caller stopped): no tool waits forever
            question.answer(None)
    if failure is not None:
        raise failure
    yield Done(results)


async def run_turn_async(action: RunTools) -> AsyncIterator[StreamEvent | AsyncQuestion | Done]:
    import asyncio

    runner, calls, decisions = action.runner, action.calls, action.decisions
    events: asyncio.Queue[StreamEvent | AsyncQuestion] = asyncio.Queue()
    runner.emit = events.put_nowait

    async def aask(event: StreamEvent) -> Any:
        question = AsyncQuestion(event)
        events.put_nowait(question)
        return await question.wait()

    runner.aask = aask
    tasks = [asyncio.ensure_future(runner.run(call, decisions.get(call.id))) for call in calls]
    pending: set[asyncio.Future[Any]] = set(tasks)
    try:
        while pending:
            getter = asyncio.ensure_future(events.get())
            done, _ = await asyncio.wait({getter, *pending}, return_when=asyncio.FIRST_COMPLETED)
            if getter in done:
                yield getter.result()
            else:
                getter.cancel()
            pending -= done
        while not events.empty():
            yield events.get_nowait()
    finally:
        for task in tasks:
            if not task.done():
                task.cancel()
    yield Done([task.result() for task in tasks])
