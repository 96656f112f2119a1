"""The core's one import point for thinking-tag parsing (the rules: ``_thinking_parser``).

The code lives in ``_thinking_types`` (patterns and pieces), ``_thinking_tags`` (case-folded
tag matching), ``_thinking_parser`` (the streaming parser and the whole-text split) and
``_thinking_config`` (``CustomThinkingToken``); importers name this module so that none of
them depends on how that code is divided.
"""

from __future__ import annotations

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
