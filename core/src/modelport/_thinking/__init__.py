"""The core's one import point for thinking-tag parsing (the rules: ``_thinking_parser``).

The code lives in ``_thinking_types`` (patterns and pieces), ``_thinking_tags`` (case-folded
tag matching), ``_thinking_parser`` (the streaming parser and the whole-text split) and
``_thinking_config`` (``CustomThinkingToken``); importers name this module so that none of
them depends on how that code is divided.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .._lazy import lazy_attribute

if TYPE_CHECKING:
    from ._config import CustomThinkingToken
    from ._parser import ThinkingParser, split_thinking
    from ._types import BUILTIN_PATTERNS, ThinkingPattern, ThinkingPiece, ThinkingSplit

__all__ = [
    "BUILTIN_PATTERNS",
    "CustomThinkingToken",
    "ThinkingParser",
    "ThinkingPattern",
    "ThinkingPiece",
    "ThinkingSplit",
    "split_thinking",
]

# Loaded on first access: every LLM sets thinking up (``_setup``, inside this package) and
# registers the built-in tags (``_builtin``), but most answers never need the parser.
_LAZY = {
    "BUILTIN_PATTERNS": "._types",
    "CustomThinkingToken": "._config",
    "ThinkingParser": "._parser",
    "ThinkingPattern": "._types",
    "ThinkingPiece": "._types",
    "ThinkingSplit": "._types",
    "split_thinking": "._parser",
}


def __getattr__(name: str) -> Any:
    return lazy_attribute(globals(), _LAZY, name)
