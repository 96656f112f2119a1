"""A key pool's cooldowns and benches shared through a ``LimitBackend``: a 429 in one process
cools the key down in every process, a 401/403 benches it in every process (for a while).

The pool never waits for the backend: a cooldown or a bench is written by a worker thread, and
those other processes wrote are read by it at most every ``REFRESH_S`` while the pool is in
use, so a process learns of another's 429 or 401 within about that long. Keys are named by their
fingerprints only. A backend that fails is warned about once (``modelport.limits``); the pool
then goes on with its own cooldowns.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from ._backend import LimitBackend

if TYPE_CHECKING:
    from concurrent.futures import ThreadPoolExecutor

__all__ = ["SharedCooldowns"]

log = logging.getLogger("modelport.limits")

REFRESH_S = 0.25


class SharedCooldowns:
    __slots__ = ("_apply", "_backend", "_executor", "_ids", "_lock", "_refreshed", "_warned")

    def __init__(
        self,
        backend: LimitBackend,
        ids: list[str],
        apply: Callable[[dict[str, float], dict[str, float]], None],
    ) -> None:
        self._backend = backend
        self._ids = ids
        self._apply = apply  # the pool merges {fingerprint: seconds left} (cooling, benched)
        self._lock = threading.Lock()
        self._refreshed = 0.0
        self._warned = False
        self._executor: ThreadPoolExecutor | None = None

    def _submit(self, job: Callable[[], None]) -> None:
        with self._lock:
            if self._executor is None:
                from concurrent.futures import ThreadPoolExecutor

                self._executor = ThreadPoolExecutor(1, thread_name_prefix="modelport-keys")
            executor = self._executor
        executor.submit(self._guarded, job)

    def _guarded(self, job: Callable[[], None]) -> None:
        try:
            job()
        except Exception as exc:  # unreachable: this process's own cooldowns go on
            if not self._warned:
                self._warned = True
                log.warning(
                    "modelport: the limit backend %s failed (%s); key cooldowns and benches "
                    "are local "
                    "to this process until it answers",
                    type(self._backend).__name__,
                    type(exc).__name__,
                )
        else:
            self._warned = False

    def push(self, key_id: str, seconds: float) -> None:
        self._submit(lambda: self._backend.cool_down(key_id, seconds))

    def push_bench(self, key_id: str, seconds: float) -> None:
        self._submit(lambda: self._backend.bench_key(key_id, seconds))

    def _read(self) -> None:
        self._apply(self._backend.cooling(self._ids), self._backend.benched_keys(self._ids))

    def maybe_refresh(self) -> None:
        now = time.monotonic()
        with self._lock:
            if now - self._refreshed < REFRESH_S:
                return
            self._refreshed = now
        self._submit(self._read)

    def refresh_now(self) -> None:
        """Read the shared cooldowns and benches on this thread (tests; a dashboard)."""
        self._guarded(self._read)
