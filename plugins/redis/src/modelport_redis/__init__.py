"""modelport limits and key-pool cooldowns in Redis: one budget for every process and machine
that points at the same Redis.

``mp.Limits(..., backend=RedisLimits(url))`` or ``mp.Limits(..., backend="redis")`` (the entry
point registers the name; ``MODELPORT_REDIS_URL`` says where). Importing this package does not
import redis: that happens on the first limit that uses it.
"""

from __future__ import annotations

from ._backend import RedisLimits

__version__ = "0.1.0"

__all__ = ["RedisLimits", "__version__"]
