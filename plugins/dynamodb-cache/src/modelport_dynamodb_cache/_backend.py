"""``DynamoDBCache``: a modelport cache backend (``get`` / ``set`` / ``delete``) on DynamoDB.

Design choices and why:

- **botocore, imported lazily.** botocore is imported and the client created on the first cache
  operation, never at import or in the constructor: plugins load when the first ``LLM`` is
  created, and importing botocore plus loading the DynamoDB service model costs far more than a
  plugin may add there. It also means a configured but unreachable table costs nothing until it
  is used, and then fails as a cache miss, not as a failed ``LLM(...)``.
- **Bounded everything.** Connect timeout 2 s (or ``timeout_s`` if smaller), read timeout
  ``timeout_s`` (5 s), two attempts in botocore's "standard" retry mode, and a bounded wait for a
  table being created. A down endpoint makes a call fail in seconds; it never hangs a request.
- **Errors are raised, never swallowed.** The core turns a backend exception into a warning and
  a miss. Every botocore error is re-raised as ``DynamoDBCacheError`` whose text names the
  operation, the table, AWS's error code and request id, and never a credential (see
  ``_scrub``). The only thing that is a warning here is an entry too large for one item: that
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
from typing import Any, Protocol

from ._items import (
    KEY_ATTRIBUTE,
    MAX_ITEM_BYTES,
    decode_item,
    encode_item,
    item_size,
)

__all__ = ["DynamoDBCache", "DynamoDBCacheError", "DynamoDBCacheWarning"]

DEFAULT_COMPRESS_OVER = 1024
DEFAULT_TIMEOUT_S = 5.0
CONNECT_TIMEOUT_S = 2.0
MAX_ATTEMPTS = 2

_TABLE_NAME = re.compile(r"^[A-Za-z0-9_.-]{3,255}$")
_TRUE = frozenset({"1", "true", "yes", "on"})


class DynamoDBCacheError(RuntimeError):
    """A DynamoDB call failed, or the table is missing and may not be created.

    ``operation``, ``code`` (AWS's error code or botocore's exception name) and ``request_id``
    are kept as attributes for programs; the text is what the core's warning shows.
    """

    def __init__(
        self,
        message: str,
        *,
        operation: str | None = None,
        code: str | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.operation = operation
        self.code = code
        self.request_id = request_id


class DynamoDBCacheWarning(RuntimeWarning):
    """An entry was not stored (too large for one DynamoDB item) or TTL could not be enabled."""


class _TableMissing(Exception):
    """Internal: the operation hit ResourceNotFoundException (no such table, or not ACTIVE)."""


class _Client(Protocol):
    """The part of botocore's DynamoDB client this module uses (botocore ships no types)."""

    def get_item(self, **kwargs: Any) -> dict[str, Any]: ...
    def put_item(self, **kwargs: Any) -> dict[str, Any]: ...
    def delete_item(self, **kwargs: Any) -> dict[str, Any]: ...
    def create_table(self, **kwargs: Any) -> dict[str, Any]: ...
    def describe_table(self, **kwargs: Any) -> dict[str, Any]: ...
    def update_time_to_live(self, **kwargs: Any) -> dict[str, Any]: ...
    def close(self) -> None: ...


# -- scrubbing error text ------------------------------------------------------------------------

# AWS's InvalidSignatureException quotes the canonical request, which contains the signed headers
# (x-amz-security-token among them): everything from these phrases on is dropped.
_SIGNATURE_DUMP = re.compile(r"(The Canonical String|The String-to-Sign)", re.IGNORECASE)
# Access key ids have a fixed shape; secret keys (40 chars) and session tokens (hundreds) are long
# base64 runs. Nothing in a useful DynamoDB error message looks like either.
_ACCESS_KEY_ID = re.compile(
    r"\b(?:AKIA|ASIA|AIDA|AROA|AGPA|ANPA|ANVA|AIPA|APKA|ABIA|ACCA)[A-Z0-9]{16}\b"
)
_LONG_TOKEN = re.compile(r"[A-Za-z0-9/+=]{40,}")
_MAX_MESSAGE = 300


def _scrub(text: str) -> str:
    """Remove anything credential-like from text that came from AWS or botocore."""
    match = _SIGNATURE_DUMP.search(text)
    if match:
        text = text[: match.start()].rstrip() + " [signature details removed]"
    text = _ACCESS_KEY_ID.sub("[redacted]", text)
    text = _LONG_TOKEN.sub("[redacted]", text)
    if len(text) > _MAX_MESSAGE:
        text = text[:_MAX_MESSAGE] + "..."
    return text


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
        self._client: _Client | None = None
        self._pid = 0
        self._errors: tuple[type[Exception], type[Exception]] | None = None
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
        except _TableMissing:
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
        except _TableMissing:
            self._table_missing("PutItem")
            try:
                self._call("PutItem", "put_item", TableName=self.table, Item=item)
            except _TableMissing:  # ACTIVE by DescribeTable, not yet by PutItem: rare, brief
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
        except _TableMissing:
            self._table_missing("DeleteItem")

    def close(self) -> None:
        """Close the client's connection pool; the next call opens a new one."""
        with self._client_lock:
            client, self._client = self._client, None
        if client is not None:
            client.close()

    # -- client --------------------------------------------------------------------------------

    def _get_client(self) -> _Client:
        client = self._client
        if client is not None and self._pid == os.getpid():
            return client
        with self._client_lock:
            if self._client is None or self._pid != os.getpid():
                self._client = self._new_client()
                self._pid = os.getpid()
            return self._client

    def _resolve_region(self, session: Any) -> str:
        region = (
            self.region
            or os.environ.get("MODELPORT_DYNAMODB_REGION", "").strip()
            or session.get_config_variable("region")
            or os.environ.get("AWS_REGION", "").strip()
        )
        if region:
            return str(region)
        if self.endpoint_url:
            return "us-east-1"  # local servers accept any region; this one is the usual default
        raise DynamoDBCacheError(
            f"no AWS region for DynamoDB table {self.table!r}: set MODELPORT_DYNAMODB_REGION "
            "(or AWS_DEFAULT_REGION, or region in the AWS profile), or pass region=",
            code="NoRegionError",
        )

    def _new_client(self) -> _Client:
        import botocore.config  # type: ignore[import-untyped, unused-ignore]
        import botocore.exceptions  # type: ignore[import-untyped, unused-ignore]
        import botocore.session  # type: ignore[import-untyped, unused-ignore]

        self._errors = (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError)
        session = botocore.session.get_session()
        region = self._resolve_region(session)
        self.region = region
        config = botocore.config.Config(
            connect_timeout=min(CONNECT_TIMEOUT_S, self.timeout_s),
            read_timeout=self.timeout_s,
            retries={"mode": "standard", "total_max_attempts": MAX_ATTEMPTS},
            user_agent_extra="modelport-dynamodb-cache",
        )
        try:
            client: _Client = session.create_client(
                "dynamodb", region_name=region, endpoint_url=self.endpoint_url, config=config
            )
        except botocore.exceptions.BotoCoreError as exc:
            raise self._wrap("CreateClient", exc) from None
        return client

    def _call(self, operation: str, method: str, **params: Any) -> dict[str, Any]:
        """One botocore call; botocore errors become ``DynamoDBCacheError`` (or _TableMissing)."""
        client = self._get_client()
        assert self._errors is not None
        client_error, botocore_error = self._errors
        try:
            out: dict[str, Any] = getattr(client, method)(**params)
        except client_error as exc:
            if _error_code(exc) == "ResourceNotFoundException":
                raise _TableMissing from None
            raise self._wrap(operation, exc) from None
        except botocore_error as exc:
            raise self._wrap(operation, exc) from None
        return out

    def _wrap(self, operation: str, exc: Exception) -> DynamoDBCacheError:
        """A ``DynamoDBCacheError`` whose text carries the facts and no credentials.

        ``from None`` at the raise sites: the botocore exception is not chained, so a logged
        traceback cannot show its unscrubbed text either.
        """
        response = getattr(exc, "response", None)
        if isinstance(response, dict):
            error = response.get("Error") or {}
            meta = response.get("ResponseMetadata") or {}
            code = str(error.get("Code") or type(exc).__name__)
            request_id = meta.get("RequestId") or None
            status = meta.get("HTTPStatusCode")
            detail = _scrub(str(error.get("Message") or ""))
            extra = ", ".join(
                part
                for part in (
                    f"HTTP {status}" if status else "",
                    f"request id {request_id}" if request_id else "",
                )
                if part
            )
            text = f"{code}: {detail}" if detail else code
            if extra:
                text = f"{text} ({extra})"
        else:
            code = type(exc).__name__
            request_id = None
            if code == "NoCredentialsError":
                text = (
                    "NoCredentialsError: no AWS credentials found (environment, AWS_PROFILE and "
                    "config files, SSO, container or instance role)"
                )
            else:
                text = f"{code}: {_scrub(str(exc))}"
        return DynamoDBCacheError(
            f"DynamoDB {operation} on table {self.table!r} failed: {text}",
            operation=operation,
            code=code,
            request_id=request_id,
        )

    # -- the table -----------------------------------------------------------------------------

    def _table_missing(self, operation: str) -> None:
        """Create the table if allowed, else raise the error that says how to fix it."""
        if not self.create_table:
            where = f" at {self.endpoint_url}" if self.endpoint_url else ""
            raise DynamoDBCacheError(
                f"DynamoDB table {self.table!r} does not exist in region {self.region}{where} "
                f"(or is not ACTIVE yet). Create it with partition key {KEY_ATTRIBUTE!r} "
                "(type S), or let modelport create it: MODELPORT_DYNAMODB_CREATE_TABLE=1 or "
                "DynamoDBCache(..., create_table=True)",
                operation=operation,
                code="ResourceNotFoundException",
            )
        with self._table_lock:
            self._ensure_table()

    def _ensure_table(self) -> None:
        """Create the table unless it exists, wait (bounded) until ACTIVE, enable TTL.

        Runs under ``_table_lock``, so threads that hit the missing table together create it
        once; another process creating it at the same time shows up as ResourceInUseException,
        and then this one only waits.
        """
        status = self._table_status()
        created = False
        if status is None:
            try:
                out = self._call(
                    "CreateTable",
                    "create_table",
                    TableName=self.table,
                    AttributeDefinitions=[{"AttributeName": KEY_ATTRIBUTE, "AttributeType": "S"}],
                    KeySchema=[{"AttributeName": KEY_ATTRIBUTE, "KeyType": "HASH"}],
                    BillingMode="PAY_PER_REQUEST",
                )
                status = out.get("TableDescription", {}).get("TableStatus")
                created = True
            except DynamoDBCacheError as exc:
                if exc.code != "ResourceInUseException":
                    raise
        deadline = time.monotonic() + self.table_wait_s
        delay = 0.05
        while status != "ACTIVE":
            if time.monotonic() >= deadline:
                raise DynamoDBCacheError(
                    f"DynamoDB table {self.table!r} is not ACTIVE after {self.table_wait_s:.0f} s"
                    f" (status {status})",
                    operation="DescribeTable",
                    code="TableNotActive",
                )
            time.sleep(delay)
            delay = min(delay * 2, 2.0)
            status = self._table_status()
        if created:
            self._enable_ttl()

    def _table_status(self) -> str | None:
        try:
            out = self._call("DescribeTable", "describe_table", TableName=self.table)
        except _TableMissing:
            return None
        status = out.get("Table", {}).get("TableStatus")
        return str(status) if status else None

    def _enable_ttl(self) -> None:
        """Let DynamoDB delete expired items. Reads check expiry anyway, so a failure here
        (no UpdateTimeToLive permission) costs storage, not correctness: warn, do not fail."""
        try:
            self._call(
                "UpdateTimeToLive",
                "update_time_to_live",
                TableName=self.table,
                TimeToLiveSpecification={"Enabled": True, "AttributeName": self.ttl_attribute},
            )
        except (DynamoDBCacheError, _TableMissing) as exc:
            if "already enabled" in str(exc).lower():
                return
            if isinstance(exc, _TableMissing):
                exc = DynamoDBCacheError("ResourceNotFoundException", operation="UpdateTimeToLive")
            warnings.warn(
                f"modelport-dynamodb-cache: created table {self.table!r} but could not enable "
                f"TTL on {self.ttl_attribute!r} ({exc}); expired items are still never served",
                DynamoDBCacheWarning,
                stacklevel=2,
            )


def _error_code(exc: Exception) -> str:
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        return str((response.get("Error") or {}).get("Code") or "")
    return ""
