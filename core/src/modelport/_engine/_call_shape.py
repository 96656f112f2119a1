"""Shaping a call's wire request once, and the cache slot it maps to.

The provider builds the request, ``shape_request`` hooks edit it, the caller's extras go on
top, and the body is encoded once; the cache key is computed from that exact wire request,
so what is sent and what is looked up can never differ.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from .._cache._levels import CacheLevels, cache_key
from .._errors import ConfigurationError, LLMError
from .._host._hook_calls import plugin_failure
from .._request import Request
from .._wire import WireRequest, merge_headers
from ._call_setup import CallOptions, CallSetup

__all__ = ["cache_slot", "shaped_wire"]

# One encoder for every call: ``json.dumps`` with any non-default argument builds a new one.
_encode = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode

Hook = Callable[..., list[Any]]  # a call's hook runner: (name, error type, **kwargs) -> results


def shaped_wire(
    setup: CallSetup,
    request: Request,
    contextualize: Callable[[LLMError], LLMError],
    hook: Hook,
) -> WireRequest:
    """The wire request as it will be sent, before credentials."""
    provider = setup.provider
    try:
        wire = provider.build_request(request)
    except LLMError as err:
        raise contextualize(err) from None
    except Exception as exc:
        raise contextualize(
            plugin_failure(ConfigurationError, setup.plugin, "build_request", exc)
        ) from exc
    if setup.host.has_impls("shape_request"):
        hook(
            "shape_request",
            ConfigurationError,
            provider=provider.name,
            model=request.model,
            request=request,
            wire=wire,
        )
    # The caller's extras go on last, over the provider's body and every shaping hook:
    # they are how a caller reaches a provider feature modelport does not model yet.
    if request.extra_headers:
        wire.headers = merge_headers(wire.headers, request.extra_headers)
    if request.extra_body and wire.body is not None:
        wire.body.update(request.extra_body)
    if wire.body is not None and wire.content is None:
        wire.content = _encode(wire.body).encode()
    return wire


def _is_deterministic(request: Request) -> bool:
    """The default cache rule: temperature 0, or a reasoning request with no temperature set."""
    if request.temperature == 0:
        return True
    return request.temperature is None and request.reasoning_effort is not None


def cache_slot(
    setup: CallSetup, request: Request, opts: CallOptions, wire: WireRequest, hook: Hook
) -> tuple[str | None, CacheLevels | None]:
    """The cache key and levels for this call, or ``(None, None)`` when it is not cached."""
    host = setup.host
    caches = host.registry().caches
    if not caches:
        return None, None
    if not (opts.cache == "always" or (opts.cache == "auto" and _is_deterministic(request))):
        return None, None
    # Client-side processing that shapes the stored response (thinking-tag parsing)
    # is part of the key too, or a cached parse would leak into another setting.
    extra: list[dict[str, Any]] = [opts.key_parts] if opts.key_parts else []
    if host.has_impls("cache_key_parts"):
        provider = setup.provider
        parts = hook(
            "cache_key_parts",
            ConfigurationError,
            provider=provider.name,
            model=request.model,
            wire=wire,
        )
        extra += [part for part in parts if part]
    provider = setup.provider
    return cache_key(provider.name, provider.version, wire, extra), CacheLevels(caches)
