"""``AbortSignal``: stop a running call from anywhere (a UI button, another thread, a timer).

An abort takes effect at once, not at the next chunk: the driver running the call registers a
callback that interrupts whatever it is waiting for (the socket read of the sync driver, the
awaiting task of the async one, the tools of a turn). The call then ends normally, with what
it had: the partial answer, every tool call answered with ``cancelled: <reason>``, and a
``final`` event whose ``data`` says ``aborted`` and why. Nothing aborted is cached.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

__all__ = ["AbortSignal", "Aborted", "AsyncInterrupt"]


class AbortSignal:
    """Thread-safe: ``signal.abort("user pressed stop")`` from any thread, once or more."""

    __slots__ = ("_callbacks", "_event", "_lock", "reason")

    def __init__(self) -> None:
        self._event = threading.Event()
        self._lock = threading.Lock()
        self._callbacks: list[Callable[[], None]] = []
        self.reason: str | None = None

    def abort(self, reason: str = "aborted by the caller") -> None:
        with self._lock:
            if self._event.is_set():
                return
            self.reason = reason
            self._event.set()
            callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:
            try:
                callback()
            except Exception:  # an interrupt that fails must not stop the others
                pass

    @property
    def aborted(self) -> bool:
        return self._event.is_set()

    def on_abort(self, callback: Callable[[], None]) -> Callable[[], None]:
        """Run ``callback`` when aborted (at once if already); returns the unsubscribe."""
        with self._lock:
            if not self._event.is_set():
                self._callbacks.append(callback)
                return lambda: self._forget(callback)
        callback()
        return lambda: None

    def _forget(self, callback: Callable[[], None]) -> None:
        with self._lock:
            if callback in self._callbacks:
                self._callbacks.remove(callback)

    def __repr__(self) -> str:
        state = f"aborted: {self.reason!r}" if self.aborted else "armed"
        return f"AbortSignal({state})"


class Aborted(Exception):
    """Internal: thrown into a call program where it was waiting when the signal fired."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class AsyncInterrupt:
    """An abort's way into an async driver (``_drive``): cancel the driver's task while it
    awaits (only then: never the caller's own code between two events). The abort may fire
    on any thread, so the cancel hops onto the loop first."""

    __slots__ = ("abort", "loop", "task", "unsubscribe", "waiting")

    def __init__(self, abort: AbortSignal) -> None:
        import asyncio

        self.abort = abort
        self.task = asyncio.current_task()
        self.loop = asyncio.get_running_loop()
        self.waiting = False
        self.unsubscribe = abort.on_abort(self._interrupt)

    def _interrupt(self) -> None:
        self.loop.call_soon_threadsafe(self._cancel)

    def _cancel(self) -> None:
        if self.waiting and self.task is not None:
            self.task.cancel()

    @property
    def reason(self) -> str:
        return self.abort.reason or "aborted"

    def fired(self, exc: BaseException) -> bool:
        """Whether ``exc`` is the abort's doing (the interrupted wait, not a fault); a
        cancellation that was ours is taken back, so the caller's task goes on."""
        if not self.abort.aborted or isinstance(exc, Aborted):
            return False
        import asyncio

        if self.task is not None and isinstance(exc, asyncio.CancelledError):
            self.task.uncancel()
        return True
