"""AWS Signature Version 4 for a ``WireRequest``: a pure function of the request, the frozen
credentials, the region, the service and a timestamp.

It is written against the published algorithm (canonical request, string to sign, HMAC-SHA256
key derivation) rather than botocore's ``SigV4Auth``, because botocore reads the clock itself:
here the caller passes ``now``, so the same inputs always give the same ``Authorization`` header
(tests sign deterministically) and ``authenticate`` needs neither botocore nor any I/O. The test
server recomputes every signature with botocore, so the two implementations check each other.

What is signed: every header of the wire request except those a transport may add or rewrite on
the way out (``_UNSIGNED``), plus ``host`` (from the URL unless the wire sets it), ``x-amz-date``
and, for temporary credentials, ``x-amz-security-token``. Headers from an earlier attempt are
dropped first, so a retry is signed afresh with its own date. ``SigningCredentials`` never shows
its secret or token in a repr, and ``WireRequest.__repr__`` redacts the headers that carry them.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import quote, urlsplit

from modelport.provider import WireRequest

__all__ = ["ALGORITHM", "SERVICE", "SIGNING_HEADERS", "SigningCredentials", "sign"]

SERVICE = "bedrock"
ALGORITHM = "AWS4-HMAC-SHA256"
SIGNING_HEADERS = ("Authorization", "X-Amz-Date", "X-Amz-Security-Token")
# A caller's own X-Amz-Content-SHA256 would replace the payload hash in the canonical request;
# the payload hash is always computed here from the bytes actually sent, so it is dropped.
_STALE = frozenset({h.lower() for h in SIGNING_HEADERS} | {"x-amz-content-sha256"})
# Headers a transport (httpx2, aiohttp, a proxy) may set or rewrite after signing.
_UNSIGNED = frozenset(
    {
        "authorization",
        "user-agent",
        "expect",
        "transfer-encoding",
        "x-amzn-trace-id",
        "connection",
        "keep-alive",
        "content-length",
        "accept-encoding",
        "te",
        "upgrade",
    }
)
_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True, slots=True)
class SigningCredentials:
    """One consistent set of AWS credentials (access key, secret, optional session token).

    Frozen, so a refresh replaces the whole set: a signature never mixes the key of one
    generation with the secret of the next.
    """

    access_key: str
    secret_key: str = field(repr=False)
    token: str | None = field(default=None, repr=False)


def sign(
    wire: WireRequest,
    credentials: SigningCredentials,
    region: str,
    service: str,
    now: datetime,
) -> None:
    """Add SigV4 headers to ``wire`` in place; ``now`` without a timezone is taken as UTC."""
    for name in [k for k in wire.headers if k.lower() in _STALE]:
        del wire.headers[name]
    when = now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)
    amz_date = when.strftime("%Y%m%dT%H%M%SZ")
    day = amz_date[:8]
    wire.headers["X-Amz-Date"] = amz_date
    if credentials.token:
        wire.headers["X-Amz-Security-Token"] = credentials.token
    parts = urlsplit(wire.url)
    headers = _headers_to_sign(wire.headers, parts.scheme, parts.netloc, parts.port)
    signed = ";".join(headers)
    canonical = "\n".join(
        (
            wire.method.upper(),
            _canonical_path(parts.path),
            _canonical_query(parts.query),
            "".join(f"{name}:{value}\n" for name, value in headers.items()),
            signed,
            hashlib.sha256(wire.content or b"").hexdigest(),
        )
    )
    scope = f"{day}/{region}/{service}/aws4_request"
    to_sign = "\n".join(
        (ALGORITHM, amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest())
    )
    key = _signing_key(credentials.secret_key, day, region, service)
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    wire.headers["Authorization"] = (
        f"{ALGORITHM} Credential={credentials.access_key}/{scope}, "
        f"SignedHeaders={signed}, Signature={signature}"
    )


def _signing_key(secret: str, day: str, region: str, service: str) -> bytes:
    key = ("AWS4" + secret).encode()
    for part in (day, region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def _headers_to_sign(
    headers: dict[str, str], scheme: str, netloc: str, port: int | None
) -> dict[str, str]:
    """Lower-case names in sorted order, values trimmed with inner whitespace runs collapsed;
    names that differ only by case are joined with commas, as HTTP would fold them."""
    out: dict[str, list[str]] = {}
    for name, value in headers.items():
        lowered = name.lower()
        if lowered in _UNSIGNED:
            continue
        out.setdefault(lowered, []).append(" ".join(str(value).split()))
    if "host" not in out:
        out["host"] = [_host(scheme, netloc, port)]
    return {name: ",".join(out[name]) for name in sorted(out)}


def _host(scheme: str, netloc: str, port: int | None) -> str:
    """The Host header a client sends for this URL: no user info, no default port."""
    host = netloc.rpartition("@")[2].lower()
    if port is not None and _DEFAULT_PORTS.get(scheme.lower()) == port:
        host = host[: host.rfind(":")]
    return host


def _canonical_path(path: str) -> str:
    """Dot and empty segments removed, then percent-encoded once more: for every service but
    S3 the canonical URI is the already-encoded path encoded again (``%3A`` -> ``%253A``)."""
    kept: list[str] = []
    for segment in path.split("/"):
        if segment in ("", "."):
            continue
        if segment == "..":
            if kept:
                kept.pop()
            continue
        kept.append(segment)
    normalized = "/" + "/".join(kept)
    if kept and path.endswith("/"):
        normalized += "/"
    return quote(normalized, safe="/~")


def _canonical_query(query: str) -> str:
    """Pairs sorted by name, then value; the URL's query is expected to be percent-encoded
    already (Bedrock's invoke paths carry none)."""
    if not query:
        return ""
    pairs: list[tuple[str, str]] = []
    for pair in query.split("&"):
        name, _, value = pair.partition("=")
        pairs.append((name, value))
    pairs.sort()
    return "&".join(f"{name}={value}" for name, value in pairs)
