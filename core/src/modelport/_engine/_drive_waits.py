"""The waits a driver performs for a call: single flight, limiter grants, pool keys.

Each is bounded by the call's own deadline (``time.perf_counter()`` seconds) and gives back
what it holds when it fails or is cancelled. The decisions (who is granted, which key) are the
sans-IO state of ``_limits``; here is only the waiting, once blocking and once awaiting.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Any

from .._errors import LLMTimeoutError
from ._abort import Aborted
from ._actions import Acquire, Release, ReturnKey, TakeKey

# asyncio is imported inside the async functions, not here: a sync call must not pay for it.
if TYPE_CHECKING:
    import asyncio

__all__ = [
    "AsyncFlights",
    "SyncFlights",
    "acquire_async",
    "acquire_sync",
    "Ledger",
    "key_wait",
]


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
        if not event.wait(remaining_s(deadline)):
            raise flight_timeout()
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
        import asyncio

        slot = (id(asyncio.get_running_loop()), key)
        event = self._events.get(slot)
        if event is None:
            self._events[slot] = asyncio.Event()
            return False
        try:
            async with asyncio.timeout(remaining_s(deadline)):
                await event.wait()
        except TimeoutError:
            raise flight_timeout() from None
        return True

    def leave(self, key: str) -> None:
        import asyncio

        event = self._events.pop((id(asyncio.get_running_loop()), key), None)
        if event is not None:
            event.set()


class Ledger:
    """What a driver must give back however its program ends: limiter grants not yet
    released, pool keys not yet returned. Made on a call's first grant or key, so a call
    with neither carries none."""

    __slots__ = ("held", "lent")

    def __init__(self) -> None:
        self.held: list[Release] = []
        self.lent: list[tuple[Any, str]] = []

    def release(self, action: Release) -> None:
        for grant in self.held:
            if grant.ticket is action.ticket:
                self.held.remove(grant)
                action.limiter.release(action.ticket, action.used)
                return

    def give_back(self, action: ReturnKey) -> None:
        for i, (pool, key) in enumerate(self.lent):
            if pool is action.pool and key == action.key:
                del self.lent[i]
                pool.give_back(key)
                return

    def settle(self) -> None:
        """The program ended: every grant released (its reservation kept), every key back."""
        for grant in self.held:
            grant.limiter.release(grant.ticket, None)
        for pool, key in self.lent:
            pool.give_back(key)
        self.held.clear()
        self.lent.clear()


def key_wait(action: TakeKey, wait: float) -> float:
    """How long to sleep before trying the pool again, or the queued timeout."""
    remaining = remaining_s(action.deadline)
    if remaining is not None and remaining <= wait:
        raise LLMTimeoutError(
            "queued: every key of the pool cools down past the call's deadline", phase="queued"
        )
    return max(wait, 0.001)


def flight_timeout() -> LLMTimeoutError:
    return LLMTimeoutError(
        "queued: an identical call in progress did not finish before this call's deadline "
        "(Timeouts.total)",
        phase="queued",
    )


def queued_timeout(remaining: float) -> LLMTimeoutError:
    return LLMTimeoutError(
        "queued: the limit did not free up before the call's deadline (Timeouts.total)",
        phase="queued",
    )


def remaining_s(deadline: float | None) -> float | None:
    return None if deadline is None else deadline - time.perf_counter()


def acquire_sync(action: Acquire, wakers: list[threading.Event]) -> Any:
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
            remaining = remaining_s(action.deadline)
            if remaining is not None and remaining <= 0:
                raise queued_timeout(remaining)
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


async def acquire_async(action: Acquire) -> Any:
    import asyncio

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
            remaining = remaining_s(action.deadline)
            if remaining is not None and remaining <= 0:
                raise queued_timeout(remaining)
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
