"""``KeyPool``: several API keys for one model, the least-loaded one for each attempt.

Sans-IO state under a lock, like the limiter. A key that got a 429 cools down for its
Retry-After; a key that got 401/403 is benched for good (a warning names its fingerprint, never
the key). Keys are never shown: ``repr``, warnings and events carry ``fingerprint(key)``, the
first 8 hex digits of its SHA-256.
"""

from __future__ import annotations

import hashlib
import threading
import time
import warnings
from collections.abc import Callable, Iterable

from .._errors import ConfigurationError
from ._backend import LimitBackend
from ._cooldowns import SharedCooldowns

__all__ = ["KeyPool", "fingerprint"]

_DEFAULT_COOLDOWN_S = 1.0  # a 429 that said nothing about how long


def fingerprint(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:8]


class KeyPool:
    """``mp.KeyPool(["sk-1", "sk-2"])`` (or ``api_key=[...]``) on an ``LLM``.

    ``backend``: a ``LimitBackend`` that shares the cooldowns with every process using it
    (``modelport_redis.RedisLimits``); loads and benched keys stay per process.
    """

    __slots__ = ("_benched", "_clock", "_cool_until", "_keys", "_load", "_lock", "_shared")

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
        self._benched: set[str] = set()
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
        """The least-loaded usable key (ties: the first listed), counted as in use; or
        ``(None, seconds)`` until the first cooling key is usable again. Every key benched is
        a ``ConfigurationError``: no wait would help."""
        if self._shared is not None:
            self._shared.maybe_refresh()
        with self._lock:
            now = self._clock()
            usable = [
                k for k in self._keys if k not in self._benched and self._cool_until[k] <= now
            ]
            if usable:
                key = min(usable, key=lambda k: self._load[k])
                self._load[key] += 1
                return key, 0.0
            cooling = [self._cool_until[k] - now for k in self._keys if k not in self._benched]
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
            return any(k not in self._benched and self._cool_until[k] <= now for k in self._keys)

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

    def _merge(self, cooling: dict[str, float]) -> None:
        """Cooldowns other processes set (seconds left, by fingerprint) become this pool's."""
        with self._lock:
            now = self._clock()
            for key in self._keys:
                left = cooling.get(fingerprint(key))
                if left is not None and left > 0:
                    self._cool_until[key] = max(self._cool_until[key], now + left)

    def sync(self) -> None:
        """Read the backend's cooldowns now (normally that happens in the background, at most
        every quarter second while the pool is used)."""
        if self._shared is not None:
            self._shared.refresh_now()

    def bench(self, key: str) -> bool:
        """The key was refused (401/403): never used again. ``True`` when another key is left
        to retry with."""
        with self._lock:
            first = key not in self._benched
            self._benched.add(key)
            left = any(k not in self._benched for k in self._keys)
        if first:
            warnings.warn(
                f"modelport: the provider refused API key {fingerprint(key)} (401/403); it is "
                f"benched for this process{'' if left else ' and no key is left'}",
                RuntimeWarning,
                stacklevel=2,
            )
        return left

    def load(self) -> dict[str, int]:
        """In-use counts by fingerprint (tests, dashboards)."""
        with self._lock:
            return {fingerprint(k): n for k, n in self._load.items()}

    def __repr__(self) -> str:
        shown = ", ".join(fingerprint(k) for k in self._keys)
        return f"KeyPool({len(self._keys)} keys: {shown})"
