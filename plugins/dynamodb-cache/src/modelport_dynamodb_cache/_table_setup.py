"""Creating the cache table on first use, once, however many threads or processes want it.

Only when the user allowed it (``create_table``): without that a missing table is an error
that says how to create it. The wait for ACTIVE is bounded, another process creating the same
table at the same moment is not a failure, and TTL is enabled best-effort.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from typing import Any

from ._errors import DynamoDBCacheError, DynamoDBCacheWarning, TableMissing
from ._items import KEY_ATTRIBUTE

__all__ = ["Call", "ensure_table", "missing_table_error"]

# The backend's ``_call(operation, method, **params)``: one botocore call, errors mapped.
Call = Callable[..., dict[str, Any]]


def missing_table_error(
    operation: str, table: str, region: str | None, endpoint_url: str | None
) -> DynamoDBCacheError:
    """The error for a missing table that may not be created: it says how to fix it."""
    where = f" at {endpoint_url}" if endpoint_url else ""
    return DynamoDBCacheError(
        f"DynamoDB table {table!r} does not exist in region {region}{where} "
        f"(or is not ACTIVE yet). Create it with partition key {KEY_ATTRIBUTE!r} "
        "(type S), or let modelport create it: MODELPORT_DYNAMODB_CREATE_TABLE=1 or "
        "DynamoDBCache(..., create_table=True)",
        operation=operation,
        code="ResourceNotFoundException",
    )


def ensure_table(call: Call, table: str, *, ttl_attribute: str, wait_s: float) -> None:
    """Create the table unless it exists, wait (bounded) until ACTIVE, enable TTL.

    The caller holds its table lock, so threads that hit the missing table together create it
    once; another process creating it at the same time shows up as ResourceInUseException,
    and then this one only waits.
    """
    status = _table_status(call, table)
    created = False
    if status is None:
        try:
            out = call(
                "CreateTable",
                "create_table",
                TableName=table,
                AttributeDefinitions=[{"AttributeName": KEY_ATTRIBUTE, "AttributeType": "S"}],
                KeySchema=[{"AttributeName": KEY_ATTRIBUTE, "KeyType": "HASH"}],
                BillingMode="PAY_PER_REQUEST",
            )
            status = out.get("TableDescription", {}).get("TableStatus")
            created = True
        except DynamoDBCacheError as exc:
            if exc.code != "ResourceInUseException":
                raise
    deadline = time.monotonic() + wait_s
    delay = 0.05
    while status != "ACTIVE":
        if time.monotonic() >= deadline:
            raise DynamoDBCacheError(
                f"DynamoDB table {table!r} is not ACTIVE after {wait_s:.0f} s (status {status})",
                operation="DescribeTable",
                code="TableNotActive",
            )
        time.sleep(delay)
        delay = min(delay * 2, 2.0)
        status = _table_status(call, table)
    if created:
        _enable_ttl(call, table, ttl_attribute)


def _table_status(call: Call, table: str) -> str | None:
    try:
        out = call("DescribeTable", "describe_table", TableName=table)
    except TableMissing:
        return None
    status = out.get("Table", {}).get("TableStatus")
    return str(status) if status else None


def _enable_ttl(call: Call, table: str, ttl_attribute: str) -> None:
    """Let DynamoDB delete expired items. Reads check expiry anyway, so a failure here
    (no UpdateTimeToLive permission) costs storage, not correctness: warn, do not fail."""
    try:
        call(
            "UpdateTimeToLive",
            "update_time_to_live",
            TableName=table,
            TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl_attribute},
        )
    except (DynamoDBCacheError, TableMissing) as exc:
        if "already enabled" in str(exc).lower():
            return
        if isinstance(exc, TableMissing):
            exc = DynamoDBCacheError("ResourceNotFoundException", operation="UpdateTimeToLive")
        warnings.warn(
            f"modelport-dynamodb-cache: created table {table!r} but could not enable "
            f"TTL on {ttl_attribute!r} ({exc}); expired items are still never served",
            DynamoDBCacheWarning,
            stacklevel=2,
        )
