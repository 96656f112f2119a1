"""Progress events fan-out: the ``on_progress=`` callback and the ``on_progress`` hook.

An observer that raises is reported once as a warning and never fails the request.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from typing import Any

from ._events import ProgressEvent, ProgressKind

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
                self._callback(event)
            except Exception as exc:  # an observer must never break the call
                warnings.warn(f"on_progress callback raised {exc!r}", RuntimeWarning, stacklevel=2)
        if self._hook is not None:
            try:
                self._hook.on_progress(event=event)
            except Exception as exc:
                warnings.warn(f"on_progress hook raised {exc!r}", RuntimeWarning, stacklevel=2)
