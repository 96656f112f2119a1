"""The backend against moto's DynamoDB server (a real HTTP server in its own process)."""

from __future__ import annotations

import base64
import os
import threading
import time
import warnings
import zlib
from collections.abc import Callable
from typing import Any

import pytest
from modelport._cache._levels import CacheLevels
from modelport._host._plugins import CacheRegistration
from modelport_dynamodb_cache import DynamoDBCache, DynamoDBCacheError, DynamoDBCacheWarning

from ._servers import raw_client
from .conftest import assert_no_canary, scan_all

TABLE = "modelport-cache"
ENTRY: dict[str, Any] = {
    "text": "Hello from tiny model.",
    "reasoning": " Thinking quietly",
    "tool_calls": [],
    "usage": {"input_tokens": 12, "output_tokens": 5},
    "model": "tiny",
}


def cache(moto: str, **kw: Any) -> DynamoDBCache:
    kw.setdefault("create_table", True)
    return DynamoDBCache(TABLE, endpoint_url=moto, **kw)


def tables(moto: str) -> list[str]:
    client = raw_client(moto)
    try:
        return list(client.list_tables()["TableNames"])
    finally:
        client.close()


def test_missing_table_without_permission_is_a_clear_error(moto: str) -> None:
    backend = cache(moto, create_table=False)
    calls: list[Callable[[], object]] = [
        lambda: backend.get("k"),
        lambda: backend.set("k", ENTRY, None),
        lambda: backend.delete("k"),
    ]
    for call in calls:
        with pytest.raises(DynamoDBCacheError) as info:
            call()
        text = str(info.value)
        assert f"table {TABLE!r} does not exist" in text
        assert "MODELPORT_DYNAMODB_CREATE_TABLE=1" in text
        assert info.value.code == "ResourceNotFoundException"
    assert tables(moto) == []  # and nothing was created


def test_missing_table_through_the_core_is_a_warning_and_a_miss(moto: str) -> None:
    levels = CacheLevels([CacheRegistration(cache(moto, create_table=False), 2, "dynamodb-cache")])
    with pytest.warns(RuntimeWarning, match="does not exist"):
        assert levels.get("k") == (None, 0)
    with pytest.warns(RuntimeWarning, match="does not exist"):
        levels.set("k", ENTRY, None)


def test_table_is_created_lazily_on_first_use(moto: str) -> None:
    backend = cache(moto)
    assert tables(moto) == []  # the constructor did nothing
    assert backend.get("k") is None
    client = raw_client(moto)
    desc = client.describe_table(TableName=TABLE)["Table"]
    assert desc["TableStatus"] == "ACTIVE"
    assert desc["KeySchema"] == [{"AttributeName": "cache_key", "KeyType": "HASH"}]
    assert desc["AttributeDefinitions"] == [{"AttributeName": "cache_key", "AttributeType": "S"}]
    assert desc["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    ttl = client.describe_time_to_live(TableName=TABLE)["TimeToLiveDescription"]
    assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires_at"}


def test_first_use_by_a_write_creates_the_table_and_stores(moto: str) -> None:
    backend = cache(moto, ttl_attribute="ttl")
    backend.set("k", ENTRY, 60)
    assert backend.get("k") == ENTRY
    ttl = raw_client(moto).describe_time_to_live(TableName=TABLE)["TimeToLiveDescription"]
    assert ttl["AttributeName"] == "ttl"
    (item,) = scan_all(moto, TABLE)
    assert "ttl" in item and "expires_at" not in item


def test_existing_table_is_used_as_is(moto: str) -> None:
    raw_client(moto).create_table(
        TableName=TABLE,
        AttributeDefinitions=[{"AttributeName": "cache_key", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "cache_key", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
    )
    backend = cache(moto, create_table=False)
    backend.set("k", ENTRY, None)
    assert backend.get("k") == ENTRY


def test_round_trip_item_layout_and_delete(moto: str) -> None:
    backend = cache(moto)
    before = time.time()
    backend.set("key-no-ttl", ENTRY, None)
    backend.set("key-ttl", ENTRY, 30.2)
    assert backend.get("key-no-ttl") == ENTRY
    assert backend.get("key-ttl") == ENTRY
    assert backend.get("absent") is None
    items = {i["cache_key"]["S"]: i for i in scan_all(moto, TABLE)}
    assert set(items["key-no-ttl"]) == {"cache_key", "entry", "created_at"}
    assert set(items["key-ttl"]) == {"cache_key", "entry", "created_at", "expires_at"}
    assert before - 1 <= float(items["key-ttl"]["created_at"]["N"]) <= time.time() + 1
    expires = int(items["key-ttl"]["expires_at"]["N"])  # whole seconds
    assert before + 30.2 <= expires <= time.time() + 31.2
    backend.set("key-no-ttl", {"text": "replaced"}, None)
    assert backend.get("key-no-ttl") == {"text": "replaced"}
    backend.delete("key-no-ttl")
    backend.delete("key-no-ttl")  # deleting a missing entry is fine
    assert backend.get("key-no-ttl") is None
    assert backend.get("key-ttl") == ENTRY


def test_expiry_is_checked_on_read(moto: str) -> None:
    """moto never deletes expired items (nor does DynamoDB, for hours): the read must."""
    backend = cache(moto)
    backend.set("short", ENTRY, 0.2)
    backend.set("long", ENTRY, 3600)
    raw = raw_client(moto).get_item(TableName=TABLE, Key={"cache_key": {"S": "short"}})
    expires = int(raw["Item"]["expires_at"]["N"])
    while time.time() < expires:
        time.sleep(0.05)
    raw = raw_client(moto).get_item(TableName=TABLE, Key={"cache_key": {"S": "short"}})
    assert "Item" in raw  # still served by the server ...
    assert backend.get("short") is None  # ... but a miss
    assert backend.get("long") == ENTRY


def test_item_written_already_expired_is_a_miss(moto: str) -> None:
    backend = cache(moto)
    backend.get("warm-up")  # creates the table
    raw_client(moto).put_item(
        TableName=TABLE,
        Item={
            "cache_key": {"S": "old"},
            "entry": {"S": '{"text": "stale"}'},
            "created_at": {"N": "1000"},
            "expires_at": {"N": str(int(time.time()) - 10)},
        },
    )
    assert backend.get("old") is None


def test_large_entries_are_compressed(moto: str) -> None:
    backend = cache(moto)
    big = {**ENTRY, "text": "A long and repetitive answer. " * 20_000}  # ~600 KB of JSON
    small = {**ENTRY}
    backend.set("big", big, None)
    backend.set("small", small, None)
    assert backend.get("big") == big
    assert backend.get("small") == small
    items = {i["cache_key"]["S"]: i for i in scan_all(moto, TABLE)}
    assert set(items["small"]["entry"]) == {"S"}
    assert set(items["big"]["entry"]) == {"B"}
    packed = items["big"]["entry"]["B"]
    assert len(packed) < 50_000
    assert len(zlib.decompress(packed)) > 600_000


def test_entry_over_400_kb_after_compression_is_skipped_with_a_warning(moto: str) -> None:
    backend = cache(moto)
    # ~600 KB of base64 text, ~455 KB after zlib: still over the limit
    huge = {**ENTRY, "text": base64.b64encode(os.urandom(450_000)).decode()}
    with pytest.warns(DynamoDBCacheWarning, match="over DynamoDB's item limit"):
        backend.set("huge", huge, None)  # no exception
    assert backend.get("huge") is None
    assert scan_all(moto, TABLE) == []


def test_huge_entry_through_the_core_is_not_an_error(moto: str) -> None:
    levels = CacheLevels([CacheRegistration(cache(moto), 2, "dynamodb-cache")])
    huge = {"text": base64.b64encode(os.urandom(450_000)).decode()}
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        levels.set("huge", huge, None)
    assert [w.category for w in seen] == [DynamoDBCacheWarning]


def test_no_credentials_in_items_or_errors(moto: str) -> None:
    backend = cache(moto)
    for i in range(5):
        backend.set(f"k{i}", {**ENTRY, "n": i, "text": "x" * (i * 800)}, 60 if i % 2 else None)
    items = scan_all(moto, TABLE)
    assert len(items) == 5
    decoded = [zlib.decompress(i["entry"]["B"]) for i in items if "B" in i["entry"]]
    assert decoded  # some were compressed: look inside those too
    assert_no_canary(items, *(d.decode() for d in decoded), repr(backend))
    with pytest.raises(DynamoDBCacheError) as info:
        DynamoDBCache("other-table", endpoint_url=moto).get("k")
    assert_no_canary(str(info.value))


def test_concurrent_first_use_creates_one_table_and_loses_nothing(moto: str) -> None:
    backend = cache(moto)
    errors: list[BaseException] = []
    results: dict[int, Any] = {}
    start = threading.Barrier(8)

    def worker(n: int) -> None:
        try:
            start.wait()
            backend.get(f"k{n}")
            backend.set(f"k{n}", {**ENTRY, "n": n}, None)
            results[n] = backend.get(f"k{n}")
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert results == {n: {**ENTRY, "n": n} for n in range(8)}
    assert tables(moto) == [TABLE]


def test_no_credentials_anywhere_is_a_clear_error(
    moto: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name)
    started = time.monotonic()
    with pytest.raises(DynamoDBCacheError, match="no AWS credentials found") as info:
        cache(moto).get("k")
    assert time.monotonic() - started < 10
    assert info.value.code == "NoCredentialsError"


def test_region_defaults(moto: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    local = cache(moto)
    local.get("k")
    assert local.region == "us-east-1"  # with an endpoint_url and no region anywhere
    monkeypatch.setenv("MODELPORT_DYNAMODB_REGION", "eu-west-1")
    configured = cache(moto)
    configured.get("k")
    assert configured.region == "eu-west-1"
    with pytest.raises(DynamoDBCacheError, match="no AWS region"):
        monkeypatch.delenv("MODELPORT_DYNAMODB_REGION")
        DynamoDBCache(TABLE).get("k")  # real AWS without a region: say so


def test_close_and_reuse(moto: str) -> None:
    backend = cache(moto)
    backend.set("k", ENTRY, None)
    backend.close()
    assert backend.get("k") == ENTRY
