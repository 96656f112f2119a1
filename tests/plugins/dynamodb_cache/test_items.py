"""The item format and error-text scrubbing: pure functions, no server needed."""

from __future__ import annotations

import base64
import json
import math
import os
import zlib
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from modelport_dynamodb_cache._backend import DynamoDBCache
from modelport_dynamodb_cache._errors import _scrub
from modelport_dynamodb_cache._items import (
    MAX_ITEM_BYTES,
    Item,
    ItemFormatError,
    decode_item,
    encode_item,
    item_size,
)

NOW = 1_800_000_000.25

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


def encode(entry: dict[str, Any], ttl_s: float | None = None, over: int = 1024) -> Item:
    return encode_item(
        "k" * 64, entry, ttl_s=ttl_s, now=NOW, ttl_attribute="expires_at", compress_over=over
    )


@given(st.dictionaries(st.text(), json_values), st.integers(min_value=0, max_value=4096))
def test_round_trip_any_json_object(entry: dict[str, Any], over: int) -> None:
    item = encode(entry, over=over)
    assert decode_item(item, now=NOW, ttl_attribute="expires_at") == entry


def test_small_entry_is_a_json_string_without_expiry() -> None:
    item = encode({"text": "hi"})
    assert item == {
        "cache_key": {"S": "k" * 64},
        "entry": {"S": '{"text":"hi"}'},
        "created_at": {"N": "1800000000.250"},
    }


def test_large_entry_is_compressed_binary() -> None:
    entry = {"text": "The same sentence again. " * 400}
    item = encode(entry)
    assert set(item["entry"]) == {"B"}
    assert len(item["entry"]["B"]) < len(json.dumps(entry)) / 10
    assert json.loads(zlib.decompress(item["entry"]["B"])) == entry


def test_incompressible_entry_stays_a_string() -> None:
    entry = {"text": "abcdefghijklmnopqrst"}
    item = encode(entry, over=0)
    assert set(item["entry"]) == {"S"}  # zlib would have made it longer


def test_ttl_is_whole_seconds_rounded_up() -> None:
    item = encode({"a": 1}, ttl_s=10.1)
    assert item["expires_at"] == {"N": str(math.ceil(NOW + 10.1))}
    assert decode_item(item, now=NOW + 10.1, ttl_attribute="expires_at") == {"a": 1}
    assert decode_item(item, now=math.ceil(NOW + 10.1), ttl_attribute="expires_at") is None


def test_expired_item_is_a_miss() -> None:
    item = encode({"a": 1}, ttl_s=5)
    assert decode_item(item, now=NOW + 1, ttl_attribute="expires_at") == {"a": 1}
    assert decode_item(item, now=NOW + 6, ttl_attribute="expires_at") is None


def test_item_size_counts_names_and_values() -> None:
    item = encode({"text": "x" * 1000}, over=10**6)
    raw = sum(len(n) for n in item) + len(item["entry"]["S"]) + len(item["cache_key"]["S"])
    assert raw < item_size(item) < raw + 200
    big = encode({"text": base64.b64encode(os.urandom(MAX_ITEM_BYTES)).decode()})
    assert item_size(big) > MAX_ITEM_BYTES


@pytest.mark.parametrize(
    "item",
    [
        {"cache_key": {"S": "k"}},
        {"cache_key": {"S": "k"}, "entry": {"S": "not json"}},
        {"cache_key": {"S": "k"}, "entry": {"S": "[1, 2]"}},
        {"cache_key": {"S": "k"}, "entry": {"B": b"not zlib"}},
        {"cache_key": {"S": "k"}, "entry": {"S": "{}"}, "expires_at": {"S": "soon"}},
    ],
)
def test_unreadable_items_raise_item_format_error(item: Item) -> None:
    with pytest.raises(ItemFormatError):
        decode_item(item, now=NOW, ttl_attribute="expires_at")


def test_scrub_drops_signature_dumps_and_key_shaped_text() -> None:
    token = base64.b64encode(os.urandom(300)).decode()
    secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    text = (
        "The request signature we calculated does not match the signature you provided. "
        "Check your AWS Secret Access Key and signing method. The Canonical String for this "
        f"request should have been 'POST / x-amz-security-token:{token}' "
        "The String-to-Sign should have been 'AWS4-HMAC-SHA256 ...'"
    )
    out = _scrub(text)
    assert token not in out
    assert "Canonical String" not in out
    assert out.startswith("The request signature we calculated does not match")
    assert "AKIAIOSFODNN7EXAMPLE" not in _scrub("key AKIAIOSFODNN7EXAMPLE was refused")
    assert secret not in _scrub(f"secret {secret} leaked")
    assert token not in _scrub(f"token {token}")
    assert len(_scrub("x " * 1000)) < 310


def test_constructor_validates_and_does_no_io() -> None:
    cache = DynamoDBCache("modelport-cache", endpoint_url="http://127.0.0.1:9")
    assert cache._client is None
    assert "modelport-cache" in repr(cache)
    for bad in ("", "ab", "has space", "x" * 256):
        with pytest.raises(ValueError, match="table name"):
            DynamoDBCache(bad)
    with pytest.raises(ValueError):
        DynamoDBCache("table", ttl_attribute="cache_key")
    with pytest.raises(ValueError):
        DynamoDBCache("table", timeout_s=0)
    with pytest.raises(ValueError):
        DynamoDBCache("table", compress_over=-1)
