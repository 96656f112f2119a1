"""``DynamoDBCache``: a modelport cache backend (``get`` / ``set`` / ``delete``) on DynamoDB.

Design choices and why:

- **botocore, imported lazily** (``_botocore``): on the first cache operation, never at import
  or in the constructor. A configured but unreachable table costs nothing until it is used, and
  then fails as a cache miss, not as a failed ``LLM(...)``.
- **Bounded everything.** Connect timeout 2 s (or ``timeout_s`` if smaller), read timeout
  ``timeout_s`` (5 s), two attempts in botocore's "standard" retry mode, and a bounded wait for a
  table being created (``_table_setup``). A down endpoint makes a call fail in seconds; it never
  hangs a request.
- **Errors are raised, never swallowed.** The core turns a backend exception into a warning and
  a miss. Every botocore error is re-raised as ``DynamoDBCacheError`` (``_errors``), scrubbed of
  credentials. The only thing that is a warning here is an entry too large for one item: that
  is not a failure of the backend, so it must not show up as one.
- **Eventually consistent reads**: half the cost of strong reads; for a cache, an entry written
  elsewhere a moment ago being a miss once is harmless.
- **Sync.** The core calls backends from a worker thread in async code; botocore clients are
  thread-safe, and one client (one connection pool) is shared by all threads. A forked child
  creates its own client, because a pooled connection must never be shared across processes.
"""

from __future__ import annotations

import os
import re
import threading
import time
import warnings
from typing import Any

from ._botocore import BotocoreErrors, Client, call, create_client, open_session, resolve_region
from ._errors import DynamoDBCacheError, DynamoDBCacheWarning, TableMissing
from ._items import (
    KEY_ATTRIBUTE,
    MAX_ITEM_BYTES,
    decode_item,
    encode_item,
    item_size,
)
from ._table_setup import ensure_table, missing_table_error

__all__ = ["DynamoDBCache"]

DEFAULT_COMPRESS_OVER = 1024
DEFAULT_TIMEOUT_S = 5.0

_TABLE_NAME = re.compile(r"^[A-Za-z0-9_.-]{3,255}$")
_TRUE = frozenset({"1", "true", "yes", "on"})


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in _TRUE


# -- the backend ---------------------------------------------------------------------------------


class DynamoDBCache:
    """A shared cache level on one DynamoDB table; register it at ``level=2``.

    ``table``: the table name. ``region``: defaults to ``MODELPORT_DYNAMODB_REGION``, then the
    standard AWS configuration (``AWS_DEFAULT_REGION``, the profile), then ``AWS_REGION``; with
    an ``endpoint_url`` (DynamoDB Local, moto) and no region anywhere, ``us-east-1``.
    ``endpoint_url``: a DynamoDB-compatible server instead of AWS. ``create_table``: create the
    table on first use if it does not exist (partition key ``cache_key``, on-demand billing, TTL
    on ``ttl_attribute``); without it a missing table is an error on every call (a warning and a
    miss, through the core). ``compress_over``: entries whose JSON is longer than this many
    bytes are zlib-compressed (writes are billed per KB). ``timeout_s``: read timeout of one
    attempt; connecting is bounded by ``min(2 s, timeout_s)``.

    The constructor does no I/O and imports nothing: credentials and the client are resolved on
    the first call, from botocore's standard chain (environment, ``AWS_PROFILE`` and the config
    files, SSO, container and instance roles).
    """

    # How long the first call waits for a table it created (or found CREATING) to become ACTIVE.
    table_wait_s: float = 60.0

    def __init__(
        self,
        table: str,
        *,
        region: str | None = None,
        endpoint_url: str | None = None,
        create_table: bool = False,
        ttl_attribute: str = "expires_at",
        compress_over: int = DEFAULT_COMPRESS_OVER,
        timeout_s: float = DEFAULT_TIMEOUT_S,
    ) -> None:
        if not isinstance(table, str) or not _TABLE_NAME.match(table):
            raise ValueError(
                f"invalid DynamoDB table name {table!r}: 3-255 characters of A-Z a-z 0-9 _ . -"
            )
        if not ttl_attribute or ttl_attribute == KEY_ATTRIBUTE:
            raise ValueError(f"ttl_attribute must be a name other than {KEY_ATTRIBUTE!r}")
        if compress_over < 0:
            raise ValueError("compress_over must be >= 0")
        if not timeout_s > 0:
            raise ValueError("timeout_s must be > 0")
        self.table = table
        self.region = region
        self.endpoint_url = endpoint_url
        self.create_table = create_table
        self.ttl_attribute = ttl_attribute
        self.compress_over = compress_over
        self.timeout_s = float(timeout_s)
        self._client: Client | None = None
        self._pid = 0
        self._errors: BotocoreErrors | None = None
        self._client_lock = threading.Lock()
        self._table_lock = threading.Lock()

    @classmethod
    def from_env(cls) -> DynamoDBCache | None:
        """The backend the environment configures, or ``None`` if ``MODELPORT_DYNAMODB_TABLE``
        is unset or empty (then the plugin registers nothing)."""
        table = os.environ.get("MODELPORT_DYNAMODB_TABLE", "").strip()
        if not table:
            return None
        return cls(
            table,
            region=os.environ.get("MODELPORT_DYNAMODB_REGION", "").strip() or None,
            endpoint_url=os.environ.get("MODELPORT_DYNAMODB_ENDPOINT_URL", "").strip() or None,
            create_table=_truthy(os.environ.get("MODELPORT_DYNAMODB_CREATE_TABLE")),
        )

    def __repr__(self) -> str:
        where = f", endpoint_url={self.endpoint_url!r}" if self.endpoint_url else ""
        return f"DynamoDBCache(table={self.table!r}, region={self.region!r}{where})"

    # -- the cache interface the core calls ------------------------------------------------------

    def get(self, key: str) -> dict[str, Any] | None:
        """The entry under ``key``; ``None`` for a miss or an expired item."""
        try:
            out = self._call(
                "GetItem", "get_item", TableName=self.table, Key={KEY_ATTRIBUTE: {"S": key}}
            )
        except TableMissing:
            self._table_missing("GetItem")
            return None  # a table that was just created is empty
        item = out.get("Item")
        if not item:
            return None
        try:
            return decode_item(item, now=time.time(), ttl_attribute=self.ttl_attribute)
        except ValueError as exc:
            raise DynamoDBCacheError(
                f"unreadable item in DynamoDB table {self.table!r}: {exc}", operation="GetItem"
            ) from None

    def set(self, key: str, entry: dict[str, Any], ttl_s: float | None = None) -> None:
        """Store ``entry``; with ``ttl_s`` it expires that many seconds from now.

        An entry larger than one DynamoDB item (400 KB after compression) is skipped with a
        ``DynamoDBCacheWarning``: the request it belongs to succeeded, only sharing it failed.
        """
        item = encode_item(
            key,
            entry,
            ttl_s=ttl_s,
            now=time.time(),
            ttl_attribute=self.ttl_attribute,
            compress_over=self.compress_over,
        )
        size = item_size(item)
        if size > MAX_ITEM_BYTES:
            warnings.warn(
                f"modelport-dynamodb-cache: entry {key[:16]}... not stored in table "
                f"{self.table!r}: {size} bytes after compression, over DynamoDB's item limit "
                f"of {MAX_ITEM_BYTES} bytes",
                DynamoDBCacheWarning,
                stacklevel=2,
            )
            return
        try:
            self._call("PutItem", "put_item", TableName=self.table, Item=item)
        except TableMissing:
            self._table_missing("PutItem")
            try:
                self._call("PutItem", "put_item", TableName=self.table, Item=item)
            except TableMissing:  # ACTIVE by DescribeTable, not yet by PutItem: rare, brief
                raise DynamoDBCacheError(
                    f"DynamoDB table {self.table!r} is not usable yet right after creation",
                    operation="PutItem",
                    code="ResourceNotFoundException",
                ) from None

    def delete(self, key: str) -> None:
        """Remove the entry under ``key`` (no error if there is none)."""
        try:
            self._call(
                "DeleteItem", "delete_item", TableName=self.table, Key={KEY_ATTRIBUTE: {"S": key}}
            )
        except TableMissing:
            self._table_missing("DeleteItem")

    def close(self) -> None:
        """Close the client's connection pool; the next call opens a new one."""
        with self._client_lock:
            client, self._client = self._client, None
        if client is not None:
            client.close()

    # -- client --------------------------------------------------------------------------------

    def _get_client(self) -> Client:
        client = self._client
        if client is not None and self._pid == os.getpid():
            return client
        with self._client_lock:
            if self._client is None or self._pid != os.getpid():
                self._client = self._new_client()
                self._pid = os.getpid()
            return self._client

    def _new_client(self) -> Client:
        session, self._errors = open_session()
        region = resolve_region(self.region, self.endpoint_url, self.table, session)
        self.region = region
        return create_client(
            session,
            region,
            endpoint_url=self.endpoint_url,
            timeout_s=self.timeout_s,
            table=self.table,
        )

    def _call(self, operation: str, method: str, **params: Any) -> dict[str, Any]:
        """One botocore call; botocore errors become ``DynamoDBCacheError`` (or TableMissing)."""
        client = self._get_client()
        assert self._errors is not None
        return call(client, self._errors, self.table, operation, method, **params)

    # -- the table -----------------------------------------------------------------------------

    def _table_missing(self, operation: str) -> None:
        """Create the table if allowed, else raise the error that says how to fix it."""
        if not self.create_table:
            raise missing_table_error(operation, self.table, self.region, self.endpoint_url)
        with self._table_lock:
            ensure_table(
                self._call, self.table, ttl_attribute=self.ttl_attribute, wait_s=self.table_wait_s
            )
