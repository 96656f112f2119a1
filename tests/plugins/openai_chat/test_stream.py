"""The stream decoder: exact deltas for synthetic edge cases, and typed errors for bad input.

The recorded streams (and the any-chunking property over them) are in test_conformance.py.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from modelport._errors import (
    ContextWindowExceededError,
    ModelRequestError,
    ProviderProtocolError,
    ProviderServerError,
    RateLimitError,
)
from modelport.provider import (
    FinishDelta,
    MetaDelta,
    ReasoningDelta,
    RefusalDelta,
    TextDelta,
    ToolCallDelta,
    UsageDelta,
)
from modelport_openai_chat._stream import ChatStreamDecoder

from ._corpus import FAST, assemble, chunk, feed_chunks, feed_whole, split_at, sse

META = MetaDelta(model="gpt-test", response_id="chatcmpl-1")


def test_text_stream_exact_deltas() -> None:
    body = sse(
        chunk({"role": "assistant", "content": "", "refusal": None}),
        chunk({"content": "Hel"}),
        chunk({"content": "lo"}),
        chunk({}, finish="stop"),
    )
    assert feed_whole(body) == [META, TextDelta("Hel"), TextDelta("lo"), FinishDelta("stop")]


def test_include_usage_final_chunk_with_empty_choices() -> None:
    usage = {
        "prompt_tokens": 78,
        "completion_tokens": 9,
        "total_tokens": 87,
        "prompt_tokens_details": {"cached_tokens": 64},
        "completion_tokens_details": {"reasoning_tokens": 3},
    }
    final = chunk()
    final["choices"] = []
    final["usage"] = usage
    body = sse(chunk({"content": "x"}, usage=None), chunk({}, finish="stop", usage=None), final)
    assert feed_whole(body) == [
        META,
        TextDelta("x"),
        FinishDelta("stop"),
        UsageDelta(input_tokens=78, output_tokens=9, reasoning_tokens=3, cached_tokens=64),
    ]


def test_groq_usage_under_x_groq() -> None:
    last = chunk(
        {},
        finish="stop",
        x_groq={
            "id": "req_1",
            "usage": {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7},
        },
    )
    out = feed_whole(sse(chunk({"content": "hi"}), last))
    assert out[-1] == UsageDelta(input_tokens=5, output_tokens=2)


def test_metadata_waits_for_a_chunk_with_an_id_or_model() -> None:
    # Azure's first chunk only carries prompt_filter_results, with empty id and model.
    azure_first = {
        "choices": [],
        "created": 0,
        "id": "",
        "model": "",
        "object": "",
        "prompt_filter_results": [{"prompt_index": 0, "content_filter_results": {}}],
    }
    out = feed_whole(
        sse(azure_first, chunk({"content": "a"}), chunk({"content": "b"}), chunk({}, finish="stop"))
    )
    assert [d for d in out if isinstance(d, MetaDelta)] == [META]
    assert out[0] == META


def test_reasoning_content_then_content() -> None:
    body = sse(
        chunk({"role": "assistant", "content": None, "reasoning_content": ""}),
        chunk({"content": None, "reasoning_content": "Think"}),
        chunk({"content": "4", "reasoning_content": None}),
        chunk({"content": "", "reasoning_content": None}, finish="stop"),
    )
    assert feed_whole(body) == [
        META,
        ReasoningDelta("Think"),
        TextDelta("4"),
        FinishDelta("stop"),
    ]


def test_openrouter_reasoning_is_not_duplicated_and_signature_is_kept() -> None:
    def details(text: str | None = None, signature: str | None = None) -> list[dict[str, Any]]:
        item: dict[str, Any] = {
            "type": "reasoning.text",
            "format": "anthropic-claude-v1",
            "index": 0,
        }
        if text is not None:
            item["text"] = text
        if signature is not None:
            item["signature"] = signature
        return [item]

    body = sse(
        chunk({"content": "", "reasoning": None, "reasoning_details": []}),
        chunk({"content": "", "reasoning": "Two", "reasoning_details": details("Two")}),
        chunk({"content": "", "reasoning": None, "reasoning_details": details(signature="c2ln")}),
        chunk({"content": "4", "reasoning": None, "reasoning_details": []}),
        chunk({}, finish="stop"),
    )
    assert feed_whole(body) == [
        META,
        ReasoningDelta("Two"),
        ReasoningDelta("", signature="c2ln"),
        TextDelta("4"),
        FinishDelta("stop"),
    ]


def test_reasoning_details_alone_give_their_text() -> None:
    body = sse(
        chunk({"reasoning_details": [{"type": "reasoning.text", "text": "hm"}]}),
        chunk({}, finish="stop"),
    )
    assert feed_whole(body)[1] == ReasoningDelta("hm")


def test_refusal_deltas() -> None:
    body = sse(
        chunk({"content": None, "refusal": "I can't"}),
        chunk({"refusal": " help."}),
        chunk({}, finish="stop"),
    )
    assert feed_whole(body)[1:] == [
        RefusalDelta("I can't"),
        RefusalDelta(" help."),
        FinishDelta("stop"),
    ]


def test_tool_call_fragments_pass_through_faithfully() -> None:
    body = sse(
        chunk(
            {
                "tool_calls": [
                    {
                        "index": 0,
                        "id": "call_a",
                        "type": "function",
                        "function": {"name": "f", "arguments": ""},
                    }
                ]
            }
        ),
        chunk({"tool_calls": [{"index": 0, "function": {"arguments": '{"x"'}}]}),
        chunk(
            {
                "tool_calls": [
                    {
                        "index": 1,
                        "id": "call_b",
                        "type": "function",
                        "function": {"name": "g", "arguments": "{}"},
                    }
                ]
            }
        ),
        chunk({"tool_calls": [{"index": 0, "function": {"arguments": ": 1}"}}]}),
        # Index-only fragment with nothing in it: carries no information.
        chunk({"tool_calls": [{"index": 1, "function": {"arguments": ""}}]}),
        # Mistral-style: the whole call in one fragment, no index.
        chunk({"tool_calls": [{"id": "call_c", "function": {"name": "h", "arguments": {"k": 2}}}]}),
        chunk({}, finish="tool_calls"),
    )
    out = feed_whole(body)
    assert out[1:] == [
        ToolCallDelta(0, "call_a", "f", ""),
        ToolCallDelta(0, None, None, '{"x"'),
        ToolCallDelta(1, "call_b", "g", "{}"),
        ToolCallDelta(0, None, None, ": 1}"),
        ToolCallDelta(None, "call_c", "h", '{"k": 2}'),
        FinishDelta("tool_calls"),
    ]
    calls = assemble(out).tool_calls
    assert [(c["id"], c["name"], c["arguments"]) for c in calls] == [
        ("call_a", "f", '{"x": 1}'),
        ("call_b", "g", "{}"),
        ("call_c", "h", '{"k": 2}'),
    ]


def test_only_the_first_choice_is_followed() -> None:
    two = chunk({"content": "A"})
    two["choices"].append({"index": 1, "delta": {"content": "B"}, "finish_reason": None})
    out = feed_whole(sse(two, chunk({}, finish="stop")))
    assert [d.text for d in out if isinstance(d, TextDelta)] == ["A"]


def test_content_as_typed_parts_in_a_delta() -> None:
    body = sse(
        chunk(
            {
                "content": [
                    {"type": "thinking", "thinking": [{"type": "text", "text": "t"}]},
                    {"type": "text", "text": "a"},
                ]
            }
        ),
        chunk({}, finish="stop"),
    )
    assert feed_whole(body)[1:3] == [ReasoningDelta("t"), TextDelta("a")]


def test_done_without_finish_reason_is_complete() -> None:
    assert feed_whole(sse(chunk({"content": "x"}))) == [META, TextDelta("x")]


def test_finish_reason_without_done_is_complete() -> None:
    # vLLM and some proxies close the connection right after the finish chunk.
    out = feed_whole(sse(chunk({"content": "x"}), chunk({}, finish="length"), done=False))
    assert out[-1] == FinishDelta("length")


def test_events_after_done_are_ignored() -> None:
    body = sse(chunk({"content": "x"})) + sse(chunk({"content": "late"}), done=False)
    assert feed_whole(body) == [META, TextDelta("x")]


def test_comments_event_names_ids_and_crlf() -> None:
    body = (
        b": OPENROUTER PROCESSING\r\n\r\n"
        b"id: 1\r\nevent: message\r\nretry: 10\r\n"
        b"data: " + json.dumps(chunk({"content": "hi"})).encode() + b"\r\n\r\n"
        b"data: [DONE]\r\n\r\n"
    )
    assert feed_whole(body) == [META, TextDelta("hi")]


def test_last_event_without_trailing_blank_line() -> None:
    body = sse(chunk({"content": "x"}), done=False) + b"data: [DONE]"
    assert feed_whole(body) == [META, TextDelta("x")]


def test_byte_order_mark_is_skipped() -> None:
    body = b"\xef\xbb\xbf" + sse(chunk({"content": "x"}))
    assert feed_whole(body) == [META, TextDelta("x")]
    assert feed_chunks([body[:1], body[1:2], body[2:]]) == [META, TextDelta("x")]


def test_multibyte_characters_split_across_chunks() -> None:
    body = sse(chunk({"content": "Hi! 😊 naïve"}), chunk({}, finish="stop"))
    assert feed_chunks(body[i : i + 1] for i in range(len(body))) == feed_whole(body)
    assert assemble(feed_whole(body)).text == "Hi! 😊 naïve"


# -- malformed input -------------------------------------------------------------------------


def test_invalid_json_in_a_data_line() -> None:
    body = sse(chunk({"content": "x"})).replace(b"data: [DONE]", b'data: {"choices": [')
    with pytest.raises(ProviderProtocolError, match="invalid JSON") as info:
        feed_whole(body)
    assert info.value.provider == "openai-chat"
    assert info.value.model == "test-model"


@pytest.mark.parametrize("payload", ["[1, 2]", '"text"', "42", "null"])
def test_data_that_is_json_but_not_an_object(payload: str) -> None:
    with pytest.raises(ProviderProtocolError, match="not a JSON object"):
        feed_whole(sse(payload))


def test_data_with_trailing_garbage() -> None:
    with pytest.raises(ProviderProtocolError, match="invalid JSON"):
        feed_whole(sse('{"choices": []} trailing'))


def test_unexpected_chunk_shape_is_a_protocol_error() -> None:
    with pytest.raises(ProviderProtocolError, match="unexpected shape"):
        feed_whole(sse({"choices": ["not-a-dict"]}))
    with pytest.raises(ProviderProtocolError, match="unexpected shape"):
        feed_whole(sse({"choices": [{"delta": {"tool_calls": ["x"]}}]}))


def test_a_line_that_is_not_sse() -> None:
    body = sse(chunk({"content": "x"}), done=False) + b"this is not sse\n\ndata: [DONE]\n\n"
    with pytest.raises(ProviderProtocolError, match="malformed SSE line") as info:
        feed_whole(body)
    assert info.value.model == "test-model"


def test_html_instead_of_a_stream() -> None:
    with pytest.raises(ProviderProtocolError):
        feed_whole(b"<html><body>Gateway Timeout</body></html>\n")


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"\n\n",
        b": keep-alive\n\n",
        sse(chunk({"content": "partial"}), done=False),
        sse(chunk({"content": "partial"}), done=False) + b'data: {"id": "chatcmpl-1", "cho',
        sse(chunk({"content": "partial"}), done=False) + b"data: [DO",
    ],
)
def test_stream_cut_short_is_an_error(body: bytes) -> None:
    decoder = ChatStreamDecoder(model="m")
    decoder.feed(body)
    with pytest.raises(
        ProviderProtocolError, match=r"ended before the response was complete|invalid JSON"
    ):
        decoder.close()


def test_error_object_mid_stream() -> None:
    err = {
        "error": {
            "message": "The server had an error while processing your request.",
            "type": "server_error",
            "param": None,
            "code": None,
        }
    }
    body = sse(chunk({"content": "partial"}), err, done=False)
    decoder = ChatStreamDecoder(model="m")
    # The text before the error comes first (as it would one event per read); the error is
    # raised by the next call.
    assert any(getattr(d, "text", None) == "partial" for d in decoder.feed(body))
    with pytest.raises(ProviderServerError) as info:
        decoder.close()
    assert info.value.status is None
    assert info.value.provider == "openai-chat"
    assert info.value.provider_message == err["error"]["message"]


def test_llamacpp_error_mid_stream_takes_its_status_from_the_code() -> None:
    err = {
        "error": {
            "code": 400,
            "message": "the request exceeds the available context size, try increasing it",
            "type": "exceed_context_size_error",
        }
    }
    with pytest.raises(ContextWindowExceededError) as info:
        feed_whole(sse(err, done=False))
    assert info.value.status == 400


def test_openrouter_error_mid_stream() -> None:
    # OpenRouter: an error chunk that still looks like a chunk, with finish_reason "error".
    payload = chunk({}, finish="error")
    payload["error"] = {"code": 429, "message": "Rate limit exceeded upstream"}
    with pytest.raises(RateLimitError) as info:
        feed_whole(sse(chunk({"content": "x"}), payload, done=False))
    assert info.value.status == 429


def test_error_event_type() -> None:
    body = b'event: error\ndata: {"message": "overloaded", "type": "overloaded_error"}\n\n'
    with pytest.raises(ProviderServerError, match="overloaded"):
        feed_whole(body)


def test_vllm_error_object_as_a_chunk() -> None:
    body = sse(
        {
            "object": "error",
            "message": "This model's maximum context length is 2048 tokens.",
            "type": "BadRequestError",
            "param": None,
            "code": 400,
        },
        done=False,
    )
    with pytest.raises(ContextWindowExceededError):
        feed_whole(body)


def test_null_error_field_is_not_an_error() -> None:
    out = feed_whole(sse(chunk({"content": "x"}, error=None), chunk({}, finish="stop")))
    assert out[1] == TextDelta("x")


# -- a JSON body where a stream was expected --------------------------------------------------


def test_json_error_body_instead_of_a_stream() -> None:
    body = json.dumps(
        {
            "error": {
                "message": "Rate limit reached. Please try again in 644ms.",
                "type": "tokens",
                "code": "rate_limit_exceeded",
            }
        },
        indent=2,
    ).encode()
    for chunks in ([body], [body[:1], body[1:7], body[7:]]):
        decoder = ChatStreamDecoder(model="m")
        for c in chunks:
            assert decoder.feed(c) == []
        with pytest.raises(RateLimitError) as info:
            decoder.close()
        assert info.value.retry_after == pytest.approx(0.644)


def test_server_that_ignores_stream_true() -> None:
    body = json.dumps(
        {
            "id": "chatcmpl-2",
            "object": "chat.completion",
            "model": "llama",
            "choices": [
                {
                    "index": 0,
                    "finish_reason": "tool_calls",
                    "message": {
                        "role": "assistant",
                        "content": "Let me check.",
                        "reasoning_content": "need tool",
                        "tool_calls": [
                            {
                                "id": "c1",
                                "type": "function",
                                "function": {"name": "f", "arguments": "{}"},
                            }
                        ],
                    },
                }
            ],
            "usage": {"prompt_tokens": 3, "completion_tokens": 4},
        }
    ).encode()
    assert feed_whole(b"\n  " + body) == [
        MetaDelta(model="llama", response_id="chatcmpl-2"),
        ReasoningDelta("need tool"),
        TextDelta("Let me check."),
        ToolCallDelta(0, "c1", "f", "{}"),
        FinishDelta("tool_calls"),
        UsageDelta(input_tokens=3, output_tokens=4),
    ]


# -- properties ------------------------------------------------------------------------------


def _synthetic_streams() -> st.SearchStrategy[bytes]:
    piece = st.text(max_size=6)
    delta = st.one_of(
        piece.map(lambda t: {"content": t}),
        piece.map(lambda t: {"content": None, "reasoning_content": t}),
        st.tuples(st.integers(0, 2), piece).map(
            lambda p: {"tool_calls": [{"index": p[0], "function": {"arguments": p[1]}}]}
        ),
    )
    return st.lists(delta, max_size=12).map(
        lambda ds: sse(*[chunk(d) for d in ds], chunk({}, finish="stop"))
    )


@FAST
@given(
    body=_synthetic_streams(), cuts=st.lists(st.integers(0, 4000), max_size=20), crlf=st.booleans()
)
def test_any_chunking_of_any_stream_gives_the_same_deltas(
    body: bytes, cuts: list[int], crlf: bool
) -> None:
    if crlf:
        body = body.replace(b"\n", b"\r\n")
    assert feed_chunks(split_at(body, cuts)) == feed_whole(body)


@FAST
@given(body=st.binary(max_size=300), cuts=st.lists(st.integers(0, 300), max_size=5))
def test_arbitrary_bytes_end_in_deltas_or_a_typed_error(body: bytes, cuts: list[int]) -> None:
    try:
        feed_chunks(split_at(body, cuts))
    except ModelRequestError:
        pass  # typed: fine. Anything else (KeyError, a bare LLMError, ...) fails the test.


_junk_line = st.one_of(
    st.just(b"data: {"),
    st.just(b'data: {"choices": 5}'),
    st.just(b"data: [1]"),
    st.just(b"garbage"),
    st.just(b'data: {"choices": [{"delta": {"content": 7}}]}'),
    st.binary(max_size=20).filter(lambda b: b"\n" not in b and b"\r" not in b),
)


@FAST
@given(
    prefix=_synthetic_streams(),
    junk=_junk_line,
    cuts=st.lists(st.integers(0, 2000), max_size=10),
)
def test_junk_in_a_stream_is_a_typed_error_never_a_crash(
    prefix: bytes, junk: bytes, cuts: list[int]
) -> None:
    body = prefix.replace(b"data: [DONE]\n\n", b"") + junk + b"\n\n"
    try:
        out = feed_chunks(split_at(body, cuts))
    except ModelRequestError:
        return
    assert FinishDelta("stop") in out  # junk that decodes to nothing after the finish chunk


def test_a_stream_cut_between_finish_and_usage_is_incomplete_when_usage_was_asked() -> None:
    """include_usage asked for a last usage chunk: ending after finish_reason without it (and
    without [DONE]) is a cut stream, not an answer with zero usage."""
    import pytest
    from modelport.provider import IncompleteStreamError

    finish = (
        b'data: {"id":"c","object":"chat.completion.chunk","model":"m","choices":[{"index":0,'
        b'"delta":{"content":"hi"},"finish_reason":"stop"}]}\n\n'
    )
    asked = ChatStreamDecoder(model="m", expect_usage=True)
    asked.feed(finish)
    with pytest.raises(IncompleteStreamError):
        asked.close()
    plain = ChatStreamDecoder(model="m")
    plain.feed(finish)
    plain.close()  # no usage asked: a finish_reason ends the answer
