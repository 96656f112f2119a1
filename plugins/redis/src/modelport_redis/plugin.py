"""Entry point (group ``modelport``, name ``redis``): registers the limit backend ``"redis"``.

Registering does no I/O and imports no redis, nor the backend's module; the backend is made
(from ``MODELPORT_REDIS_URL``) the first time a ``Limits(backend="redis")`` is used.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from modelport import hookimpl

if TYPE_CHECKING:
    from ._backend import RedisLimits


def _from_env() -> RedisLimits:
    from ._backend import RedisLimits

    return RedisLimits.from_env()


@hookimpl
def register_limit_backends(register: Callable[..., None]) -> None:
    register("redis", _from_env)
