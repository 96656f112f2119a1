"""modelport cache backend on Amazon DynamoDB: one table shared by every machine.

Importing this package is cheap on purpose and never imports botocore: that happens on the
first cache operation. The entry-point module ``modelport_dynamodb_cache.plugin`` registers a
``DynamoDBCache`` at level 2 when ``MODELPORT_DYNAMODB_TABLE`` is set; to configure it in code
instead, register your own instance (see the README).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._backend import DynamoDBCache
    from ._errors import DynamoDBCacheError, DynamoDBCacheWarning

__version__ = "0.1.0"

__all__ = ["DynamoDBCache", "DynamoDBCacheError", "DynamoDBCacheWarning", "__version__"]


def __getattr__(name: str) -> object:
    # The backend's modules load on first use: the entry point imports this package on every
    # program's first call, and most programs configure no DynamoDB table.
    if name == "DynamoDBCache":
        from ._backend import DynamoDBCache

        return DynamoDBCache
    if name in ("DynamoDBCacheError", "DynamoDBCacheWarning"):
        from . import _errors

        return getattr(_errors, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
