"""The stream decoder on the recorded event streams and on synthesized frames."""

from __future__ import annotations

import json
import struct

import modelport as mp
import pytest
from hypothesis import given
from hypothesis import strategies as st
from modelport.provider import (
    AuthenticationError,
    BadRequestError,
    ModelNotFoundError,
    ModelRequestError,
    ProviderProtocolError,
    ProviderServerError,
    RateLimitError,
    ReasoningDelta,
    ToolCallDelta,
)
from modelport.testing import Reply, ScriptedServer

from ._bedrock import (
    ACCESS_KEY,
    FAST,
    MODEL,
    SECRET_KEY,
    assemble,
    chunk_frame,
    exception_frame,
    feed_chunks,
    frame,
    message_events,
    recording,
    requires_corpus,
    split_at,
    sse_events,
    stream_bytes,
)
from ._signed import SignedEndpoint

pytestmark = requires_corpus

EVENTSTREAM = "application/vnd.amazon.eventstream"
BINS = [
    "stream-text.bin",
    "stream-text-sonnet35.bin",
    "stream-tool-use.bin",
    "stream-parallel-tool-use.bin",
]


def test_stream_text() -> None:
    r = assemble(feed_chunks([recording("stream-text.bin").read_bytes()]))
    assert r.text == (
        "Why did the distributed tracing span cross the road? To get to the other service!"
    )
    assert r.model == "claude-3-sonnet-20240229"
    assert (r.usage.input_tokens, r.usage.output_tokens) == (16, 21)
    assert (r.stop_reason, r.raw_stop_reason) == ("stop", "end_turn")
    assert r.provider_metadata == {"response_id": "msg_bdrk_014eJfxWXNnxFKhmuiT8FYf7"}
    assert r.tool_calls == [] and r.reasoning is None


def test_stream_text_sonnet35_max_tokens() -> None:
    r = assemble(feed_chunks([recording("stream-text-sonnet35.bin").read_bytes()]))
    assert r.text.startswith("Here's a short story for you:\n\nThe Last Leaf\n\n")
    assert len(r.text) == 416
    assert (r.stop_reason, r.raw_stop_reason) == ("length", "max_tokens")
    assert (r.usage.input_tokens, r.usage.output_tokens) == (12, 100)
    assert r.model == "claude-3-5-sonnet-20240620"


def test_stream_tool_use() -> None:
    r = assemble(feed_chunks([recording("stream-tool-use.bin").read_bytes()]))
    assert r.text == "Okay, let's get the current weather for San Francisco:"
    [call] = r.tool_calls
    assert (call.id, call.name) == ("toolu_bdrk_01SmuLWbQxzvE6WD3Th711eg", "get_weather")
    assert call.parsed_arguments() == {"location": "San Francisco, CA", "unit": "fahrenheit"}
    assert (r.stop_reason, r.usage.input_tokens, r.usage.output_tokens) == ("tool_calls", 273, 88)


def test_stream_parallel_tool_use() -> None:
    deltas = feed_chunks([recording("stream-parallel-tool-use.bin").read_bytes()])
    # the tool_use start's empty ``input: {}`` is not an argument fragment
    starts = [d for d in deltas if isinstance(d, ToolCallDelta) and d.name]
    assert [(d.index, d.arguments) for d in starts] == [(1, ""), (2, "")]
    r = assemble(deltas)
    assert r.text.startswith("Of course! I'd be happy to get you the current temperature")
    assert len(r.text) == 147
    assert [(c.id, c.name, c.parsed_arguments()) for c in r.tool_calls] == [
        (
            "toolu_bdrk_01CquHF9otnnrgxxx54tVxau",
            "get_current_weather_info",
            {"city": "San Francisco"},
        ),
        (
            "toolu_bdrk_017gKMzG8LV5r3snEuhgaSvt",
            "get_current_population_info",
            {"city": "San Francisco"},
        ),
    ]
    # message_delta's usage is authoritative (the invocation metrics say 98, as recorded)
    assert (r.usage.input_tokens, r.usage.output_tokens) == (702, 130)
    assert r.stop_reason == "tool_calls"


@pytest.mark.parametrize("name", BINS)
def test_decoded_jsonl_matches(name: str) -> None:
    """Every Anthropic event of the .decoded.jsonl reference view reaches the decoder."""
    import base64

    events = []
    for line in recording(name.replace(".bin", ".decoded.jsonl")).read_text().splitlines():
        payload = json.loads(json.loads(line)["payload"])
        events.append(json.loads(base64.b64decode(payload["bytes"])))
    rebuilt = assemble(feed_chunks([stream_bytes(events)]))
    recorded = assemble(feed_chunks([recording(name).read_bytes()]))
    assert rebuilt.model_dump(exclude={"tool_calls"}) == recorded.model_dump(exclude={"tool_calls"})
    assert [c.model_dump() for c in rebuilt.tool_calls] == [
        c.model_dump() for c in recorded.tool_calls
    ]


@pytest.mark.parametrize("name", BINS)
@FAST
@given(data=st.data())
def test_any_chunking_same_deltas(name: str, data: st.DataObject) -> None:
    raw = recording(name).read_bytes()
    cuts = data.draw(st.lists(st.integers(0, len(raw)), max_size=30))
    assert feed_chunks(split_at(raw, cuts)) == feed_chunks([raw])


@pytest.mark.parametrize("name", BINS)
def test_byte_at_a_time(name: str) -> None:
    raw = recording(name).read_bytes()
    assert feed_chunks(raw[i : i + 1] for i in range(len(raw))) == feed_chunks([raw])


def test_thinking_stream_recording() -> None:
    events = sse_events(recording("anthropic-api-equivalent/messages-thinking-stream.sse"))
    deltas = feed_chunks([stream_bytes(events)])
    r = assemble(deltas)
    assert r.text == "The letter 'r' appears 3 times in the word \"strawberry\"."
    assert r.reasoning is not None
    assert r.reasoning.startswith("Let me count the occurrences of the letter 'r'")
    assert r.reasoning.endswith("So the letter 'r' appears 3 times in the word \"strawberry\".")
    sig = r.provider_metadata["reasoning_signatures"][0]
    assert sig.startswith("ErUBCkYIARgCIkCepoF8") and sig.endswith("Yg==")
    assert r.provider_metadata["thinking_blocks"] == [
        {"type": "thinking", "thinking": r.reasoning, "signature": sig}
    ]
    assert [d.signature for d in deltas if isinstance(d, ReasoningDelta) and d.signature] == [sig]
    assert (r.usage.input_tokens, r.usage.output_tokens) == (52, 216)
    assert r.stop_reason == "stop"


# -- streamed == non-streamed -------------------------------------------------------------------


def _same(streamed, whole) -> None:  # type: ignore[no-untyped-def]
    assert streamed.text == whole.text
    assert streamed.reasoning == whole.reasoning
    assert [(c.id, c.name, c.parsed_arguments()) for c in streamed.tool_calls] == [
        (c.id, c.name, c.parsed_arguments()) for c in whole.tool_calls
    ]
    assert streamed.usage == whole.usage
    assert (streamed.stop_reason, streamed.raw_stop_reason, streamed.model) == (
        whole.stop_reason,
        whole.raw_stop_reason,
        whole.model,
    )
    assert streamed.provider_metadata == whole.provider_metadata


@pytest.mark.parametrize(
    "name",
    [
        "invoke-text.json",
        "invoke-text-long.json",
        "invoke-tool-use.json",
        "invoke-tool-use-truncated-max-tokens.json",
        "invoke-cache-read.json",
        "invoke-cache-write.json",
        "anthropic-api-equivalent/messages-thinking.json",
    ],
)
def test_streamed_equals_non_streamed_recordings(name: str) -> None:
    from ._bedrock import provider

    body = recording(name).read_bytes()
    whole = provider().parse_response(body, None)  # type: ignore[arg-type]
    streamed = assemble(feed_chunks([stream_bytes(message_events(json.loads(body)))]))
    _same(streamed, whole)


_text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=40)
_block = st.one_of(
    st.builds(lambda t: {"type": "text", "text": t}, _text),
    st.builds(
        lambda t, s: {"type": "thinking", "thinking": t, "signature": s},
        _text,
        st.text(alphabet="abcdefABCDEF0123456789+/=", min_size=8, max_size=40),
    ),
    st.builds(
        lambda i, n, a: {"type": "tool_use", "id": f"toolu_{i}", "name": n, "input": a},
        st.integers(0, 10**6),
        st.sampled_from(["get_weather", "calc", "lookup"]),
        st.dictionaries(st.sampled_from(["a", "city", "n"]), st.one_of(_text, st.integers())),
    ),
)


@FAST
@given(
    blocks=st.lists(_block, max_size=5),
    stop=st.sampled_from(["end_turn", "max_tokens", "tool_use", "stop_sequence"]),
    tokens=st.tuples(st.integers(1, 9999), st.integers(1, 9999), st.integers(0, 999)),
    data=st.data(),
)
def test_streamed_equals_non_streamed_property(blocks, stop, tokens, data) -> None:  # type: ignore[no-untyped-def]
    from ._bedrock import provider

    ids = [b["id"] for b in blocks if b["type"] == "tool_use"]
    if len(set(ids)) != len(ids):
        return
    message = {
        "id": "msg_bdrk_prop",
        "type": "message",
        "role": "assistant",
        "model": "claude-x",
        "content": blocks,
        "stop_reason": stop,
        "stop_sequence": None,
        "usage": {
            "input_tokens": tokens[0],
            "output_tokens": tokens[1],
            "cache_read_input_tokens": tokens[2],
        },
    }
    whole = provider().parse_response(json.dumps(message).encode(), None)  # type: ignore[arg-type]
    raw = stream_bytes(message_events(message))
    cuts = data.draw(st.lists(st.integers(0, len(raw)), max_size=12))
    _same(assemble(feed_chunks(split_at(raw, cuts))), whole)


# -- failures -----------------------------------------------------------------------------------


def _start() -> list[bytes]:
    return [
        chunk_frame(
            {
                "type": "message_start",
                "message": {
                    "id": "m",
                    "model": "c",
                    "usage": {"input_tokens": 3, "output_tokens": 1},
                },
            }
        ),
        chunk_frame(
            {
                "type": "content_block_start",
                "index": 0,
                "content_block": {"type": "text", "text": ""},
            }
        ),
        chunk_frame(
            {
                "type": "content_block_delta",
                "index": 0,
                "delta": {"type": "text_delta", "text": "Hel"},
            }
        ),
    ]


# The throttling text is the one Bedrock sends (../shared/conformance/bedrock-claude/
# error-throttling.from-issues.txt); the corpus holds no raw exception frame, so the test
# server's encoder builds them.
THROTTLED = (
    "Too many requests, please wait before trying again. You have sent too many requests. "
    "Wait before trying again."
)


@pytest.mark.parametrize(
    ("name", "cls"),
    [
        ("throttlingException", RateLimitError),
        ("modelStreamErrorException", ProviderServerError),
        ("internalServerException", ProviderServerError),
        ("serviceUnavailableException", ProviderServerError),
        ("modelTimeoutException", ProviderServerError),
        ("modelNotReadyException", ProviderServerError),
        ("validationException", BadRequestError),
        ("accessDeniedException", AuthenticationError),
        ("serviceQuotaExceededException", RateLimitError),
    ],
)
def test_exception_frame_is_typed_without_a_status(name: str, cls: type) -> None:
    with pytest.raises(cls) as info:
        feed_chunks([*_start(), exception_frame(name, THROTTLED)])
    err = info.value
    assert type(err) is cls
    # the frame came inside an HTTP 200: it has no status, and none is invented
    assert (err.status, err.code, err.provider_message) == (None, name, THROTTLED)
    # server-side failures pass, so they say so; a quota does not come back by waiting
    expected = {ProviderServerError: True, RateLimitError: False if "Quota" in name else None}
    assert err.retryable is expected.get(cls)


@pytest.mark.parametrize(
    ("etype", "cls"),
    [
        ("overloaded_error", ProviderServerError),
        ("api_error", ProviderServerError),
        ("timeout_error", ProviderServerError),
        ("rate_limit_error", RateLimitError),
        ("invalid_request_error", BadRequestError),
        ("request_too_large", BadRequestError),
        ("authentication_error", AuthenticationError),
        ("permission_error", AuthenticationError),
        ("not_found_error", ModelNotFoundError),
        ("some_future_error", ProviderServerError),
    ],
)
def test_anthropic_error_event_in_chunk(etype: str, cls: type) -> None:
    event = {"type": "error", "error": {"type": etype, "message": "It failed"}}
    with pytest.raises(cls) as info:
        feed_chunks([*_start(), chunk_frame(event)])
    err = info.value
    assert type(err) is cls and err.code == etype
    assert err.status is None  # a stream event has no HTTP status; none is invented


def test_overloaded_exception_frame_is_an_overload_without_a_status() -> None:
    with pytest.raises(ProviderServerError) as info:
        feed_chunks([*_start(), exception_frame("overloadedException", "Model is overloaded")])
    err = info.value
    assert type(err) is ProviderServerError and "overloaded" in str(err)
    assert (err.status, err.code, err.retryable) == (None, "overloadedException", True)


def test_truncated_before_message_stop() -> None:
    with pytest.raises(ProviderProtocolError, match="before message_stop"):
        feed_chunks(_start())


def test_truncated_inside_a_frame() -> None:
    raw = recording("stream-text.bin").read_bytes()
    with pytest.raises(ProviderProtocolError, match="inside a frame"):
        feed_chunks([raw[:-5]])


def test_empty_stream() -> None:
    with pytest.raises(ProviderProtocolError, match="before any message"):
        feed_chunks([])


def test_crc_mismatch() -> None:
    raw = bytearray(recording("stream-text.bin").read_bytes())
    raw[40] ^= 0xFF  # inside the first frame's headers: the message CRC no longer matches
    with pytest.raises(ProviderProtocolError, match="malformed event-stream frame"):
        feed_chunks([bytes(raw)])


def test_bad_prelude_crc() -> None:
    good = chunk_frame({"type": "message_stop"})
    bad = good[:8] + struct.pack(">I", 0) + good[12:]
    with pytest.raises(ProviderProtocolError):
        feed_chunks([bad])


def test_chunk_payload_not_base64_json() -> None:
    headers = {":event-type": "chunk", ":message-type": "event"}
    with pytest.raises(ProviderProtocolError, match="base64"):
        feed_chunks([frame(headers, b'{"bytes": "!!!"}')])


def test_padding_field_and_unknown_frames_ignored() -> None:
    events = [
        {"type": "message_start", "message": {"id": "m", "model": "c", "usage": {}}},
        {"type": "ping"},
        {"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": {}},
        {"type": "message_stop"},
    ]
    raw = frame({":event-type": "initial-response", ":message-type": "event"}, b"{}") + b"".join(
        chunk_frame(e, pad="abcdef") for e in events
    )
    r = assemble(feed_chunks([raw]))
    assert (r.text, r.stop_reason) == ("", "stop")


@FAST
@given(junk=st.binary(max_size=200), cut=st.integers(0, 3000))
def test_malformed_input_is_typed(junk: bytes, cut: int) -> None:
    raw = recording("stream-text.bin").read_bytes()
    try:
        feed_chunks([raw[:cut], junk])
    except ModelRequestError:
        pass


@pytest.mark.parametrize(
    ("name", "cls", "retried"),
    [
        ("throttlingException", mp.RateLimitError, True),
        ("internalServerException", mp.ProviderServerError, True),
        ("serviceUnavailableException", mp.ProviderServerError, True),
        ("modelTimeoutException", mp.ProviderServerError, True),
        ("validationException", mp.BadRequestError, False),
    ],
)
def test_in_stream_errors_through_the_llm(
    monkeypatch: pytest.MonkeyPatch, name: str, cls: type, retried: bool
) -> None:
    """Over real sockets and SigV4: the frame before any output is retried by its type alone
    (it has no HTTP status to go by) or raised with ``status=None``."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    for var in ("AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(var, raising=False)
    failing = Reply.raw(200, content_type=EVENTSTREAM, chunks=[exception_frame(name, THROTTLED)])
    with ScriptedServer() as server:
        bedrock = SignedEndpoint(server)
        bedrock.add(failing, failing, failing)
        with (
            mp.LLM(
                f"bedrock-claude:{MODEL}",
                base_url=server.url,
                options={"region": "us-east-1"},
                cache="never",
                retry=mp.RetryPolicy(max_retries=2, backoff_base=0.01, jitter=0),
            ) as model,
            pytest.raises(cls) as info,
        ):
            list(model.stream("hi"))
        assert bedrock.problems == []
    err = info.value
    assert type(err) is cls and (err.status, err.code) == (None, name)
    assert len(bedrock.bodies) == (3 if retried else 1)
