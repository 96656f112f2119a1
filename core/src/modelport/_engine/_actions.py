"""The I/O a call program asks its driver for: the whole vocabulary between them.

A call is written once, as a generator (``_program``) that yields these requests and receives
their results; a sync driver performs them with blocking calls and an async driver with awaits
(``_drive``). Nothing here performs I/O. A list yielded by a program is a batch of
``StreamEvent``s for the caller; every other value is one of the classes below. A failure of the
I/O is thrown back into the program at the ``yield`` that asked for it, so the program's own
``try``/``except`` decides about retries.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .._events import StreamEvent
    from .._http._timeouts import Timeouts
    from .._limits import KeyPool, Limiter, Ticket
    from .._messages import ToolCall
    from .._tools._exec import Decision, ToolRunner
    from .._wire import WireRequest
    from ._call import Call
    from ._drive_reads import Deadlined

__all__ = [
    "Acquire",
    "Ask",
    "Blocking",
    "Close",
    "Done",
    "JoinFlight",
    "LeaveFlight",
    "NextChunk",
    "OpenChunks",
    "ReadBody",
    "Release",
    "Resolve",
    "ReturnKey",
    "RunTools",
    "Send",
    "Sleep",
    "TakeKey",
]


@dataclass(slots=True)
class Send:
    """Send ``wire``; the result is the raw response once its headers arrived."""

    wire: WireRequest
    timeouts: Timeouts


@dataclass(slots=True)
class ReadBody:
    """The whole body of ``raw`` as bytes; the response is closed afterwards, always.

    ``call`` set: the call's first-chunk and total deadlines bound the read (a model answer);
    ``None``: a plain read (an error body, already bounded by the read timeout)."""

    raw: Any
    call: Call | None


@dataclass(slots=True)
class OpenChunks:
    """Start reading ``raw`` chunk by chunk under ``call``'s deadlines; the result is a handle
    for ``NextChunk`` and ``Close``."""

    raw: Any
    call: Deadlined


@dataclass(slots=True)
class NextChunk:
    """The next chunk from an ``OpenChunks`` handle, or ``None`` at the end of the body."""

    handle: Any


@dataclass(slots=True)
class Close:
    """Release a raw response or chunk handle (the driver also closes any left open)."""

    handle: Any


@dataclass(slots=True)
class Sleep:
    seconds: float


@dataclass(slots=True)
class Blocking:
    """Call ``fn`` (it may block: cache I/O, a credential chain); async drivers run it in a
    worker thread so it never stalls the event loop."""

    fn: Callable[[], Any]


@dataclass(slots=True)
class JoinFlight:
    """Single flight for a cache key: the result is ``False`` when this call leads (it must
    ``LeaveFlight`` when done) or ``True`` after waiting for another call that led. A follower
    waits at most until its own ``deadline`` (``time.perf_counter()``), whatever the leader
    does, then fails with a ``queued`` timeout."""

    key: str
    deadline: float | None = None


@dataclass(slots=True)
class LeaveFlight:
    key: str


@dataclass(slots=True)
class Acquire:
    """Wait for ``limiter`` to grant this attempt (a slot, a request, ``cost`` tokens), at most
    until ``deadline`` (``time.perf_counter()`` seconds; ``None``: no bound). The result is the
    ``Ticket`` to ``Release``; past the deadline the wait fails with a ``queued`` timeout."""

    limiter: Limiter
    cost: int
    deadline: float | None


@dataclass(slots=True)
class Release:
    """The attempt ended: give the slot back, correct the tokens by ``used`` (``None``: keep the
    reservation, the provider may have counted it). Drivers release what is still held when a
    program ends any other way (a stream closed early, a cancellation)."""

    limiter: Limiter
    ticket: Ticket
    used: int | None


@dataclass(slots=True)
class TakeKey:
    """The least-loaded usable key of ``pool`` for this attempt; when every key cools down
    after a 429, wait for the first to be usable, at most until ``deadline``."""

    pool: KeyPool
    deadline: float | None


@dataclass(slots=True)
class ReturnKey:
    """The attempt that used ``key`` ended (drivers return keys still out at the end)."""

    pool: KeyPool
    key: str


@dataclass(slots=True)
class Resolve:
    """``fn(*args)``, awaited when it returns an awaitable (user callbacks may be either:
    review predicates, ``approve=``). Sync drivers reach an awaitable through the bridge."""

    fn: Callable[..., Any]
    args: tuple[Any, ...]


@dataclass(slots=True)
class Ask:
    """Give ``event`` to the caller; the result is what the caller sends back
    (``stream.send(decision)``), ``None`` when it just iterates on."""

    event: StreamEvent


@dataclass(slots=True)
class RunTools:
    """Execute one turn's tool calls (concurrently) with ``runner``; tool events reach the
    caller as they happen; the result is the ``ToolResult`` list, in call order."""

    runner: ToolRunner
    calls: list[ToolCall]
    decisions: dict[str, Decision]


@dataclass(slots=True)
class Done:
    """What a driver yields last: the program's result (the ``Response``)."""

    value: Any
