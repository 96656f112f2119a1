"""The two drivers of a call program: blocking I/O for the sync API, awaits for the async one.

They are the only code that differs between sync and async calls, and they only perform the
requests of ``_actions``: send, read (under the call's deadlines), sleep, run blocking work,
join a single flight. Whatever the program does with results and failures is written once, in
``_program``. A driver closes every response it opened, however the program ends (finished,
failed, or closed early by a caller that stopped iterating).
"""

from __future__ import annotations

import asyncio
import inspect
import threading
import time
from collections.abc import AsyncGenerator, Generator
from typing import TYPE_CHECKING, Any

from ._abort import Aborted, AbortSignal
from ._actions import (
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
from ._deadline import watch
from ._errors import LLMTimeoutError, ModelRequestError
from ._events import StreamEvent
from ._tool_turns import run_turn_async, run_turn_sync

if TYPE_CHECKING:
    from ._call import Call
    from ._program import Program
    from ._transport import AsyncRawResponse, RawResponse, Transport

__all__ = ["AsyncFlights", "SyncFlights", "drive_async", "drive_sync"]


class SyncFlights:
    """Single-flight leaders across threads, one event per cache key."""

    __slots__ = ("_events", "_lock")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._events: dict[str, threading.Event] = {}

    def join(self, key: str, deadline: float | None = None) -> bool:
        with self._lock:
            event = self._events.get(key)
            if event is None:
                self._events[key] = threading.Event()
                return False
        if not event.wait(_remaining(deadline)):
            raise _flight_timeout()
        return True

    def leave(self, key: str) -> None:
        with self._lock:
            event = self._events.pop(key, None)
        if event is not None:
            event.set()


class AsyncFlights:
    """Single-flight leaders per event loop (an asyncio.Event belongs to one loop)."""

    __slots__ = ("_events",)

    def __init__(self) -> None:
        self._events: dict[tuple[int, str], asyncio.Event] = {}

    async def join(self, key: str, deadline: float | None = None) -> bool:
        slot = (id(asyncio.get_running_loop()), key)
        event = self._events.get(slot)
        if event is None:
            self._events[slot] = asyncio.Event()
            return False
        try:
            async with asyncio.timeout(_remaining(deadline)):
                await event.wait()
        except TimeoutError:
            raise _flight_timeout() from None
        return True

    def leave(self, key: str) -> None:
        event = self._events.pop((id(asyncio.get_running_loop()), key), None)
        if event is not None:
            event.set()


# -- sync ----------------------------------------------------------------------------------------

_ABORTED = object()  # put into a turn's inbox by an abort


class _SyncChunks:
    __slots__ = ("it", "raw")

    def __init__(self, raw: RawResponse, it: Generator[bytes, None, None]) -> None:
        self.raw = raw
        self.it = it

    def close(self) -> None:
        try:
            self.it.close()  # ends the deadline watchdog of ``_read_sync``
        finally:
            self.raw.close()


def _read_sync(call: Call, raw: RawResponse) -> Generator[bytes, None, None]:
    """The body's chunks, with first-chunk and total deadlines enforced by the watchdog."""
    t = call.timeouts
    if t.first_chunk is None and t.total is None:
        yield from raw.iter_bytes()
        return
    now = time.monotonic()
    started = now - (time.perf_counter() - call.started)
    phase = "first_chunk"
    deadlines = []
    if t.first_chunk is not None:
        deadlines.append(started + t.first_chunk)
    if t.total is not None:
        deadlines.append(started + t.total)
    w = watch(min(deadlines), raw.abort)
    try:
        first = True
        for chunk in raw.iter_bytes():
            if first:
                first = False
                w.cancel()
                phase = "total"
                if t.total is not None:
                    w = watch(started + t.total, raw.abort)
            yield chunk
    except ModelRequestError:
        if w.fired:
            raise LLMTimeoutError(f"{phase} timeout", phase=phase) from None
        raise
    finally:
        w.cancel()
    if w.fired:
        raise LLMTimeoutError(f"{phase} timeout", phase=phase)


def _release(held: list[Release], action: Release) -> None:
    for grant in held:
        if grant.ticket is action.ticket:
            held.remove(grant)
            action.limiter.release(action.ticket, action.used)
            return


def _return_key(lent: list[tuple[Any, str]], action: ReturnKey) -> None:
    for i, (pool, key) in enumerate(lent):
        if pool is action.pool and key == action.key:
            del lent[i]
            pool.give_back(key)
            return


async def _awaited(value: Any) -> Any:
    return await value


def _close_sync(handle: Any) -> None:
    handle.close()


# What an abort interrupts: everything that waits. Closing and bookkeeping still run.
_WAITING = frozenset(
    {Send, ReadBody, OpenChunks, NextChunk, Sleep, RunTools, JoinFlight, Ask, Acquire, TakeKey}
)


def _key_wait(action: TakeKey, wait: float) -> float:
    """How long to sleep before trying the pool again, or the queued timeout."""
    remaining = _remaining(action.deadline)
    if remaining is not None and remaining <= wait:
        raise LLMTimeoutError(
            "queued: every key of the pool cools down past the call's deadline", phase="queued"
        )
    return max(wait, 0.001)


def _flight_timeout() -> LLMTimeoutError:
    return LLMTimeoutError(
        "queued: an identical call in progress did not finish before this call's deadline "
        "(Timeouts.total)",
        phase="queued",
    )


def _queued_timeout(remaining: float) -> LLMTimeoutError:
    return LLMTimeoutError(
        "queued: the limit did not free up before the call's deadline (Timeouts.total)",
        phase="queued",
    )


def _remaining(deadline: float | None) -> float | None:
    return None if deadline is None else deadline - time.perf_counter()


def _acquire_sync(action: Acquire, wakers: list[threading.Event]) -> Any:
    """Wait (event-driven: woken by a release, or when the buckets refill) for a grant."""
    event = threading.Event()
    limiter = action.limiter
    ticket = limiter.enqueue(action.cost, event.set)
    wakers.append(event)
    try:
        while True:
            wait = limiter.poll(ticket)
            if wait == 0.0:  # granted
                break
            remaining = _remaining(action.deadline)
            if remaining is not None and remaining <= 0:
                raise _queued_timeout(remaining)
            bounds = [x for x in (wait, remaining) if x is not None]
            event.wait(min(bounds) if bounds else None)
            event.clear()
            if event not in wakers:  # an abort took it out: stop waiting
                raise Aborted("aborted")
    except BaseException:
        limiter.cancel(ticket)
        raise
    finally:
        if event in wakers:
            wakers.remove(event)
    return ticket


async def _acquire_async(action: Acquire) -> Any:
    loop = asyncio.get_running_loop()
    event = asyncio.Event()
    limiter = action.limiter

    def wake() -> None:  # may run on another thread (a sync call's release)
        loop.call_soon_threadsafe(event.set)

    ticket = limiter.enqueue(action.cost, wake)
    try:
        while True:
            wait = limiter.poll(ticket)
            if wait == 0.0:  # granted
                break
            remaining = _remaining(action.deadline)
            if remaining is not None and remaining <= 0:
                raise _queued_timeout(remaining)
            bounds = [x for x in (wait, remaining) if x is not None]
            try:
                async with asyncio.timeout(min(bounds) if bounds else None):
                    await event.wait()
            except TimeoutError:
                pass
            event.clear()
    except BaseException:  # a deadline, a cancellation, an abort: the place goes back
        limiter.cancel(ticket)
        raise
    return ticket


def drive_sync(
    program: Program,
    transport: Transport,
    flights: SyncFlights,
    abort: AbortSignal | None = None,
) -> Generator[StreamEvent, Any, Any]:
    """Run ``program`` with blocking I/O: yields its events, returns its result (the
    ``Response``, as ``StopIteration.value``). Values sent in answer ``Ask`` requests.

    ``abort``: when it fires, open responses are shut (a blocked read returns at once) and a
    running turn of tools stops waiting; the program gets ``Aborted`` where it waited."""
    opened: list[Any] = []
    turn: list[Any] = []  # the inbox of the turn of tools being waited for, if any
    wakers: list[threading.Event] = []  # limiter waits in progress
    held: list[Release] = []  # limiter grants not yet released
    lent: list[tuple[Any, str]] = []  # pool keys not yet returned
    value: Any = None
    error: Exception | None = None

    def interrupt() -> None:
        for event in list(wakers):
            wakers.remove(event)
            event.set()
        for handle in list(opened):
            raw = handle.raw if isinstance(handle, _SyncChunks) else handle
            try:
                raw.abort()
            except Exception:
                pass
        for inbox in list(turn):
            inbox.put(_ABORTED)

    unsubscribe = abort.on_abort(interrupt) if abort is not None else None
    try:
        while True:
            try:
                action = program.send(value) if error is None else program.throw(error)
            except StopIteration as stop:
                return stop.value
            value = error = None
            kind = type(action)
            if kind is list:
                for ev in action:  # noqa: UP028  (not yield from: a value sent here is ignored)
                    yield ev
                continue
            if abort is not None and abort.aborted and kind in _WAITING:
                error = Aborted(abort.reason or "aborted")
                continue
            try:
                if kind is NextChunk:
                    value = next(action.handle.it, None)
                elif kind is Send:
                    value = transport.send(action.wire, action.timeouts)
                    opened.append(value)
                elif kind is OpenChunks:
                    value = _SyncChunks(action.raw, _read_sync(action.call, action.raw))
                    opened.remove(action.raw)
                    opened.append(value)
                elif kind is ReadBody:
                    raw = action.raw
                    try:
                        if action.call is None:
                            value = raw.read()
                        else:
                            value = b"".join(_read_sync(action.call, raw))
                    finally:
                        opened.remove(raw)
                        raw.close()
                elif kind is Close:
                    if action.handle in opened:
                        opened.remove(action.handle)
                        _close_sync(action.handle)
                elif kind is Blocking:
                    value = action.fn()
                elif kind is Sleep:
                    time.sleep(action.seconds)
                elif kind is Acquire:
                    value = _acquire_sync(action, wakers)
                    held.append(Release(action.limiter, value, None))
                elif kind is Release:
                    _release(held, action)
                elif kind is TakeKey:
                    while True:
                        value, wait = action.pool.take()
                        if value is not None:
                            break
                        time.sleep(_key_wait(action, wait))
                    lent.append((action.pool, value))
                elif kind is ReturnKey:
                    _return_key(lent, action)
                elif kind is JoinFlight:
                    value = flights.join(action.key, action.deadline)
                elif kind is LeaveFlight:
                    flights.leave(action.key)
                elif kind is Ask:
                    value = yield action.event
                elif kind is RunTools:
                    for item in run_turn_sync(action, turn, interruptible=abort is not None):
                        if isinstance(item, Done):
                            value = item.value
                        elif item is _ABORTED:
                            reason = abort.reason if abort is not None else None
                            raise Aborted(reason or "aborted")
                        else:
                            yield item
                elif kind is Resolve:
                    value = action.fn(*action.args)
                    if inspect.isawaitable(value):
                        from ._bgloop import run_sync as bridge

                        value = bridge(_awaited(value))
                else:
                    raise TypeError(f"unknown program action {action!r}")
            except Exception as exc:
                if abort is not None and abort.aborted and not isinstance(exc, Aborted):
                    exc = Aborted(abort.reason or "aborted")  # the interrupted wait, not a fault
                error = exc
    finally:
        if unsubscribe is not None:
            unsubscribe()
        for handle in opened:
            try:
                _close_sync(handle)
            except Exception:
                pass
        for grant in held:
            grant.limiter.release(grant.ticket, None)
        for pool, key in lent:
            pool.give_back(key)
        program.close()


def run_sync(
    program: Program,
    transport: Transport,
    flights: SyncFlights,
    abort: AbortSignal | None = None,
) -> Any:
    """A whole (non-streamed) call: the program's result (tool events are dropped)."""
    driver = drive_sync(program, transport, flights, abort)
    while True:
        try:
            next(driver)
        except StopIteration as stop:
            return stop.value


# -- async ---------------------------------------------------------------------------------------


class _AsyncChunks:
    __slots__ = ("it", "raw")

    def __init__(self, raw: AsyncRawResponse, it: AsyncGenerator[bytes, None]) -> None:
        self.raw = raw
        self.it = it

    async def aclose(self) -> None:
        try:
            await self.it.aclose()
        finally:
            await self.raw.aclose()


async def _read_async(call: Call, raw: AsyncRawResponse) -> AsyncGenerator[bytes, None]:
    t = call.timeouts
    if t.first_chunk is None and t.total is None:
        async for chunk in raw.aiter_bytes():
            yield chunk
        return
    loop = asyncio.get_running_loop()
    started = loop.time() - (time.perf_counter() - call.started)
    total_at = started + t.total if t.total is not None else None
    first_at = started + t.first_chunk if t.first_chunk is not None else None
    it = raw.aiter_bytes().__aiter__()
    phase = "first_chunk"
    while True:
        deadline = (
            min(x for x in (first_at, total_at) if x is not None)
            if (first_at is not None or total_at is not None)
            else None
        )
        try:
            async with asyncio.timeout_at(deadline):
                chunk = await it.__anext__()
        except StopAsyncIteration:
            return
        except TimeoutError:
            raise LLMTimeoutError(f"{phase} timeout", phase=phase) from None
        first_at = None
        phase = "total"
        yield chunk


async def drive_async(
    program: Program,
    transport: Transport,
    flights: AsyncFlights,
    result: list[Any] | None = None,
    abort: AbortSignal | None = None,
) -> AsyncGenerator[StreamEvent, Any]:
    """Run ``program`` with awaits: yields its events; its result (the ``Response``) is
    appended to ``result`` (an async generator cannot return a value).

    Cancellation is thrown into the program like any failure, so its cleanup runs, and the
    driver then closes what is still open. ``abort``: when it fires while this driver awaits,
    the await is cancelled (only then: never the caller's own code between two events) and the
    program gets ``Aborted`` there.
    """
    opened: list[Any] = []
    held: list[Release] = []  # limiter grants not yet released
    lent: list[tuple[Any, str]] = []  # pool keys not yet returned
    value: Any = None
    error: BaseException | None = None
    task = asyncio.current_task()
    loop = asyncio.get_running_loop()
    waiting = False

    def cancel_the_wait() -> None:
        if waiting and task is not None:
            task.cancel()

    def interrupt() -> None:  # may run on any thread: hop onto the loop first
        loop.call_soon_threadsafe(cancel_the_wait)

    unsubscribe = abort.on_abort(interrupt) if abort is not None else None
    try:
        while True:
            try:
                action = program.send(value) if error is None else program.throw(error)
            except StopIteration as stop:
                if result is not None:
                    result.append(stop.value)
                return
            value = error = None
            kind = type(action)
            if kind is list:
                for ev in action:
                    yield ev
                continue
            if abort is not None and abort.aborted and kind in _WAITING:
                error = Aborted(abort.reason or "aborted")
                continue
            waiting = True
            try:
                if kind is NextChunk:
                    value = await anext(action.handle.it, None)
                elif kind is Send:
                    value = await transport.asend(action.wire, action.timeouts)
                    opened.append(value)
                elif kind is OpenChunks:
                    value = _AsyncChunks(action.raw, _read_async(action.call, action.raw))
                    opened.remove(action.raw)
                    opened.append(value)
                elif kind is ReadBody:
                    raw = action.raw
                    try:
                        if action.call is None:
                            value = await raw.aread()
                        else:
                            value = b"".join([c async for c in _read_async(action.call, raw)])
                    finally:
                        opened.remove(raw)
                        await raw.aclose()
                elif kind is Close:
                    if action.handle in opened:
                        opened.remove(action.handle)
                        await action.handle.aclose()
                elif kind is Blocking:
                    value = await asyncio.to_thread(action.fn)
                elif kind is Sleep:
                    await asyncio.sleep(action.seconds)
                elif kind is Acquire:
                    value = await _acquire_async(action)
                    held.append(Release(action.limiter, value, None))
                elif kind is Release:
                    _release(held, action)
                elif kind is TakeKey:
                    while True:
                        value, wait = action.pool.take()
                        if value is not None:
                            break
                        await asyncio.sleep(_key_wait(action, wait))
                    lent.append((action.pool, value))
                elif kind is ReturnKey:
                    _return_key(lent, action)
                elif kind is JoinFlight:
                    value = await flights.join(action.key, action.deadline)
                elif kind is LeaveFlight:
                    flights.leave(action.key)
                elif kind is Ask:
                    value = yield action.event
                elif kind is RunTools:
                    async for item in run_turn_async(action):
                        if isinstance(item, Done):
                            value = item.value
                        else:
                            yield item
                elif kind is Resolve:
                    value = action.fn(*action.args)
                    if inspect.isawaitable(value):
                        value = await value
                else:
                    raise TypeError(f"unknown program action {action!r}")
            except (Exception, asyncio.CancelledError) as exc:
                if abort is not None and abort.aborted and not isinstance(exc, Aborted):
                    if isinstance(exc, asyncio.CancelledError) and task is not None:
                        task.uncancel()  # our own interrupt: the caller's task goes on
                    exc = Aborted(abort.reason or "aborted")
                error = exc
            finally:
                waiting = False
    finally:
        if unsubscribe is not None:
            unsubscribe()
        for handle in opened:
            try:
                await handle.aclose()
            except Exception:
                pass
        for grant in held:
            grant.limiter.release(grant.ticket, None)
        for pool, key in lent:
            pool.give_back(key)
        program.close()


async def run_async(
    program: Program,
    transport: Transport,
    flights: AsyncFlights,
    abort: AbortSignal | None = None,
) -> Any:
    result: list[Any] = []
    async for _ in drive_async(program, transport, flights, result, abort):
        pass
    return result[0]
