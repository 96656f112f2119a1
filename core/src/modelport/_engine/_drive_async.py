"""The async drivers of a call program: awaits, for the async API.

Two loops over one program, sharing one ``AsyncIO`` that performs every action: ``drive_async``
yields the program's events (``astream``), ``run_async`` drops them and returns the result
(``acomplete``). ``run_async`` is a coroutine, not a consumer of ``drive_async``: an async
generator per call is registered with the event loop's generator hooks (an entry and a weak
reference in a weak set, a finalizer) and every step crosses one more protocol, a cost that 200
calls in flight pay 200 times (docs/design-notes.md, the fifth pass). Only events, review
questions and a stream's chunks are the loops' own; what any other action does, and how its
failure reaches the program, is written once, in ``AsyncIO.perform``.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncGenerator, Callable
from typing import TYPE_CHECKING, Any

from .._events import StreamEvent
from ._abort import Aborted, AbortSignal, AsyncInterrupt
from ._actions import (
    WAITING,
    Acquire,
    Ask,
    Blocking,
    Close,
    Done,
    JoinFlight,
    LeaveFlight,
    NextChunk,
    OpenChunks,
    ReadBody,
    Release,
    Resolve,
    ReturnKey,
    RunTools,
    Send,
    Sleep,
    TakeKey,
)
from ._drive_reads import AsyncChunks, read_async, read_body_async
from ._drive_waits import AsyncFlights, Ledger, acquire_async, key_wait

# asyncio is imported inside the functions, not here: a sync call must not pay for it.
if TYPE_CHECKING:
    from .._http._transport import Transport
    from ._program import Program

__all__ = ["AsyncFlights", "AsyncIO", "Start", "drive_async", "run_async"]

# What makes a call's program and its abort signal, when a driver should do it on its first step.
Start = Callable[[], "tuple[Program, AbortSignal | None]"]


class AsyncIO:
    """One async run of a program: what it opened, what it owes, its abort, and the actions.

    A run closes every response it opened and settles every grant and key it holds however the
    program ends (finished, failed, or closed early by a caller that stopped iterating)."""

    __slots__ = ("abort", "flights", "guard", "opened", "owed", "transport")

    def __init__(
        self, transport: Transport, flights: AsyncFlights, abort: AbortSignal | None
    ) -> None:
        self.transport = transport
        self.flights = flights
        self.abort = abort
        self.opened: list[Any] = []
        self.owed: Ledger | None = None  # grants and keys to give back
        # Only a call that can be aborted carries the means: 200 calls in flight are 200 of each.
        self.guard = AsyncInterrupt(abort) if abort is not None else None

    def stopped(self, kind: type) -> BaseException | None:
        """``Aborted`` for a waiting action once the abort fired (the program ends there)."""
        abort = self.abort
        if abort is not None and abort.aborted and kind in WAITING:
            return Aborted(abort.reason or "aborted")
        return None

    def failed(self, exc: BaseException) -> BaseException:
        """What to throw into the program: the failure, or ``Aborted`` when the abort
        interrupted the wait."""
        guard = self.guard
        if guard is not None and guard.fired(exc):
            return Aborted(guard.reason)
        return exc

    async def perform(self, kind: type, action: Any) -> tuple[Any, BaseException | None]:
        """Do one action: ``(its result, None)``, or ``(None, what to throw into the program)``
        (the failure; ``Aborted`` when the abort interrupted the wait). A whole call's review
        question gets no answer and its tools' events are dropped; the event loop
        (``drive_async``) answers and yields those itself."""
        guard = self.guard
        if guard is not None:
            guard.waiting = True
        try:
            if kind is NextChunk:
                try:  # not anext(it, None): that wraps every chunk's await in one more object
                    return await action.handle.it.__anext__(), None
                except StopAsyncIteration:
                    return None, None
            if kind is Send:
                raw = await self.transport.asend(action.wire, action.timeouts)
                self.opened.append(raw)
                return raw, None
            if kind is ReadBody:
                raw = action.raw
                try:
                    return await read_body_async(action.call, raw), None
                finally:
                    self.opened.remove(raw)
                    await raw.aclose()
            if kind is OpenChunks:
                chunks = AsyncChunks(action.raw, read_async(action.call, action.raw))
                self.opened.remove(action.raw)
                self.opened.append(chunks)
                return chunks, None
            if kind is Close:
                if action.handle in self.opened:
                    self.opened.remove(action.handle)
                    await action.handle.aclose()
                return None, None
            if kind is Blocking:
                import asyncio

                return await asyncio.to_thread(action.fn), None
            if kind is Sleep:
                import asyncio

                await asyncio.sleep(action.seconds)
                return None, None
            if kind is Acquire:
                grant = await acquire_async(action)
                self.owed = self.owed or Ledger()
                self.owed.held.append(Release(action.limiter, grant, None))
                return grant, None
            if kind is Release:
                if self.owed is not None:
                    self.owed.release(action)
                return None, None
            if kind is TakeKey:
                import asyncio

                while True:
                    key, wait = action.pool.take()
                    if key is not None:
                        break
                    await asyncio.sleep(key_wait(action, wait))
                self.owed = self.owed or Ledger()
                self.owed.lent.append((action.pool, key))
                return key, None
            if kind is ReturnKey:
                if self.owed is not None:
                    self.owed.give_back(action)
                return None, None
            if kind is JoinFlight:
                return await self.flights.join(action.key, action.deadline), None
            if kind is LeaveFlight:
                self.flights.leave(action.key)
                return None, None
            if kind is Resolve:
                value = action.fn(*action.args)
                if inspect.isawaitable(value):
                    value = await value
                return value, None
            if kind is Ask:
                return None, None
            if kind is RunTools:
                return await _turn_unwatched(action), None
            raise TypeError(f"unknown program action {action!r}")
        except (Exception, _cancelled()) as exc:
            return None, self.failed(exc)
        finally:
            if guard is not None:
                guard.waiting = False

    async def finish(self, program: Program) -> None:
        if self.guard is not None:
            self.guard.unsubscribe()
        for handle in self.opened:
            try:
                await handle.aclose()
            except Exception:
                pass
        if self.owed is not None:
            self.owed.settle()
        program.close()


async def drive_async(
    program: Program | Start,
    transport: Transport,
    flights: AsyncFlights,
    abort: AbortSignal | None = None,
) -> AsyncGenerator[StreamEvent, Any]:
    """Run ``program`` with awaits, yielding its events (an async generator cannot return a
    value: the ``Response`` is the ``final`` event's).

    ``program`` may be a ``Start`` instead: what makes the program and its abort signal, called
    on the first step, so ``LLM.astream`` is this generator itself (no second async generator
    relaying every event) and still prepares nothing until it is iterated.

    Cancellation is thrown into the program like any failure, so its cleanup runs, and the
    driver then closes what is still open. ``abort``: when it fires while this driver awaits,
    the await is cancelled (only then: never the caller's own code between two events) and the
    program gets ``Aborted`` there.
    """
    if callable(program):  # a Start (a generator object is not callable)
        program, abort = program()
    io = AsyncIO(transport, flights, abort)
    value: Any = None
    error: BaseException | None = None
    try:
        while True:
            try:
                action = program.send(value) if error is None else program.throw(error)
            except StopIteration:
                return
            value = error = None
            kind = type(action)
            if kind is list:
                for ev in action:
                    yield ev
            elif abort is not None and (error := io.stopped(kind)) is not None:
                pass  # the program ends at this action
            elif kind is NextChunk and io.guard is None:
                # A stream's every chunk, with no abort to arm: no call into ``perform``.
                try:
                    value = await action.handle.it.__anext__()
                except StopAsyncIteration:
                    value = None
                except (Exception, _cancelled()) as exc:
                    error = exc
            elif kind is Ask or kind is RunTools:
                # The caller answers (a review request) or watches (a turn of tools).
                guard = io.guard
                if guard is not None:
                    guard.waiting = True
                try:
                    if kind is Ask:
                        value = yield action.event
                    else:
                        from .._tools._turns import AsyncQuestion, run_turn_async

                        async for item in run_turn_async(action):
                            if isinstance(item, Done):
                                value = item.value
                            elif isinstance(item, AsyncQuestion):  # a generator tool's review
                                item.answer((yield item.event))
                            else:
                                yield item
                except (Exception, _cancelled()) as exc:
                    error = io.failed(exc)
                finally:
                    if guard is not None:
                        guard.waiting = False
            else:
                value, error = await io.perform(kind, action)
    finally:
        await io.finish(program)


async def run_async(
    program: Program,
    transport: Transport,
    flights: AsyncFlights,
    abort: AbortSignal | None = None,
) -> Any:
    """A whole call: the program's result. Its events are dropped, a review question gets no
    answer (``None``, as ``run_sync`` gives it), tools run as in a stream."""
    io = AsyncIO(transport, flights, abort)
    value: Any = None
    error: BaseException | None = None
    try:
        while True:
            try:
                action = program.send(value) if error is None else program.throw(error)
            except StopIteration as stop:
                return stop.value
            value = error = None
            kind = type(action)
            if kind is list:
                continue
            if abort is not None and (error := io.stopped(kind)) is not None:
                continue
            value, error = await io.perform(kind, action)
    finally:
        await io.finish(program)


def _cancelled() -> type[BaseException]:
    """``asyncio.CancelledError``, looked up only when an exception is being matched (an
    ``except`` clause evaluates its types then): asyncio is not imported for nothing."""
    import asyncio

    return asyncio.CancelledError


async def _turn_unwatched(action: RunTools) -> Any:
    """A turn of tools with nobody watching: its events dropped, its questions unanswered."""
    from .._tools._turns import AsyncQuestion, run_turn_async

    value: Any = None
    async for item in run_turn_async(action):
        if isinstance(item, Done):
            value = item.value
        elif isinstance(item, AsyncQuestion):
            item.answer(None)
    return value
