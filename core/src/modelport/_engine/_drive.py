"""The sync driver of a call program: blocking I/O, for the sync API.

The drivers (this one; ``_drive_async``'s two) are the only code that differs between sync and
async calls, and they only perform the requests of ``_actions``: send, read (under the call's
deadlines), sleep, run blocking work, join a single flight. Whatever the program does with
results and failures is written once, in ``_program``. A driver closes every response it
opened, however the program ends (finished, failed, or closed early by a caller that stopped
iterating).
"""

from __future__ import annotations

import inspect
import threading
import time
from collections.abc import Generator
from typing import TYPE_CHECKING, Any

from .._events import StreamEvent
from ._abort import Aborted, AbortSignal
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
from ._drive_reads import SyncChunks, close_sync, read_body_sync, read_sync
from ._drive_waits import Ledger, SyncFlights, acquire_sync, key_wait

if TYPE_CHECKING:
    from .._http._transport import Transport
    from ._program import Program

__all__ = ["SyncFlights", "drive_sync", "run_sync"]


_ABORTED = object()  # put into a turn's inbox by an abort


async def _awaited(value: Any) -> Any:
    return await value


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
    owed: Ledger | None = None  # grants and keys to give back
    value: Any = None
    error: Exception | None = None

    def interrupt() -> None:
        for event in list(wakers):
            wakers.remove(event)
            event.set()
        for handle in list(opened):
            raw = handle.raw if isinstance(handle, SyncChunks) else handle
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
            if abort is not None and abort.aborted and kind in WAITING:
                error = Aborted(abort.reason or "aborted")
                continue
            try:
                if kind is NextChunk:
                    value = next(action.handle.it, None)
                elif kind is Send:
                    value = transport.send(action.wire, action.timeouts)
                    opened.append(value)
                elif kind is OpenChunks:
                    value = SyncChunks(action.raw, read_sync(action.call, action.raw))
                    opened.remove(action.raw)
                    opened.append(value)
                elif kind is ReadBody:
                    raw = action.raw
                    try:
                        value = read_body_sync(action.call, raw)
                    finally:
                        opened.remove(raw)
                        raw.close()
                elif kind is Close:
                    if action.handle in opened:
                        opened.remove(action.handle)
                        close_sync(action.handle)
                elif kind is Blocking:
                    value = action.fn()
                elif kind is Sleep:
                    time.sleep(action.seconds)
                elif kind is Acquire:
                    value = acquire_sync(action, wakers)
                    owed = owed or Ledger()
                    owed.held.append(Release(action.limiter, value, None))
                elif kind is Release:
                    if owed is not None:
                        owed.release(action)
                elif kind is TakeKey:
                    while True:
                        value, wait = action.pool.take()
                        if value is not None:
                            break
                        time.sleep(key_wait(action, wait))
                    owed = owed or Ledger()
                    owed.lent.append((action.pool, value))
                elif kind is ReturnKey:
                    if owed is not None:
                        owed.give_back(action)
                elif kind is JoinFlight:
                    value = flights.join(action.key, action.deadline)
                elif kind is LeaveFlight:
                    flights.leave(action.key)
                elif kind is Ask:
                    value = yield action.event
                elif kind is RunTools:  # tools load with the first call that has some
                    from .._tools._turns import Question, run_turn_sync

                    for item in run_turn_sync(action, turn, interruptible=abort is not None):
                        if isinstance(item, Done):
                            value = item.value
                        elif item is _ABORTED:
                            reason = abort.reason if abort is not None else None
                            raise Aborted(reason or "aborted")
                        elif isinstance(item, Question):  # a generator tool's review_request
                            item.answer((yield item.event))
                        else:
                            yield item
                elif kind is Resolve:
                    value = action.fn(*action.args)
                    if inspect.isawaitable(value):
                        from .._bgloop import run_sync as bridge

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
                close_sync(handle)
            except Exception:
                pass
        if owed is not None:
            owed.settle()
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
