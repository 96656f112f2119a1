"""Old spellings of the user API: each warns once per process, then does what the new one does.

One name per concept: ``cache="never"`` (not ``use_cache=False``) and ``retry=`` (a number of
retries or a ``RetryPolicy``; not ``max_retries=``). The old names keep working for a while so
that code written against them does not break, but say what to write instead.
"""

from __future__ import annotations

import threading
import warnings

__all__ = ["warn_once"]

_warned: set[str] = set()
_lock = threading.Lock()


def warn_once(old: str, new: str, *, stacklevel: int = 3) -> None:
    with _lock:
        if old in _warned:
            return
        _warned.add(old)
    warnings.warn(
        f"modelport: {old} is deprecated and will be removed; use {new}",
        DeprecationWarning,
        stacklevel=stacklevel,
    )
