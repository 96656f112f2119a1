"""HTTP/1.1 on a blocking socket: request parsing, response framing and how connections end.

Written against the socket directly (not ``http.server``) because the faults this server
exists for live below that API: an RST instead of a FIN, a chunk flushed on its own, a
connection closed although keep-alive was advertised. Every read is bounded in size and in
time, so a misbehaving client under test makes the server give up, never hang.
"""

from __future__ import annotations

import json
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

__all__ = [
    "Limits",
    "ProtocolError",
    "RecordedRequest",
    "RequestReader",
    "chunk",
    "close_gracefully",
    "close_lingering",
    "encode_head",
    "reason_phrase",
    "reset",
    "wait_until_sent",
]

try:  # Linux/macOS: bytes queued in the socket but not yet acknowledged by the peer.
    import fcntl
    import termios

    _TIOCOUTQ: int | None = getattr(termios, "TIOCOUTQ", None)
except ImportError:  # pragma: no cover - Windows
    _TIOCOUTQ = None

_RECV = 65536
_MAX_LINE = 8192  # chunk-size lines and trailers of a chunked request body
_VERSIONS = frozenset({"HTTP/1.1", "HTTP/1.0"})
_TOKEN_BAD = frozenset(' \t\r\n"(),/:;<=>?@[\\]{}')


class ProtocolError(Exception):
    """The client sent something this server will not serve; answered with ``status``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True, slots=True)
class Limits:
    max_header_bytes: int
    max_headers: int
    max_body_bytes: int
    request_timeout: float


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """One request as the server received it.

    ``headers`` has lower-case names, repeated headers joined with ``", "``; ``raw_headers``
    keeps names as sent, in order. ``path`` excludes the query string (kept in ``query``), so
    tests compare paths without caring about ``api-version=...`` style parameters.
    ``connection`` numbers the TCP connections from 1, which shows keep-alive reuse (and a
    retry that had to open a new connection) without looking at ports.
    """

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    query: str = ""
    target: str = ""
    http_version: str = "HTTP/1.1"
    raw_headers: tuple[tuple[str, str], ...] = ()
    connection: int = 0
    received_at: float = field(default=0.0, compare=False)

    def json(self) -> Any:
        return json.loads(self.body)

    def text(self) -> str:
        return self.body.decode("utf-8")


class RequestReader:
    """Reads requests off one connection, keeping bytes of a pipelined next request."""

    __slots__ = ("_buf", "_connection", "_limits", "_sock")

    def __init__(self, sock: socket.socket, limits: Limits, connection: int) -> None:
        self._sock = sock
        self._limits = limits
        self._connection = connection
        self._buf = bytearray()

    def _recv(self, deadline: float) -> None:
        if time.monotonic() > deadline:
            raise ProtocolError(408, "request not received in time")
        data = self._sock.recv(_RECV)
        if not data:
            raise EOFError
        self._buf += data

    def read(self) -> RecordedRequest | None:
        """The next request, or None when the client closed (or went idle) between requests.

        Raises ``ProtocolError`` for requests to answer with an error and then close;
        ``OSError``/``EOFError`` when the connection died mid-request.
        """
        buf = self._buf
        limits = self._limits
        if not buf:
            try:
                data = self._sock.recv(_RECV)  # the idle wait: bounded by the socket timeout
            except TimeoutError:
                return None
            if not data:
                return None
            buf += data
        deadline = time.monotonic() + limits.request_timeout
        scanned = 0
        while True:
            end = buf.find(b"\n\n", scanned)
            crlf = buf.find(b"\r\n\r\n", scanned)
            if crlf >= 0 and (end < 0 or crlf < end):
                head, sep = bytes(buf[:crlf]), 4
                end = crlf
                break
            if end >= 0:
                head, sep = bytes(buf[:end]), 2
                break
            if len(buf) > limits.max_header_bytes:
                raise ProtocolError(431, "request header section too large")
            scanned = max(0, len(buf) - 3)
            self._recv(deadline)
        if end > limits.max_header_bytes:
            raise ProtocolError(431, "request header section too large")
        del buf[: end + sep]
        method, target, version, raw_headers, headers = self._parse_head(head)
        body = self._read_body(headers, version, deadline)
        path, _, query = target.partition("?")
        return RecordedRequest(
            method=method,
            path=path,
            headers=headers,
            body=body,
            query=query,
            target=target,
            http_version=version,
            raw_headers=raw_headers,
            connection=self._connection,
            received_at=time.time(),
        )

    def _parse_head(
        self, head: bytes
    ) -> tuple[str, str, str, tuple[tuple[str, str], ...], dict[str, str]]:
        lines = head.decode("latin-1").split("\n")
        parts = lines[0].rstrip("\r").split(" ")
        if len(parts) != 3:
            raise ProtocolError(400, f"malformed request line {lines[0][:200]!r}")
        method, target, version = parts
        if version not in _VERSIONS:
            raise ProtocolError(505, f"unsupported HTTP version {version[:20]!r}")
        if not method or any(c in _TOKEN_BAD for c in method):
            raise ProtocolError(400, f"malformed method {method[:20]!r}")
        if target.startswith(("http://", "https://")):  # absolute-form, as sent to proxies
            slash = target.find("/", target.find("//") + 2)
            target = target[slash:] if slash >= 0 else "/"
        if not target.startswith("/") and not (method == "OPTIONS" and target == "*"):
            raise ProtocolError(400, f"malformed request target {target[:200]!r}")
        if len(lines) - 1 > self._limits.max_headers:
            raise ProtocolError(431, "too many request headers")
        raw: list[tuple[str, str]] = []
        headers: dict[str, str] = {}
        for line in lines[1:]:
            line = line.rstrip("\r")
            name, sep, value = line.partition(":")
            if not sep or not name or any(c in _TOKEN_BAD for c in name):
                raise ProtocolError(400, f"malformed header line {line[:200]!r}")
            value = value.strip(" \t")
            raw.append((name, value))
            key = name.lower()
            headers[key] = f"{headers[key]}, {value}" if key in headers else value
        return method, target, version, tuple(raw), headers

    def _read_body(self, headers: dict[str, str], version: str, deadline: float) -> bytes:
        te = headers.get("transfer-encoding")
        cl = headers.get("content-length")
        if te is not None:
            if cl is not None:
                raise ProtocolError(400, "both Content-Length and Transfer-Encoding sent")
            if te.strip().lower() != "chunked":
                raise ProtocolError(501, f"unsupported Transfer-Encoding {te[:100]!r}")
            self._continue(headers, version)
            return self._read_chunked(deadline)
        if cl is None:
            return b""
        if not cl.isdigit() or len(cl) > 18:
            raise ProtocolError(400, f"malformed Content-Length {cl[:30]!r}")
        length = int(cl)
        if length > self._limits.max_body_bytes:
            raise ProtocolError(413, f"request body of {length} bytes is over the limit")
        if length == 0:
            return b""
        self._continue(headers, version)
        return self._take(length, deadline)

    def _continue(self, headers: dict[str, str], version: str) -> None:
        expects = headers.get("expect", "").lower() == "100-continue"
        if expects and version == "HTTP/1.1" and not self._buf:
            self._sock.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")

    def _take(self, length: int, deadline: float) -> bytes:
        buf = self._buf
        while len(buf) < length:
            self._recv(deadline)
        data = bytes(buf[:length])
        del buf[:length]
        return data

    def _line(self, deadline: float) -> bytes:
        buf = self._buf
        scanned = 0
        while True:
            i = buf.find(b"\n", scanned)
            if i >= 0:
                line = bytes(buf[:i]).rstrip(b"\r")
                del buf[: i + 1]
                return line
            if len(buf) > _MAX_LINE:
                raise ProtocolError(400, "chunked body line too long")
            scanned = len(buf)
            self._recv(deadline)

    def _read_chunked(self, deadline: float) -> bytes:
        out = bytearray()
        limit = self._limits.max_body_bytes
        while True:  # each pass consumes >= 1 byte and is bounded by limit and deadline
            size_text = self._line(deadline).split(b";", 1)[0].strip()
            try:
                size = int(size_text, 16)
            except ValueError:
                raise ProtocolError(400, f"malformed chunk size {size_text[:30]!r}") from None
            if size < 0:
                raise ProtocolError(400, "negative chunk size")
            if size == 0:
                for _ in range(self._limits.max_headers + 1):
                    if not self._line(deadline):  # trailers end with an empty line
                        return bytes(out)
                raise ProtocolError(431, "too many trailer lines")
            if len(out) + size > limit:
                raise ProtocolError(413, "chunked request body is over the limit")
            out += self._take(size, deadline)
            if self._take(2, deadline) != b"\r\n":
                raise ProtocolError(400, "chunk data not followed by CRLF")


def reason_phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


def encode_head(status: int, reason: str, headers: list[tuple[str, str]]) -> bytes:
    lines = [f"HTTP/1.1 {status} {reason}\r\n"]
    lines.extend(f"{name}: {value}\r\n" for name, value in headers)
    lines.append("\r\n")
    return "".join(lines).encode("latin-1")


def chunk(data: bytes) -> bytes:
    return b"%x\r\n%b\r\n" % (len(data), data)


def wait_until_sent(sock: socket.socket, stopping: threading.Event, timeout: float) -> None:
    """Wait (bounded) until the peer has acknowledged everything we sent.

    An RST discards whatever is still queued on our side; waiting first makes "the client got
    the first N chunks, then the reset" deterministic instead of a race with the kernel.
    """
    if _TIOCOUTQ is None:  # pragma: no cover - no way to ask; a short grace period
        stopping.wait(0.05)
        return
    deadline = time.monotonic() + timeout
    buf = struct.pack("i", 0)
    while time.monotonic() < deadline:
        try:
            queued = struct.unpack("i", fcntl.ioctl(sock.fileno(), _TIOCOUTQ, buf))[0]
        except OSError:
            return
        if queued <= 0 or stopping.wait(0.001):
            return


def reset(sock: socket.socket) -> None:
    """Close with SO_LINGER 0: the kernel sends RST, the peer sees ECONNRESET."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    sock.close()


def close_gracefully(sock: socket.socket) -> None:
    """FIN after everything queued, as a server closing a keep-alive connection does."""
    try:
        sock.shutdown(socket.SHUT_WR)
    except OSError:
        pass
    sock.close()


def close_lingering(sock: socket.socket, timeout: float = 0.5, limit: int = 1 << 20) -> None:
    """FIN, then read and discard what the client is still sending before closing.

    After refusing a request (413, 431...) unread request bytes would turn our close into an
    RST that can destroy the error response in flight; draining briefly lets it arrive.
    """
    try:
        sock.shutdown(socket.SHUT_WR)
        deadline = time.monotonic() + timeout
        drained = 0
        while drained < limit:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            sock.settimeout(remaining)
            data = sock.recv(_RECV)
            if not data:
                break
            drained += len(data)
    except OSError:
        pass
    sock.close()
