"""The values of thinking-tag parsing: the tag pairs it looks for and the pieces it returns.

Kept apart from the scanner so that the parser and the user configuration
(``CustomThinkingToken``) can both build on them without importing each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, NamedTuple

from .._errors import ConfigurationError
from .._slotted import Slotted
from ._builtin import BUILTIN_TAGS

__all__ = ["BUILTIN_PATTERNS", "PieceKind", "ThinkingPattern", "ThinkingPiece", "ThinkingSplit"]

PieceKind = Literal["answer", "reasoning", "reclassify"]


@dataclass(frozen=True, slots=True)
class ThinkingPattern:
    """A pair of tags delimiting one reasoning block, matched case-insensitively."""

    start: str
    end: str

    def __post_init__(self) -> None:
        # An empty tag would match everywhere; reject it where the mistake is made.
        if not isinstance(self.start, str) or not isinstance(self.end, str):
            raise ConfigurationError("thinking tags must be strings")
        if not self.start or not self.end:
            raise ConfigurationError("thinking tags must not be empty")


BUILTIN_PATTERNS: tuple[ThinkingPattern, ...] = tuple(
    ThinkingPattern(start, end) for start, end in BUILTIN_TAGS
)


class ThinkingPiece(Slotted):
    """One run of output: ``answer`` or ``reasoning`` text, or a ``reclassify`` instruction.

    A ``reclassify`` piece means: the ``text`` that earlier pieces delivered as answer (it is the
    whole answer so far) was reasoning; move it. It is produced at most once per stream.
    """

    _fields = ("kind", "text")
    __slots__ = _fields
    kind: PieceKind
    text: str

    def __init__(self, kind: PieceKind, text: str) -> None:
        self.kind = kind
        self.text = text


class ThinkingSplit(NamedTuple):
    """The result of :func:`split_thinking`."""

    reasoning: str
    answer: str
    unclosed: bool
