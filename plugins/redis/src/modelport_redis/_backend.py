"""``RedisLimits``: a ``LimitBackend`` on one Redis, shared by every process pointing at it.

The core calls it from its own worker threads (never an event loop), so this is the plain
blocking redis-py client, one connection pool per instance; sync and async calls of modelport
both go through it. Each operation is one atomic Lua script (``EVALSHA``, with ``EVAL`` when the
server does not know the script yet: a restart, a ``SCRIPT FLUSH``), or one pipeline.

Key names carry a scope (a hash of provider, base URL, model and limits) or a key's
fingerprint, never a secret. ``redis`` is imported on first use, so registering the plugin
costs no import.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from modelport.provider import LimitGrant

from . import _scripts

if TYPE_CHECKING:
    import redis
    from modelport import Limits

__all__ = ["RedisLimits"]

DEFAULT_URL = "redis://127.0.0.1:6379/0"
WAITER_TTL_MS = 3000  # a waiting process asks at least every second (the core's bound)


def _sha(script: str) -> str:
    return hashlib.sha1(script.encode()).hexdigest()


def _shown(url: str) -> str:
    """The URL without its credentials (``redis://:password@host`` is common)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def _ms(seconds: float) -> int:
    return max(1, int(seconds * 1000))


def _num(value: float | None) -> str:
    return "0" if value is None else repr(float(value))


class RedisLimits:
    """``mp.Limits(max_concurrency=4, backend=RedisLimits("redis://host:6379/0"))``.

    ``prefix`` starts every key name (several deployments may share one Redis);
    ``timeout_s`` bounds each round trip and the connect, so an unreachable Redis is noticed
    fast (the core then falls back to local limits); ``lease_s``: how long a slot outlives
    its process's last renewal (renewed every third of it); ``client``: your own
    ``redis.Redis``.
    """

    def __init__(
        self,
        url: str = DEFAULT_URL,
        *,
        prefix: str = "modelport",
        timeout_s: float = 0.5,
        lease_s: float = 15.0,
        client: redis.Redis | None = None,
    ) -> None:
        self.url = url
        self.lease_s = lease_s
        self.prefix = prefix
        self.timeout_s = timeout_s
        self._client = client
        self._lock = threading.Lock()

    @classmethod
    def from_env(cls) -> RedisLimits:
        """``MODELPORT_REDIS_URL`` (default ``redis://127.0.0.1:6379/0``) and
        ``MODELPORT_REDIS_PREFIX`` (default ``modelport``): what ``Limits(backend="redis")``
        uses."""
        return cls(
            os.environ.get("MODELPORT_REDIS_URL") or DEFAULT_URL,
            prefix=os.environ.get("MODELPORT_REDIS_PREFIX") or "modelport",
        )

    def __repr__(self) -> str:
        return f"RedisLimits({_shown(self.url)!r}, prefix={self.prefix!r})"

    # -- plumbing ------------------------------------------------------------------------------

    def client(self) -> redis.Redis:
        with self._lock:
            if self._client is None:
                import redis
                from redis.backoff import NoBackoff
                from redis.retry import Retry

                self._client = redis.Redis.from_url(
                    self.url,
                    socket_timeout=self.timeout_s,
                    socket_connect_timeout=self.timeout_s,
                    retry=Retry(NoBackoff(), 0),  # the core falls back; no retry storm here
                    health_check_interval=30,
                )
            return self._client

    def close(self) -> None:
        with self._lock:
            client, self._client = self._client, None
        if client is not None:
            client.close()

    def run(self, script: str, keys: Sequence[str], args: Sequence[str | int]) -> Any:
        """``EVALSHA``; on ``NOSCRIPT``, ``EVAL`` (which also caches the script)."""
        from redis.exceptions import NoScriptError

        client = self.client()
        try:
            return client.evalsha(_sha(script), len(keys), *keys, *args)
        except NoScriptError:
            return client.eval(script, len(keys), *keys, *args)

    def _keys(self, scope: str) -> list[str]:
        base = f"{self.prefix}:limit:{{{scope}}}"
        return [f"{base}:{part}" for part in ("slots", "wait", "seen", "req", "tok", "pause")]

    def key_name(self, key_id: str, what: str = "cool") -> str:
        """``{prefix}:key:{fingerprint}:cool`` or ``...:benched``: a fingerprint, never a key."""
        return f"{self.prefix}:key:{key_id}:{what}"

    # -- LimitBackend ----------------------------------------------------------------------------

    def acquire(
        self, scope: str, holder: str, limits: Limits, cost: int, lease_s: float
    ) -> LimitGrant:
        granted, retry_ms, taken = self.run(
            _scripts.ACQUIRE,
            self._keys(scope),
            [
                holder,
                limits.max_concurrency or 0,
                _num(limits.requests_per_minute),
                _num(limits.tokens_per_minute),
                max(0, int(cost)),
                _ms(lease_s),
                WAITER_TTL_MS,
            ],
        )
        if int(granted) == 1:
            return LimitGrant(True, None, int(taken))
        retry = None if int(retry_ms) < 0 else int(retry_ms) / 1000.0
        return LimitGrant(False, retry, 0)

    def release(self, scope: str, holder: str, limits: Limits, refund: int) -> None:
        slots, wait, seen, _, tok, _ = self._keys(scope)
        self.run(
            _scripts.RELEASE,
            [slots, wait, seen, tok],
            [holder, _num(limits.tokens_per_minute), int(refund), 60_000],
        )

    def renew(self, scope: str, holders: Sequence[str], lease_s: float) -> None:
        if holders:
            self.run(_scripts.RENEW, self._keys(scope)[:1], [_ms(lease_s), *holders])

    def pause(self, scope: str, limits: Limits, seconds: float, drain: bool) -> None:
        keys = self._keys(scope)
        drain_req = drain and limits.requests_per_minute is not None
        drain_tok = drain and limits.tokens_per_minute is not None
        self.run(
            _scripts.PAUSE,
            [keys[5], keys[3], keys[4]],
            [_ms(seconds), int(drain_req), int(drain_tok)],
        )

    def cool_down(self, key_id: str, seconds: float) -> None:
        self.run(_scripts.COOL, [self.key_name(key_id)], [_ms(seconds)])

    def cooling(self, key_ids: Sequence[str]) -> dict[str, float]:
        return self._left(key_ids, "cool")

    def bench_key(self, key_id: str, seconds: float) -> None:
        """The same only-lengthened expiring key as a cooldown, under ``:benched``: the TTL
        is the bench (``modelport.KeyPool`` asks for an hour)."""
        self.run(_scripts.COOL, [self.key_name(key_id, "benched")], [_ms(seconds)])

    def benched_keys(self, key_ids: Sequence[str]) -> dict[str, float]:
        return self._left(key_ids, "benched")

    def _left(self, key_ids: Sequence[str], what: str) -> dict[str, float]:
        pipe = self.client().pipeline(transaction=False)
        for key_id in key_ids:
            pipe.pttl(self.key_name(key_id, what))
        left = pipe.execute()
        return {k: int(ms) / 1000.0 for k, ms in zip(key_ids, left, strict=True) if int(ms) > 0}
