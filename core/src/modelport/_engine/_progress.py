"""Progress events fan-out: the ``on_progress=`` callback and the ``on_progress`` hook.

An observer that raises is reported once as a warning and never fails the request.
"""

from __future__ import annotations

import inspect
import time
import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .._events import ProgressEvent, ProgressKind

if TYPE_CHECKING:
    import asyncio

__all__ = ["Progress"]


class Progress:
    __slots__ = ("_callback", "_hook", "_start", "attempt", "model", "provider")

    def __init__(
        self,
        provider: str,
        model: str,
        callback: Callable[[ProgressEvent], Any] | None,
        hook: Any | None,
    ) -> None:
        self.provider = provider
        self.model = model
        self._callback = callback
        self._hook = hook
        self._start = time.perf_counter()
        self.attempt = 1

    def emit(self, kind: ProgressKind, **detail: Any) -> None:
        event = ProgressEvent(
            kind=kind,
            provider=self.provider,
            model=self.model,
            attempt=self.attempt,
            elapsed_s=time.perf_counter() - self._start,
            detail=detail,
        )
        if self._callback is not None:
            try:
                result = self._callback(event)
                if inspect.isawaitable(result):
                    _run_observer(result)
            except Exception as exc:  # an observer must never break the call
                warnings.warn(f"on_progress callback raised {exc!r}", RuntimeWarning, stacklevel=2)
        if self._hook is not None:
            try:
                self._hook.on_progress(event=event)
            except Exception as exc:
                warnings.warn(f"on_progress hook raised {exc!r}", RuntimeWarning, stacklevel=2)


_pending: set[asyncio.Future[Any]] = set()  # keeps scheduled observers alive until done


def _run_observer(awaitable: Any) -> None:
    """An async ``on_progress`` callback: a task on the running loop (the call does not wait
    for it, so a slow observer cannot slow the call); from sync code, through the bridge.
    asyncio is imported here, not at the top: a sync call must not pay for it."""
    import asyncio

    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        loop = None
    if loop is not None:
        task = asyncio.ensure_future(awaitable)
        _pending.add(task)
        task.add_done_callback(_finished)
        return
    from .._bgloop import run_sync

    async def wait() -> None:
        await awaitable

    run_sync(wait())


def _finished(task: asyncio.Future[Any]) -> None:
    _pending.discard(task)
    if not task.cancelled() and task.exception() is not None:
        warnings.warn(
            f"on_progress callback raised {task.exception()!r}", RuntimeWarning, stacklevel=2
        )
