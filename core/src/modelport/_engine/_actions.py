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
from typing import TYPE_CHECKING, Any

from .._slotted import Slotted

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
    "WAITING",
]


class Send(Slotted):
    """Send ``wire``; the result is the raw response once its headers arrived."""

    _fields = ("wire", "timeouts")
    __slots__ = _fields
    wire: WireRequest
    timeouts: Timeouts

    def __init__(self, wire: WireRequest, timeouts: Timeouts) -> None:
        self.wire = wire
        self.timeouts = timeouts


class ReadBody(Slotted):
    """The whole body of ``raw`` as bytes; the response is closed afterwards, always.

    ``call`` set: the call's first-chunk and total deadlines bound the read (a model answer);
    ``None``: a plain read (an error body, already bounded by the read timeout)."""

    _fields = ("raw", "call")
    __slots__ = _fields
    raw: Any
    call: Call | None

    def __init__(self, raw: Any, call: Call | None) -> None:
        self.raw = raw
        self.call = call


class OpenChunks(Slotted):
    """Start reading ``raw`` chunk by chunk under ``call``'s deadlines; the result is a handle
    for ``NextChunk`` and ``Close``."""

    _fields = ("raw", "call")
    __slots__ = _fields
    raw: Any
    call: Deadlined

    def __init__(self, raw: Any, call: Deadlined) -> None:
        self.raw = raw
        self.call = call


class NextChunk(Slotted):
    """The next chunk from an ``OpenChunks`` handle, or ``None`` at the end of the body."""

    _fields = ("handle",)
    __slots__ = _fields
    handle: Any

    def __init__(self, handle: Any) -> None:
        self.handle = handle


class Close(Slotted):
    """Release a raw response or chunk handle (the driver also closes any left open)."""

    _fields = ("handle",)
    __slots__ = _fields
    handle: Any

    def __init__(self, handle: Any) -> None:
        self.handle = handle


class Sleep(Slotted):
    _fields = ("seconds",)
    __slots__ = _fields
    seconds: float

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds


class Blocking(Slotted):
    """Call ``fn`` (it may block: cache I/O, a credential chain); async drivers run it in a
    worker thread so it never stalls the event loop."""

    _fields = ("fn",)
    __slots__ = _fields
    fn: Callable[[], Any]

    def __init__(self, fn: Callable[[], Any]) -> None:
        self.fn = fn


class JoinFlight(Slotted):
    """Single flight for a cache key: the result is ``False`` when this call leads (it must
    ``LeaveFlight`` when done) or ``True`` after waiting for another call that led. A follower
    waits at most until its own ``deadline`` (``time.perf_counter()``), whatever the leader
    does, then fails with a ``queued`` timeout."""

    _fields = ("key", "deadline")
    __slots__ = _fields
    key: str
    deadline: float | None

    def __init__(self, key: str, deadline: float | None = None) -> None:
        self.key = key
        self.deadline = deadline


class LeaveFlight(Slotted):
    _fields = ("key",)
    __slots__ = _fields
    key: str

    def __init__(self, key: str) -> None:
        self.key = key


class Acquire(Slotted):
    """Wait for ``limiter`` to grant this attempt (a slot, a request, ``cost`` tokens), at most
    until ``deadline`` (``time.perf_counter()`` seconds; ``None``: no bound). The result is the
    ``Ticket`` to ``Release``; past the deadline the wait fails with a ``queued`` timeout."""

    _fields = ("limiter", "cost", "deadline")
    __slots__ = _fields
    limiter: Limiter
    cost: int
    deadline: float | None

    def __init__(self, limiter: Limiter, cost: int, deadline: float | None) -> None:
        self.limiter = limiter
        self.cost = cost
        self.deadline = deadline


class Release(Slotted):
    """The attempt ended: give the slot back, correct the tokens by ``used`` (``None``: keep the
    reservation, the provider may have counted it). Drivers release what is still held when a
    program ends any other way (a stream closed early, a cancellation)."""

    _fields = ("limiter", "ticket", "used")
    __slots__ = _fields
    limiter: Limiter
    ticket: Ticket
    used: int | None

    def __init__(self, limiter: Limiter, ticket: Ticket, used: int | None) -> None:
        self.limiter = limiter
        self.ticket = ticket
        self.used = used


class TakeKey(Slotted):
    """The least-loaded usable key of ``pool`` for this attempt; when every key cools down
    after a 429, wait for the first to be usable, at most until ``deadline``."""

    _fields = ("pool", "deadline")
    __slots__ = _fields
    pool: KeyPool
    deadline: float | None

    def __init__(self, pool: KeyPool, deadline: float | None) -> None:
        self.pool = pool
        self.deadline = deadline


class ReturnKey(Slotted):
    """The attempt that used ``key`` ended (drivers return keys still out at the end)."""

    _fields = ("pool", "key")
    __slots__ = _fields
    pool: KeyPool
    key: str

    def __init__(self, pool: KeyPool, key: str) -> None:
        self.pool = pool
        self.key = key


class Resolve(Slotted):
    """``fn(*args)``, awaited when it returns an awaitable (user callbacks may be either:
    review predicates, ``approve=``). Sync drivers reach an awaitable through the bridge."""

    _fields = ("fn", "args")
    __slots__ = _fields
    fn: Callable[..., Any]
    args: tuple[Any, ...]

    def __init__(self, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
        self.fn = fn
        self.args = args


class Ask(Slotted):
    """Give ``event`` to the caller; the result is what the caller sends back
    (``stream.send(decision)``), ``None`` when it just iterates on."""

    _fields = ("event",)
    __slots__ = _fields
    event: StreamEvent

    def __init__(self, event: StreamEvent) -> None:
        self.event = event


class RunTools(Slotted):
    """Execute one turn's tool calls (concurrently) with ``runner``; tool events reach the
    caller as they happen; the result is the ``ToolResult`` list, in call order."""

    _fields = ("runner", "calls", "decisions")
    __slots__ = _fields
    runner: ToolRunner
    calls: list[ToolCall]
    decisions: dict[str, Decision]

    def __init__(
        self, runner: ToolRunner, calls: list[ToolCall], decisions: dict[str, Decision]
    ) -> None:
        self.runner = runner
        self.calls = calls
        self.decisions = decisions


class Done(Slotted):
    """What a driver yields last: the program's result (the ``Response``)."""

    _fields = ("value",)
    __slots__ = _fields
    value: Any

    def __init__(self, value: Any) -> None:
        self.value = value


# The actions that wait: once an abort fired, a driver ends the program at the next of them.
WAITING = frozenset(
    {Send, ReadBody, OpenChunks, NextChunk, Sleep, RunTools, JoinFlight, Ask, Acquire, TakeKey}
)
