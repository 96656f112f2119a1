"""``CustomThinkingToken``: a user's thinking configuration, turned into patterns and a parser.

It needs both the patterns (``_thinking_types``) and the parser (``_thinking_parser``, for
``parser()``), so it sits above them; the parser itself knows nothing of user configuration.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .._errors import ConfigurationError
from ._parser import ThinkingParser
from ._types import BUILTIN_PATTERNS, ThinkingPattern

__all__ = ["CustomThinkingToken"]


@dataclass(frozen=True, slots=True)
class CustomThinkingToken:
    """User configuration for a model with its own thinking tags.

    ``CustomThinkingToken("<reasoning>", "</reasoning>")`` adds a pattern to the built-ins;
    ``from_beginning=True`` says the chat template already opened the block, so the reply starts
    inside it. Without tokens, ``from_beginning=True`` means a *built-in* block is already open.
    Giving only one token is an error: the parser could not tell where a block ends.
    """

    start_token: str | None = None
    end_token: str | None = None
    from_beginning: bool = False

    def __post_init__(self) -> None:
        if (self.start_token is None) != (self.end_token is None):
            raise ConfigurationError(
                "CustomThinkingToken needs both start_token and end_token, or neither "
                f"(got start_token={self.start_token!r}, end_token={self.end_token!r})"
            )
        if self.start_token is not None and self.end_token is not None:
            for name, value in (("start_token", self.start_token), ("end_token", self.end_token)):
                if not isinstance(value, str) or not value:
                    raise ConfigurationError(
                        f"CustomThinkingToken.{name} must be a non-empty string, got {value!r}"
                    )
        if not isinstance(self.from_beginning, bool):
            raise ConfigurationError(
                f"CustomThinkingToken.from_beginning must be a bool, got {self.from_beginning!r}"
            )

    @property
    def pattern(self) -> ThinkingPattern | None:
        """The custom pattern, or None when only ``from_beginning`` was given."""
        if self.start_token is None or self.end_token is None:
            return None
        return ThinkingPattern(self.start_token, self.end_token)

    def patterns(
        self, base: Sequence[ThinkingPattern] = BUILTIN_PATTERNS
    ) -> tuple[ThinkingPattern, ...]:
        """``base`` plus the custom pattern (custom tokens add to the built-ins, not replace)."""
        pattern = self.pattern
        if pattern is None or pattern in base:
            return tuple(base)
        return (*base, pattern)

    @property
    def from_beginning_arg(self) -> bool | ThinkingPattern:
        """The ``from_beginning`` argument for :class:`ThinkingParser`: the custom pattern when
        there is one (only its end tag closes the pre-opened block), else the flag."""
        if self.from_beginning and self.pattern is not None:
            return self.pattern
        return self.from_beginning

    def parser(self, base: Sequence[ThinkingPattern] = BUILTIN_PATTERNS) -> ThinkingParser:
        """A fresh parser for one response under this configuration."""
        return ThinkingParser(self.patterns(base), from_beginning=self.from_beginning_arg)
