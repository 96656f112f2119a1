"""Entry point (group ``modelport``, name ``redis``): registers the limit backend ``"redis"``.

Registering does no I/O and imports no redis; the backend is made (from ``MODELPORT_REDIS_URL``)
the first time a ``Limits(backend="redis")`` is used.
"""

from __future__ import annotations

from collections.abc import Callable

from modelport import hookimpl

from ._backend import RedisLimits


@hookimpl
def register_limit_backends(register: Callable[..., None]) -> None:
    register("redis", RedisLimits.from_env)
