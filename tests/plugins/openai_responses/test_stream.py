"""The stream decoder on synthetic streams: ordering quirks, fill-ins, and typed errors."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from modelport._errors import (
    BadRequestError,
    LLMError,
    ModelRequestError,
    ProviderProtocolError,
    ProviderServerError,
    RateLimitError,
)
from modelport.provider import FinishDelta, MetaDelta, ReasoningDelta, TextDelta, ToolCallDelta

from ._helpers import FAST, assemble, feed_chunks, feed_whole, split_at, sse

CREATED = {"type": "response.created", "response": {"id": "resp_1", "model": "m", "output": []}}


def completed(output: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    response = {"id": "resp_1", "model": "m", "status": "completed", "output": output}
    response.update(extra)
    return {"type": "response.completed", "response": response}


def message(item_id: str, text: str) -> dict[str, Any]:
    return {
        "type": "message",
        "id": item_id,
        "role": "assistant",
        "status": "completed",
        "content": [{"type": "output_text", "text": text, "annotations": []}],
    }


def text_delta(item_id: str, delta: str) -> dict[str, Any]:
    return {"type": "response.output_text.delta", "item_id": item_id, "delta": delta}


def test_llama_cpp_order_item_done_before_text_done() -> None:
    """Quirk 4: output_item.done (message) before output_text.done, no output_index at all."""
    msg = message("msg_1", "Hello.")
    body = sse(
        CREATED,
        {"type": "response.output_item.added", "item": {**msg, "content": []}},
        text_delta("msg_1", "Hel"),
        text_delta("msg_1", "lo."),
        {"type": "response.output_item.done", "item": msg},
        {"type": "response.output_text.done", "item_id": "msg_1", "text": "Hello."},
        {"type": "response.output_item.done", "item": msg},
        completed([msg], usage={"input_tokens": 3, "output_tokens": 2}),
    )
    out = feed_whole(body)
    assert [d for d in out if isinstance(d, TextDelta)] == [TextDelta("Hel"), TextDelta("lo.")]
    r = assemble(out)
    assert (r.text, r.stop_reason, r.usage.input_tokens) == ("Hello.", "stop", 3)


def test_arguments_before_the_item_are_held_back_not_lost() -> None:
    call = {"type": "function_call", "id": "fc_1", "call_id": "call_1", "name": "f"}
    body = sse(
        CREATED,
        {"type": "response.function_call_arguments.delta", "item_id": "fc_1", "delta": '{"a"'},
        {"type": "response.output_item.added", "item": {**call, "arguments": ""}},
        {"type": "response.function_call_arguments.delta", "item_id": "fc_1", "delta": ":1}"},
        completed([{**call, "arguments": '{"a":1}'}]),
    )
    out = feed_whole(body)
    calls = [d for d in out if isinstance(d, ToolCallDelta)]
    assert calls[0] == ToolCallDelta(None, "call_1", "f", "")
    r = assemble(out)
    assert [(c.id, c.name, c.arguments) for c in r.tool_calls] == [("call_1", "f", '{"a":1}')]
    assert r.stop_reason == "tool_calls"


def test_parallel_calls_interleaved_by_item_id() -> None:
    a = {"type": "function_call", "id": "fc_a", "call_id": "call_a", "name": "fa", "arguments": ""}
    b = {"type": "function_call", "id": "fc_b", "call_id": "call_b", "name": "fb", "arguments": ""}

    def arg(item: str, d: str) -> dict[str, Any]:
        return {"type": "response.function_call_arguments.delta", "item_id": item, "delta": d}

    body = sse(
        CREATED,
        {"type": "response.output_item.added", "item": a, "output_index": 0},
        {"type": "response.output_item.added", "item": b, "output_index": 1},
        arg("fc_b", '{"y"'),
        arg("fc_a", '{"x"'),
        arg("fc_a", ":1}"),
        arg("fc_b", ":2}"),
        completed([]),
    )
    r = assemble(feed_whole(body))
    assert [(c.id, c.arguments) for c in r.tool_calls] == [
        ("call_a", '{"x":1}'),
        ("call_b", '{"y":2}'),
    ]


def test_done_only_stream_is_filled_in_from_the_final_output() -> None:
    """A server that streams no deltas at all still yields the whole answer."""
    reasoning = {
        "type": "reasoning",
        "id": "rs_1",
        "summary": [],
        "content": [{"type": "reasoning_text", "text": "think"}],
    }
    call = {"type": "function_call", "id": "fc_1", "call_id": "c1", "name": "f", "arguments": "{}"}
    body = sse(CREATED, completed([reasoning, message("msg_1", "hi"), call]))
    r = assemble(feed_whole(body))
    assert (r.reasoning, r.text) == ("think", "hi")
    assert [(c.id, c.arguments) for c in r.tool_calls] == [("c1", "{}")]
    assert r.provider_metadata["openai_responses_items"][0] == reasoning


def test_reasoning_parts_and_message_items_are_separated_like_non_streamed() -> None:
    body = sse(
        CREATED,
        {
            "type": "response.reasoning_summary_text.delta",
            "item_id": "rs_1",
            "summary_index": 0,
            "delta": "one",
        },
        {
            "type": "response.reasoning_summary_text.delta",
            "item_id": "rs_1",
            "summary_index": 1,
            "delta": "two",
        },
        text_delta("msg_1", "first"),
        text_delta("msg_2", "second"),
        completed([]),
    )
    out = feed_whole(body)
    assert [d for d in out if isinstance(d, ReasoningDelta)] == [
        ReasoningDelta("one"),
        ReasoningDelta("\n\n"),
        ReasoningDelta("two"),
    ]
    assert assemble(out).text == "first\n\nsecond"


def test_incomplete_is_length_with_usage() -> None:
    body = sse(
        CREATED,
        text_delta("msg_1", "Hel"),
        {
            "type": "response.incomplete",
            "response": {
                "id": "resp_1",
                "status": "incomplete",
                "incomplete_details": {"reason": "max_output_tokens"},
                "output": [message("msg_1", "Hel")],
                "usage": {"input_tokens": 5, "output_tokens": 3},
            },
        },
    )
    out = feed_whole(body)
    assert out[-1] == FinishDelta("max_output_tokens")
    r = assemble(out)
    assert (r.text, r.stop_reason, r.usage.output_tokens) == ("Hel", "length", 3)


def test_refusal_streamed() -> None:
    refusal = {
        "type": "message",
        "id": "msg_1",
        "role": "assistant",
        "status": "completed",
        "content": [{"type": "refusal", "refusal": "No."}],
    }
    body = sse(
        CREATED,
        {"type": "response.refusal.delta", "item_id": "msg_1", "delta": "No."},
        completed([refusal]),
    )
    r = assemble(feed_whole(body))
    assert (r.refusal, r.text, r.stop_reason) == ("No.", "", "refusal")


def test_meta_from_created() -> None:
    out = feed_whole(sse(CREATED, completed([])))
    assert out[0] == MetaDelta(model="m", response_id="resp_1")


def test_events_after_completion_are_ignored() -> None:
    out = feed_whole(sse(CREATED, completed([]), text_delta("msg_9", "late")))
    assert not any(isinstance(d, TextDelta) for d in out)


@pytest.mark.parametrize(
    ("event", "kind", "code"),
    [
        (
            {"type": "error", "code": "rate_limit_exceeded", "message": "Slow. Try again in 2s."},
            RateLimitError,
            "rate_limit_exceeded",
        ),
        (
            {"type": "error", "error": {"type": "server_error", "message": "boom"}},
            ProviderServerError,
            "server_error",
        ),
        (
            {
                "type": "response.failed",
                "response": {
                    "id": "r",
                    "status": "failed",
                    "error": {"code": "invalid_prompt", "message": "bad prompt"},
                },
            },
            BadRequestError,
            "invalid_prompt",
        ),
        (
            {"type": "response.failed", "response": {"id": "r", "status": "failed", "error": None}},
            ModelRequestError,
            None,
        ),
    ],
)
def test_error_events_are_typed(event: dict[str, Any], kind: type[Exception], code: str) -> None:
    with pytest.raises(kind) as info:
        feed_whole(sse(CREATED, text_delta("m", "x"), event))
    assert getattr(info.value, "code", None) == code
    if isinstance(info.value, RateLimitError):
        assert info.value.retry_after == 2.0


def test_stream_cut_before_completion_is_a_protocol_error() -> None:
    with pytest.raises(ProviderProtocolError, match=r"response\.completed"):
        feed_whole(sse(CREATED, text_delta("msg_1", "Hel")))


@pytest.mark.parametrize(
    "body",
    [
        b"data: {not json\n\n",
        b"data: [1, 2]\n\n",
        b'data: {"type": "response.output_text.delta", "item_id": "m", "content_index": []}\n\n',
        b"garbage line\n\n",
    ],
)
def test_malformed_input_is_a_protocol_error(body: bytes) -> None:
    with pytest.raises(ProviderProtocolError):
        feed_whole(body)


def test_json_body_instead_of_a_stream() -> None:
    body = json.dumps(
        {"id": "resp_1", "model": "m", "status": "completed", "output": [message("msg_1", "hi")]}
    ).encode()
    r = assemble(feed_chunks([b"  ", body[:5], body[5:]]))
    assert (r.text, r.stop_reason) == ("hi", "stop")


def test_json_error_body_instead_of_a_stream() -> None:
    body = b'{"error": {"message": "Incorrect API key", "type": "invalid_api_key"}}'
    with pytest.raises(LLMError, match="Incorrect API key"):
        feed_whole(body)


@FAST
@given(st.binary(max_size=300), st.lists(st.integers(1, 299), max_size=6))
def test_arbitrary_bytes_give_deltas_or_a_typed_error(data: bytes, cuts: list[int]) -> None:
    try:
        feed_chunks(split_at(data, cuts))
    except LLMError:
        pass


@FAST
@given(st.data())
def test_synthetic_stream_any_chunking(data: st.DataObject) -> None:
    body = sse(
        CREATED,
        text_delta("msg_1", "h\u00e9llo \u2603"),
        {"type": "response.reasoning_text.delta", "item_id": "rs", "delta": "r\u00e9"},
        completed([], usage={"input_tokens": 1, "output_tokens": 2}),
    )
    cuts = data.draw(st.lists(st.integers(1, len(body) - 1), max_size=20))
    assert feed_chunks(split_at(body, cuts)) == feed_whole(body)
