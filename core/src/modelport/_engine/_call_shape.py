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

__all__ = ["cache_slot", "encode_body", "shaped_wire"]


def _body_encoder() -> Callable[[Any], str]:
    """One compact encoder for every call's body, made once.

    ``JSONEncoder.encode`` makes a new C encoder (and a closure) for every body it encodes,
    half of its cost for a small request body. The C encoder it makes is reused here instead,
    built with the same settings (so the bytes, and the cache keys made from them, are the
    same) except its circular-reference bookkeeping: a body that contains itself fails with a
    ``RecursionError`` instead, turned into the same ``ConfigurationError`` below. A Python
    without the C accelerator (``c_make_encoder is None``) keeps ``JSONEncoder.encode``."""
    from json import encoder as stdlib

    settings = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)
    # Not in typeshed: the C accelerator's encoder type, or None without it.
    make: Callable[..., Callable[[Any, int], list[str]]] | None
    make = getattr(stdlib, "c_make_encoder", None)
    if make is None:
        return settings.encode
    chunks = make(
        None, settings.default, stdlib.encode_basestring, None, ":", ",", False, False, True
    )
    return lambda body: "".join(chunks(body, 0))


encode_body = _body_encoder()

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
        try:
            wire.content = encode_body(wire.body).encode()
        except (TypeError, ValueError, RecursionError) as exc:  # a value JSON cannot carry
            raise contextualize(
                ConfigurationError(f"the request body cannot be sent as JSON: {exc}")
            ) from None
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
