"""``KeyPool``: several API keys for one model, the least-loaded one for each attempt.

Sans-IO state under a lock, like the limiter. Among the least-loaded keys the one used longest
ago goes first, so that calls one at a time still spread over every key's per-key rate limit. A
key that got a 429 cools down for its Retry-After; a key that got 401/403 is benched (a warning
names its fingerprint, never the key): for the process's lifetime, or with a ``backend`` for
``BENCH_S`` in every process sharing it, so that a key re-enabled at the provider comes back
without a restart. Keys are never shown: ``repr``, warnings and events carry
``fingerprint(key)``, the first 8 hex digits of its SHA-256.
"""

from __future__ import annotations

import hashlib
import logging
import math
import threading
import time
import warnings
from collections.abc import Callable, Iterable

from .._errors import ConfigurationError
from ._backend import LimitBackend
from ._cooldowns import SharedCooldowns

__all__ = ["BENCH_S", "KeyPool", "fingerprint"]

log = logging.getLogger("modelport.limits")

_DEFAULT_COOLDOWN_S = 1.0  # a 429 that said nothing about how long
BENCH_S = 3600.0  # how long a bench lasts when a backend shares it


def fingerprint(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:8]


class KeyPool:
    """``mp.KeyPool(["sk-1", "sk-2"])`` (or ``api_key=[...]``) on an ``LLM``.

    ``backend``: a ``LimitBackend`` that shares the cooldowns and the benched keys (for
    ``BENCH_S``) with every process using it (``modelport_redis.RedisLimits``); the loads stay
    per process (docs/limits.md says why).
    """

    __slots__ = (
        "_bench_until",
        "_clock",
        "_cool_until",
        "_keys",
        "_last_used",
        "_load",
        "_lock",
        "_shared",
        "_turn",
    )

    def __init__(
        self,
        keys: Iterable[str],
        clock: Callable[[], float] = time.monotonic,
        *,
        backend: LimitBackend | None = None,
    ) -> None:
        listed = list(keys)
        if not listed or not all(isinstance(k, str) and k for k in listed):
            raise ConfigurationError("a key pool needs one or more non-empty str keys")
        if len(set(listed)) != len(listed):
            raise ConfigurationError("a key pool lists the same key twice")
        self._keys = listed
        self._clock = clock
        self._lock = threading.Lock()
        self._load = dict.fromkeys(listed, 0)
        self._cool_until = dict.fromkeys(listed, 0.0)
        self._bench_until = dict.fromkeys(listed, 0.0)
        self._last_used = dict.fromkeys(listed, 0)
        self._turn = 0
        self._shared: SharedCooldowns | None = None
        if backend is not None:
            if not isinstance(backend, LimitBackend):
                raise ConfigurationError(
                    f"backend must be a limit backend, not {type(backend).__name__}"
                )
            ids = [fingerprint(k) for k in listed]
            self._shared = SharedCooldowns(backend, ids, self._merge)

    @property
    def keys(self) -> list[str]:
        return list(self._keys)

    def take(self) -> tuple[str | None, float]:
        """The least-loaded usable key (ties: the one used longest ago), counted as in use; or
        ``(None, seconds)`` until the first cooling key is usable again. Every key benched is
        a ``ConfigurationError``: no wait would help."""
        if self._shared is not None:
            self._shared.maybe_refresh()
        with self._lock:
            now = self._clock()
            usable = [
                k for k in self._keys if self._bench_until[k] <= now and self._cool_until[k] <= now
            ]
            if usable:
                key = min(usable, key=lambda k: (self._load[k], self._last_used[k]))
                self._load[key] += 1
                self._turn += 1
                self._last_used[key] = self._turn
                return key, 0.0
            cooling = [self._cool_until[k] - now for k in self._keys if self._bench_until[k] <= now]
        if not cooling:
            raise ConfigurationError(
                "every key of the pool was refused by the provider (401/403); fingerprints: "
                + ", ".join(fingerprint(k) for k in self._keys)
            )
        return None, max(0.0, min(cooling))

    def has_usable(self) -> bool:
        """A key not benched and not cooling down (a retry can go at once)."""
        with self._lock:
            now = self._clock()
            return any(
                self._bench_until[k] <= now and self._cool_until[k] <= now for k in self._keys
            )

    def give_back(self, key: str) -> None:
        with self._lock:
            if self._load.get(key, 0) > 0:
                self._load[key] -= 1

    def cool_down(self, key: str, seconds: float | None) -> None:
        """The key got a 429: not used again for ``seconds`` (its Retry-After)."""
        wait = seconds if seconds is not None else _DEFAULT_COOLDOWN_S
        with self._lock:
            until = self._clock() + wait
            self._cool_until[key] = max(self._cool_until[key], until)
        if self._shared is not None:
            self._shared.push(fingerprint(key), wait)

    def _merge(self, cooling: dict[str, float], benched: dict[str, float]) -> None:
        """Cooldowns and benches other processes set (seconds left, by fingerprint) become
        this pool's."""
        learned: list[str] = []
        with self._lock:
            now = self._clock()
            for key in self._keys:
                fp = fingerprint(key)
                left = cooling.get(fp)
                if left is not None and left > 0:
                    self._cool_until[key] = max(self._cool_until[key], now + left)
                left = benched.get(fp)
                if left is not None and left > 0:
                    if self._bench_until[key] <= now:
                        learned.append(fp)
                    self._bench_until[key] = max(self._bench_until[key], now + left)
        for fp in learned:
            log.warning(
                "modelport: API key %s was refused (401/403) in another process; it is benched "
                "here too",
                fp,
            )

    def sync(self) -> None:
        """Read the backend's cooldowns and benches now (normally that happens in the
        background, at most every quarter second while the pool is used)."""
        if self._shared is not None:
            self._shared.refresh_now()

    def bench(self, key: str) -> bool:
        """The key was refused (401/403): not used again (for ``BENCH_S`` in every process
        with a backend, else for this process's lifetime). ``True`` when another key is left
        to retry with."""
        shared = self._shared
        with self._lock:
            now = self._clock()
            first = self._bench_until[key] <= now
            self._bench_until[key] = now + BENCH_S if shared is not None else math.inf
            left = any(self._bench_until[k] <= now for k in self._keys)
        if shared is not None:
            shared.push_bench(fingerprint(key), BENCH_S)
        if first:
            where = (
                f"every process sharing its backend for {BENCH_S / 3600:g} h"
                if shared is not None
                else "this process"
            )
            warnings.warn(
                f"modelport: the provider refused API key {fingerprint(key)} (401/403); it is "
                f"benched in {where}{'' if left else ' and no key is left'}",
                RuntimeWarning,
                stacklevel=2,
            )
        return left

    def benched(self) -> list[str]:
        """Fingerprints of the keys benched now (tests, dashboards)."""
        with self._lock:
            now = self._clock()
            return [fingerprint(k) for k in self._keys if self._bench_until[k] > now]

    def load(self) -> dict[str, int]:
        """In-use counts by fingerprint (tests, dashboards)."""
        with self._lock:
            return {fingerprint(k): n for k, n in self._load.items()}

    def __repr__(self) -> str:
        shown = ", ".join(fingerprint(k) for k in self._keys)
        return f"KeyPool({len(self._keys)} keys: {shown})"
