"""Driving a model management program over a transport, blocking or on the event loop.

The programs of ``_admin_programs`` do no I/O; this is the one place that sends their
requests, so the sync and async paths share one timeout policy: each request's timeouts are
capped by what is left of the operation's ``total``, and the async path never blocks the loop.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Generic, TypeVar, cast

import modelport as mp
from modelport.provider import LLMError, LLMTimeoutError, WireRequest

from ._admin_programs import Program
from ._admin_replies import Reply
from ._models import PROVIDER

if TYPE_CHECKING:
    from modelport.transport import Transport

__all__ = ["arun", "run"]

T = TypeVar("T")
# Turns an error into the one the caller sees (the provider named, secrets scrubbed).
Fail = Callable[[LLMError], LLMError]


class _Step(Generic[T]):
    """Where a program is: the request it waits on (``wire``), or its ``result``."""

    __slots__ = ("_program", "_result", "wire")

    def __init__(self, program: Program[T]) -> None:
        self._program = program
        self._result: T | None = None
        self.wire: WireRequest | None = None
        self._advance(lambda: next(program))

    def answer(self, reply: Reply) -> None:
        self._advance(lambda: self._program.send(reply))

    def _advance(self, move: Callable[[], WireRequest]) -> None:
        try:
            self.wire = move()
        except StopIteration as stop:
            self.wire = None
            self._result = stop.value

    @property
    def result(self) -> T:
        return cast(T, self._result)


def _remaining(timeout: mp.Timeouts, deadline: float | None) -> mp.Timeouts:
    """Each request's read timeout, capped by what is left of the operation's total."""
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        raise LLMTimeoutError(
            f"total timeout: LM Studio did not finish within {timeout.total}s",
            phase="total",
            provider=PROVIDER,
        )
    read = left if timeout.read is None else min(timeout.read, left)
    connect = left if timeout.connect is None else min(timeout.connect, left)
    return mp.Timeouts(connect=connect, read=read, first_chunk=timeout.first_chunk, total=left)


def run(program: Program[T], transport: Transport, limits: mp.Timeouts, fail: Fail) -> T:
    deadline = None if limits.total is None else time.monotonic() + limits.total
    try:
        step = _Step(program)
        while step.wire is not None:
            step.answer(_send(transport, step.wire, _remaining(limits, deadline)))
    except LLMError as err:
        raise fail(err) from None
    finally:
        program.close()
    return step.result


def _send(transport: Transport, wire: WireRequest, timeout: mp.Timeouts) -> Reply:
    raw = transport.send(wire, timeout)
    try:
        return raw.status, dict(raw.headers), raw.read()
    finally:
        raw.close()


async def arun(program: Program[T], transport: Transport, limits: mp.Timeouts, fail: Fail) -> T:
    deadline = None if limits.total is None else time.monotonic() + limits.total
    try:
        step = _Step(program)
        async with asyncio.timeout(limits.total):
            while step.wire is not None:
                step.answer(await _asend(transport, step.wire, _remaining(limits, deadline)))
    except LLMError as err:
        raise fail(err) from None
    except TimeoutError:  # asyncio.timeout: the total ran out in the middle of a request
        raise fail(
            LLMTimeoutError(
                f"total timeout: LM Studio did not finish within {limits.total}s",
                phase="total",
                provider=PROVIDER,
            )
        ) from None
    finally:
        program.close()
    return step.result


async def _asend(transport: Transport, wire: WireRequest, timeouts: mp.Timeouts) -> Reply:
    raw = await transport.asend(wire, timeouts)
    try:
        return raw.status, dict(raw.headers), await raw.aread()
    finally:
        await raw.aclose()
