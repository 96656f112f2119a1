"""The limiter's state, sans-IO: a FIFO queue of tickets, a slot count and two token buckets.

Nothing here sleeps or polls. A waiter enqueues a ticket with a ``wake`` callback; whoever
changes the state (a release, a cancel, a waiter whose refill time came) grants from the head of
the queue and wakes the tickets it granted. The drivers (``_drive``) do the actual waiting, each
its own way, bounded by the call's deadline. First come, first served: a later ticket is never
granted while an earlier one waits, so a big request is not starved by small ones.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from .._errors import ConfigurationError
from ._backend import LimitBackend
from ._headers import LimitReading

__all__ = ["Limiter", "Limits", "Ticket"]


@dataclass(frozen=True, slots=True)
class Limits:
    """What one (provider, base URL, model) may use, shared by every ``LLM`` in the process.

    ``max_concurrency``: calls in flight at once (a stream holds its slot until it ends).
    ``requests_per_minute`` / ``tokens_per_minute``: token buckets that refill continuously;
    tokens are reserved up front from an estimate (the request's size plus ``max_tokens``) and
    corrected by the real usage when the call ends.
    ``backend``: where the budget lives when other processes share it: a ``LimitBackend``
    (such as ``modelport_redis.RedisLimits(...)``) or the name a plugin registered it under
    (``"redis"``); ``None``: in this process.
    """

    max_concurrency: int | None = None
    requests_per_minute: float | None = None
    tokens_per_minute: float | None = None
    backend: LimitBackend | str | None = None

    def __post_init__(self) -> None:
        c = self.max_concurrency
        if c is not None and (isinstance(c, bool) or not isinstance(c, int) or c < 1):
            raise ConfigurationError(f"max_concurrency must be an int >= 1, got {c!r}")
        for name in ("requests_per_minute", "tokens_per_minute"):
            value = getattr(self, name)
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int | float) or value <= 0
            ):
                raise ConfigurationError(f"{name} must be a positive number, got {value!r}")
        backend = self.backend
        if isinstance(backend, str):
            if not backend:
                raise ConfigurationError("backend must name a registered limit backend")
        elif backend is not None and not isinstance(backend, LimitBackend):
            raise ConfigurationError(
                "backend must be a limit backend (modelport.provider.LimitBackend), "
                f"not {type(self.backend).__name__}"
            )

    @property
    def unlimited(self) -> bool:
        return (
            self.max_concurrency is None
            and self.requests_per_minute is None
            and self.tokens_per_minute is None
        )


_UNCONFIGURED = 1e9  # the capacity of the bucket a pause adds where none was configured


class _Bucket:
    """Continuous refill at ``per_minute / 60`` per second, up to ``per_minute``."""

    __slots__ = ("at", "capacity", "level", "paused_until", "rate")

    def __init__(self, per_minute: float, now: float) -> None:
        self.capacity = float(per_minute)
        self.level = self.capacity
        self.rate = self.capacity / 60.0
        self.at = now
        self.paused_until = 0.0

    # Comparisons instead of min()/max(): these run for every call, and the builtins' calls
    # were a third of the limiter's cost per request (bench/bench_limits.py).

    def refill(self, now: float) -> None:
        at = self.at
        if now > at:
            paused = self.paused_until
            start = at if at > paused else paused
            if now > start:
                level = self.level + (now - start) * self.rate
                self.level = level if level < self.capacity else self.capacity
            self.at = now

    def wait_for(self, amount: float, now: float) -> float:
        """Seconds until ``amount`` (at most the capacity) is available; 0 when it is."""
        self.refill(now)
        capacity = self.capacity
        need = (amount if amount < capacity else capacity) - self.level
        wait = need / self.rate if need > 0 else 0.0
        pause = self.paused_until - now
        return pause if pause > wait else wait


class Ticket:
    """One waiter (or holder) of the limiter; ``cost`` is its reserved token estimate."""

    __slots__ = ("cost", "granted", "wake")

    def __init__(self, cost: int, wake: Callable[[], None]) -> None:
        self.cost = cost
        self.granted = False
        self.wake = wake


class Limiter:
    """Thread-safe; one per (provider, base URL, model, limits) in the process."""

    def __init__(self, limits: Limits, clock: Callable[[], float] = time.monotonic) -> None:
        self.limits = limits
        self._clock = clock
        self._lock = threading.Lock()
        self._queue: deque[Ticket] = deque()
        self._active = 0
        now = clock()
        rpm, tpm = limits.requests_per_minute, limits.tokens_per_minute
        self._requests = _Bucket(rpm, now) if rpm is not None else None
        self._tokens = _Bucket(tpm, now) if tpm is not None else None

    # -- the driver's side ---------------------------------------------------------------------

    def enqueue(self, cost: int, wake: Callable[[], None]) -> Ticket:
        """A ticket at the back of the queue, granted at once when nothing is in the way."""
        ticket = Ticket(cost, wake)
        with self._lock:
            if not self._queue and self._take(ticket, self._clock()) == 0.0:
                return ticket  # the common case: nobody waits and the budget allows it
            self._queue.append(ticket)
            woken, _ = self._grant()
        self._wake(woken, ticket)
        return ticket

    def poll(self, ticket: Ticket) -> float | None:
        """Grant what can be granted now; for a ticket still waiting, the seconds until the
        buckets allow its turn (``None``: it waits for a slot, a release will wake it)."""
        with self._lock:
            woken, wait = self._grant()
            head = self._queue[0] if self._queue else None
        self._wake(woken, ticket)
        if ticket.granted:
            return 0.0
        if head is ticket and wait is not None:
            return max(wait, 1e-6)  # 0.0 means granted
        return None

    def release(self, ticket: Ticket, used_tokens: int | None = None) -> None:
        """The call ended: free its slot; correct its token reservation by the real usage."""
        with self._lock:
            if not ticket.granted:
                self._remove(ticket)
            else:
                ticket.granted = False
                self._active -= 1
                if used_tokens is not None and self._tokens is not None:
                    bucket = self._tokens
                    bucket.refill(self._clock())
                    bucket.level = min(bucket.capacity, bucket.level + ticket.cost - used_tokens)
            if not self._queue:
                return
            woken, _ = self._grant()
        self._wake(woken, None)

    def cancel(self, ticket: Ticket) -> None:
        """A waiter gave up (deadline, cancellation, abort), or a holder never sent: everything
        it reserved goes back."""
        self.release(ticket, used_tokens=0)

    def pause(self, seconds: float, drain: bool = True) -> None:
        """The provider said "slow down" (a 429 with Retry-After): no grant for ``seconds``.

        ``drain``: the configured buckets resume empty, at their refill rate, so the end of
        the pause is not a burst that runs into the next 429."""
        with self._lock:
            now = self._clock()
            until = now + seconds
            for bucket in (self._requests, self._tokens):
                if bucket is not None:
                    bucket.refill(now)
                    bucket.paused_until = max(bucket.paused_until, until)
                    if drain and bucket.capacity < _UNCONFIGURED:
                        bucket.level = min(bucket.level, 0.0)
            if self._requests is None and self._tokens is None:
                # A concurrency-only limiter still has to honour the pause.
                self._requests = _Bucket(_UNCONFIGURED, now)
                self._requests.paused_until = until

    def observe(self, reading: LimitReading) -> None:
        """What the provider's limit headers said: a budget at zero pauses until its reset; a
        bucket never holds more than the provider says is left (others may share the key)."""
        wait = reading.exhausted()
        if wait is not None:
            self.pause(wait, drain=False)
        with self._lock:
            now = self._clock()
            for bucket, left in (
                (self._requests, reading.remaining_requests),
                (self._tokens, reading.remaining_tokens),
            ):
                if bucket is not None and left is not None and bucket.capacity < _UNCONFIGURED:
                    bucket.refill(now)
                    bucket.level = min(bucket.level, float(left))

    # -- state --------------------------------------------------------------------------------

    @property
    def active(self) -> int:
        return self._active

    @property
    def waiting(self) -> int:
        return len(self._queue)

    def _remove(self, ticket: Ticket) -> None:
        try:
            self._queue.remove(ticket)
        except ValueError:
            pass

    def _grant(self) -> tuple[list[Ticket], float | None]:
        """Grant from the head while possible (under the lock)."""
        woken: list[Ticket] = []
        now = self._clock()
        while self._queue:
            head = self._queue[0]
            wait = self._take(head, now)
            if wait is None:
                return woken, None
            if wait > 0:
                # The head waits for a refill: it must know, to sleep until then (it may have
                # become the head just now, while sleeping without a timeout behind another).
                woken.append(head)
                return woken, wait
            self._queue.popleft()
            woken.append(head)
        return woken, None

    def _take(self, ticket: Ticket, now: float) -> float | None:
        """Under the lock: grant ``ticket`` if the budget allows it now (``0.0``); else the
        seconds until the buckets do, or ``None`` while every slot is taken."""
        limit = self.limits.max_concurrency
        if limit is not None and self._active >= limit:
            return None
        requests, tokens = self._requests, self._tokens
        wait = 0.0
        if requests is not None:
            wait = requests.wait_for(1, now)
        if tokens is not None:
            for_tokens = tokens.wait_for(ticket.cost, now)
            if for_tokens > wait:
                wait = for_tokens
        if wait > 0:
            return wait
        if requests is not None:
            requests.level -= 1
        if tokens is not None:
            ticket.cost = min(ticket.cost, int(tokens.capacity))  # what was taken
            tokens.level -= ticket.cost
        self._active += 1
        ticket.granted = True
        return 0.0

    @staticmethod
    def _wake(woken: list[Ticket], skip: Ticket | None) -> None:
        for ticket in woken:
            if ticket is not skip:
                ticket.wake()
