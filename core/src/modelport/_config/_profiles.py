"""``[profiles."provider:model"]`` in ``modelport.toml``: the user's word on what a model accepts.

For a model the provider's table does not know yet (or knows wrong): each key is a
``ModelProfile`` field, checked here so a typo is an error at its line, not a silent no-op.
A key may name one model (``"openai-chat:qwen3-8b"``) or many with ``*`` wildcards
(``"bedrock-claude:*opus-5*"``); every matching table applies, in file order, and the exact
spec last, so the most specific entry wins.
"""

from __future__ import annotations

from fnmatch import fnmatchcase
from typing import TYPE_CHECKING, Any, get_args

from .._contract import StructuredStrategy, ThinkingMode

if TYPE_CHECKING:
    from ._schema import Config, _Checker

__all__ = ["PROFILE_KEYS", "check_profile", "profile_overrides"]

_INTS = ("context_window", "max_output_tokens", "max_image_bytes", "max_image_side")
_BOOLS = ("tools", "images", "thinking_with_forced_tools", "image_urls")
PROFILE_KEYS = frozenset({*_INTS, *_BOOLS, "thinking", "sampling_params", "structured_output"})


def check_profile(check: _Checker, pattern: str, value: object) -> dict[str, Any]:
    """One ``[profiles."<pattern>"]`` table as ``ModelProfile.merged`` keywords."""
    keys = ("profiles", pattern)
    provider, _, model = pattern.partition(":")
    if not provider or not model or "*" in provider:
        raise check.fail(
            keys, "a profile key is 'provider:model' (the model part may use * wildcards)"
        )
    table = check.table(value, keys)
    check.only(table, PROFILE_KEYS, keys)
    out: dict[str, Any] = {}
    for key, item in table.items():
        at = (*keys, key)
        if key in _INTS:
            if isinstance(item, bool) or not isinstance(item, int) or item <= 0:
                raise check.fail(at, f"must be a positive integer, got {item!r}")
        elif key in _BOOLS:
            if not isinstance(item, bool):
                raise check.fail(at, f"must be true or false, got {item!r}")
        elif key == "thinking":
            modes = get_args(ThinkingMode)
            if item not in modes:
                raise check.fail(at, f"must be one of {', '.join(modes)}, got {item!r}")
        elif key == "structured_output":
            strategies = get_args(StructuredStrategy)
            if item not in strategies:
                raise check.fail(at, f"must be one of {', '.join(strategies)}, got {item!r}")
        elif key == "sampling_params":
            if not isinstance(item, list) or not all(isinstance(p, str) and p for p in item):
                raise check.fail(at, f"must be a list of parameter names, got {item!r}")
            item = frozenset(item)
        out[key] = item
    return out


def profile_overrides(config: Config, provider: str, model: str) -> dict[str, Any]:
    """The merged overrides of every ``[profiles]`` key matching ``provider:model``."""
    spec = f"{provider}:{model}"
    merged: dict[str, Any] = {}
    for pattern, table in config.profiles.items():
        if pattern != spec and fnmatchcase(spec, pattern):
            merged.update(table)
    merged.update(config.profiles.get(spec, {}))
    return merged
