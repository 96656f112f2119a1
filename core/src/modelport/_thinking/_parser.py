"""Split inline thinking tags out of answer text, incrementally and without ever leaking a tag.

Models served through OpenAI-compatible endpoints often put their reasoning into the answer text
itself, between tags such as ``<think>…</think>``. This module separates the two. It is sans-IO
and pure Python: a :class:`ThinkingParser` is fed text chunks in arrival order and returns
:class:`ThinkingPiece` objects; :func:`split_thinking` applies the same rules to a whole text.
It imports nothing but the standard library, ``_errors`` and its ``_thinking_*`` siblings, so
that it costs nothing at import.

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

from .._errors import ConfigurationError
from ._tags import Tag, TagSet, fold
from ._types import (
    BUILTIN_PATTERNS,
    PieceKind,
    ThinkingPattern,
    ThinkingPiece,
    ThinkingSplit,
)

__all__ = ["ThinkingParser", "split_thinking"]

_new = object.__new__


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
        starts = [(fold(p.start), True, p) for p in patterns]
        ends = [(fold(p.end), False, p) for p in patterns]
        self._outside_set = TagSet(starts + ends)
        # One inside-set per end tag, built once: entering a block must not allocate.
        self._sets_by_end: dict[ThinkingPattern, TagSet] = {
            p: TagSet([(fold(p.end), False, p)]) for p in patterns
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
            self._inside_set = TagSet(ends)
            self._log = None
        elif isinstance(from_beginning, ThinkingPattern):
            self._inside = True
            self._inside_set = self._sets_by_end.get(from_beginning) or TagSet(
                [(fold(from_beginning.end), False, from_beginning)]
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
            folded = fold(text)
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
        fs = fold(s)
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
            best: Tag | None = None
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

    def _tag(self, out: list[ThinkingPiece], tag: Tag, log_mark: int) -> None:
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
