"""Thinking-tag configuration and parsing, public names (see docs/thinking.md).

``LLM(spec, thinking=CustomThinkingToken("<reason>", "</reason>"))`` adds a pattern to the
built-in ones; ``CustomThinkingToken(from_beginning=True)`` says the chat template already
opened a block; ``thinking=False`` turns inline-tag parsing off.
"""

from __future__ import annotations

from ._thinking import (
    BUILTIN_PATTERNS,
    CustomThinkingToken,
    ThinkingParser,
    ThinkingPattern,
    ThinkingPiece,
    ThinkingSplit,
    split_thinking,
)

__all__ = [
    "BUILTIN_PATTERNS",
    "CustomThinkingToken",
    "ThinkingParser",
    "ThinkingPattern",
    "ThinkingPiece",
    "ThinkingSplit",
    "split_thinking",
]
