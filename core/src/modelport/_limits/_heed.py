"""After each response: what the provider's limit headers say reaches the budget it is about.

With a key pool the headers describe the key that was used (providers count per key or
organization), so a budget at zero cools that key down; without one, they describe the
model's budget, and the limiter pauses or caps its buckets (``Limiter.observe``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from ._headers import LimitReading
from ._keypool import KeyPool
from ._limiter import Limiter

__all__ = ["heed_limit_headers"]


class HeaderReader(Protocol):
    def read_limit_headers(self, headers: Mapping[str, str]) -> LimitReading | None: ...


def heed_limit_headers(
    provider: HeaderReader,
    headers: Mapping[str, str],
    limiter: Limiter | None,
    pool: KeyPool | None,
    key: str | None,
) -> None:
    try:
        reading = provider.read_limit_headers(headers)
    except Exception:  # a provider's reader that breaks on odd headers never fails a call
        return
    if reading is None:
        return
    if pool is not None and key is not None:
        wait = reading.exhausted()
        if wait is not None:
            pool.cool_down(key, wait)
    elif limiter is not None:
        limiter.observe(reading)
