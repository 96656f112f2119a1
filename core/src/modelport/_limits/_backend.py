"""The seam for shared limit state: a ``LimitBackend`` keeps budgets outside the process.

The core keeps the queue, the waiting and the fallback (``_backed``); a backend only answers
atomic questions ("may this holder start now?") about state it shares with other processes,
so a new backend (Redis, a database) writes no waiting logic of its own. Every method may block
on I/O: the core calls them from one worker thread per limiter, never from an event loop, which
is how one blocking implementation serves sync and async calls alike. A method that raises
means "unreachable": the core warns once and falls back to local limits.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from ._limiter import Limits

__all__ = ["LimitBackend", "LimitGrant", "limit_scope"]


@dataclass(frozen=True, slots=True)
class LimitGrant:
    """A backend's answer to ``acquire``.

    ``granted``: the holder has a slot (leased) and took ``taken`` tokens (the estimate, capped
    at the bucket's capacity). Not granted: ``retry_in_s`` is when the buckets will allow it
    (a refill or a pause), ``None`` when it waits for a concurrency slot, whose release the
    backend cannot announce (the core retries with a bounded backoff).
    """

    granted: bool
    retry_in_s: float | None = None
    taken: int = 0


@runtime_checkable
class LimitBackend(Protocol):
    """Shared state of limits and key cooldowns (``Limits(backend=...)``,
    ``KeyPool(keys, backend=...)``); ``modelport-redis`` is one.

    ``scope`` identifies one budget (``limit_scope``: a hash, no secret in it); ``holder`` one
    attempt's ticket, unique across processes. A granted holder keeps its slot for ``lease_s``
    unless ``renew`` extends it: a process that dies stops renewing, and its slots expire.
    ``lease_s`` is the backend's choice of that time (the core renews every third of it).
    """

    lease_s: float

    def acquire(
        self, scope: str, holder: str, limits: Limits, cost: int, lease_s: float
    ) -> LimitGrant:
        """Grant ``holder`` a slot, a request and ``cost`` tokens, atomically, or say when
        to ask again. Also registers ``holder`` as waiting, for the order between processes."""
        ...

    def release(self, scope: str, holder: str, limits: Limits, refund: int) -> None:
        """``holder`` ended (or gave up waiting): its slot goes back, and ``refund`` tokens
        (reserved minus used; negative when the call used more than it reserved)."""
        ...

    def renew(self, scope: str, holders: Sequence[str], lease_s: float) -> None:
        """The holders are alive: their slots last ``lease_s`` more."""
        ...

    def pause(self, scope: str, limits: Limits, seconds: float, drain: bool) -> None:
        """Grant nothing for ``seconds`` (a 429's Retry-After, a limit header at zero);
        ``drain``: empty the buckets too, so the budget resumes at its refill rate, not with
        a burst."""
        ...

    def cool_down(self, key_id: str, seconds: float) -> None:
        """The key with fingerprint ``key_id`` is not to be used for ``seconds``."""
        ...

    def cooling(self, key_ids: Sequence[str]) -> dict[str, float]:
        """Seconds left of each cooling key among ``key_ids`` (the others are left out)."""
        ...

    def bench_key(self, key_id: str, seconds: float) -> None:
        """The provider refused the key with fingerprint ``key_id`` (401/403): no process is
        to use it for ``seconds`` (a bench expires, so a key re-enabled at the provider comes
        back without restarting every process)."""
        ...

    def benched_keys(self, key_ids: Sequence[str]) -> dict[str, float]:
        """Seconds left of each benched key among ``key_ids`` (the others are left out)."""
        ...


def limit_scope(provider: str, base_url: str, model: str, limits: Limits) -> str:
    """The name of one budget, the same in every process: a hash, so that a base URL with
    credentials in it (``https://user:pass@...``) never reaches a backend's key names."""
    text = "\x1f".join(
        (
            provider,
            base_url,
            model,
            repr(limits.max_concurrency),
            repr(limits.requests_per_minute),
            repr(limits.tokens_per_minute),
        )
    )
    return hashlib.sha256(text.encode()).hexdigest()[:24]
