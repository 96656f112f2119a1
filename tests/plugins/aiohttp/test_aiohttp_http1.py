"""The sans-IO HTTP/1.1 of modelport-aiohttp: request heads, and responses read from any split
of the same bytes (property tests), with every malformed response a typed error."""

from __future__ import annotations

import gzip
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from modelport_aiohttp._http1 import HttpProtocolError, ResponseReader, encode_head

# -- request heads -----------------------------------------------------------------------------


def test_the_head_has_host_length_and_the_defaults() -> None:
    head = encode_head("POST", "/v1/x?a=1", "api.example:8443", {"X-Key": "v"}, 12)
    assert head == (
        b"POST /v1/x?a=1 HTTP/1.1\r\nHost: api.example:8443\r\nX-Key: v\r\n"
        b"Accept-Encoding: gzip, deflate\r\nUser-Agent: modelport-aiohttp\r\n"
        b"Content-Length: 12\r\n\r\n"
    )


def test_given_headers_win_and_framing_headers_are_the_transports() -> None:
    given_headers = {
        "accept-encoding": "identity",
        "User-Agent": "mine/1",
        "Content-Length": "999",
        "Host": "evil",
        "Transfer-Encoding": "chunked",
    }
    head = encode_head("GET", "/", "h", given_headers, None).decode()
    assert "accept-encoding: identity\r\n" in head and "User-Agent: mine/1\r\n" in head
    assert "gzip" not in head and "modelport-aiohttp" not in head
    assert "999" not in head and "evil" not in head and "chunked" not in head
    assert "Content-Length" not in head  # a GET without a body says nothing about one


@pytest.mark.parametrize("bad", ["a\r\nX-Injected: 1", "a\nb", "a\rb"])
def test_a_line_break_in_a_header_is_refused_without_showing_it(bad: str) -> None:
    for headers in ({"Authorization": f"Bearer sk-{bad}"}, {f"X-{bad}": "v"}):
        with pytest.raises(ValueError, match="line break") as info:
            encode_head("GET", "/", "h", headers, None)
        assert "sk-" not in str(info.value) and "Injected" not in str(info.value)


def test_a_header_that_is_not_latin1_is_refused() -> None:
    with pytest.raises(ValueError, match="latin-1"):
        encode_head("GET", "/", "h", {"X-Name": "\u20ac"}, None)


# -- responses: the same events for any split --------------------------------------------------


def read(data: bytes, cuts: list[int] = [], method: str = "POST", eof: bool = False) -> tuple:  # noqa: B006
    """Feed ``data`` cut at ``cuts``; (status, headers, body, done, reusable)."""
    reader = ResponseReader(method)
    start = 0
    for cut in [*sorted(set(cuts)), len(data)]:
        reader.feed(data[start:cut])
        start = cut
    if eof:
        reader.feed_eof()
    headers = dict(reader.headers.items()) if reader.headers is not None else None
    return reader.status, headers, b"".join(reader.body), reader.done, reader.reusable


def chunked(body: bytes, sizes: list[int]) -> bytes:
    out, i = [], 0
    for size in sizes:
        piece = body[i : i + size]
        if not piece:
            break
        out.append(b"%x;ext=1\r\n" % len(piece) + piece + b"\r\n")
        i += size
    if i < len(body):
        out.append(b"%X\r\n" % (len(body) - i) + body[i:] + b"\r\n")
    return b"".join(out) + b"0\r\nX-Trailer: t\r\n\r\n"


FRAMINGS = ["length", "chunked", "gzip-length", "gzip-chunked", "deflate", "raw-deflate", "close"]


def response(body: bytes, framing: str, sizes: list[int]) -> tuple[bytes, bool]:
    """The bytes of a response that carries ``body``, and whether it lasts until EOF."""
    if framing.startswith("gzip"):
        wire, extra = gzip.compress(body), b"Content-Encoding: gzip\r\n"
    elif framing == "deflate":
        wire, extra = zlib.compress(body), b"Content-Encoding: deflate\r\n"
    elif framing == "raw-deflate":
        z = zlib.compressobj(wbits=-zlib.MAX_WBITS)
        wire, extra = z.compress(body) + z.flush(), b"Content-Encoding: Deflate\r\n"
    else:
        wire, extra = body, b""
    head = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n" + extra
    if framing.endswith("chunked"):
        return head + b"Transfer-Encoding: chunked\r\n\r\n" + chunked(wire, sizes), False
    if framing == "close":
        return head + b"\r\n" + wire, True
    return head + b"Content-Length: %d\r\n\r\n" % len(wire) + wire, False


@settings(max_examples=300, deadline=None)
@given(
    body=st.binary(max_size=600),
    framing=st.sampled_from(FRAMINGS),
    sizes=st.lists(st.integers(1, 90), max_size=12),
    cuts=st.lists(st.integers(0, 2000), max_size=25),
)
def test_any_split_gives_the_same_response(
    body: bytes, framing: str, sizes: list[int], cuts: list[int]
) -> None:
    data, until_close = response(body, framing, sizes)
    whole = read(data, [], eof=until_close)
    assert whole[0] == 200 and whole[2] == body and whole[3] is True
    assert whole[4] is (not until_close)
    assert read(data, [c % (len(data) + 1) for c in cuts], eof=until_close) == whole


@settings(max_examples=200, deadline=None)
@given(body=st.binary(min_size=1, max_size=300), cut=st.integers(0, 400))
def test_a_body_cut_short_is_an_error_for_every_framing(body: bytes, cut: int) -> None:
    for framing in FRAMINGS[:5]:
        data, _ = response(body, framing, [7])
        head_end = data.index(b"\r\n\r\n") + 4
        short = data[: head_end + cut % (len(data) - head_end)]
        reader = ResponseReader("POST")
        reader.feed(short)
        assert not reader.done
        with pytest.raises(HttpProtocolError, match=r"closed the connection|ends before"):
            reader.feed_eof()


def test_several_events_in_one_feed_and_the_head_alone() -> None:
    data, _ = response(b"data: a\n\ndata: b\n\n", "chunked", [9, 9])
    end = data.index(b"\r\n\r\n") + 4
    reader = ResponseReader("POST")
    reader.feed(data[:end])
    assert reader.headers is not None and reader.headers["content-type"] == "text/event-stream"
    assert reader.headers["Content-Type"] == "text/event-stream"  # case-insensitive
    assert reader.body == [] and not reader.done
    reader.feed(data[end:])
    assert b"".join(reader.body) == b"data: a\n\ndata: b\n\n" and reader.done


# -- what has no body, and when the connection is not reused -----------------------------------


@pytest.mark.parametrize(
    ("head", "method"),
    [
        (b"HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n", "DELETE"),
        (b"HTTP/1.1 304 Not Modified\r\n\r\n", "GET"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", "HEAD"),
    ],
)
def test_responses_without_a_body(head: bytes, method: str) -> None:
    assert read(head, method=method)[2:] == (b"", True, True)


def test_interim_responses_are_skipped() -> None:
    data = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early\r\nLink: x\r\n\r\n"
    data += b"HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok"
    status, headers, body, done, _ = read(data, [5, 30])
    assert (status, body, done) == (201, b"ok", True) and "link" not in (headers or {})


@pytest.mark.parametrize(
    "data",
    [
        b"HTTP/1.1 200 OK\r\nConnection: keep-alive, Close\r\nContent-Length: 2\r\n\r\nok",
        b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok",
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA",  # bytes past the response
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nok",  # not chunked: until close
    ],
)
def test_when_the_connection_cannot_be_reused(data: bytes) -> None:
    status, _, body, done, reusable = read(data, eof=b"gzip" in data)
    assert (status, body[:2], done, reusable) == (200, b"ok", True, False)


def test_a_folded_header_is_joined_and_repeated_headers_kept() -> None:
    data = b"HTTP/1.1 200 OK\r\nX-A: one\r\n two\r\nSet-Cookie: a\r\nSet-Cookie: b\r\n"
    reader = ResponseReader("GET")
    reader.feed(data + b"Content-Length: 0\r\n\r\n")
    assert reader.headers is not None and reader.headers["x-a"] == "one two"
    assert reader.headers.getall("set-cookie") == ["a", "b"]


def test_a_coding_not_asked_for_is_passed_as_it_came() -> None:
    data = b"HTTP/1.1 200 OK\r\nContent-Encoding: br\r\nContent-Length: 3\r\n\r\nabc"
    assert read(data)[2] == b"abc"


# -- malformed responses -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "match"),
    [
        (b"SSH-2.0-OpenSSH\r\n\r\n", "status line"),
        (b"HTTP/1.1 2x0 OK\r\n\r\n", "status line"),
        (b"HTTP/2 200\r\n\r\n", "status line"),
        (b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n", "header line"),
        (b"HTTP/1.1 200 OK\r\nName : v\r\n\r\n", "header line"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 2, 3\r\n\r\nok", "Content-Length"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", "Content-Length"),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "chunk size"),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1_0\r\n", "chunk size"),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0x5\r\n", "chunk size"),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nokXX", "CRLF"),
        (
            b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 4\r\n\r\nnope",
            "gzip body does not decode",
        ),
    ],
)
def test_malformed_responses_are_typed_errors(data: bytes, match: str) -> None:
    with pytest.raises(HttpProtocolError, match=match):
        ResponseReader("GET").feed(data)


def test_a_head_without_end_is_bounded() -> None:
    reader = ResponseReader("GET")
    reader.feed(b"HTTP/1.1 200 OK\r\n")
    with pytest.raises(HttpProtocolError, match="64 KiB"):
        for _ in range(70):
            reader.feed(b"X-Filler: " + b"x" * 1000 + b"\r\n")


def test_identical_repeated_lengths_are_one_length() -> None:
    data = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nok"
    assert read(data)[2:4] == (b"ok", True)


def test_the_end_before_the_head_is_an_error() -> None:
    reader = ResponseReader("GET")
    reader.feed(b"HTTP/1.1 200")
    with pytest.raises(HttpProtocolError, match="before the response head"):
        reader.feed_eof()
