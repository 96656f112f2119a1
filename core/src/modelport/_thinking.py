"""Split inline thinking tags out of answer text, incrementally and without ever leaking a tag.

Models served through OpenAI-compatible endpoints often put their reasoning into the answer text
itself, between tags such as ``<think>…</think>``. This module separates the two. It is sans-IO
and pure Python: a :class:`ThinkingParser` is fed text chunks in arrival order and returns
:class:`ThinkingPiece` objects; :func:`split_thinking` applies the same rules to a whole text.
It imports nothing but the standard library and ``_errors`` so that it costs nothing at import.

The rules (docs/thinking.md explains each with examples):

1. **Blocks.** A block opens at the start tag of any configured pattern and closes at *that*
   pattern's end tag, both matched case-insensitively. Inside a block only that end tag is
   recognised; any other tag there is plain reasoning text. Tags never appear in the output.
   Text inside a block is reasoning, text outside is answer; there may be several blocks, and
   their reasoning is concatenated as written.
2. **from_beginning.** ``from_beginning=True`` starts the stream inside a block (the chat
   template already emitted the opener); any configured end tag closes it. Passing a
   :class:`ThinkingPattern` instead says which end tag closes it.
3. **Stray closer before any block** (Qwen3 / DeepSeek-R1 templates put ``<think>`` into the
   prompt, so the reply starts inside a block the client never saw open): everything before it
   was reasoning. Text this parser already returned as answer is reported once, as a
   ``ThinkingPiece("reclassify", text)`` and in :attr:`ThinkingParser.reclassified`; the caller
   moves that text (always the whole answer so far) to reasoning. Text from the same
   ``feed()`` call is returned as reasoning directly, so the whole-text parse needs no move.
4. **Stray closer after a block was seen**: the tag is dropped, the text around it stays answer.
5. **Whitespace.** Whitespace right after any closing tag (paired or stray) is dropped from the
   answer, up to its first other character: ``"</think>\\n\\n"`` is universal and nobody wants the
   answer to start with blank lines. Reasoning is kept verbatim, as is the rest of the answer, so
   inline tags give the same text as servers that split reasoning out themselves (llama.cpp keeps
   ``" Thinking quietly"`` as its ``reasoning_content``).
6. **Unclosed block at the end**: its text is reasoning and :attr:`ThinkingParser.unclosed` is
   true, so the response can say the reasoning was cut off.
7. **Split tags.** A tag cut across chunks (``"<thi"`` | ``"nk>"``) never leaks. The parser holds
   back only a suffix that can still become a tag (a start or end tag outside a block, the
   current end tag inside), and releases it as soon as it cannot. Chunks without a tag's first
   character pass straight through with no latency. At one position the longest tag wins.

Case-insensitive means "per character, by ``str.casefold``" (a character whose casefold is
longer than one character compares as itself), which keeps positions in the folded text equal
to positions in the original, and makes the result independent of how the text was chunked.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, NamedTuple

from ._errors import ConfigurationError

__all__ = [
    "BUILTIN_PATTERNS",
    "CustomThinkingToken",
    "ThinkingParser",
    "ThinkingPattern",
    "ThinkingPiece",
    "ThinkingSplit",
    "split_thinking",
]

PieceKind = Literal["answer", "reasoning", "reclassify"]
_new = object.__new__


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


BUILTIN_PATTERNS: tuple[ThinkingPattern, ...] = (
    ThinkingPattern("<think>", "</think>"),
    ThinkingPattern("<thinking>", "</thinking>"),
    ThinkingPattern("[THINK]", "[/THINK]"),
)


@dataclass(slots=True)
class ThinkingPiece:
    """One run of output: ``answer`` or ``reasoning`` text, or a ``reclassify`` instruction.

    A ``reclassify`` piece means: the ``text`` that earlier pieces delivered as answer (it is the
    whole answer so far) was reasoning; move it. It is produced at most once per stream.
    """

    kind: PieceKind
    text: str


class ThinkingSplit(NamedTuple):
    """The result of :func:`split_thinking`."""

    reasoning: str
    answer: str
    unclosed: bool


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


def _fold(text: str) -> str:
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
_Tag = tuple[str, bool, ThinkingPattern]


class _TagSet:
    """The tags recognised in one state, indexed by folded first character."""

    __slots__ = ("by_first", "firsts", "triggers")

    def __init__(self, tags: Sequence[_Tag]) -> None:
        by_first: dict[str, list[_Tag]] = {}
        for tag in tags:
            by_first.setdefault(tag[0][0], []).append(tag)
        self.by_first = {k: tuple(v) for k, v in by_first.items()}
        self.firsts = tuple(self.by_first)
        # Raw characters whose presence in a chunk means "maybe a tag here"; None when a first
        # character is a cased letter, since then several raw characters could fold to it.
        self.triggers: tuple[str, ...] | None = (
            self.firsts if all(_is_uncased(c) for c in self.firsts) else None
        )


class ThinkingParser:
    """Incremental splitter of answer text into answer and reasoning (rules: module docstring).

    One parser serves one response. ``feed()`` each text chunk as it arrives and forward the
    returned pieces; call ``close()`` once at the end to flush a held-back partial tag.
    """

    __slots__ = (
        "_buf",
        "_closed",
        "_fast",
        "_inside",
        "_inside_set",
        "_kind",
        "_log",
        "_outside_set",
        "_sets_by_end",
        "_skip_ws",
        "patterns",
        "reclassified",
        "unclosed",
    )

    def __init__(
        self,
        patterns: Sequence[ThinkingPattern] = BUILTIN_PATTERNS,
        *,
        from_beginning: bool | ThinkingPattern = False,
    ) -> None:
        patterns = tuple(dict.fromkeys(patterns))  # drop duplicates, keep order
        if not patterns:
            raise ConfigurationError("ThinkingParser needs at least one pattern")
        self.patterns: tuple[ThinkingPattern, ...] = patterns
        #: Answer text returned by earlier calls that a stray closer turned into reasoning.
        self.reclassified: str = ""
        #: True after close() when a block was still open (the reasoning was cut off).
        self.unclosed: bool = False

        # Start tags come first so that, where one text is both a start and an end tag, it opens.
        starts = [(_fold(p.start), True, p) for p in patterns]
        ends = [(_fold(p.end), False, p) for p in patterns]
        self._outside_set = _TagSet(starts + ends)
        # One inside-set per end tag, built once: entering a block must not allocate.
        self._sets_by_end: dict[ThinkingPattern, _TagSet] = {
            p: _TagSet([(_fold(p.end), False, p)]) for p in patterns
        }

        self._buf = ""  # held-back suffix that may still become a tag
        self._closed = False
        self._skip_ws = False  # drop whitespace at the head of the answer (just after a closer)
        # Answer text returned so far while no block has been seen: a stray closer may have to
        # reclassify it. None once a block has been seen (no more reclassification possible).
        self._log: list[str] | None = []
        self._inside = False
        self._inside_set = self._outside_set
        if from_beginning is True:
            self._inside = True
            self._inside_set = _TagSet(ends)
            self._log = None
        elif isinstance(from_beginning, ThinkingPattern):
            self._inside = True
            self._inside_set = self._sets_by_end.get(from_beginning) or _TagSet(
                [(_fold(from_beginning.end), False, from_beginning)]
            )
            self._log = None
        elif from_beginning is not False:
            raise ConfigurationError(
                f"from_beginning must be a bool or a ThinkingPattern, got {from_beginning!r}"
            )
        self._fast: tuple[str, ...] | None = None
        self._kind: PieceKind = "answer"
        self._sync()

    @property
    def held(self) -> str:
        """The text currently held back because it may be the start of a tag."""
        return self._buf

    def feed(self, text: str) -> list[ThinkingPiece]:
        """Consume one chunk; return the pieces that are now certain, in order."""
        # Fast path: nothing held, no whitespace to drop, and no character in the chunk that
        # could begin a tag. That is nearly every chunk, so it is a handful of operations;
        # ``_fast`` is None whenever the state needs the full scan (see ``_sync``).
        fast = self._fast
        if fast is not None:
            for c in fast:
                if c in text:
                    break
            else:
                if not text:
                    return []
                if self._log is not None:
                    self._log.append(text)
                # Same object as ThinkingPiece(kind, text), minus the Python-level __init__
                # frame: a third of the fast path's cost.
                piece = _new(ThinkingPiece)
                piece.kind = self._kind
                piece.text = text
                return [piece]
        if self._closed:
            raise RuntimeError("ThinkingParser.feed() after close()")
        if not text:
            return []
        if not self._buf and not self._skip_ws:
            # Cased first characters (custom tags such as "BEGIN"): test the folded chunk.
            tagset = self._inside_set if self._inside else self._outside_set
            folded = _fold(text)
            for c in tagset.firsts:
                if c in folded:
                    break
            else:
                if self._inside:
                    return [ThinkingPiece("reasoning", text)]
                if self._log is not None:
                    self._log.append(text)
                return [ThinkingPiece("answer", text)]
        return self._run(text, False)

    def close(self) -> list[ThinkingPiece]:
        """End of stream: release held-back text (it can no longer become a tag)."""
        if self._closed:
            return []
        out = self._run("", True) if self._buf else []
        self._closed = True
        self._fast = None
        self.unclosed = self._inside
        return out

    # -- internals -------------------------------------------------------------------------

    def _run(self, text: str, final: bool) -> list[ThinkingPiece]:
        """Scan held text plus ``text``; ``final`` means no more text will come."""
        s = self._buf + text if self._buf else text
        self._buf = ""
        out: list[ThinkingPiece] = []
        log_mark = len(self._log) if self._log is not None else 0
        fs = _fold(s)
        n = len(s)
        pos = 0  # start of text not yet emitted
        i = 0  # where to look for the next candidate tag
        while i < n:
            tagset = self._inside_set if self._inside else self._outside_set
            # Earliest candidate position: a character that begins some tag.
            cand = -1
            for c in tagset.firsts:
                j = fs.find(c, i)
                if j != -1 and (cand == -1 or j < cand):
                    cand = j
            if cand == -1:
                break
            rest = n - cand
            best: _Tag | None = None
            pending = False
            for tag in tagset.by_first[fs[cand]]:
                folded = tag[0]
                if len(folded) <= rest:
                    if (best is None or len(folded) > len(best[0])) and fs.startswith(folded, cand):
                        best = tag
                elif not final and folded.startswith(fs[cand:]):
                    pending = True  # a longer tag is still possible: wait for more text
            if pending:
                self._emit(out, s[pos:cand])
                self._buf = s[cand:]
                pos = n
                break
            if best is None:
                i = cand + 1
                continue
            self._emit(out, s[pos:cand])
            pos = i = cand + len(best[0])
            self._tag(out, best, log_mark)
        if pos < n:
            self._emit(out, s[pos:])
        self._sync()
        return out

    def _sync(self) -> None:
        """Recompute the fast-path switches after a state change (once per slow call)."""
        tagset = self._inside_set if self._inside else self._outside_set
        plain = not self._buf and not self._skip_ws and not self._closed
        self._fast = tagset.triggers if plain else None
        self._kind = "reasoning" if self._inside else "answer"

    def _emit(self, out: list[ThinkingPiece], text: str) -> None:
        if not text:
            return
        if self._inside:
            out.append(ThinkingPiece("reasoning", text))
            return
        if self._skip_ws:
            text = text.lstrip()
            if not text:
                return
            self._skip_ws = False
        out.append(ThinkingPiece("answer", text))
        if self._log is not None:
            self._log.append(text)

    def _tag(self, out: list[ThinkingPiece], tag: _Tag, log_mark: int) -> None:
        """Apply the state change of a recognised tag (the tag text itself is dropped)."""
        _, opens, pattern = tag
        if self._inside:  # only the current end tags are recognised inside
            self._inside = False
            self._skip_ws = True
            return
        if opens:
            self._inside = True
            self._inside_set = self._sets_by_end[pattern]
            self._skip_ws = False
            self._log = None
            return
        # A closer with no block open.
        self._skip_ws = True
        log = self._log
        if log is None:
            return  # a block was seen before: drop the stray tag, keep the text as answer
        self._log = None
        # Nothing seen yet: all answer so far was reasoning. Pieces of this call are not yet
        # delivered, so they change kind in place; earlier calls' text needs a reclassify piece.
        for piece in out:
            piece.kind = "reasoning"
        earlier = "".join(log[:log_mark])
        if earlier:
            self.reclassified = earlier
            out.insert(0, ThinkingPiece("reclassify", earlier))


def split_thinking(
    text: str,
    patterns: Sequence[ThinkingPattern] = BUILTIN_PATTERNS,
    *,
    from_beginning: bool | ThinkingPattern = False,
) -> ThinkingSplit:
    """Split a whole (non-streamed) text by the same rules as :class:`ThinkingParser`.

    It is the parser run over one chunk that is known to be final, so streamed and non-streamed
    responses cannot disagree.
    """
    parser = ThinkingParser(patterns, from_beginning=from_beginning)
    reasoning: list[str] = []
    answer: list[str] = []
    for piece in parser._run(text, True):
        (reasoning if piece.kind == "reasoning" else answer).append(piece.text)
    return ThinkingSplit("".join(reasoning), "".join(answer), parser._inside)
