"""Case-insensitive tag matching for the thinking parser: folding and per-state tag sets.

Folding keeps one character per character so that positions in the folded text are positions
in the original, and a tag set indexes tags by first character so the scanner can skip any
chunk that holds none of them without folding it.
"""

from __future__ import annotations

from collections.abc import Sequence

from ._types import ThinkingPattern

__all__ = ["Tag", "TagSet", "fold"]


def fold(text: str) -> str:
    """Case-fold ``text`` keeping one character per character, so indices line up.

    ``str.casefold`` is applied per character and is context-free, so folding a chunk gives the
    same characters as folding the whole text; a character whose fold is longer (``"ß"``) keeps
    itself, which the length check detects cheaply before taking the slow per-character path.
    """
    folded = text.casefold()
    if len(folded) == len(text):
        return folded
    return "".join(c if len(f := c.casefold()) != 1 else f for c in text)


def _is_uncased(char: str) -> bool:
    """True when no other character folds to ``char`` (punctuation such as ``<`` and ``[``).

    Only then can the fast path look for the raw character without folding the chunk.
    """
    return char == char.casefold() == char.upper() == char.lower()


# A tag as the scanner sees it: folded text, whether it opens a block, and its pattern.
Tag = tuple[str, bool, ThinkingPattern]


class TagSet:
    """The tags recognised in one state, indexed by folded first character."""

    __slots__ = ("by_first", "firsts", "triggers")

    def __init__(self, tags: Sequence[Tag]) -> None:
        by_first: dict[str, list[Tag]] = {}
        for tag in tags:
            by_first.setdefault(tag[0][0], []).append(tag)
        self.by_first = {k: tuple(v) for k, v in by_first.items()}
        self.firsts = tuple(self.by_first)
        # Raw characters whose presence in a chunk means "maybe a tag here"; None when a first
        # character is a cased letter, since then several raw characters could fold to it.
        self.triggers: tuple[str, ...] | None = (
            self.firsts if all(_is_uncased(c) for c in self.firsts) else None
        )
