"""A limiter whose budget lives in a ``LimitBackend`` (shared by processes), else local.

It speaks the driver's language of ``Limiter`` (enqueue, poll, release, cancel, pause), so the
engine waits for it exactly as for a local limit: event-driven, bounded by the call's deadline,
cancellation-safe. All backend I/O happens on one worker thread per limiter, never on the
caller's thread or event loop; the driver only ever sees a ticket that the worker grants and
wakes.

- In the process: first come, first served; only the queue's head asks the backend.
- Across processes: the backend keeps the order of the heads that wait for a slot. A head that
  waits for a slot asks again after a bounded backoff (5 ms doubling to 50 ms, at once after a
  release in this process); one that waits for a refill or a pause asks when it is due.
- Granted slots are leases (``backend.lease_s``): the worker renews them every third of the
  lease while held, so a process that dies gives its slots back when the lease runs out.
- The backend failing (unreachable, a timeout, any error): one warning on the
  ``modelport.limits`` logger, then local limits (``Limiter``) for ``_RETRY_BACKEND_S``; the
  tickets waiting move to the local queue. Nothing fails a request.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import deque
from collections.abc import Callable

from ._backend import LimitBackend
from ._headers import LimitReading
from ._limiter import Limiter, Limits, Ticket

__all__ = ["BackedLimiter"]

log = logging.getLogger("modelport.limits")

_BACKOFF_MIN_S = 0.005
_BACKOFF_MAX_S = 0.05
_RETRY_BACKEND_S = 30.0
_ASK_AT_LEAST_EVERY_S = 1.0  # a waiting head stays in the backend's order of waiters


class RemoteTicket(Ticket):
    """A ticket granted by the backend; ``local``: the fallback's ticket once it moved."""

    __slots__ = ("holder", "local")

    def __init__(self, cost: int, wake: Callable[[], None]) -> None:
        super().__init__(cost, wake)
        self.holder = os.urandom(16).hex()  # unique across processes
        self.local: Ticket | None = None


class BackedLimiter(Limiter):
    """A ``Limiter`` whose grants come from ``backend`` while it answers; its own local state
    is the fallback. Thread-safe; one per (provider, base URL, model, limits) in the process."""

    def __init__(self, limits: Limits, scope: str, backend: LimitBackend) -> None:
        super().__init__(limits)
        self.scope = scope
        self.backend = backend
        self._lease_s = float(backend.lease_s)
        self._cond = threading.Condition(threading.Lock())
        self._waiting: deque[RemoteTicket] = deque()
        self._held: dict[str, RemoteTicket] = {}
        self._jobs: list[Callable[[], None]] = []  # releases and pauses for the backend
        self._next_try = 0.0
        self._backoff = _BACKOFF_MIN_S
        self._down_until = 0.0
        self._warned = False
        self._worker: threading.Thread | None = None

    # -- the driver's side (no I/O here) --------------------------------------------------------

    def enqueue(self, cost: int, wake: Callable[[], None]) -> Ticket:
        with self._cond:
            if time.monotonic() < self._down_until:
                down = True
            else:
                down = False
                ticket = RemoteTicket(cost, wake)
                self._waiting.append(ticket)
                self._start()
                self._cond.notify()
        if down:
            return super().enqueue(cost, wake)
        return ticket

    def poll(self, ticket: Ticket) -> float | None:
        if not isinstance(ticket, RemoteTicket):
            return super().poll(ticket)
        with self._cond:
            local = ticket.local
            if local is None:
                return 0.0 if ticket.granted else None  # the worker wakes it
        wait = super().poll(local)
        ticket.granted = local.granted
        return wait

    def release(self, ticket: Ticket, used_tokens: int | None = None) -> None:
        if not isinstance(ticket, RemoteTicket):
            super().release(ticket, used_tokens)
            return
        with self._cond:
            local = ticket.local
            if local is None:
                if ticket.granted:
                    ticket.granted = False
                    self._held.pop(ticket.holder, None)
                    refund = 0 if used_tokens is None else ticket.cost - used_tokens
                else:  # a waiter gave up: leave the backend's order of waiters too
                    try:
                        self._waiting.remove(ticket)
                    except ValueError:
                        pass
                    refund = 0
                self._job(self._release_job(ticket.holder, refund))
                self._next_try = 0.0  # a slot may be free now: the head asks at once
                self._backoff = _BACKOFF_MIN_S
                return
        ticket.granted = False
        super().release(local, used_tokens)

    def cancel(self, ticket: Ticket) -> None:
        self.release(ticket, used_tokens=0)

    def pause(self, seconds: float, drain: bool = True) -> None:
        """A 429's Retry-After: everyone sharing the budget, in every process, waits."""
        super().pause(seconds, drain)
        with self._cond:
            self._job(lambda: self.backend.pause(self.scope, self.limits, seconds, drain))
            self._next_try = time.monotonic() + seconds

    def observe(self, reading: LimitReading) -> None:
        """Limit headers: a budget at zero pauses every process (the backend's pause); the
        cap on the buckets by what is left applies to this process's fallback state only."""
        wait = reading.exhausted()
        if wait is not None:
            self.pause(wait, drain=False)
        super().observe(LimitReading(reading.remaining_requests, reading.remaining_tokens))

    @property
    def active(self) -> int:
        return len(self._held) + self._active

    @property
    def waiting(self) -> int:
        return len(self._waiting) + len(self._queue)

    # -- the worker (all backend I/O) ----------------------------------------------------------

    def _job(self, job: Callable[[], None]) -> None:
        """Under the lock: queue ``job`` for the worker."""
        self._jobs.append(job)
        self._start()
        self._cond.notify()

    def _release_job(self, holder: str, refund: int) -> Callable[[], None]:
        return lambda: self.backend.release(self.scope, holder, self.limits, refund)

    def _start(self) -> None:
        if self._worker is None:
            self._worker = threading.Thread(
                target=self._run, name=f"modelport-limits-{self.scope[:8]}", daemon=True
            )
            self._worker.start()

    def _run(self) -> None:
        renewed = time.monotonic()
        while True:
            with self._cond:
                while True:
                    now = time.monotonic()
                    if self._jobs:
                        break
                    if self._waiting and now >= self._next_try:
                        break
                    if self._held and now - renewed >= self._lease_s / 3:
                        break
                    bounds = [self._lease_s / 3 - (now - renewed)] if self._held else []
                    if self._waiting:
                        bounds.append(self._next_try - now)
                    self._cond.wait(max(min(bounds), 0.0) if bounds else None)
                jobs, self._jobs = self._jobs, []
                head = self._waiting[0] if self._waiting and now >= self._next_try else None
                holders = list(self._held) if now - renewed >= self._lease_s / 3 else []
            try:
                for job in jobs:
                    job()
                if holders:
                    self.backend.renew(self.scope, holders, self._lease_s)
                    renewed = time.monotonic()
                if head is not None:
                    self._ask(head)
            except Exception as exc:  # unreachable or broken: local limits, never a failure
                self._went_down(exc)
                renewed = time.monotonic()

    def _ask(self, head: RemoteTicket) -> None:
        grant = self.backend.acquire(self.scope, head.holder, self.limits, head.cost, self._lease_s)
        wake: RemoteTicket | None = None
        with self._cond:
            if grant.granted:
                self._backoff = _BACKOFF_MIN_S
                self._next_try = 0.0
                if self._waiting and self._waiting[0] is head:
                    self._waiting.popleft()
                    head.cost = grant.taken
                    head.granted = True
                    self._held[head.holder] = head
                    wake = head
                else:  # cancelled while asking: give it back
                    self._jobs.append(self._release_job(head.holder, grant.taken))
            elif grant.retry_in_s is not None:
                due = min(max(grant.retry_in_s, 0.001), _ASK_AT_LEAST_EVERY_S)
                self._next_try = time.monotonic() + due
            else:
                self._next_try = time.monotonic() + self._backoff
                self._backoff = min(self._backoff * 2, _BACKOFF_MAX_S)
        if self._warned:
            self._warned = False
            log.info("modelport: the limit backend answers again; shared limits resume")
        if wake is not None:
            _wake(wake)

    def _went_down(self, exc: Exception) -> None:
        if not self._warned:
            self._warned = True
            log.warning(
                "modelport: the limit backend %s failed (%s); local limits for this process "
                "for the next %.0f s",
                type(self.backend).__name__,
                type(exc).__name__,
                _RETRY_BACKEND_S,
            )
        with self._cond:
            self._down_until = time.monotonic() + _RETRY_BACKEND_S
            moved = list(self._waiting)
            self._waiting.clear()
            self._jobs.clear()  # releases there: the leases expire by themselves
            # Held slots stay counted here until released; their leases lapse in the backend.
            for ticket in moved:
                ticket.local = super().enqueue(ticket.cost, ticket.wake)
        for ticket in moved:
            _wake(ticket)  # its driver polls again: now the local limiter answers


def _wake(ticket: Ticket) -> None:
    """Wake a waiter from the worker; a waiter whose event loop is gone (its program was
    closed) cannot be woken and needs not be: that is no failure of the backend."""
    try:
        ticket.wake()
    except RuntimeError:
        pass
