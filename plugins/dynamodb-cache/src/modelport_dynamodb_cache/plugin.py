"""Entry point (group ``modelport``, name ``dynamodb-cache``): registers the level-2 backend.

Only when ``MODELPORT_DYNAMODB_TABLE`` is set: installing the package alone changes nothing, so
it can sit in an environment that sometimes has no AWS access. Registering does no I/O and does
not import botocore; the table is first touched by the first cache lookup. Without the variable
the backend's modules are not even imported: the hook runs on every program's first call.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from modelport import hookimpl

LEVEL = 2
TABLE_ENV = "MODELPORT_DYNAMODB_TABLE"


@hookimpl
def register_caches(register: Callable[..., None]) -> None:
    if not os.environ.get(TABLE_ENV, "").strip():
        return
    from ._backend import DynamoDBCache

    backend = DynamoDBCache.from_env()
    if backend is not None:
        register(backend, level=LEVEL)
