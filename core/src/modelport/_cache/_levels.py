"""Cache keys and the multi-level read-through over cache backends registered by plugins.

The key hashes the fully shaped wire request (after every shaping hook), minus a deny-list of
transport-only fields, plus provider name, plugin version and a key-schema version. A deny-list,
not an allow-list: a parameter nobody anticipated still changes the key, so a cached answer is
never served for a different request. Credentials never reach the key: they are added to the
request only after it is computed, and sensitive headers are dropped regardless.
"""

from __future__ import annotations

import hashlib
import json
import time
import warnings
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from .._host._plugins import CacheRegistration
from .._logs import cache_log
from .._response import Response
from .._wire import SENSITIVE_HEADERS, WireRequest

__all__ = ["KEY_SCHEMA_VERSION", "CacheLevels", "cache_key", "entry_from_response"]

KEY_SCHEMA_VERSION = 1

# Body fields that change how the answer travels, not what it is.
_BODY_DENY = frozenset({"stream", "stream_options", "timeout", "request_timeout", "api_key"})
# Headers that describe the transport or carry credentials.
_HEADER_DENY = (
    frozenset(
        {
            "content-type",
            "content-length",
            "accept",
            "accept-encoding",
            "user-agent",
            "connection",
            "host",
            "x-stainless-retry-count",
            "idempotency-key",
        }
    )
    | SENSITIVE_HEADERS
)
_QUERY_DENY = frozenset({"key", "api_key", "api-key", "token", "access_token", "sig"})


def _clean_url(url: str) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k.lower() not in _QUERY_DENY]
    netloc = parts.hostname or ""
    if parts.port:
        netloc = f"{netloc}:{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, urlencode(sorted(query)), ""))


def cache_key(
    provider: str,
    plugin_version: str,
    wire: WireRequest,
    extra: list[dict[str, Any]] | None = None,
) -> str:
    body = {k: v for k, v in (wire.body or {}).items() if k not in _BODY_DENY}
    headers = {k.lower(): v for k, v in wire.headers.items() if k.lower() not in _HEADER_DENY}
    material = {
        "schema": KEY_SCHEMA_VERSION,
        "provider": provider,
        "plugin_version": plugin_version,
        "method": wire.method.upper(),
        "url": _clean_url(wire.cache_url or wire.url),
        "headers": headers,
        "body": body,
        "extra": extra or [],
    }
    canonical = json.dumps(
        material, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=repr
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def entry_from_response(response: Response) -> dict[str, Any]:
    """What is stored: the whole normalized response, without per-call and raw fields.

    ``structured`` is left out on purpose: it is rebuilt from the text and re-validated against
    the caller's current schema on every hit, so a changed model class never gets stale data.
    """
    entry = response.model_dump(
        mode="json",
        exclude={"raw", "cache_source", "cache_key", "latency_s", "attempts", "structured"},
    )
    entry["cached_at"] = time.time()
    return entry


class CacheLevels:
    """Read-through over ordered backends (level 1 first); backend errors become misses."""

    def __init__(self, registrations: list[CacheRegistration]) -> None:
        self.levels = registrations

    def _warn(self, reg: CacheRegistration, op: str, exc: Exception) -> None:
        text = (
            f"cache backend of plugin {reg.plugin!r} failed on {op}: {type(exc).__name__}: {exc};"
            " treated as a miss"
        )
        cache_log.warning("%s", text)
        warnings.warn(text, RuntimeWarning, stacklevel=4)

    def get(self, key: str) -> tuple[dict[str, Any] | None, int]:
        for i, reg in enumerate(self.levels):
            try:
                entry = reg.backend.get(key)
            except Exception as exc:
                self._warn(reg, "get", exc)
                continue
            if entry is not None:
                for faster in self.levels[:i]:
                    try:
                        faster.backend.set(key, entry, None)
                    except Exception as exc:
                        self._warn(faster, "backfill", exc)
                return entry, reg.level
        return None, 0

    def set(self, key: str, entry: dict[str, Any], ttl_s: float | None = None) -> None:
        for reg in self.levels:
            try:
                reg.backend.set(key, entry, ttl_s)
            except Exception as exc:
                self._warn(reg, "set", exc)

    def delete(self, key: str) -> None:
        for reg in self.levels:
            try:
                reg.backend.delete(key)
            except Exception as exc:
                self._warn(reg, "delete", exc)
