"""The backend against Amazon DynamoDB Local, the real AWS jar (java, started by the test run).

A missing ../shared/peers/dynamodb-local.sh or java makes the fixture fail, never skip.
Tables in DynamoDB Local are separate per access key and region, and each test uses its own
table name, so tests do not see each other's items.
"""

from __future__ import annotations

import math
import time
import uuid
from typing import Any

import pytest
from modelport_dynamodb_cache import DynamoDBCache, DynamoDBCacheError

from ._servers import DynamoDBLocal, raw_client
from .conftest import assert_no_canary, scan_all

ENTRY: dict[str, Any] = {"text": "Hello from tiny model.", "usage": {"output_tokens": 5}}


@pytest.fixture
def table() -> str:
    return f"modelport-{uuid.uuid4().hex[:12]}"


def test_table_creation_round_trip_and_expiry(ddb_local: DynamoDBLocal, table: str) -> None:
    backend = DynamoDBCache(table, endpoint_url=ddb_local.url, create_table=True)
    assert backend.get("k") is None  # creates the table
    client = raw_client(ddb_local.url)
    desc = client.describe_table(TableName=table)["Table"]
    assert desc["TableStatus"] == "ACTIVE"
    assert desc["KeySchema"] == [{"AttributeName": "cache_key", "KeyType": "HASH"}]
    assert desc["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    ttl = client.describe_time_to_live(TableName=table)["TimeToLiveDescription"]
    assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires_at"}

    backend.set("k", ENTRY, None)
    backend.set("short", ENTRY, 0.2)
    short_written = time.time()
    big = {**ENTRY, "text": "Compressible text, repeated. " * 5000}
    backend.set("big", big, 3600)
    assert backend.get("k") == ENTRY
    assert backend.get("big") == big
    items = {i["cache_key"]["S"]: i for i in scan_all(ddb_local.url, table)}
    assert set(items["big"]["entry"]) == {"B"}
    assert_no_canary(items)

    # expires_at = ceil(time of writing + 0.2). DynamoDB Local deletes expired items within
    # seconds and serves them until then: either way the read must be a miss once it passed.
    expires = math.ceil(short_written + 0.2)
    while time.time() < expires:
        time.sleep(0.05)
    assert backend.get("short") is None

    backend.delete("k")
    assert backend.get("k") is None
    assert backend.get("big") == big


def test_missing_table_without_permission(ddb_local: DynamoDBLocal, table: str) -> None:
    backend = DynamoDBCache(table, endpoint_url=ddb_local.url)
    with pytest.raises(DynamoDBCacheError, match="does not exist"):
        backend.get("k")
    tables = raw_client(ddb_local.url).list_tables()["TableNames"]
    assert table not in tables
