"""Reading a response body for a driver: chunk by chunk under the call's deadlines.

Sync: a blocked socket read cannot be interrupted from its own thread, so the shared watchdog
(``_deadline``) aborts the response at the first-chunk or total deadline. Async: each read is
awaited under ``asyncio.timeout_at``. A handle pairs the raw response with its reader, so
closing it ends both (and the watchdog).
"""

from __future__ import annotations

import inspect
import time
from collections.abc import AsyncGenerator, AsyncIterator, Generator, Iterator
from typing import TYPE_CHECKING, Any, Protocol

from .._errors import LLMTimeoutError, ModelRequestError
from .._http._deadline import watch

# asyncio is imported inside the async functions, not here: a sync call must not pay for it.
if TYPE_CHECKING:
    from .._http._timeouts import Timeouts
    from .._http._transport import AsyncRawResponse, RawResponse

__all__ = [
    "AsyncChunks",
    "Deadlined",
    "SyncChunks",
    "close_sync",
    "read_async",
    "read_body_async",
    "read_body_sync",
    "read_sync",
]


class Deadlined(Protocol):
    """What a body read is bounded by: a call's timeouts and when it started (a ``Call``; the
    fetch of a remote image, which runs before its call exists)."""

    @property
    def timeouts(self) -> Timeouts: ...

    @property
    def started(self) -> float: ...


def _deadlined(call: Deadlined) -> bool:
    """Whether a first-chunk or total deadline bounds the body (neither, by default): only
    then does a read need a layer that enforces them."""
    t = call.timeouts
    return t.first_chunk is not None or t.total is not None


class SyncChunks:
    __slots__ = ("it", "raw")

    def __init__(self, raw: RawResponse, it: Iterator[bytes]) -> None:
        self.raw = raw
        self.it = it

    def close(self) -> None:
        try:
            if inspect.isgenerator(self.it):
                self.it.close()  # ends the deadline watchdog of ``read_sync``
        finally:
            self.raw.close()


def read_sync(call: Deadlined, raw: RawResponse) -> Iterator[bytes]:
    """The body's chunks, with first-chunk and total deadlines enforced by the watchdog.

    Without those deadlines (the default), the transport's own iterator: no layer per chunk."""
    if not _deadlined(call):
        return raw.iter_bytes()
    return _read_sync_deadlines(call, raw)


def read_body_sync(call: Deadlined | None, raw: RawResponse) -> bytes:
    """A whole body (an answer, an error); ``call``: whose deadlines bound it, if any.
    Without deadlines, one read by the transport: no iterator, no join."""
    if call is None or not _deadlined(call):
        return raw.read()
    return b"".join(_read_sync_deadlines(call, raw))


def _read_sync_deadlines(call: Deadlined, raw: RawResponse) -> Generator[bytes, None, None]:
    t = call.timeouts
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


def close_sync(handle: Any) -> None:
    handle.close()


# What an abort interrupts: everything that waits. Closing and bookkeeping still run.


class AsyncChunks:
    __slots__ = ("it", "raw")

    def __init__(self, raw: AsyncRawResponse, it: AsyncIterator[bytes]) -> None:
        self.raw = raw
        self.it = it

    async def aclose(self) -> None:
        try:
            if inspect.isasyncgen(self.it):
                await self.it.aclose()
        finally:
            await self.raw.aclose()


def read_async(call: Deadlined, raw: AsyncRawResponse) -> AsyncIterator[bytes]:
    """The body's chunks, each read awaited under the first-chunk or total deadline.

    Without those deadlines (the default), the transport's own iterator: no layer per chunk."""
    if not _deadlined(call):
        return raw.aiter_bytes().__aiter__()
    return _read_async_deadlines(call, raw)


async def read_body_async(call: Deadlined | None, raw: AsyncRawResponse) -> bytes:
    if call is None or not _deadlined(call):
        return await raw.aread()
    return b"".join([chunk async for chunk in _read_async_deadlines(call, raw)])


async def _read_async_deadlines(
    call: Deadlined, raw: AsyncRawResponse
) -> AsyncGenerator[bytes, None]:
    import asyncio

    t = call.timeouts
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
