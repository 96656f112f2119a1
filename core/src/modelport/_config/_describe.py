"""The resolved configuration as JSON-able data, secrets redacted (``modelport config``)."""

from __future__ import annotations

import os
import re
from dataclasses import asdict, is_dataclass
from typing import TYPE_CHECKING, Any

from .._errors import ConfigurationError
from ._lines import find_line
from ._load import load_config
from ._prices import shown_price
from ._resolve import default_model

if TYPE_CHECKING:
    from ._schema import Alias

__all__ = ["REDACTED", "describe"]

REDACTED = "[REDACTED]"
_SECRET_HEADER = re.compile(r"auth|key|token|secret|cookie|password|credential", re.IGNORECASE)


def _plain(value: Any) -> Any:
    # Limits, Timeouts, RetryPolicy: the settings dataclasses (not imported here: describing
    # the configuration must not load the limiter)
    if is_dataclass(value) and not isinstance(value, type):
        return {k: v for k, v in asdict(value).items() if v is not None}
    return value


def _defaults(defaults: Any) -> dict[str, Any]:
    shown = dict(defaults)
    headers = shown.get("extra_headers")
    if isinstance(headers, dict):
        shown["extra_headers"] = {
            k: REDACTED if _SECRET_HEADER.search(k) else v for k, v in headers.items()
        }
    return shown


def _alias(alias: Alias) -> dict[str, Any]:
    out: dict[str, Any] = {"spec": alias.spec, "line": alias.line}
    if alias.base_url is not None:
        out["base_url"] = alias.base_url
    if alias.api_key is not None:
        out["api_key"] = REDACTED
    if alias.api_key_env is not None:
        out["api_key_env"] = {
            "name": alias.api_key_env,
            "set": bool(os.environ.get(alias.api_key_env)),
        }
    if alias.defaults:
        out["defaults"] = _defaults(alias.defaults)
    for name in ("limits", "timeout", "retry"):
        value = getattr(alias, name)
        if value is not None:
            out[name] = _plain(value)
    if alias.fallbacks:
        out["fallbacks"] = list(alias.fallbacks)
    return out


def describe() -> dict[str, Any]:
    """``{"path", "source", "exists", "default", "models", "profiles", "prices"}``; never a
    key's value."""
    config = load_config()
    default: dict[str, Any] | None = None
    try:
        model, origin = default_model(config)
    except ConfigurationError:  # no default model: shown as null, not an error here
        pass
    else:
        default = {"model": model, "from": origin}
        alias = config.models.get(model)
        if alias is not None:
            default["spec"] = alias.spec
        elif ":" not in model:
            default["error"] = f"{model!r} is neither 'provider:model' nor an alias here"
    return {
        "path": str(config.path),
        "source": config.source,
        "exists": config.exists,
        "default": default,
        "models": {name: _alias(a) for name, a in config.models.items()},
        "profiles": {
            pattern: {k: sorted(v) if isinstance(v, frozenset) else v for k, v in table.items()}
            for pattern, table in config.profiles.items()
        },
        "prices": {
            spec: {**shown_price(price), "line": find_line(config.text, ("prices", spec))}
            for spec, price in config.prices.items()
        },
    }
