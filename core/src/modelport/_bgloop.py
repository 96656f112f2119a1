"""A private event loop on a daemon thread, for sync calls that need async machinery.

Tool loops run async tools and sync tools side by side; the sync API reaches that code by
submitting coroutines here instead of calling ``asyncio.run`` per request (which would fail inside
Jupyter's running loop and would rebuild connection pools every call).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

__all__ = ["run_sync"]

T = TypeVar("T")

_loop: asyncio.AbstractEventLoop | None = None
_lock = threading.Lock()


def _get_loop() -> asyncio.AbstractEventLoop:
    global _loop
    loop = _loop
    if loop is None or loop.is_closed():
        with _lock:
            loop = _loop
            if loop is None or loop.is_closed():
                loop = asyncio.new_event_loop()
                thread = threading.Thread(
                    target=loop.run_forever, name="modelport-loop", daemon=True
                )
                thread.start()
                _loop = loop
    return loop


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` on the background loop and wait for its result in this thread."""
    loop = _get_loop()
    try:
        running = asyncio.get_running_loop()
    except RuntimeError:
        running = None
    if running is loop:
        coro.close()
        raise RuntimeError("run_sync called from the modelport background loop itself")
    return asyncio.run_coroutine_threadsafe(coro, loop).result()
