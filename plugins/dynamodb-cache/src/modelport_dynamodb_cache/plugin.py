"""Entry point (group ``modelport``, name ``dynamodb-cache``): registers the level-2 backend.

Only when ``MODELPORT_DYNAMODB_TABLE`` is set: installing the package alone changes nothing, so
it can sit in an environment that sometimes has no AWS access. Registering does no I/O and does
not import botocore; the table is first touched by the first cache lookup.
"""

from __future__ import annotations

from collections.abc import Callable

from modelport import hookimpl

from ._backend import DynamoDBCache

LEVEL = 2


@hookimpl
def register_caches(register: Callable[..., None]) -> None:
    backend = DynamoDBCache.from_env()
    if backend is not None:
        register(backend, level=LEVEL)
