"""A sync transport on the standard library's ``http.client``, plugged into the transport seam.

Why: httpx2's sync client costs about 600 µs of CPU per request and 13-16 µs per streamed chunk
on a small machine; ``http.client`` reads a chunk in about 3 µs. For sync streaming and
high-volume sync calls that difference is most of modelport's overhead. Async calls are
delegated to httpx2 (``HttpxTransport``), so this is a drop-in ``transport=`` for an ``LLM``.

Limits, by design: HTTP/1.1 only, no proxy support (``HTTP(S)_PROXY`` are not read), TLS with
the default SSL context (system CAs). Use the default transport when you need those.
"""

from __future__ import annotations

import http.client
import socket
import threading
import zlib
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import urlsplit

from .._errors import ModelRequestError
from .._wire import WireRequest
from ._timeouts import Timeouts
from ._transport import AsyncRawResponse, HttpxTransport, RawResponse, connection_error

__all__ = ["StdlibTransport"]

_Key = tuple[str, str, int]
_READ = 64 * 1024


def _headers(resp: http.client.HTTPResponse) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in resp.getheaders():
        key = name.lower()
        out[key] = f"{out[key]}, {value}" if key in out else value
    return out


class _Response:
    __slots__ = ("_conn", "_decoder", "_done", "_pool", "_resp", "headers", "status")

    def __init__(
        self,
        conn: http.client.HTTPConnection,
        resp: http.client.HTTPResponse,
        pool: StdlibTransport,
    ) -> None:
        self._conn = conn
        self._resp = resp
        self._pool = pool
        self._done = False
        self.status = resp.status
        self.headers: Mapping[str, str] = _headers(resp)
        encoding = self.headers.get("content-encoding", "").strip().lower()
        if encoding in ("gzip", "x-gzip"):
            self._decoder: Any = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif encoding == "deflate":
            self._decoder = zlib.decompressobj()
        else:
            self._decoder = None

    def iter_bytes(self) -> Iterator[bytes]:
        read1 = self._resp.read1
        decoder = self._decoder
        try:
            while True:
                chunk = read1(_READ)
                if not chunk:
                    break
                if decoder is not None:
                    chunk = decoder.decompress(chunk)
                    if not chunk:
                        continue
                yield chunk
            if decoder is not None:
                tail = decoder.flush()
                if tail:
                    yield tail
            # Mark the response closed (http.client does not always, e.g. after the last byte of
            # a Content-Length body), so the connection can carry the next request.
            self._resp.close()
        except TimeoutError:
            raise connection_error("read timed out", before_response=False, phase="read") from None
        except (http.client.HTTPException, OSError, zlib.error) as exc:
            raise connection_error(f"{type(exc).__name__}: {exc}", before_response=False) from None
        self._done = True

    def read(self) -> bytes:
        return b"".join(self.iter_bytes())

    def close(self) -> None:
        if self._done and not self._resp.will_close:
            self._pool._release(self._conn)
        else:
            self._conn.close()

    def abort(self) -> None:
        sock = self._conn.sock
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class StdlibTransport:
    """``transport=StdlibTransport()``: sync calls over ``http.client`` with a keep-alive pool
    per host; async calls through httpx2."""

    def __init__(
        self, *, max_idle_per_host: int = 32, async_transport: HttpxTransport | None = None
    ) -> None:
        self._idle: dict[_Key, list[http.client.HTTPConnection]] = {}
        self._max_idle = max_idle_per_host
        self._lock = threading.Lock()
        self._async = async_transport or HttpxTransport()

    def _key(self, url: str) -> tuple[_Key, str]:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        port = parts.port or (443 if scheme == "https" else 80)
        target = parts.path or "/"
        if parts.query:
            target += "?" + parts.query
        return (scheme, parts.hostname or "", port), target

    def _connection(self, key: _Key, timeouts: Timeouts) -> http.client.HTTPConnection:
        with self._lock:
            idle = self._idle.get(key)
            if idle:
                return idle.pop()
        scheme, host, port = key
        if scheme == "https":
            import ssl

            conn: http.client.HTTPConnection = http.client.HTTPSConnection(
                host, port, timeout=timeouts.connect, context=ssl.create_default_context()
            )
        elif scheme == "http":
            conn = http.client.HTTPConnection(host, port, timeout=timeouts.connect)
        else:
            raise connection_error(f"unsupported URL scheme {scheme!r}", before_response=True)
        return conn

    def _release(self, conn: http.client.HTTPConnection) -> None:
        key = (
            "https" if isinstance(conn, http.client.HTTPSConnection) else "http",
            conn.host,
            conn.port,
        )
        with self._lock:
            idle = self._idle.setdefault(key, [])
            if len(idle) < self._max_idle:
                idle.append(conn)
                return
        conn.close()

    def send(self, request: WireRequest, timeouts: Timeouts) -> RawResponse:
        key, target = self._key(request.url)
        conn = self._connection(key, timeouts)
        connected = conn.sock is not None
        try:
            if not connected:
                conn.connect()
                connected = True
            conn.sock.settimeout(timeouts.read)
            conn.request(request.method, target, body=request.content, headers=request.headers)
            resp = conn.getresponse()
        except Exception as exc:
            conn.close()
            raise _translate(exc, connected=connected) from None
        return _Response(conn, resp, self)

    async def asend(self, request: WireRequest, timeouts: Timeouts) -> AsyncRawResponse:
        return await self._async.asend(request, timeouts)

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, {}
        for conns in idle.values():
            for conn in conns:
                conn.close()
        self._async.close()

    async def aclose(self) -> None:
        await self._async.aclose()
        self.close()


def _translate(exc: Exception, *, connected: bool) -> ModelRequestError:
    """Map a failure before the response headers; never anything after them."""
    text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    if not connected:
        if isinstance(exc, TimeoutError):
            return connection_error(text, before_response=True, phase="connect")
        return connection_error(
            f"cannot connect: {text}", before_response=True, fresh_connection=True
        )
    if isinstance(exc, TimeoutError):
        return connection_error(text, before_response=True, phase="read")
    if isinstance(exc, (http.client.HTTPException, OSError)):
        return connection_error(text, before_response=True)
    raise exc
