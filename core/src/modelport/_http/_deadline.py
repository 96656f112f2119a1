"""A single watchdog thread enforcing first-chunk and total deadlines on blocking (sync) calls.

A blocked socket read cannot be interrupted from its own thread; closing the response from
another thread can. One shared daemon thread with a heap of deadlines costs a heap push per
request instead of a thread per request, and is only started when such a timeout is configured.
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from collections.abc import Callable

__all__ = ["Watch", "watch"]


class Watch:
    __slots__ = ("callback", "cancelled", "fired")

    def __init__(self, callback: Callable[[], None]) -> None:
        self.callback = callback
        self.cancelled = False
        self.fired = False

    def cancel(self) -> None:
        self.cancelled = True


class _Watchdog:
    def __init__(self) -> None:
        self._heap: list[tuple[float, int, Watch]] = []
        self._cond = threading.Condition()
        self._counter = itertools.count()
        self._thread: threading.Thread | None = None

    def add(self, deadline: float, callback: Callable[[], None]) -> Watch:
        w = Watch(callback)
        with self._cond:
            heapq.heappush(self._heap, (deadline, next(self._counter), w))
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="modelport-deadlines", daemon=True
                )
                self._thread.start()
            self._cond.notify()
        return w

    def _run(self) -> None:
        while True:
            with self._cond:
                while self._heap and self._heap[0][2].cancelled:
                    heapq.heappop(self._heap)
                if not self._heap:
                    self._cond.wait(timeout=60.0)
                    continue
                deadline, _, w = self._heap[0]
                now = time.monotonic()
                if deadline > now:
                    self._cond.wait(timeout=min(deadline - now, 60.0))
                    continue
                heapq.heappop(self._heap)
            if not w.cancelled:
                w.fired = True
                try:
                    w.callback()
                except Exception:  # closing an already closed response, etc.
                    pass


_dog = _Watchdog()


def watch(deadline: float, callback: Callable[[], None]) -> Watch:
    """Call ``callback`` at ``deadline`` (``time.monotonic`` seconds) unless cancelled first."""
    return _dog.add(deadline, callback)
