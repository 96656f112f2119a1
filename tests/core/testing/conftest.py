"""Fixtures for testing the scripted server itself: a server per test and a raw HTTP client.

The raw client exists because httpx2 hides exactly what these tests must see: where HTTP
chunk boundaries fall, whether the connection ended with FIN or RST, which headers were sent.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from modelport.testing import ScriptedServer


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    with ScriptedServer() as s:
        yield s
    assert not s.errors, s.errors


@pytest.fixture(autouse=True)
def _no_leaked_server_threads() -> Iterator[None]:
    yield
    leaked = [t.name for t in threading.enumerate() if t.name.startswith("ScriptedServer:")]
    assert not leaked, f"server threads still running after the test: {leaked}"


@dataclass
class RawResponse:
    status: int
    reason: str
    headers: dict[str, str]
    header_names: list[str]
    body: bytes
    chunks: list[bytes] | None  # one item per HTTP chunk, when chunked


class RawConnection:
    """One TCP connection speaking hand-written HTTP/1.1."""

    def __init__(self, port: int, timeout: float = 3.0) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buf = b""

    def __enter__(self) -> RawConnection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.sock.close()

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def request(
        self,
        method: str = "POST",
        path: str = "/v1/chat/completions",
        body: bytes = b"",
        headers: dict[str, str] | None = None,
    ) -> None:
        lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1"]
        if body or method == "POST":
            lines.append(f"Content-Length: {len(body)}")
        lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
        self.send(("\r\n".join(lines) + "\r\n\r\n").encode() + body)

    def _more(self) -> None:
        data = self.sock.recv(65536)
        if not data:
            raise EOFError(f"connection closed; unparsed bytes: {self.buf[:200]!r}")
        self.buf += data

    def _until(self, marker: bytes) -> bytes:
        while marker not in self.buf:
            self._more()
        head, _, self.buf = self.buf.partition(marker)
        return head

    def _exactly(self, n: int) -> bytes:
        while len(self.buf) < n:
            self._more()
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def read_head(self) -> RawResponse:
        head = self._until(b"\r\n\r\n").decode("latin-1").split("\r\n")
        version, status, reason = head[0].split(" ", 2)
        assert version == "HTTP/1.1"
        headers: dict[str, str] = {}
        names: list[str] = []
        for line in head[1:]:
            name, _, value = line.partition(":")
            names.append(name)
            headers[name.lower()] = value.strip()
        return RawResponse(int(status), reason, headers, names, b"", None)

    def read_chunk(self) -> bytes:
        size = int(self._until(b"\r\n").split(b";")[0], 16)
        data = self._exactly(size)
        assert self._exactly(2) == b"\r\n"
        return data

    def read_response(self, *, head_only: bool = False) -> RawResponse:
        response = self.read_head()
        if head_only:
            return response
        if response.headers.get("transfer-encoding") == "chunked":
            chunks = []
            while chunk := self.read_chunk():
                chunks.append(chunk)
            response.chunks = chunks
            response.body = b"".join(chunks)
        elif "content-length" in response.headers:
            response.body = self._exactly(int(response.headers["content-length"]))
        else:
            response.body = self.read_to_end()
        return response

    def read_to_end(self) -> bytes:
        """Everything until FIN; ``ConnectionResetError`` propagates if the peer sent RST."""
        out, self.buf = self.buf, b""
        while data := self.sock.recv(65536):
            out += data
        return out

    def closed_by_peer(self, timeout: float = 2.0) -> bool:
        """True when the server ended the connection (FIN or RST) within ``timeout``."""
        self.sock.settimeout(timeout)
        try:
            return self.sock.recv(1) == b""
        except ConnectionResetError:
            return True
        except TimeoutError:
            return False


@pytest.fixture
def raw(server: ScriptedServer) -> Iterator[RawConnection]:
    with RawConnection(server.port) as connection:
        yield connection


@pytest.fixture
def connect(server: ScriptedServer) -> Iterator[Callable[..., RawConnection]]:
    """Open more raw connections (to ``server`` unless a port is given); all closed at the end."""
    opened: list[RawConnection] = []

    def make(port: int | None = None, timeout: float = 3.0) -> RawConnection:
        connection = RawConnection(port or server.port, timeout)
        opened.append(connection)
        return connection

    yield make
    for connection in opened:
        connection.close()
