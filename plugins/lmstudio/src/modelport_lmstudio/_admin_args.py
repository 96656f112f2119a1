"""Checking model management arguments before any request is sent.

LM Studio's load body is a closed schema (an unknown key is a 400 "Unrecognized key(s) in
object"), so a misspelt option is a ``ConfigurationError`` here rather than a round trip;
``extra_body`` is the unchecked way to send a newer option. A bad URL, timeout or model name
fails here too, before a connection is opened or a model unloaded.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Literal
from urllib.parse import urlsplit

import modelport as mp
from modelport.provider import ConfigurationError

from ._models import PROVIDER

__all__ = [
    "DEFAULT_ROOT_URL",
    "DEFAULT_TIMEOUT",
    "IF_LOADED",
    "LOAD_OPTIONS",
    "IfLoaded",
    "check_load",
    "check_model",
    "coerce_timeout",
    "keep_set",
    "load_args",
    "load_body",
    "positive_int",
    "root_url",
]

DEFAULT_ROOT_URL = "http://127.0.0.1:1234"
# Loading a large model from a slow disk takes minutes, and LM Studio answers the load request
# only when it is done: the read timeout has to cover the whole load.
DEFAULT_TIMEOUT = mp.Timeouts(connect=10.0, read=600.0)

IfLoaded = Literal["reuse", "reload", "add"]
IF_LOADED = ("reuse", "reload", "add")


def positive_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _boolean(value: Any) -> bool:
    return isinstance(value, bool)


# The documented load options (LM Studio 0.4 ``POST /api/v1/models/load``) and their checks.
LOAD_OPTIONS: Mapping[str, tuple[Callable[[Any], bool], str]] = {
    "context_length": (positive_int, "a positive int"),
    "eval_batch_size": (positive_int, "a positive int"),
    "num_experts": (positive_int, "a positive int"),
    "flash_attention": (_boolean, "a bool"),
    "offload_kv_cache_to_gpu": (_boolean, "a bool"),
}


def check_model(model: Any, what: str = "model") -> str:
    if not isinstance(model, str) or not model.strip():
        raise ConfigurationError(
            f"lmstudio: {what} must be a non-empty string, not {model!r}", provider=PROVIDER
        )
    return model


def load_body(
    model: str,
    options: Mapping[str, Any],
    *,
    extra_body: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The ``/api/v1/models/load`` body; unknown or ill-typed options are ConfigurationErrors."""
    check_model(model)
    unknown = sorted(set(options) - set(LOAD_OPTIONS))
    if unknown:
        raise ConfigurationError(
            f"lmstudio: unknown load option(s) {unknown}; LM Studio knows {sorted(LOAD_OPTIONS)}"
            " (pass anything newer in extra_body={...})",
            provider=PROVIDER,
            model=model,
        )
    body: dict[str, Any] = {"model": model}
    for name, value in options.items():
        if value is None:
            continue
        check, expected = LOAD_OPTIONS[name]
        if not check(value):
            raise ConfigurationError(
                f"lmstudio: load option {name} must be {expected}, not {value!r}",
                provider=PROVIDER,
                model=model,
            )
        body[name] = value
    body["echo_load_config"] = True  # the loaded context length comes back with the answer
    if extra_body is not None:
        if not isinstance(extra_body, Mapping):
            raise ConfigurationError(
                f"lmstudio: extra_body must be a mapping, not {type(extra_body).__name__}",
                provider=PROVIDER,
                model=model,
            )
        body.update(extra_body)
    return body


def check_load(
    model: str,
    options: Mapping[str, Any],
    config: Mapping[str, Any] | None,
    extra_body: Mapping[str, Any] | None,
    unload_others: bool,
    if_loaded: str,
) -> dict[str, Any]:
    """The load body for ``LMStudio.load_model``'s arguments: keyword options win over
    ``config``, and ``if_loaded``/``unload_others`` are checked before anything is unloaded."""
    if config is not None and not isinstance(config, Mapping):
        raise ConfigurationError(
            f"lmstudio: config must be a mapping, not {type(config).__name__}",
            provider=PROVIDER,
            model=model,
        )
    merged = {**dict(config or {}), **{k: v for k, v in options.items() if v is not None}}
    body = load_body(model, merged, extra_body=extra_body)
    if if_loaded not in IF_LOADED:
        raise ConfigurationError(
            f"lmstudio: if_loaded must be one of {list(IF_LOADED)}, not {if_loaded!r}",
            provider=PROVIDER,
            model=model,
        )
    if not isinstance(unload_others, bool):
        raise ConfigurationError(
            f"lmstudio: unload_others must be a bool, not {unload_others!r}",
            provider=PROVIDER,
            model=model,
        )
    return body


_LOAD_ARGS = frozenset({*LOAD_OPTIONS, "config", "extra_body", "unload_others", "if_loaded"})


def load_args(options: dict[str, Any]) -> dict[str, Any]:
    """The module-level ``load_model``'s ``**options``, checked before a client is made, so a
    misspelt one is a ``ConfigurationError`` listing the known ones rather than a ``TypeError``."""
    unknown = sorted(set(options) - _LOAD_ARGS)
    if unknown:
        raise ConfigurationError(
            f"lmstudio: unknown load_model argument(s) {unknown}; load options are "
            f"{sorted(LOAD_OPTIONS)} (and config=, extra_body=, unload_others=, if_loaded=)",
            provider=PROVIDER,
        )
    return options


def coerce_timeout(value: mp.Timeouts | float | None, default: mp.Timeouts) -> mp.Timeouts:
    if value is None:
        return default
    if isinstance(value, mp.Timeouts):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        if not math.isfinite(value) or value <= 0:
            raise ConfigurationError(f"lmstudio: timeout must be positive, not {value!r}")
        seconds = float(value)
        return mp.Timeouts(connect=min(10.0, seconds), read=seconds, total=seconds)
    raise ConfigurationError(
        f"lmstudio: timeout must be a number or modelport.Timeouts, not {value!r}"
    )


def keep_set(keep: str | Iterable[str] | None) -> frozenset[str]:
    if keep is None:
        return frozenset()
    if isinstance(keep, str):
        return frozenset({check_model(keep, "keep")})
    if not isinstance(keep, Iterable):
        raise ConfigurationError(f"lmstudio: keep must be a str or strings, not {keep!r}")
    return frozenset(check_model(k, "keep") for k in keep)


def root_url(base_url: str) -> str:
    """``http://host:1234/v1`` (or ``/api/v1``, ``/api/v0``) -> ``http://host:1234``."""
    url = base_url.strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigurationError(
            f"lmstudio: base_url must be an http(s) URL such as {DEFAULT_ROOT_URL}, "
            f"not {base_url!r}",
            provider=PROVIDER,
        )
    for suffix in ("/api/v1", "/api/v0", "/v1"):
        if url.endswith(suffix):
            return url[: -len(suffix)]
    return url
