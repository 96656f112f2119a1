"""One request and its response over a connection borrowed from aiohttp's pool.

aiohttp's connector opens, tunnels (proxies), secures (TLS), pools and expires connections. For
the one exchange, ``Exchange`` takes the connection's asyncio transport over
(``transport.set_protocol``), writes the request, feeds what arrives to the sans-IO reader
(``_http1``) and hands the body to the caller; then it gives the transport back to aiohttp's
protocol and the connection back to the pool, or closes it when it cannot carry another
request (a body cut short, ``Connection: close``, a body that lasted until the server closed).

An ``Exchange`` is also the response the core reads (``modelport.transport.AsyncRawResponse``):
one object a request instead of a protocol, a response and a stream reader.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping

from aiohttp.connector import Connection
from modelport import ModelRequestError
from modelport.transport import connection_error

from ._http1 import HttpProtocolError, ResponseReader

__all__ = ["Exchange"]

_HELD_PIECES = 32  # body reads held for a caller that does not keep up, before reading pauses


class Exchange(asyncio.Protocol):
    """Created by the transport with a connection from the pool; ``start`` sends the request,
    ``head`` waits for the response's head, then the core reads the body and calls ``aclose``."""

    __slots__ = (
        "_conn",
        "_error",
        "_given_back",
        "_last",
        "_loop",
        "_lost",
        "_lost_exc",
        "_paused",
        "_read_timeout",
        "_reader",
        "_timer",
        "_transport",
        "_waiter",
        "headers",
        "status",
    )

    def __init__(
        self,
        conn: Connection,
        transport: asyncio.Transport,
        method: str,
        read_timeout: float | None,
        loop: asyncio.AbstractEventLoop,
    ) -> None:
        self._conn = conn
        self._transport = transport
        self._reader = ResponseReader(method)
        self._read_timeout = read_timeout
        self._loop = loop
        self._waiter: asyncio.Future[None] | None = None
        self._error: ModelRequestError | None = None
        self._lost = False
        self._lost_exc: BaseException | None = None
        self._paused = False
        self._given_back = False
        self._timer: asyncio.TimerHandle | None = None
        self._last = loop.time()  # when bytes last came (or the request went)
        self.status = 0
        self.headers: Mapping[str, str] = {}

    # -- the request ---------------------------------------------------------------------------

    def start(self, head: bytes, body: bytes | None) -> None:
        transport = self._transport
        transport.set_protocol(self)
        if body is None:
            transport.write(head)
        elif len(body) < 65_536:
            transport.write(head + body)  # one send for a head and a small body
        else:
            transport.write(head)
            transport.write(body)

    async def head(self) -> None:
        """Until the response's status line and headers have arrived."""
        reader = self._reader
        while reader.headers is None:
            if self._error is not None:
                raise self._error
            await self._wait()
        self.status = reader.status
        self.headers = reader.headers

    # -- the body (modelport.transport.AsyncRawResponse) ---------------------------------------

    async def aiter_bytes(self) -> AsyncIterator[bytes]:
        """Whatever has arrived, in one piece: one SSE event per read while the caller keeps
        up, many once it falls behind (the core's decoders give the same events for any
        split). What arrived before a failure is delivered before the failure is raised."""
        reader = self._reader
        body = reader.body
        while True:
            if body:
                if len(body) == 1:
                    chunk = body.pop()
                else:
                    chunk = b"".join(body)
                    body.clear()
                yield chunk
            elif reader.done:
                return
            elif self._error is not None:
                raise self._error
            else:
                await self._wait()

    async def aread(self) -> bytes:
        reader = self._reader
        while not reader.done:
            if self._error is not None:
                raise self._error
            await self._wait()
        body = reader.body
        data = body[0] if len(body) == 1 else b"".join(body)
        body.clear()
        return data

    async def aclose(self) -> None:
        self.give_back()

    def give_back(self) -> None:
        """The transport to aiohttp's protocol again; the connection to the pool if it can
        carry another request, else closed. Idempotent."""
        if self._given_back:
            return
        self._given_back = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        conn, reader = self._conn, self._reader
        handler = conn.protocol
        if handler is not None:
            self._transport.set_protocol(handler)
        if self._lost:
            if handler is not None:
                handler.connection_lost(self._lost_exc)  # it held the transport when it went
            conn.close()
        elif reader.done and reader.reusable and self._error is None:
            if self._paused:
                self._transport.resume_reading()
            conn.release()
        else:
            conn.close()

    # -- waiting -------------------------------------------------------------------------------

    async def _wait(self) -> None:
        """Until anything new: bytes, the end, or a failure (``read`` seconds of silence)."""
        if self._paused:
            self._paused = False
            self._last = self._loop.time()
            self._transport.resume_reading()
        if self._timer is None and self._read_timeout is not None:
            self._timer = self._loop.call_at(self._last + self._read_timeout, self._check_silence)
        waiter = self._waiter = self._loop.create_future()
        try:
            await waiter
        finally:
            self._waiter = None

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def _check_silence(self) -> None:
        """One timer for the whole response, moved on only when it fires: a timer per read
        would cost more than the read (a stream's event is one read)."""
        self._timer = None
        reader = self._reader
        if reader.done or self._error is not None or self._given_back:
            return
        timeout = self._read_timeout
        assert timeout is not None
        loop = self._loop
        if self._paused:  # the caller stopped reading: the server's silence is ours
            self._timer = loop.call_later(timeout, self._check_silence)
            return
        due = self._last + timeout
        if due - loop.time() > 0.001:  # bytes came since the timer was set
            self._timer = loop.call_at(due, self._check_silence)
            return
        self._error = connection_error(
            f"no bytes from the server for {timeout} s",
            before_response=reader.headers is None,
            phase="read",
        )
        self._wake()

    # -- asyncio.Protocol ----------------------------------------------------------------------

    def data_received(self, data: bytes) -> None:
        self._last = self._loop.time()
        reader = self._reader
        if self._error is not None:
            return
        try:
            reader.feed(data)
        except HttpProtocolError as exc:
            self._fail(str(exc))
            return
        if len(reader.body) > _HELD_PIECES and not self._paused:
            self._paused = True
            self._transport.pause_reading()
        self._wake()

    def eof_received(self) -> bool:
        self._ended()
        return False  # the transport closes; connection_lost follows

    def connection_lost(self, exc: BaseException | None) -> None:
        self._lost = True
        self._lost_exc = exc
        self._ended(exc)

    def _ended(self, exc: BaseException | None = None) -> None:
        reader = self._reader
        if not reader.done and self._error is None:
            try:
                reader.feed_eof()
            except HttpProtocolError as failure:
                text = str(failure)
                self._fail(f"{text}: {type(exc).__name__}: {exc}" if exc else text)
        self._wake()

    def _fail(self, text: str) -> None:
        self._error = connection_error(text, before_response=self._reader.headers is None)
        self._wake()
