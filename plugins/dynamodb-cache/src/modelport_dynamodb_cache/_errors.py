"""The cache's errors, and botocore failures turned into them without leaking a credential.

The core shows a backend's exception text in a warning, and a logged traceback shows it too, so
every botocore failure becomes a ``DynamoDBCacheError`` whose text names the operation, the
table, AWS's error code and request id, and never a credential (``_scrub``).
"""

from __future__ import annotations

import re

__all__ = [
    "DynamoDBCacheError",
    "DynamoDBCacheWarning",
    "TableMissing",
    "error_code",
    "wrap_error",
]


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


class TableMissing(Exception):
    """Internal: the operation hit ResourceNotFoundException (no such table, or not ACTIVE)."""


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


def error_code(exc: Exception) -> str:
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        return str((response.get("Error") or {}).get("Code") or "")
    return ""


def wrap_error(operation: str, table: str, exc: Exception) -> DynamoDBCacheError:
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
        f"DynamoDB {operation} on table {table!r} failed: {text}",
        operation=operation,
        code=code,
        request_id=request_id,
    )
