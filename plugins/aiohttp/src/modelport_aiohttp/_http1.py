"""HTTP/1.1 on the client side, without I/O: a request's head as bytes, and a reader that turns
the bytes of one response, however they are split, into its head and its decoded body.

Why not aiohttp's own request and response objects: with 200 calls in flight they cost about
70 µs of CPU a request (a ``ClientRequest``, a ``ClientResponse``, a ``StreamReader`` and the
session's bookkeeping), which is more than all of modelport's own work for a call. aiohttp still
makes and pools the connections (``_exchange``); what is said over them is small and is here.

The reader follows RFC 9112: a response to ``HEAD``, a 1xx, 204 or 304 has no body;
``Transfer-Encoding: chunked`` wins over ``Content-Length``; with neither, the body lasts until
the server closes. Interim 1xx responses are skipped. ``gzip`` and ``deflate`` bodies are
decoded (the request asks for them). Anything else is an ``HttpProtocolError``, never a guess:
a head over 64 KiB, a bad status line, a bad chunk size, conflicting lengths, a body cut short.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping

from multidict import CIMultiDict

__all__ = ["HttpProtocolError", "ResponseReader", "encode_head"]

_MAX_HEAD = 65_536  # bytes of one response head, or of a chunk-size line or trailer
_SET_HERE = frozenset(("host", "content-length", "transfer-encoding"))
_NO_BODY_STATUS = frozenset((204, 304))
_HEX = b"0123456789abcdefABCDEF"

# reader states
_HEAD, _FIXED, _CHUNK_SIZE, _CHUNK_DATA, _CHUNK_END, _TRAILER, _UNTIL_CLOSE, _DONE = range(8)


class HttpProtocolError(Exception):
    """The server's bytes are not an HTTP/1.1 response (or end before one is complete)."""


def encode_head(
    method: str, target: str, host: str, headers: Mapping[str, str], body_size: int | None
) -> bytes:
    """The request line and headers. ``Host`` and ``Content-Length`` are this function's;
    ``Accept-Encoding`` (gzip, deflate) and ``User-Agent`` are added unless given. A CR or LF
    in a name or value (header injection) is refused; the message never shows the value, which
    may be a key."""
    parts = [method, " ", target, " HTTP/1.1\r\nHost: ", host, "\r\n"]
    lines = 2
    encoding = agent = False
    for name, value in headers.items():
        low = name.lower()
        if low in _SET_HERE:
            continue
        if low == "accept-encoding":
            encoding = True
        elif low == "user-agent":
            agent = True
        parts += (name, ": ", value, "\r\n")
        lines += 1
    if not encoding:
        parts.append("Accept-Encoding: gzip, deflate\r\n")
        lines += 1
    if not agent:
        parts.append("User-Agent: modelport-aiohttp\r\n")
        lines += 1
    if body_size is not None:
        parts += ("Content-Length: ", str(body_size), "\r\n")
        lines += 1
    parts.append("\r\n")
    lines += 1  # the blank line that ends the head
    head = "".join(parts)
    if head.count("\n") != lines or head.count("\r") != lines:
        raise ValueError("a request header name or value contains a line break")
    try:
        return head.encode("latin-1")
    except UnicodeEncodeError:
        raise ValueError("a request header name or value is not latin-1 text") from None


class ResponseReader:
    """Feed it the bytes of one response as they arrive (``feed``), and the end of the
    connection when it comes (``feed_eof``). ``head`` is set once the head is complete,
    ``body`` collects the decoded body as it arrives (the caller takes from it), ``done`` says
    the response is complete and ``reusable`` whether the connection can carry another one."""

    __slots__ = (
        "_buf",
        "_decoder",
        "_left",
        "_no_body",
        "_state",
        "body",
        "done",
        "headers",
        "reusable",
        "status",
    )

    def __init__(self, method: str) -> None:
        self._buf = b""
        self._state = _HEAD
        self._left = 0
        self._no_body = method == "HEAD"
        self._decoder: _Decoder | None = None
        self.status = 0
        self.headers: CIMultiDict[str] | None = None
        self.body: list[bytes] = []
        self.done = False
        self.reusable = False

    def feed(self, data: bytes) -> None:
        if self._buf:
            data = self._buf + data
            self._buf = b""
        state = self._state
        if state == _FIXED:  # the common case in a whole response: straight to the body
            data = self._fixed(data)
            if not data:
                return
            state = self._state
        while data:
            if state == _HEAD:
                data = self._head(data)
            elif state == _FIXED:
                data = self._fixed(data)
            elif state == _CHUNK_DATA:
                data = self._chunk_data(data)
            elif state == _CHUNK_SIZE:
                data = self._chunk_size(data)
            elif state == _CHUNK_END:
                data = self._chunk_end(data)
            elif state == _TRAILER:
                data = self._trailer(data)
            elif state == _UNTIL_CLOSE:
                self._emit(data)
                return
            else:  # _DONE: bytes past the end of the response
                self.reusable = False
                return
            state = self._state

    def feed_eof(self) -> None:
        """The server closed: the end of a body that lasts until then, else too early."""
        state = self._state
        if state == _DONE:
            return
        if state == _UNTIL_CLOSE:
            self._finish()
            self.reusable = False
            return
        where = "before the response head" if state == _HEAD else "in the middle of the body"
        raise HttpProtocolError(f"the server closed the connection {where}")

    # -- states: each takes the bytes and returns what it left (b"": wait for more) ---------

    def _head(self, data: bytes) -> bytes:
        end = data.find(b"\r\n\r\n")
        if end < 0:
            if len(data) > _MAX_HEAD:
                raise HttpProtocolError("the response head is larger than 64 KiB")
            self._buf = data
            return b""
        if end > _MAX_HEAD:
            raise HttpProtocolError("the response head is larger than 64 KiB")
        lines = data[:end].decode("latin-1").split("\r\n")
        rest = data[end + 4 :]
        version, _, status_text = lines[0].partition(" ")
        code = status_text[:3]
        if not (version.startswith("HTTP/1.") and code.isdigit() and len(code) == 3):
            raise HttpProtocolError(f"not an HTTP/1.1 status line: {lines[0][:80]!r}")
        status = int(code)
        headers: CIMultiDict[str] = CIMultiDict()
        for line in lines[1:]:
            name, colon, value = line.partition(":")
            if not colon or not name or name[-1] in " \t":
                if line[:1] in (" ", "\t") and headers:  # an obsolete folded continuation
                    last = list(headers.keys())[-1]
                    headers[last] = f"{headers.getone(last)} {line.strip()}"
                    continue
                raise HttpProtocolError(f"not a header line: {line[:80]!r}")
            headers.add(name, value.strip(" \t"))
        if 100 <= status < 200 and status != 101:
            return rest  # an interim response (100 Continue, 103 Early Hints): the real one follows
        self.status = status
        self.headers = headers
        self.reusable = version == "HTTP/1.1" and "close" not in _tokens(
            headers.get("connection", "")
        )
        self._decoder = _decoder(headers.get("content-encoding"))
        if self._no_body or status in _NO_BODY_STATUS or status < 200:
            self._finish()
            return rest
        if "transfer-encoding" in headers:
            codings = _tokens(",".join(headers.getall("transfer-encoding")))
            if not codings or codings[-1] != "chunked":
                self._state = _UNTIL_CLOSE
                self.reusable = False
            else:
                self._state = _CHUNK_SIZE
            return rest
        if "content-length" in headers:
            sizes = {v.strip() for v in ",".join(headers.getall("content-length")).split(",")}
            size = sizes.pop() if len(sizes) == 1 else ""
            if not size.isdigit():
                raise HttpProtocolError("the response has an invalid Content-Length")
            self._left = int(size)
            if self._left == 0:
                self._finish()
                return rest
            self._state = _FIXED
            return rest
        self._state = _UNTIL_CLOSE
        self.reusable = False
        return rest

    def _fixed(self, data: bytes) -> bytes:
        left = self._left
        if len(data) < left:
            self._left = left - len(data)
            self._emit(data)
            return b""
        self._emit(data[:left] if len(data) > left else data)
        self._finish()
        return data[left:]

    def _chunk_size(self, data: bytes) -> bytes:
        """A chunk-size line, and every whole chunk after it in one pass: a streamed event is
        usually one chunk, and one read can carry hundreds (a read takes up to 256 KiB). The
        pass moves an offset: slicing off each chunk would copy the rest of the read each time."""
        pos, size_of = 0, len(data)
        while True:
            end = data.find(b"\r\n", pos)
            if end < 0:
                if size_of - pos > _MAX_HEAD:
                    raise HttpProtocolError("a chunk-size line is longer than 64 KiB")
                self._buf = data[pos:]
                return b""
            text = data[pos:end]
            if b";" in text:  # a chunk extension: ignored
                text = text.split(b";", 1)[0]
            text = text.strip(b" \t")
            if not text or text.lstrip(_HEX) or len(text) > 16:
                raise HttpProtocolError(f"not a chunk size: {data[pos:end][:40]!r}")
            size = int(text, 16)
            start = end + 2
            if not size:
                self._state = _TRAILER
                return data[start:]
            stop = start + size
            if size_of < stop + 2:  # the chunk goes on in the next reads
                self._left = size
                self._state = _CHUNK_DATA
                return data[start:]
            if data[stop : stop + 2] != b"\r\n":
                raise HttpProtocolError("a chunk does not end with CRLF")
            self._emit(data[start:stop])
            pos = stop + 2
            if pos == size_of:
                return b""

    def _chunk_data(self, data: bytes) -> bytes:
        left = self._left
        if len(data) <= left:
            self._left = left - len(data)
            self._emit(data)
            if self._left == 0:
                self._state = _CHUNK_END
            return b""
        self._emit(data[:left])
        self._left = 0
        self._state = _CHUNK_END
        return data[left:]

    def _chunk_end(self, data: bytes) -> bytes:
        if len(data) < 2:
            if data != b"\r":
                raise HttpProtocolError("a chunk does not end with CRLF")
            self._buf = data
            return b""
        if data[:2] != b"\r\n":
            raise HttpProtocolError("a chunk does not end with CRLF")
        self._state = _CHUNK_SIZE
        return data[2:]

    def _trailer(self, data: bytes) -> bytes:
        end = data.find(b"\r\n")
        if end < 0:
            if len(data) > _MAX_HEAD:
                raise HttpProtocolError("the chunked trailer is larger than 64 KiB")
            self._buf = data
            return b""
        if end == 0:  # the blank line that ends the message
            self._finish()
        return data[end + 2 :]

    # -- the body --------------------------------------------------------------------------------

    def _emit(self, data: bytes) -> None:
        decoder = self._decoder
        if decoder is not None:
            data = decoder.feed(data)
            if not data:
                return
        self.body.append(data)

    def _finish(self) -> None:
        decoder = self._decoder
        if decoder is not None:
            tail = decoder.end()
            if tail:
                self.body.append(tail)
        self._state = _DONE
        self.done = True


def _tokens(value: str) -> list[str]:
    return [t.strip().lower() for t in value.split(",") if t.strip()]


class _Decoder:
    """A gzip or deflate body, decoded as it arrives; ``end`` refuses one cut short."""

    __slots__ = ("_first", "_gzip", "_z")

    def __init__(self, gzip: bool) -> None:
        self._gzip = gzip
        self._z: zlib._Decompress | None = None  # made on the first bytes: an empty body is fine
        self._first = b""  # deflate's first byte, until the second tells the wrapping

    def feed(self, data: bytes) -> bytes:
        z = self._z
        if z is None:
            if self._gzip:
                wbits = 16 + zlib.MAX_WBITS
            else:  # deflate: zlib-wrapped as the RFC says, or raw as some servers send it
                data = self._first + data
                if len(data) < 2:
                    self._first = data
                    return b""
                self._first = b""
                wrapped = data[0] & 0x0F == 8 and (data[0] << 8 | data[1]) % 31 == 0
                wbits = zlib.MAX_WBITS if wrapped else -zlib.MAX_WBITS
            z = self._z = zlib.decompressobj(wbits)
        try:
            return z.decompress(data)
        except zlib.error as exc:
            raise HttpProtocolError(f"the {self._kind} body does not decode: {exc}") from None

    def end(self) -> bytes:
        z = self._z
        if z is None:  # an empty body, or one byte of deflate
            if self._first:
                raise HttpProtocolError("the deflate body ends before its compressed data")
            return b""
        try:
            tail = z.flush()
        except zlib.error as exc:
            raise HttpProtocolError(f"the {self._kind} body does not decode: {exc}") from None
        if not z.eof:
            raise HttpProtocolError(f"the {self._kind} body ends before its compressed data")
        return tail

    @property
    def _kind(self) -> str:
        return "gzip" if self._gzip else "deflate"


def _decoder(encoding: str | None) -> _Decoder | None:
    if not encoding:
        return None
    codings = _tokens(encoding)
    if codings in (["gzip"], ["x-gzip"]):
        return _Decoder(gzip=True)
    if codings == ["deflate"]:
        return _Decoder(gzip=False)
    return None  # identity, or a coding not asked for: the body as it came
