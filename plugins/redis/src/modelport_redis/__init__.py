"""modelport limits and key-pool cooldowns in Redis: one budget for every process and machine
that points at the same Redis.

``mp.Limits(..., backend=RedisLimits(url))`` or ``mp.Limits(..., backend="redis")`` (the entry
point registers the name; ``MODELPORT_REDIS_URL`` says where). Importing this package does not
import redis: that happens on the first limit that uses it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._backend import RedisLimits

__version__ = "0.1.0"

__all__ = ["RedisLimits", "__version__"]


def __getattr__(name: str) -> Any:
    """``RedisLimits`` loads on first use: the entry point imports this package on every
    program's first call, most of which set no limits."""
    if name == "RedisLimits":
        from ._backend import RedisLimits

        globals()[name] = RedisLimits
        return RedisLimits
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
