"""Tests for the streaming thinking-tag parser (modelport._thinking).

The central property: for any text and any chunking, the streamed output (after applying the
parser's reclassify instruction) equals the whole-text parse, which in turn equals a naive,
character-by-character reference implementation of the rules written in docs/thinking.md.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pluggy
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from modelport import ConfigurationError, LLMError, hookspecs
from modelport._thinking import (
    BUILTIN_PATTERNS,
    CustomThinkingToken,
    ThinkingParser,
    ThinkingPattern,
    ThinkingPiece,
    ThinkingSplit,
    split_thinking,
)

CONFORMANCE = Path(__file__).resolve().parents[3] / "shared" / "conformance" / "thinking"
PROPERTY = settings(max_examples=200, deadline=None)

FromBeginning = bool | ThinkingPattern


# -- helpers ---------------------------------------------------------------------------------


def fold(text: str) -> str:
    """Per-character casefold (a character folding to several stays itself), as documented."""
    return "".join(c if len(c.casefold()) != 1 else c.casefold() for c in text)


def reference_split(
    text: str,
    patterns: Sequence[ThinkingPattern] = BUILTIN_PATTERNS,
    from_beginning: FromBeginning = False,
) -> ThinkingSplit:
    """The rules, applied one character at a time with no cleverness (the test oracle)."""
    ft = fold(text)
    starts = [(fold(p.start), p) for p in patterns]
    all_ends = [fold(p.end) for p in patterns]
    reasoning: list[str] = []
    answer: list[str] = []
    inside = from_beginning is not False
    closers = (
        all_ends
        if from_beginning is True
        else [fold(from_beginning.end)]
        if isinstance(from_beginning, ThinkingPattern)
        else []
    )
    seen = inside
    skip_ws = False
    i = 0
    while i < len(text):
        if inside:
            m = max((c for c in closers if ft.startswith(c, i)), key=len, default=None)
            if m is not None:
                inside, skip_ws, i = False, True, i + len(m)
                continue
            reasoning.append(text[i])
            i += 1
            continue
        s = max(
            ((t, p) for t, p in starts if ft.startswith(t, i)),
            key=lambda x: len(x[0]),
            default=None,
        )
        e = max((t for t in all_ends if ft.startswith(t, i)), key=len, default=None)
        if s is not None and (e is None or len(s[0]) >= len(e)):
            inside, seen, closers, i = True, True, [fold(s[1].end)], i + len(s[0])
            continue
        if e is not None:
            if not seen:  # stray closer before any block: all answer so far was reasoning
                reasoning = answer + reasoning
                answer = []
                seen = True
            skip_ws = True
            i += len(e)
            continue
        ch = text[i]
        if not (skip_ws and ch.isspace()):
            skip_ws = False
            answer.append(ch)
        i += 1
    return ThinkingSplit("".join(reasoning), "".join(answer), inside)


def all_tags(patterns: Sequence[ThinkingPattern]) -> list[str]:
    return [p.start for p in patterns] + [p.end for p in patterns]


def stream(
    chunks: Sequence[str],
    patterns: Sequence[ThinkingPattern] = BUILTIN_PATTERNS,
    from_beginning: FromBeginning = False,
) -> tuple[ThinkingSplit, list[list[ThinkingPiece]], ThinkingParser]:
    """Feed ``chunks``, apply reclassify moves as a caller would, check invariants per feed."""
    parser = ThinkingParser(patterns, from_beginning=from_beginning)
    folded_tags = [fold(t) for t in all_tags(patterns)]
    longest = max(len(t) for t in folded_tags)
    reasoning: list[str] = []
    answer: list[str] = []
    batches: list[list[ThinkingPiece]] = []

    def apply(pieces: list[ThinkingPiece]) -> None:
        nonlocal reasoning, answer
        batches.append(pieces)
        for piece in pieces:
            assert piece.text, "no empty pieces"
            if piece.kind == "reclassify":
                # The contract: the text is exactly the whole answer delivered so far.
                assert "".join(answer) == piece.text
                assert not reasoning
                reasoning, answer = [piece.text], []
            elif piece.kind == "reasoning":
                reasoning.append(piece.text)
            else:
                assert piece.kind == "answer"
                answer.append(piece.text)

    for chunk in chunks:
        apply(parser.feed(chunk))
        held = fold(parser.held)
        # Hold back only what can still become a tag, and never a whole tag's worth.
        assert len(held) < longest
        if held:
            assert any(t.startswith(held) and len(t) > len(held) for t in folded_tags)
    apply(parser.close())
    assert parser.held == ""
    return (
        ThinkingSplit("".join(reasoning), "".join(answer), parser.unclosed),
        batches,
        parser,
    )


def cut(text: str, points: Sequence[int]) -> list[str]:
    bounds = [0, *sorted({min(max(p, 0), len(text)) for p in points}), len(text)]
    return [text[a:b] for a, b in itertools.pairwise(bounds) if b > a]


def every_split(text: str) -> list[list[str]]:
    return [[text]] + [[text[:k], text[k:]] for k in range(1, len(text))]


# -- strategies ------------------------------------------------------------------------------


def random_case(s: str) -> st.SearchStrategy[str]:
    return st.lists(st.booleans(), min_size=len(s), max_size=len(s)).map(
        lambda flips: "".join(c.swapcase() if f else c for c, f in zip(s, flips, strict=True))
    )


PATTERN_SETS: list[tuple[ThinkingPattern, ...]] = [
    BUILTIN_PATTERNS,
    # overlapping tags: "<th" is a prefix of "<think>" and "<thinking>", so longest-match matters
    (*BUILTIN_PATTERNS, ThinkingPattern("<th", "th>")),
    # cased first letters (no raw-character fast path), with a built-in for mixing
    (ThinkingPattern("BEGIN", "END"), ThinkingPattern("[THINK]", "[/THINK]")),
    # start tag equal to end tag, and a tag that is a prefix of another
    (ThinkingPattern("###", "###"), ThinkingPattern("<<", ">>"), ThinkingPattern("<<<", ">>>")),
]


@st.composite
def case_strategy(
    draw: st.DrawFn,
) -> tuple[tuple[ThinkingPattern, ...], str, list[str], FromBeginning]:
    patterns = draw(st.sampled_from(PATTERN_SETS))
    tags = all_tags(patterns)
    tag = st.sampled_from(tags).flatmap(random_case)
    partial = (
        st.sampled_from([t for t in tags if len(t) > 1])
        .flatmap(lambda t: st.integers(1, len(t) - 1).map(lambda k: t[:k]))
        .flatmap(random_case)
    )
    filler = st.text(alphabet="ab <>[]/#\n\tthinkTHINKegndBEGIN", max_size=6)
    odd = st.sampled_from([" ", "\n\n", "ß", "\u0130", "\u03a3", "\u212a", "\u00a0"])
    fragments = draw(st.lists(st.one_of(tag, tag, partial, filler, odd), max_size=20))
    text = "".join(fragments)
    points = draw(st.lists(st.integers(0, len(text)), max_size=12))
    choices: list[FromBeginning] = [False, False, True, patterns[0]]
    from_beginning = draw(st.sampled_from(choices))
    return patterns, text, cut(text, points), from_beginning


# -- properties ------------------------------------------------------------------------------


@PROPERTY
@given(case_strategy())
def test_any_chunking_equals_whole_text_parse(
    case: tuple[tuple[ThinkingPattern, ...], str, list[str], FromBeginning],
) -> None:
    patterns, text, chunks, from_beginning = case
    whole = split_thinking(text, patterns, from_beginning=from_beginning)
    assert whole == reference_split(text, patterns, from_beginning)
    streamed, _, _ = stream(chunks, patterns, from_beginning)
    assert streamed == whole


@PROPERTY
@given(case_strategy())
def test_one_character_chunks_equal_whole_text_parse(
    case: tuple[tuple[ThinkingPattern, ...], str, list[str], FromBeginning],
) -> None:
    patterns, text, _, from_beginning = case
    streamed, _, _ = stream(list(text), patterns, from_beginning)
    assert streamed == split_thinking(text, patterns, from_beginning=from_beginning)


@st.composite
def tags_in_tag_positions(draw: st.DrawFn) -> tuple[str, list[str]]:
    """Well-formed texts: blocks open and close with matching tags, stray closers only where
    the rules drop them, and filler that cannot spell a tag (its partial tags end in a space)."""
    filler = st.one_of(
        st.text(alphabet="ab <>[]/\n é", max_size=8),
        st.sampled_from([t for t in all_tags(BUILTIN_PATTERNS)]).flatmap(
            lambda t: st.integers(1, len(t) - 1).map(lambda k: t[:k] + " ")
        ),
    )
    parts: list[str] = []
    if draw(st.booleans()):  # a Qwen3-style reply: reasoning, then a stray closer
        parts += [draw(filler), draw(random_case(draw(st.sampled_from(BUILTIN_PATTERNS)).end))]
    for _ in range(draw(st.integers(0, 4))):
        pattern = draw(st.sampled_from(BUILTIN_PATTERNS))
        parts += [draw(filler), draw(random_case(pattern.start)), draw(filler)]
        parts.append(draw(random_case(pattern.end)))
        if draw(st.booleans()):  # a stray closer after a block: dropped
            parts.append(draw(random_case(draw(st.sampled_from(BUILTIN_PATTERNS)).end)))
    parts.append(draw(filler))
    if draw(st.booleans()):  # an unclosed block at the end
        parts += [draw(random_case(draw(st.sampled_from(BUILTIN_PATTERNS)).start)), draw(filler)]
    text = "".join(parts)
    return text, cut(text, draw(st.lists(st.integers(0, len(text)), max_size=15)))


@PROPERTY
@given(tags_in_tag_positions())
def test_no_output_ever_contains_a_tag(case: tuple[str, list[str]]) -> None:
    text, chunks = case
    folded_tags = [fold(t) for t in all_tags(BUILTIN_PATTERNS)]
    streamed, batches, _ = stream(chunks)
    for out in (streamed.reasoning, streamed.answer):
        assert not any(t in fold(out) for t in folded_tags)
    for batch in batches:
        for piece in batch:
            assert not any(t in fold(piece.text) for t in folded_tags)
    assert streamed == split_thinking(text)


@PROPERTY
@given(st.lists(st.text(alphabet=st.characters(blacklist_characters="<["), max_size=30)))
def test_text_without_tag_characters_passes_through_unchanged(chunks: list[str]) -> None:
    parser = ThinkingParser()
    for chunk in chunks:
        pieces = parser.feed(chunk)
        assert pieces == ([ThinkingPiece("answer", chunk)] if chunk else [])
        assert parser.held == ""
    assert parser.close() == []
    assert not parser.unclosed


# -- blocks ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "reasoning", "answer"),
    [
        ("<think>why</think>so", "why", "so"),
        ("<thinking>why</thinking>so", "why", "so"),
        ("[THINK]why[/THINK]so", "why", "so"),
        ("<THINK>why</Think>so", "why", "so"),
        ("<ThInKiNg>why</THINKING>so", "why", "so"),
        ("[think]why[/think]so", "why", "so"),
        ("before<think>why</think>after", "why", "beforeafter"),
        ("no tags at all", "", "no tags at all"),
        ("a < b and c[0] > d", "", "a < b and c[0] > d"),
    ],
)
def test_blocks_are_reasoning_and_tags_vanish(text: str, reasoning: str, answer: str) -> None:
    expected = ThinkingSplit(reasoning, answer, False)
    assert split_thinking(text) == expected
    for chunks in every_split(text):
        assert stream(chunks)[0] == expected


def test_a_block_closes_only_at_its_own_end_tag() -> None:
    text = "<think>a</thinking>b[/THINK]c<thinking>d</think>e</think>f"
    assert split_thinking(text) == ("a</thinking>b[/THINK]c<thinking>d", "ef", False)
    text = "<thinking>x</think>y</thinking>z"
    assert split_thinking(text) == ("x</think>y", "z", False)


def test_several_blocks_concatenate_their_reasoning() -> None:
    text = "A<think>one</think>B<thinking>two</thinking>C[THINK]three[/THINK]D"
    assert split_thinking(text) == ("onetwothree", "ABCD", False)
    for chunks in every_split(text):
        assert stream(chunks)[0] == ("onetwothree", "ABCD", False)


def test_longest_tag_wins_at_one_position_even_across_chunks() -> None:
    patterns = (ThinkingPattern("<<", ">>"), ThinkingPattern("<<<", ">>>"))
    text = "a<<<x>>>y"  # "<<<" opens, so only ">>>" closes and ">>" inside it is not a tag
    assert split_thinking(text, patterns) == ("x", "ay", False)
    for chunks in every_split(text):
        assert stream(chunks, patterns)[0] == ("x", "ay", False)
    # "<<" is held while "<<<" is possible, and resolved once it is not
    parser = ThinkingParser(patterns)
    assert parser.feed("a<<") == [ThinkingPiece("answer", "a")]
    assert parser.held == "<<"
    assert parser.feed("b") == [ThinkingPiece("reasoning", "b")]


def test_start_tag_equal_to_end_tag() -> None:
    patterns = (ThinkingPattern("###", "###"),)
    assert split_thinking("a###b###c###d", patterns) == ("bd", "ac", True)


def test_cased_custom_tags_are_case_insensitive() -> None:
    patterns = (ThinkingPattern("BEGIN", "END"),)
    assert split_thinking("xbeginyEnDz", patterns) == ("y", "xz", False)
    assert stream(["xbe", "giny", "e", "ndz"], patterns)[0] == ("y", "xz", False)


def test_case_folding_keeps_positions_for_expanding_characters() -> None:
    # "\u0130" (I with dot) casefolds to two characters, so it only matches itself.
    assert split_thinking("\u0130<th\u0130nk>x") == ("", "\u0130<th\u0130nk>x", False)
    # "\u212a" (Kelvin sign) casefolds to "k": per the casefold rule it matches.
    assert split_thinking("<thin\u212a>x</think>y") == ("x", "y", False)
    assert split_thinking("stra\u00dfe<think>\u00df</think>\u00df") == (
        "\u00df",
        "stra\u00dfe\u00df",
        False,
    )


# -- from_beginning --------------------------------------------------------------------------


def test_from_beginning_true_starts_inside_and_any_end_tag_closes() -> None:
    for end in ("</think>", "</THINKING>", "[/think]"):
        text = f"reason{end}\n\nanswer"
        assert split_thinking(text, from_beginning=True) == ("reason", "answer", False)
        parser = ThinkingParser(from_beginning=True)
        pieces = parser.feed("reason") + parser.feed(end) + parser.feed("answer") + parser.close()
        assert [p.kind for p in pieces] == ["reasoning", "answer"]
        assert parser.reclassified == ""


def test_from_beginning_pattern_picks_the_end_tag() -> None:
    pattern = ThinkingPattern("<think>", "</think>")
    text = "a</thinking>b</think>c"
    assert split_thinking(text, from_beginning=pattern) == ("a</thinking>b", "c", False)
    custom = ThinkingPattern("<|begin|>", "<|end|>")  # need not be among the patterns
    assert split_thinking("r<|END|>a", from_beginning=custom) == ("r", "a", False)


def test_from_beginning_without_a_close_is_unclosed() -> None:
    assert split_thinking("still thinking", from_beginning=True) == ("still thinking", "", True)
    assert split_thinking("", from_beginning=True) == ("", "", True)


def test_from_beginning_rejects_other_values() -> None:
    with pytest.raises(ConfigurationError):
        ThinkingParser(from_beginning="yes")  # type: ignore[arg-type]


# -- stray closers ---------------------------------------------------------------------------


def test_stray_closer_before_any_block_reclassifies_streamed_answer() -> None:
    parser = ThinkingParser()
    first = parser.feed("Okay, the user ")
    assert first == [ThinkingPiece("answer", "Okay, the user ")]
    second = parser.feed("wants 4.\n</th")
    assert second == [ThinkingPiece("answer", "wants 4.\n")]
    third = parser.feed("ink>\n\n4")
    assert third == [
        ThinkingPiece("reclassify", "Okay, the user wants 4.\n"),
        ThinkingPiece("answer", "4"),
    ]
    assert parser.reclassified == "Okay, the user wants 4.\n"
    assert parser.close() == []
    assert split_thinking("Okay, the user wants 4.\n</think>\n\n4") == (
        "Okay, the user wants 4.\n",
        "4",
        False,
    )


def test_stray_closer_text_of_the_same_feed_becomes_reasoning_directly() -> None:
    parser = ThinkingParser()
    assert parser.feed("early ") == [ThinkingPiece("answer", "early ")]
    assert parser.feed("late</think>answer") == [
        ThinkingPiece("reclassify", "early "),
        ThinkingPiece("reasoning", "late"),
        ThinkingPiece("answer", "answer"),
    ]
    assert parser.reclassified == "early "
    parser = ThinkingParser()
    assert parser.feed("all in one</think>answer") == [
        ThinkingPiece("reasoning", "all in one"),
        ThinkingPiece("answer", "answer"),
    ]
    assert parser.reclassified == ""


def test_stray_closer_at_the_very_start_moves_nothing() -> None:
    parser = ThinkingParser()
    assert parser.feed("</think>") == []
    assert parser.feed("\nanswer") == [ThinkingPiece("answer", "answer")]
    assert parser.reclassified == ""
    assert split_thinking("</think>answer") == ("", "answer", False)


def test_reclassification_happens_once() -> None:
    text = "r1</think>a1</think>a2"
    assert split_thinking(text) == ("r1", "a1a2", False)
    parser = ThinkingParser()
    kinds = [p.kind for c in ("r1", "</think>a1", "</think>a2") for p in parser.feed(c)]
    assert kinds == ["answer", "reclassify", "answer", "answer"]
    assert parser.reclassified == "r1"


def test_stray_closer_after_a_block_is_dropped() -> None:
    text = "<think>r</think>one</think> two [/THINK]three"
    assert split_thinking(text) == ("r", "onetwo three", False)
    for chunks in every_split(text):
        result, batches, parser = stream(chunks)
        assert result == ("r", "onetwo three", False)
        assert parser.reclassified == ""
        assert all(p.kind != "reclassify" for batch in batches for p in batch)


def test_stray_closer_after_from_beginning_block_is_dropped() -> None:
    assert split_thinking("r</think>a</think>b", from_beginning=True) == ("r", "ab", False)


def test_text_before_an_opener_is_never_reclassified() -> None:
    assert split_thinking("Intro <think>r</think>a</think>b") == ("r", "Intro ab", False)


# -- whitespace ------------------------------------------------------------------------------


def test_whitespace_after_a_closing_tag_is_dropped() -> None:
    expected = ThinkingSplit("\nreason\n", "Answer\n\nmore ", False)
    text = "<think>\nreason\n</think>\n\n \tAnswer\n\nmore "
    assert split_thinking(text) == expected
    assert (
        stream(["<think>\nreason\n</think>", "\n", "\n", " \t", "Answer\n\nmore "])[0] == expected
    )
    for chunks in every_split(text):
        assert stream(chunks)[0] == expected


def test_whitespace_elsewhere_is_kept() -> None:
    assert split_thinking("  lead <think> r </think>") == (" r ", "  lead ", False)
    assert split_thinking("<think> Thinking quietly</think>\n\nHello from tiny model.") == (
        " Thinking quietly",  # what llama.cpp returns as reasoning_content for the same output
        "Hello from tiny model.",
        False,
    )


def test_whitespace_only_answer_after_closer_is_empty() -> None:
    assert split_thinking("<think>r</think>\n\n  \n") == ("r", "", False)


# -- unclosed --------------------------------------------------------------------------------


def test_unclosed_block_is_reasoning_and_flagged() -> None:
    assert split_thinking("a<think>cut off") == ("cut off", "a", True)
    parser = ThinkingParser()
    pieces = parser.feed("a<think>cut") + parser.feed(" off</thi")
    assert (parser.held, parser.unclosed) == ("</thi", False)  # known only at close()
    pieces += parser.close()
    assert parser.unclosed
    assert "".join(p.text for p in pieces if p.kind == "reasoning") == "cut off</thi"
    assert split_thinking("a<think>cut off</thi") == ("cut off</thi", "a", True)


def test_closed_stream_is_not_unclosed() -> None:
    parser = ThinkingParser()
    parser.feed("<think>r</think>a")
    parser.close()
    assert not parser.unclosed


# -- split tags and hold-back ----------------------------------------------------------------


@pytest.mark.parametrize("tag", all_tags(BUILTIN_PATTERNS))
def test_a_tag_split_anywhere_never_leaks(tag: str) -> None:
    for text in (f"x<think>r</think>y{tag}z", f"x{tag}y"):
        expected = split_thinking(text)
        for k in range(len(text) + 1):
            for m in range(k, len(text) + 1):
                assert stream([text[:k], text[k:m], text[m:]])[0] == expected


def test_partial_tag_is_held_until_it_cannot_be_a_tag() -> None:
    parser = ThinkingParser()
    assert parser.feed("a <") == [ThinkingPiece("answer", "a ")]
    assert parser.held == "<"
    assert parser.feed("thi") == []
    assert parser.held == "<thi"
    assert parser.feed("s is html>") == [ThinkingPiece("answer", "<this is html>")]
    assert parser.held == ""
    assert parser.feed("[T") == []
    assert parser.feed("[") == [ThinkingPiece("answer", "[T")]
    assert parser.held == "["
    assert parser.close() == [ThinkingPiece("answer", "[")]


def test_outside_a_block_stray_closers_are_held_too() -> None:
    parser = ThinkingParser()
    assert parser.feed("<think>r</think>a</") == [
        ThinkingPiece("reasoning", "r"),
        ThinkingPiece("answer", "a"),
    ]
    assert parser.held == "</"


def test_inside_a_block_only_the_end_tag_is_held() -> None:
    parser = ThinkingParser()
    parser.feed("<think>")
    assert parser.feed("x <thin") == [ThinkingPiece("reasoning", "x <thin")]  # not "</think>"
    assert parser.feed("a </th") == [ThinkingPiece("reasoning", "a ")]
    assert parser.held == "</th"


def test_hold_back_never_exceeds_the_longest_tag() -> None:
    parser = ThinkingParser()
    longest = max(len(t) for t in all_tags(BUILTIN_PATTERNS))
    for chunk in ["<", "<", "<thinkin", "<thinking", "</thinking", "<thinking>"]:
        parser.feed(chunk)
        assert len(parser.held) < longest


def test_feed_after_close_raises_and_close_is_idempotent() -> None:
    parser = ThinkingParser()
    assert parser.feed("") == []
    parser.close()
    assert parser.close() == []
    with pytest.raises(RuntimeError):
        parser.feed("x")


# -- configuration ---------------------------------------------------------------------------


def test_custom_thinking_token_needs_both_tokens_or_neither() -> None:
    with pytest.raises(ConfigurationError, match="both"):
        CustomThinkingToken(start_token="<r>")
    with pytest.raises(ConfigurationError, match="both"):
        CustomThinkingToken(end_token="</r>")
    with pytest.raises(ConfigurationError):
        CustomThinkingToken(start_token="", end_token="</r>")
    with pytest.raises(ConfigurationError):
        CustomThinkingToken(start_token="<r>", end_token="")
    with pytest.raises(ConfigurationError):
        CustomThinkingToken(from_beginning="yes")  # type: ignore[arg-type]
    with pytest.raises(LLMError):  # ConfigurationError is an LLMError
        CustomThinkingToken(start_token="<r>", end_token=None)


def test_custom_thinking_token_adds_to_the_builtins() -> None:
    token = CustomThinkingToken("<reasoning>", "</reasoning>")
    assert token.pattern == ThinkingPattern("<reasoning>", "</reasoning>")
    assert token.patterns() == (*BUILTIN_PATTERNS, token.pattern)
    assert token.from_beginning_arg is False
    text = "<reasoning>a</reasoning>b<think>c</think>d"
    assert split_thinking(text, token.patterns()) == ("ac", "bd", False)
    parser = token.parser()
    pieces = parser.feed(text) + parser.close()
    assert "".join(p.text for p in pieces if p.kind == "answer") == "bd"


def test_custom_thinking_token_from_beginning() -> None:
    token = CustomThinkingToken("<r>", "</r>", from_beginning=True)
    assert token.from_beginning_arg == ThinkingPattern("<r>", "</r>")
    parser = token.parser()
    pieces = parser.feed("x</think>y</r>z") + parser.close()
    assert [(p.kind, p.text) for p in pieces] == [("reasoning", "x</think>y"), ("answer", "z")]
    # no tokens: a built-in block is already open
    bare = CustomThinkingToken(from_beginning=True)
    assert bare.pattern is None
    assert bare.patterns() == BUILTIN_PATTERNS
    assert bare.from_beginning_arg is True
    parser = bare.parser()
    assert parser.feed("x[/THINK]y") == [
        ThinkingPiece("reasoning", "x"),
        ThinkingPiece("answer", "y"),
    ]
    assert CustomThinkingToken().from_beginning_arg is False


def test_pattern_and_parser_validation() -> None:
    with pytest.raises(ConfigurationError):
        ThinkingPattern("", "</x>")
    with pytest.raises(ConfigurationError):
        ThinkingPattern("<x>", "")
    with pytest.raises(ConfigurationError):
        ThinkingParser(())


def test_builtin_plugin_registers_the_three_patterns() -> None:
    from modelport._thinking import _builtin as _builtin_thinking

    pm = pluggy.PluginManager("modelport")
    pm.add_hookspecs(hookspecs)
    pm.register(_builtin_thinking, name="builtin-thinking")
    registered: list[tuple[str, str]] = []
    pm.hook.register_thinking(
        register=lambda start, end, models=None: registered.append((start, end))
    )
    assert registered == [
        ("<think>", "</think>"),
        ("<thinking>", "</thinking>"),
        ("[THINK]", "[/THINK]"),
    ]


def test_parser_module_is_cheap_to_import() -> None:
    code = (
        "import sys, modelport._thinking, modelport._thinking._builtin; "
        "heavy = [m for m in ('pydantic', 'httpx2', 'httpx', 'openai') if m in sys.modules]; "
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    heavy = out.stdout.strip().split(",")
    assert "pydantic" not in heavy
    assert "httpx2" not in heavy
    assert "httpx" not in heavy
    assert "openai" not in heavy


# -- recordings ------------------------------------------------------------------------------


def recorded_content(name: str) -> str:
    body = json.loads((CONFORMANCE / name).read_text(encoding="utf-8"))
    content = body["choices"][0]["message"]["content"]
    assert isinstance(content, str)
    return content


def recorded_deltas(name: str) -> list[str]:
    deltas: list[str] = []
    for line in (CONFORMANCE / name).read_text(encoding="utf-8").splitlines():
        if not line.startswith("data:") or line[5:].strip() == "[DONE]":
            continue
        for choice in json.loads(line[5:])["choices"]:
            content = (choice.get("delta") or {}).get("content")
            if content:
                deltas.append(content)
    return deltas


GROQ_QWEN3_REASONING = (
    "\nOkay, let's see... The user is asking for the sum of 2 and 2. Hmm, this seems "
    "straightforward. First, I should confirm that the numbers are in decimal, not binary or "
    'another base. Since the question uses the standard digits and the "+" symbol, I assume '
    "it's decimal. The problem is basic arithmetic. So, 2 plus 2 is 4. Wait, is there any trick "
    "here? Sometimes questions like this can be rhetorical or test if you're paying attention. "
    "But the user just wants the number, so I should give the correct answer without any extra "
    "text. Let me double-check. 2 added to 2 equals 4. Yeah, that's right. The user specified to "
    'reply with just the number, so I\'ll make sure to output "4" without any explanation.\n'
)

TOGETHER_R1_REASONING = (
    '\nHmm, the user just said "hello". That\'s a simple greeting, but I need to figure out how '
    "to respond appropriately.  \n\nFirst, I should acknowledge their greeting warmly since "
    'starting friendly sets a positive tone. Maybe "Hello!" with an exclamation to show '
    "enthusiasm.  \n\nI wonder if this is just a test message or if they have something specific "
    "in mind. The message is very short, so they might be:  \n- Checking if I'm active  \n- "
    "Unsure how to start  \n- Or just being polite before asking something else  \n\nSince they "
    "didn't follow up immediately, I'll keep it open-ended. Adding \"How can I help you today?\" "
    "invites them to share their actual need without pressure.  \n\nAlso, no emojis yet--they "
    "didn't use any, so I'll match that tone unless they show preference later. Keeping it "
    "simple but friendly feels right here.\n"
)


def test_recording_groq_qwen3_nonstream() -> None:
    content = recorded_content("groq-qwen3-32b-think-tags-nonstream.json")
    assert split_thinking(content) == (GROQ_QWEN3_REASONING, "4", False)


def test_recording_groq_qwen3_with_opener_in_the_prompt() -> None:
    # The same reply as a Qwen3 template that put "<think>" into the prompt would deliver it.
    content = recorded_content("groq-qwen3-32b-think-tags-nonstream.json")
    without_opener = content.removeprefix("<think>")
    assert split_thinking(without_opener) == (GROQ_QWEN3_REASONING, "4", False)
    chunks = [without_opener[k : k + 7] for k in range(0, len(without_opener), 7)]
    result, _, parser = stream(chunks)
    assert result == (GROQ_QWEN3_REASONING, "4", False)
    assert parser.reclassified == GROQ_QWEN3_REASONING


def test_recording_together_deepseek_r1_nonstream() -> None:
    content = recorded_content("together-deepseek-r1-think-tags-nonstream.json")
    expected = (TOGETHER_R1_REASONING, "Hello! \U0001f44b How can I help you today?", False)
    assert split_thinking(content) == expected


@PROPERTY
@given(st.data())
def test_recordings_nonstream_any_chunking(data: st.DataObject) -> None:
    name = data.draw(
        st.sampled_from(
            [
                "groq-qwen3-32b-think-tags-nonstream.json",
                "together-deepseek-r1-think-tags-nonstream.json",
            ]
        )
    )
    content = recorded_content(name)
    points = data.draw(st.lists(st.integers(0, len(content)), max_size=40))
    assert stream(cut(content, points))[0] == split_thinking(content)


def test_recording_together_deepseek_r1_stream() -> None:
    deltas = recorded_deltas("together-deepseek-r1-think-tags-stream.sse")
    assert len(deltas) == 951
    assert deltas[0] == "<think>"  # the opener arrives as its own delta
    result, batches, parser = stream(deltas)
    assert result == split_thinking("".join(deltas))
    assert not result.unclosed
    assert parser.reclassified == ""
    reasoning, answer = result.reasoning, result.answer
    assert len(reasoning) == 1430
    assert len(answer) == 2556
    assert reasoning.startswith(
        '\nOkay, the user asked "How do I cross the street?" Hmm, seems basic'
    )
    assert reasoning.endswith("Safety first, but don't sound like a paranoid robot.\n")
    assert answer.startswith("Crossing the street safely requires attention and following ")
    assert answer.endswith(
        "Practice these steps every time\u2014it could save your life! \U0001f31f"
    )
    assert "\n\n> \U0001f6a8 **Never assume you have the right-of-way**" in answer  # a lone ">"
    assert hashlib.sha256(reasoning.encode()).hexdigest() == (
        "c5cc0387998c480604041d3f9f37646f55db762de58a3e866edf1ad22e040423"
    )
    assert hashlib.sha256(answer.encode()).hexdigest() == (
        "51de1cf42f947866d8c5c5a8db8fff7dfef77a077d063b388a90c947d4dc1e5e"
    )
    # Zero latency: every delta yields output in its own feed, except the two tags and the
    # newline dropped after "</think>" (batches[-1] is close(), with nothing left to flush).
    assert [i for i, batch in enumerate(batches[:-1]) if not batch] == [0, 311, 312]
    assert deltas[311:313] == ["</think>", "\n"]
    assert batches[-1] == []
