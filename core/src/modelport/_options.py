"""Checks of the values a caller passes, so a wrong one is a ``ConfigurationError`` naming it.

Without these, ``temperature="hot"`` would surface as a record's ``ValueError`` (or a
``TypeError`` from deep inside the engine), whose text talks about model fields rather than the
argument the caller wrote. Each check says which argument, what was given and what is accepted,
at the moment the ``LLM`` is built (its defaults) or the call is made.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

from ._errors import ConfigurationError

__all__ = ["check_call_options", "check_llm_settings", "check_request_params"]


def _fail(name: str, value: Any, expected: str, *, show: bool = True) -> ConfigurationError:
    """``show=False`` for values that may hold credentials (keys, headers): type only."""
    if not show:
        return ConfigurationError(f"{name} must be {expected}, got a {type(value).__name__}")
    shown = repr(value)
    if len(shown) > 60:
        shown = shown[:57] + "..."
    return ConfigurationError(f"{name} must be {expected}, got {shown} ({type(value).__name__})")


def _number(name: str, value: Any, low: float | None = None, high: float | None = None) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _fail(name, value, "a number")
    if (low is not None and value < low) or (high is not None and value > high):
        bounds = f"from {low} to {high}" if high is not None else f">= {low}"
        raise _fail(name, value, f"a number {bounds}")


def _integer(name: str, value: Any, low: int | None = None) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _fail(name, value, "an int")
    if low is not None and value < low:
        raise _fail(name, value, f"an int >= {low}")


def _text(name: str, value: Any) -> None:
    if not isinstance(value, str):
        raise _fail(name, value, "a str")


def _flag(name: str, value: Any) -> None:
    if not isinstance(value, bool):
        raise _fail(name, value, "True or False")


def _stop(name: str, value: Any) -> None:
    if isinstance(value, str):
        return
    if not isinstance(value, list | tuple) or not all(isinstance(s, str) for s in value):
        raise _fail(name, value, "a str or a list of str")


def _body(name: str, value: Any) -> None:
    if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
        raise _fail(name, value, "a dict with str keys")


def _headers(name: str, value: Any) -> None:
    if not isinstance(value, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise _fail(name, value, "a dict of str to str", show=False)


def _prompt_cache(name: str, value: Any) -> None:
    if not isinstance(value, bool) and value not in ("5m", "1h"):
        raise _fail(name, value, 'True, False, "5m" or "1h"')


_REQUEST_CHECKS: dict[str, Callable[[str, Any], None]] = {
    "temperature": lambda n, v: _number(n, v, 0.0),
    "top_p": lambda n, v: _number(n, v, 0.0, 1.0),
    "presence_penalty": _number,
    "frequency_penalty": _number,
    "max_tokens": lambda n, v: _integer(n, v, 1),
    "seed": _integer,
    "stop": _stop,
    "tool_choice": _text,
    "parallel_tool_calls": _flag,
    "reasoning_effort": _text,
    "top_k": lambda n, v: _integer(n, v, 1),
    "budget_tokens": lambda n, v: _integer(n, v, 1),
    "prompt_cache": _prompt_cache,
    "user": _text,
    "extra_body": _body,
    "extra_headers": _headers,
}


def check_request_params(params: Mapping[str, Any]) -> None:
    """Request parameters (``None`` means "not sent", always allowed)."""
    for name, value in params.items():
        check = _REQUEST_CHECKS.get(name)
        if check is not None and value is not None:
            check(name, value)


def _ttl(name: str, value: Any) -> None:
    _number(name, value, 0.0)


def _callback(name: str, value: Any) -> None:
    if not callable(value):
        raise _fail(name, value, "a callable")


_CALL_CHECKS: dict[str, Callable[[str, Any], None]] = {
    "use_cache": _flag,
    "clear_cache": _flag,
    "hide_thinking": _flag,
    "verbose": _flag,
    "cache_ttl_s": _ttl,
    "on_progress": _callback,
    "tool_exec": _flag,
    "abort": lambda n, v: _abort_signal(n, v),
}


def _abort_signal(name: str, value: Any) -> None:
    from ._engine._abort import AbortSignal

    if not isinstance(value, AbortSignal):
        raise _fail(name, value, "a modelport.AbortSignal")


def check_call_options(options: Mapping[str, Any]) -> None:
    """Per-call options that are not request parameters (``None`` keeps the default)."""
    for name, value in options.items():
        check = _CALL_CHECKS.get(name)
        if check is not None and value is not None:
            check(name, value)


def check_llm_settings(
    *, max_retries: Any, base_url: Any, api_key: Any, options: Any, on_progress: Any
) -> None:
    """The ``LLM`` constructor's own arguments."""
    _integer("max_retries", max_retries, 0)
    if base_url is not None:
        _text("base_url", base_url)
    if api_key is not None and not isinstance(api_key, str):
        raise _fail("api_key", api_key, "a str", show=False)
    if options is not None:
        _body("options", options)
    if on_progress is not None:
        _callback("on_progress", on_progress)
