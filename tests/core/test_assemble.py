"""Streamed tool-call assembly: fragments grouped by id, else index, else a new name."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st
from modelport._engine._assemble import StreamAssembler, ToolCallAssembler
from modelport._wire import (
    FinishDelta,
    MetaDelta,
    ReasoningDelta,
    RefusalDelta,
    TextDelta,
    ToolCallDelta,
    UsageDelta,
)


def assemble(deltas: list[ToolCallDelta]) -> list[tuple[str, str]]:
    a = ToolCallAssembler()
    for d in deltas:
        a.add(d)
    return [(c.name, c.arguments) for c in a.result()]


def test_openai_style_index_with_id_on_first_fragment() -> None:
    deltas = [
        ToolCallDelta(0, "call_a", "weather", ""),
        ToolCallDelta(0, None, None, '{"lo'),
        ToolCallDelta(1, "call_b", "time", '{"tz"'),
        ToolCallDelta(0, None, None, 'c": "Paris"}'),
        ToolCallDelta(1, None, None, ': "UTC"}'),
    ]
    a = ToolCallAssembler()
    for d in deltas:
        a.add(d)
    calls = a.result()
    assert [(c.id, c.name, c.arguments) for c in calls] == [
        ("call_a", "weather", '{"loc": "Paris"}'),
        ("call_b", "time", '{"tz": "UTC"}'),
    ]


def test_no_id_no_index_a_new_name_starts_a_new_call() -> None:
    deltas = [
        ToolCallDelta(None, None, "a", '{"x":'),
        ToolCallDelta(None, None, None, "1}"),
        ToolCallDelta(None, None, "b", "{}"),
    ]
    assert assemble(deltas) == [("a", '{"x":1}'), ("b", "{}")]


def test_ids_are_assigned_and_unique_when_missing() -> None:
    a = ToolCallAssembler()
    a.add(ToolCallDelta(0, None, "f", "{}"))
    a.add(ToolCallDelta(1, None, "f", "{}"))
    ids = [c.id for c in a.result()]
    assert len(set(ids)) == 2 and all(i.startswith("call_") for i in ids)


def test_id_arriving_after_the_first_fragment_of_an_index() -> None:
    deltas = [
        ToolCallDelta(0, None, "f", '{"a"'),
        ToolCallDelta(0, "call_late", None, ":1}"),
    ]
    a = ToolCallAssembler()
    for d in deltas:
        a.add(d)
    [call] = a.result()
    assert (call.id, call.arguments) == ("call_late", '{"a":1}')


# Generated interleavings: N calls, each split into fragments, merged in a random order that
# keeps each call's own fragments in order. Keyed by id (Anthropic/Bedrock), by index (OpenAI)
# or by id-only-on-first-fragment plus index; the result must equal the whole calls.

call_strategy = st.lists(
    st.tuples(
        st.sampled_from(["get_weather", "search", "lookup", "f"]),
        st.dictionaries(
            st.text(min_size=1, max_size=5), st.integers() | st.text(max_size=8), max_size=3
        ),
    ),
    min_size=1,
    max_size=4,
)


@settings(max_examples=200, deadline=None)
@given(calls=call_strategy, data=st.data(), keying=st.sampled_from(["id", "index", "first-id"]))
def test_any_interleaving_assembles_to_the_whole_calls(
    calls: list[tuple[str, dict[str, object]]], data: st.DataObject, keying: str
) -> None:
    queues: list[list[ToolCallDelta]] = []
    expected = []
    for i, (name, args) in enumerate(calls):
        text = json.dumps(args)
        cuts = sorted(data.draw(st.lists(st.integers(0, len(text)), max_size=4)))
        pieces = [text[a:b] for a, b in zip([0, *cuts], [*cuts, len(text)], strict=True)]
        frags = []
        for j, piece in enumerate(pieces):
            first = j == 0
            call_id = f"id{i}" if keying == "id" or (keying == "first-id" and first) else None
            index = i if keying in ("index", "first-id") else None
            frags.append(ToolCallDelta(index, call_id, name if first else None, piece))
        queues.append(frags)
        expected.append((name, text))
    merged: list[ToolCallDelta] = []
    while any(queues):
        live = [q for q in queues if q]
        q = data.draw(st.sampled_from(live))
        merged.append(q.pop(0))
    got = assemble(merged)
    if keying == "id":  # no index: calls come in order of first appearance
        order = list(dict.fromkeys(int(d.id[2:]) for d in merged if d.id))
        expected = [expected[i] for i in order]
    assert got == expected


def test_stream_assembler_builds_the_response() -> None:
    asm = StreamAssembler("p", "m")
    events = []
    for d in [
        MetaDelta(model="m-2024", response_id="resp_1"),
        ReasoningDelta("thinking", signature="sig"),
        TextDelta("Hel"),
        TextDelta("lo"),
        ToolCallDelta(0, "c1", "f", "{}"),
        UsageDelta(input_tokens=5),
        UsageDelta(input_tokens=5, output_tokens=7, reasoning_tokens=2),
        FinishDelta("tool_calls"),
    ]:
        events += asm.add(d)
    r = asm.finish()
    assert [e.type for e in events] == ["reasoning", "answer", "answer"]
    assert (r.text, r.reasoning, r.model, r.stop_reason) == (
        "Hello",
        "thinking",
        "m-2024",
        "tool_calls",
    )
    assert (r.usage.input_tokens, r.usage.output_tokens, r.usage.reasoning_tokens) == (5, 7, 2)
    assert r.provider_metadata["reasoning_signatures"] == ["sig"]
    assert r.messages[0].tool_calls[0].id == "c1"


def test_refusal_without_text_is_a_refusal_stop() -> None:
    asm = StreamAssembler("p", "m")
    asm.add(RefusalDelta("I can't help with that."))
    asm.add(FinishDelta("stop"))
    r = asm.finish()
    assert (r.refusal, r.stop_reason, r.text) == ("I can't help with that.", "refusal", "")


def test_hide_thinking_hides_reasoning_events_but_keeps_it_out_of_the_answer() -> None:
    asm = StreamAssembler("p", "m", hide_thinking=True)
    assert asm.add(ReasoningDelta("secret")) == []
    assert [e.type for e in asm.add(TextDelta("answer"))] == ["answer"]
    assert asm.finish().text == "answer"


def test_reasoning_field_and_inline_tags_are_not_duplicated() -> None:
    from modelport._thinking import ThinkingParser

    asm = StreamAssembler("p", "m", thinking=ThinkingParser())
    events = []
    for d in [ReasoningDelta("plan"), TextDelta("<think>pl"), TextDelta("an</think>Hi")]:
        events += asm.add(d)
    events += asm.flush()
    r = asm.finish()
    assert (r.reasoning, r.text) == ("plan", "Hi")
    assert [(e.type, e.content) for e in events] == [("reasoning", "plan"), ("answer", "Hi")]
