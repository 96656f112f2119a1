"""Pure encoding of cache entries to DynamoDB items and back (no I/O, no botocore).

Kept apart from the client so that the item format is testable byte for byte and the rules it
encodes are in one place:

- ``cache_key`` (S): the core's sha256 key, the table's partition key.
- ``entry``: the entry as compact JSON, an ``S`` string when small; a zlib-compressed ``B``
  binary when the JSON is longer than ``compress_over`` bytes and compression actually shrinks
  it. The attribute's type tells the reader which it is, so no flag attribute is needed.
- ``created_at`` (N): epoch seconds, for people inspecting the table.
- the TTL attribute (N, default ``expires_at``): whole epoch seconds, rounded up, only when a TTL
  is given. Whole seconds because DynamoDB's TTL process reads the attribute as "epoch time in
  seconds"; rounding up means an entry is never cut short by rounding.

Items are written in the low-level attribute-value form botocore sends on the wire, which avoids
boto3's type (de)serializer on the hot path.
"""

from __future__ import annotations

import json
import math
import zlib
from typing import Any

__all__ = [
    "ENTRY_ATTRIBUTE",
    "KEY_ATTRIBUTE",
    "MAX_ITEM_BYTES",
    "Item",
    "ItemFormatError",
    "decode_item",
    "encode_item",
    "item_size",
]

KEY_ATTRIBUTE = "cache_key"
ENTRY_ATTRIBUTE = "entry"
CREATED_ATTRIBUTE = "created_at"

# DynamoDB's hard limit on one item: attribute names plus values, 400 KB.
MAX_ITEM_BYTES = 400 * 1024
# A number attribute takes at most 21 bytes; a little headroom for DynamoDB's own accounting.
_NUMBER_BYTES = 21
_HEADROOM = 64

AttributeValue = dict[str, Any]
Item = dict[str, AttributeValue]


class ItemFormatError(ValueError):
    """A stored item that this plugin cannot read (not written by it, or damaged)."""


def encode_item(
    key: str,
    entry: dict[str, Any],
    *,
    ttl_s: float | None,
    now: float,
    ttl_attribute: str,
    compress_over: int,
) -> Item:
    """Build the item for ``entry``; compresses when that pays (see the module docstring)."""
    text = json.dumps(entry, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    raw = text.encode("utf-8")
    value: AttributeValue = {"S": text}
    if len(raw) > compress_over:
        packed = zlib.compress(raw, 6)
        if len(packed) < len(raw):
            value = {"B": packed}
    item: Item = {
        KEY_ATTRIBUTE: {"S": key},
        ENTRY_ATTRIBUTE: value,
        CREATED_ATTRIBUTE: {"N": f"{now:.3f}"},
    }
    if ttl_s is not None:
        item[ttl_attribute] = {"N": str(math.ceil(now + ttl_s))}
    return item


def item_size(item: Item) -> int:
    """Upper bound of DynamoDB's size of ``item`` (names + values), for the 400 KB check."""
    size = _HEADROOM
    for name, value in item.items():
        size += len(name.encode("utf-8"))
        if "S" in value:
            size += len(value["S"].encode("utf-8"))
        elif "B" in value:
            size += len(value["B"])
        else:
            size += _NUMBER_BYTES
    return size


def decode_item(item: Item, *, now: float, ttl_attribute: str) -> dict[str, Any] | None:
    """The entry stored in ``item``, or ``None`` when it has expired.

    Expiry is checked here, on every read, because DynamoDB deletes expired items only
    eventually (typically within days) and serves them until then; moto never deletes them.
    """
    expires = item.get(ttl_attribute)
    if expires is not None:
        try:
            expires_at = float(expires["N"])
        except (KeyError, TypeError, ValueError):
            raise ItemFormatError(f"attribute {ttl_attribute!r} is not a number") from None
        if expires_at <= now:
            return None
    value = item.get(ENTRY_ATTRIBUTE) or {}
    try:
        if "B" in value:
            entry = json.loads(zlib.decompress(value["B"]))
        elif "S" in value:
            entry = json.loads(value["S"])
        else:
            raise ItemFormatError(f"item has no {ENTRY_ATTRIBUTE!r} string or binary attribute")
    except (zlib.error, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ItemFormatError(f"attribute {ENTRY_ATTRIBUTE!r} is not readable: {exc}") from None
    if not isinstance(entry, dict):
        raise ItemFormatError(f"attribute {ENTRY_ATTRIBUTE!r} does not hold a JSON object")
    return entry
