"""The transport seam: one sync and one async method that send a ``WireRequest``.

Everything above this seam (providers, retries, caching, the tool loop) is independent of the
HTTP library. The default implementation uses httpx2 with one pooled client per transport (one
transport per ``LLM``, i.e. per base URL and credentials). httpx2's exceptions never leave this
module: they become modelport errors, with ``before_response`` telling the retry loop whether the
server had sent anything yet.
"""

from __future__ import annotations

import weakref
from collections.abc import AsyncIterator, Iterator, Mapping
from typing import TYPE_CHECKING, Any, Protocol

from .._errors import LLMTimeoutError, ModelRequestError, ProviderConnectionError
from .._wire import WireRequest
from ._timeouts import Timeouts

# asyncio is imported where an async client is used, not here: a sync call must not pay for it.
if TYPE_CHECKING:
    import asyncio

    import httpx2

__all__ = [
    "AsyncRawResponse",
    "HttpxTransport",
    "RawResponse",
    "Transport",
    "connection_error",
]


class RawResponse(Protocol):
    status: int
    headers: Mapping[str, str]

    def iter_bytes(self) -> Iterator[bytes]: ...

    def read(self) -> bytes: ...

    def close(self) -> None: ...

    def abort(self) -> None:
        """Interrupt a blocked read from another thread (used to enforce deadlines)."""
        ...


class AsyncRawResponse(Protocol):
    status: int
    headers: Mapping[str, str]

    def aiter_bytes(self) -> AsyncIterator[bytes]: ...

    async def aread(self) -> bytes: ...

    async def aclose(self) -> None: ...


class Transport(Protocol):
    """Send a request and return as soon as the status line and headers arrived."""

    def send(self, request: WireRequest, timeouts: Timeouts) -> RawResponse: ...

    async def asend(self, request: WireRequest, timeouts: Timeouts) -> AsyncRawResponse: ...

    def close(self) -> None: ...

    async def aclose(self) -> None: ...


def connection_error(
    message: str,
    *,
    before_response: bool,
    phase: str | None = None,
    fresh_connection: bool = False,
) -> ModelRequestError:
    """A transport failure as a modelport error; ``before_response`` drives the free retry."""
    facts = {"before_response": before_response, "fresh_connection": fresh_connection}
    if phase is not None:
        return LLMTimeoutError(f"{phase} timeout: {message}", phase=phase, **facts)
    return ProviderConnectionError(message, **facts)


def _translate(exc: BaseException, *, before_response: bool) -> ModelRequestError:
    import httpx2

    text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    if isinstance(exc, httpx2.ConnectTimeout):
        return connection_error(text, before_response=True, phase="connect")
    if isinstance(exc, httpx2.ReadTimeout):
        return connection_error(text, before_response=before_response, phase="read")
    if isinstance(exc, (httpx2.WriteTimeout, httpx2.PoolTimeout)):
        return connection_error(text, before_response=True, phase="write")
    if isinstance(exc, httpx2.ConnectError):
        return connection_error(
            f"cannot connect: {text}", before_response=True, fresh_connection=True
        )
    return connection_error(text, before_response=before_response)


def _httpx_timeout(timeouts: Timeouts) -> httpx2.Timeout:
    import httpx2

    return httpx2.Timeout(
        connect=timeouts.connect, read=timeouts.read, write=timeouts.read, pool=timeouts.connect
    )


def _build(
    client: httpx2.Client | httpx2.AsyncClient, request: WireRequest, timeouts: Timeouts
) -> httpx2.Request:
    return client.build_request(
        request.method,
        request.url,
        headers=request.headers,
        content=request.content,
        timeout=_httpx_timeout(timeouts),
    )


class _SyncResponse:
    __slots__ = ("_resp", "headers", "status")

    def __init__(self, resp: httpx2.Response) -> None:
        self._resp = resp
        self.status = resp.status_code
        self.headers: Mapping[str, str] = resp.headers

    def iter_bytes(self) -> Iterator[bytes]:
        import httpx2

        resp = self._resp
        # No content-encoding: skip httpx2's decoder layer (measurably cheaper per chunk).
        chunks = resp.iter_bytes() if "content-encoding" in resp.headers else resp.iter_raw()
        try:
            yield from chunks
        except httpx2.HTTPError as exc:
            raise _translate(exc, before_response=False) from None

    def read(self) -> bytes:
        import httpx2

        try:
            return self._resp.read()
        except httpx2.HTTPError as exc:
            raise _translate(exc, before_response=False) from None

    def close(self) -> None:
        self._resp.close()

    def abort(self) -> None:
        """Wake a read blocked in another thread (deadline watchdog): shut the socket down."""
        stream = self._resp.extensions.get("network_stream")
        sock = stream.get_extra_info("socket") if stream is not None else None
        if sock is not None:
            import socket

            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class _AsyncResponse:
    __slots__ = ("_resp", "headers", "status")

    def __init__(self, resp: httpx2.Response) -> None:
        self._resp = resp
        self.status = resp.status_code
        self.headers: Mapping[str, str] = resp.headers

    async def aiter_bytes(self) -> AsyncIterator[bytes]:
        import httpx2

        resp = self._resp
        chunks = resp.aiter_bytes() if "content-encoding" in resp.headers else resp.aiter_raw()
        try:
            async for chunk in chunks:
                yield chunk
        except httpx2.HTTPError as exc:
            raise _translate(exc, before_response=False) from None

    async def aread(self) -> bytes:
        import httpx2

        try:
            return await self._resp.aread()
        except httpx2.HTTPError as exc:
            raise _translate(exc, before_response=False) from None

    async def aclose(self) -> None:
        await self._resp.aclose()


class HttpxTransport:
    """httpx2-backed transport. Clients are created on first use, so an ``LLM`` that is never
    called never imports httpx2. The async client belongs to the event loop that created it; a
    call from another loop (``asyncio.run`` twice, or the sync tool loop's background loop) gets
    its own client instead of a broken pool.

    An ``http://`` request (a local server: LM Studio, llama.cpp, vLLM, Ollama) does no TLS, yet
    every httpx2 client loads the CA certificates when it is made: 20-45 ms, most of a first
    call's cost after the imports. So with the default options such requests go through clients
    whose SSL context loads none; ``https://`` requests always use fully verified ones.
    Redirects are never followed, and a proxy reached over TLS (``HTTP_PROXY=https://...``) is
    verified all the same: httpx2 gives a proxy its own default context, whatever ``verify``
    says (tests/core/test_httpx_transport.py holds both).
    """

    def __init__(
        self, *, max_connections: int = 512, client_options: dict[str, Any] | None = None
    ) -> None:
        self._max_connections = max_connections
        self._options = dict(client_options or {})
        # Clients by "plain": True serves http:// requests, verifying nothing (they never do
        # TLS); a configured client is used as configured, for every URL.
        self._plain_ok = not self._options
        self._sync: dict[bool, httpx2.Client] = {}
        # One async client per event loop: a pool belongs to the loop that created it.
        self._async: dict[
            bool, weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, httpx2.AsyncClient]
        ] = {True: weakref.WeakKeyDictionary(), False: weakref.WeakKeyDictionary()}
        self._closing: set[asyncio.Task[None]] = set()

    def _new_client_options(self, plain: bool) -> dict[str, Any]:
        import httpx2

        limits = httpx2.Limits(
            max_connections=self._max_connections,
            max_keepalive_connections=min(self._max_connections, 256),
        )
        return {"limits": limits, **({"verify": False} if plain else self._options)}

    def _sync_client(self, url: str) -> httpx2.Client:
        plain = self._plain_ok and url.startswith("http://")
        client = self._sync.get(plain)
        if client is None:
            import httpx2

            client = self._sync[plain] = httpx2.Client(**self._new_client_options(plain))
        return client

    def _async_client(self, url: str) -> httpx2.AsyncClient:
        import asyncio

        plain = self._plain_ok and url.startswith("http://")
        clients = self._async[plain]
        loop = asyncio.get_running_loop()
        client = clients.get(loop)
        if client is None:
            import httpx2

            client = clients[loop] = httpx2.AsyncClient(**self._new_client_options(plain))
        return client

    def send(self, request: WireRequest, timeouts: Timeouts) -> RawResponse:
        import httpx2

        client = self._sync_client(request.url)
        req = _build(client, request, timeouts)
        try:
            return _SyncResponse(client.send(req, stream=True))
        except httpx2.HTTPError as exc:
            raise _translate(exc, before_response=True) from None

    async def asend(self, request: WireRequest, timeouts: Timeouts) -> AsyncRawResponse:
        import httpx2

        client = self._async_client(request.url)
        req = _build(client, request, timeouts)
        try:
            return _AsyncResponse(await client.send(req, stream=True))
        except httpx2.HTTPError as exc:
            raise _translate(exc, before_response=True) from None

    def close(self) -> None:
        sync, self._sync = self._sync, {}
        for sync_client in sync.values():
            sync_client.close()
        clients = [item for by_loop in self._async.values() for item in by_loop.items()]
        if not clients:
            return
        import asyncio

        try:
            running: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        self._async = {True: weakref.WeakKeyDictionary(), False: weakref.WeakKeyDictionary()}
        for loop, client in clients:
            if loop.is_closed():
                continue  # its connections went with the loop
            if loop is running:
                task = loop.create_task(client.aclose())
                self._closing.add(task)
                task.add_done_callback(self._closing.discard)
            elif loop.is_running():
                asyncio.run_coroutine_threadsafe(client.aclose(), loop)
            else:
                loop.run_until_complete(client.aclose())

    async def aclose(self) -> None:
        import asyncio

        loop = asyncio.get_running_loop()
        for by_loop in self._async.values():
            client = by_loop.pop(loop, None)
            if client is not None:
                await client.aclose()
        self.close()
