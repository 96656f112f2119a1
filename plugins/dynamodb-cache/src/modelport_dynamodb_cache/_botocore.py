"""Everything that touches botocore: importing it, making the client, and making one call.

botocore is imported here on the first cache operation, never at import or in the constructor:
plugins load when the first ``LLM`` is created, and importing botocore plus loading the DynamoDB
service model costs far more than a plugin may add there. Every timeout is bounded so a down
endpoint makes a call fail in seconds, and every botocore error leaves as a
``DynamoDBCacheError`` (``_errors``), never as botocore's own text.
"""

from __future__ import annotations

import os
from typing import Any, Protocol

from ._errors import DynamoDBCacheError, TableMissing, error_code, wrap_error

__all__ = ["BotocoreErrors", "Client", "call", "create_client", "open_session", "resolve_region"]

CONNECT_TIMEOUT_S = 2.0
MAX_ATTEMPTS = 2

# botocore's ClientError and BotoCoreError, known only once botocore is imported.
BotocoreErrors = tuple[type[Exception], type[Exception]]


class Client(Protocol):
    """The part of botocore's DynamoDB client this package uses (botocore ships no types)."""

    def get_item(self, **kwargs: Any) -> dict[str, Any]: ...
    def put_item(self, **kwargs: Any) -> dict[str, Any]: ...
    def delete_item(self, **kwargs: Any) -> dict[str, Any]: ...
    def create_table(self, **kwargs: Any) -> dict[str, Any]: ...
    def describe_table(self, **kwargs: Any) -> dict[str, Any]: ...
    def update_time_to_live(self, **kwargs: Any) -> dict[str, Any]: ...
    def close(self) -> None: ...


def open_session() -> tuple[Any, BotocoreErrors]:
    """A botocore session, and the error classes ``call`` catches (the first botocore import)."""
    import botocore.exceptions  # type: ignore[import-untyped, unused-ignore]
    import botocore.session  # type: ignore[import-untyped, unused-ignore]

    errors = (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError)
    return botocore.session.get_session(), errors


def resolve_region(region: str | None, endpoint_url: str | None, table: str, session: Any) -> str:
    """``region``, else ``MODELPORT_DYNAMODB_REGION``, the AWS configuration, ``AWS_REGION``;
    a local server (``endpoint_url``) accepts any region, real AWS needs one said."""
    found = (
        region
        or os.environ.get("MODELPORT_DYNAMODB_REGION", "").strip()
        or session.get_config_variable("region")
        or os.environ.get("AWS_REGION", "").strip()
    )
    if found:
        return str(found)
    if endpoint_url:
        return "us-east-1"  # local servers accept any region; this one is the usual default
    raise DynamoDBCacheError(
        f"no AWS region for DynamoDB table {table!r}: set MODELPORT_DYNAMODB_REGION "
        "(or AWS_DEFAULT_REGION, or region in the AWS profile), or pass region=",
        code="NoRegionError",
    )


def create_client(
    session: Any, region: str, *, endpoint_url: str | None, timeout_s: float, table: str
) -> Client:
    """Connect timeout 2 s (or ``timeout_s`` if smaller), read timeout ``timeout_s``, two
    attempts in botocore's "standard" retry mode: a cache must never hang a request."""
    import botocore.config  # type: ignore[import-untyped, unused-ignore]
    import botocore.exceptions  # type: ignore[import-untyped, unused-ignore]

    config = botocore.config.Config(
        connect_timeout=min(CONNECT_TIMEOUT_S, timeout_s),
        read_timeout=timeout_s,
        retries={"mode": "standard", "total_max_attempts": MAX_ATTEMPTS},
        user_agent_extra="modelport-dynamodb-cache",
    )
    try:
        client: Client = session.create_client(
            "dynamodb", region_name=region, endpoint_url=endpoint_url, config=config
        )
    except botocore.exceptions.BotoCoreError as exc:
        raise wrap_error("CreateClient", table, exc) from None
    return client


def call(
    client: Client,
    errors: BotocoreErrors,
    table: str,
    operation: str,
    method: str,
    /,
    **params: Any,
) -> dict[str, Any]:
    """One botocore call; botocore errors become ``DynamoDBCacheError`` (or ``TableMissing``,
    which the backend answers by creating the table or saying how to)."""
    client_error, botocore_error = errors
    try:
        out: dict[str, Any] = getattr(client, method)(**params)
    except client_error as exc:
        if error_code(exc) == "ResourceNotFoundException":
            raise TableMissing from None
        raise wrap_error(operation, table, exc) from None
    except botocore_error as exc:
        raise wrap_error(operation, table, exc) from None
    return out
