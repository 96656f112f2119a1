from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from modelport import ProviderProtocolError
from modelport._http._sse import SSEDecoder, SSEEvent


def decode(chunks: list[bytes]) -> list[SSEEvent]:
    d = SSEDecoder()
    out: list[SSEEvent] = []
    for c in chunks:
        out += d.feed(c)
    return out + d.close()


def split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts})
    pieces, last = [], 0
    for p in points:
        pieces.append(data[last:p])
        last = p
    pieces.append(data[last:])
    return pieces


STREAM = (
    b": comment\r\n"
    b'event: message_start\r\ndata: {"a": 1}\r\n\r\n'
    b"data: line1\ndata: line2\n\n"
    b"id: 7\rdata: cr-only\r\r"
    b"data:no-space\n\n"
    b"data: [DONE]\n\n"
)


def test_fields_comments_and_line_endings() -> None:
    events = decode([STREAM])
    assert events == [
        SSEEvent("message_start", '{"a": 1}'),
        SSEEvent("message", "line1\nline2"),
        SSEEvent("message", "cr-only", "7"),
        SSEEvent("message", "no-space", "7"),  # the last event id persists (SSE spec)
        SSEEvent("message", "[DONE]", "7"),
    ]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=10_000), max_size=20))
def test_any_chunking_gives_the_same_events(cuts: list[int]) -> None:
    assert decode(split(STREAM, cuts)) == decode([STREAM])


def test_one_byte_at_a_time() -> None:
    assert decode([bytes([b]) for b in STREAM]) == decode([STREAM])


def test_final_event_without_blank_line_is_kept() -> None:
    assert decode([b"data: last"]) == [SSEEvent("message", "last")]


def test_malformed_line_is_a_typed_error() -> None:
    with pytest.raises(ProviderProtocolError, match="malformed SSE line"):
        decode([b"data: ok\n\nthis is not sse\n\n"])


def test_utf8_split_inside_a_character() -> None:
    data = "data: héllo ✓\n\n".encode()
    for i in range(len(data)):
        assert decode([data[:i], data[i:]]) == [SSEEvent("message", "héllo ✓")]


# Streams built from the pieces servers send, to hold the one-event-per-chunk fast path to the
# same events as the line-by-line path (a whole stream in one chunk takes the latter).
_PIECES = st.sampled_from(
    [
        b'data: {"x": 1}\n\n',  # the fast path's shape
        b"data: caf\xc3\xa9\n\n",
        b"data: \n\n",
        b"data: a\ndata: b\n\n",  # two data lines: one event
        b"data: a\n",  # a data line whose blank line comes in a later piece
        b"\n",
        b"event: error\n",
        b"id: 42\n",
        b": keep-alive\n",
        b"data: crlf\r\n\r\n",
        b"data: cr\r\r",
        b"data: tail\r",  # a CR at the end of one chunk, its LF maybe at the start of the next
        b"\ndata: after-lf\n\n",
        b"retry: 5\n",
        b"data:no-space\n\n",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_PIECES, max_size=12), st.lists(st.integers(0, 10_000), max_size=8))
def test_event_sized_and_arbitrary_chunks_give_the_same_events(
    pieces: list[bytes], cuts: list[int]
) -> None:
    whole = b"".join(pieces)
    expected = decode([whole])
    assert decode(pieces) == expected
    assert decode(split(whole, cuts)) == expected


def test_one_event_per_chunk_keeps_the_last_event_id_and_name_rules() -> None:
    chunks = [b"id: 7\n", b"data: a\n\n", b"event: ping\n", b"data: b\n\n", b"data: c\n\n"]
    assert decode(chunks) == [
        SSEEvent("message", "a", "7"),
        SSEEvent("ping", "b", "7"),
        SSEEvent("message", "c", "7"),
    ]
