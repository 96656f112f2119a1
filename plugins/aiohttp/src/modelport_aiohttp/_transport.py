"""``AiohttpTransport``: async requests over aiohttp, sync requests through a sync transport.

aiohttp's client does a request, and a streamed chunk, in a fraction of httpx2's CPU (see
bench/bench_aiohttp.py), which is most of a call's overhead once the provider's work is small.
This module is imported only when an ``LLM`` chooses the transport, and imports aiohttp.

How it behaves, next to the core's transports:

- One ``aiohttp.ClientSession`` per event loop, created on the first call from that loop: a
  session and its pool belong to their loop. A session is closed when its loop shuts down
  (``asyncio.run`` ends: a guard registered with the loop's async-generator shutdown closes it
  while the loop still runs), when the transport is closed, or, for a loop closed without that
  shutdown, dropped when the next session is created.
- Pooled keep-alive connections (512 in all by default, as the httpx2 transport); gzip and
  deflate bodies are decoded (aiohttp asks for them); redirects are not followed (as httpx2);
  TLS with OpenSSL's default CA paths (``connector_options={"ssl": ctx}`` for another).
- Proxies from the environment (``HTTP_PROXY``, ``HTTPS_PROXY``, ``ALL_PROXY``, ``NO_PROXY``),
  read once per transport, as httpx2 reads them once per client. aiohttp's own
  ``trust_env=True`` is not used: it re-reads them, and ``~/.netrc``, in a worker thread on
  every request, and a ``.netrc`` entry for a provider's host would clash with its API key.
- Timeouts as the other transports map ``modelport.Timeouts``: ``connect`` bounds getting a
  connection (from the pool or a new one), ``read`` the silence between two reads, headers
  included; ``first_chunk`` and ``total`` are the core's.
- Errors are modelport errors (``modelport.transport.connection_error``): connection refused
  is ``fresh_connection=True`` (retried as an attempt), and any other failure before the
  response headers is ``before_response=True``, so a pooled connection that the server closed
  after its last reply (llama.cpp does, without saying so) costs one free retry, not an error.
- Sync calls (``complete``, ``stream``) go to ``sync_transport``, httpx2 by default: the same
  proxies and TLS trust as today's sync path, no event loop, no thread hop. Pass
  ``sync_transport=modelport.StdlibTransport()`` for the cheapest sync calls (no proxies).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncGenerator, AsyncIterator, Coroutine, Mapping
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

import aiohttp
from modelport import ModelRequestError, Timeouts
from modelport.provider import WireRequest
from modelport.transport import (
    AsyncRawResponse,
    HttpxTransport,
    RawResponse,
    Transport,
    connection_error,
)

__all__ = ["AiohttpTransport"]

# How a URL is reached: the proxy, headers for the proxy's CONNECT (https), headers for the
# request itself (plain http through a proxy carries Proxy-Authorization in the request).
_Route = tuple[str | None, dict[str, str] | None, dict[str, str] | None]
_DIRECT: _Route = (None, None, None)
_Entry = tuple[aiohttp.ClientSession, AsyncGenerator[None, None]]  # a session and its guard
_CACHE_MAX = 256  # distinct URLs / timeout pairs remembered; cleared when full


def _translate(exc: BaseException, *, before_response: bool) -> ModelRequestError:
    """aiohttp's failure as a modelport error, with the facts the retry loop decides on."""
    text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return connection_error(text, before_response=True, phase="connect")
    if isinstance(exc, TimeoutError):  # SocketTimeoutError: the read timeout
        return connection_error(text, before_response=before_response, phase="read")
    if isinstance(exc, aiohttp.ClientConnectorError):  # refused, DNS, TLS handshake, proxy
        return connection_error(
            f"cannot connect: {text}", before_response=True, fresh_connection=True
        )
    return connection_error(text, before_response=before_response)


class _Response:
    """The response once its headers arrived; the body is read incrementally."""

    __slots__ = ("_done", "_resp", "headers", "status")

    def __init__(self, resp: aiohttp.ClientResponse) -> None:
        self._resp = resp
        self._done = False
        self.status = resp.status
        # Case-insensitive, as the core and providers look headers up in lower case.
        self.headers: Mapping[str, str] = resp.headers

    async def aiter_bytes(self) -> AsyncIterator[bytes]:
        # Whatever has arrived, in one read (``readany``): while the caller keeps up that is one
        # SSE event per read, as the server flushed it; once it falls behind, one read carries
        # many events and the per-read cost (this generator, the core's reader and program
        # step) is paid once for all of them. The decoders give the same events for any split.
        readany = self._resp.content.readany
        try:
            while True:
                chunk = await readany()
                if not chunk:  # b"": the end of the body
                    break
                yield chunk
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise _translate(exc, before_response=False) from None
        self._done = True

    async def aread(self) -> bytes:
        try:
            body = await self._resp.read()
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise _translate(exc, before_response=False) from None
        self._done = True
        return body

    async def aclose(self) -> None:
        if self._done:
            self._resp.release()  # a body read to its end: the connection goes back to the pool
        else:
            self._resp.close()  # a body cut short: its connection cannot carry another request


class AiohttpTransport:
    """``LLM(..., transport="aiohttp")``, or an instance to configure it:

    ``limit`` caps the connections of one event loop's pool (``limit_per_host`` per host, 0
    for no cap), ``trust_env`` reads proxies from the environment, ``sync_transport`` serves
    the sync API (default: ``modelport.HttpxTransport()``). ``connector_options`` and
    ``session_options`` go to ``aiohttp.TCPConnector`` and ``aiohttp.ClientSession`` as they
    are (e.g. ``{"ssl": my_ssl_context}``, ``{"keepalive_timeout": 30}``).
    """

    def __init__(
        self,
        *,
        limit: int = 512,
        limit_per_host: int = 0,
        trust_env: bool = True,
        sync_transport: Transport | None = None,
        connector_options: Mapping[str, Any] | None = None,
        session_options: Mapping[str, Any] | None = None,
    ) -> None:
        self._limit = limit
        self._limit_per_host = limit_per_host
        self._trust_env = trust_env
        self._sync: Transport = sync_transport if sync_transport is not None else HttpxTransport()
        self._connector_options = dict(connector_options or {})
        self._session_options = dict(session_options or {})
        # One session per event loop. A plain dict, not weak keys: a session refers to its
        # loop, so a weak key would never die; the guard removes its entry instead.
        self._sessions: dict[asyncio.AbstractEventLoop, _Entry] = {}
        self._lock = threading.Lock()
        self._timeouts: dict[tuple[float | None, float | None], aiohttp.ClientTimeout] = {}
        self._env_proxies: dict[str, str] | None = None
        self._routes: dict[str, _Route] = {}
        self._closing: set[asyncio.Task[None]] = set()

    # -- sync: delegated -----------------------------------------------------------------------

    def send(self, request: WireRequest, timeouts: Timeouts) -> RawResponse:
        return self._sync.send(request, timeouts)

    # -- async ---------------------------------------------------------------------------------

    async def asend(self, request: WireRequest, timeouts: Timeouts) -> AsyncRawResponse:
        loop = asyncio.get_running_loop()
        entry = self._sessions.get(loop)
        if entry is None or entry[0].closed:
            session = await self._new_session(loop)
        else:
            session = entry[0]
        url = request.url
        route = self._routes.get(url)
        if route is None:
            route = self._route(url)
        headers = request.headers if route[2] is None else {**request.headers, **route[2]}
        try:
            resp = await session.request(
                request.method,
                url,
                headers=headers,
                data=request.content,
                timeout=self._timeout(timeouts),
                allow_redirects=False,
                proxy=route[0],
                proxy_headers=route[1],
            )
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise _translate(exc, before_response=True) from None
        return _Response(resp)

    async def _new_session(self, loop: asyncio.AbstractEventLoop) -> aiohttp.ClientSession:
        with self._lock:
            stale = [(lp, e) for lp, e in self._sessions.items() if lp.is_closed()]
            for lp, _ in stale:
                del self._sessions[lp]
            connector = aiohttp.TCPConnector(
                limit=self._limit, limit_per_host=self._limit_per_host, **self._connector_options
            )
            session = aiohttp.ClientSession(connector=connector, **self._session_options)
            guard = self._guard(loop, session)
            self._sessions[loop] = (session, guard)
        for _, (old, _guard) in stale:
            _close_on_dead_loop(old)
        await guard.asend(None)  # started: the loop now finalizes it when it shuts down
        return session

    async def _guard(
        self, loop: asyncio.AbstractEventLoop, session: aiohttp.ClientSession
    ) -> AsyncGenerator[None, None]:
        """Closes ``session`` when closed itself: by ``asyncio.run`` (its ``shutdown_asyncgens``
        finalizes every started async generator while the loop still runs) or by ``close``."""
        try:
            yield
        finally:
            with self._lock:
                if self._sessions.get(loop, (None,))[0] is session:
                    del self._sessions[loop]
            try:
                await session.close()
            except Exception:  # closing what is already broken: nothing to give back
                pass

    def _timeout(self, timeouts: Timeouts) -> aiohttp.ClientTimeout:
        key = (timeouts.connect, timeouts.read)
        value = self._timeouts.get(key)
        if value is None:
            if len(self._timeouts) >= _CACHE_MAX:
                self._timeouts.clear()
            value = self._timeouts[key] = aiohttp.ClientTimeout(
                total=None,
                connect=timeouts.connect,
                sock_connect=timeouts.connect,
                sock_read=timeouts.read,
            )
        return value

    def _route(self, url: str) -> _Route:
        """The proxy (and its credentials) for ``url``, from the environment; remembered."""
        route = _DIRECT
        if self._trust_env:
            from urllib.request import getproxies, proxy_bypass

            if self._env_proxies is None:
                self._env_proxies = getproxies()
            parts = urlsplit(url)
            scheme = parts.scheme.lower()
            proxy = self._env_proxies.get(scheme) or self._env_proxies.get("all")
            if proxy and not (parts.hostname and proxy_bypass(parts.hostname)):
                proxy_url, auth = _split_proxy(proxy)
                if auth is None:
                    route = (proxy_url, None, None)
                elif scheme == "https":
                    route = (proxy_url, {"Proxy-Authorization": auth}, None)
                else:
                    route = (proxy_url, None, {"Proxy-Authorization": auth})
        if len(self._routes) >= _CACHE_MAX:
            self._routes.clear()
        self._routes[url] = route
        return route

    # -- closing -------------------------------------------------------------------------------

    def close(self) -> None:
        self._sync.close()
        self._close_sessions()

    async def aclose(self) -> None:
        entry = self._sessions.get(asyncio.get_running_loop())
        if entry is not None:
            await entry[1].aclose()
        await self._sync.aclose()
        self._close_sessions()

    def _close_sessions(self) -> None:
        with self._lock:
            entries, self._sessions = list(self._sessions.items()), {}
        try:
            running: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        for loop, (session, guard) in entries:
            if loop.is_closed():
                _close_on_dead_loop(session)
            elif loop is running:
                task = loop.create_task(_aclose(guard))
                self._closing.add(task)
                task.add_done_callback(self._closing.discard)
            elif loop.is_running():
                try:
                    asyncio.run_coroutine_threadsafe(_aclose(guard), loop)
                except RuntimeError:  # the loop closed meanwhile
                    _close_on_dead_loop(session)
            else:
                loop.run_until_complete(_aclose(guard))


async def _aclose(guard: AsyncGenerator[None, None]) -> None:
    await guard.aclose()


def _split_proxy(proxy: str) -> tuple[str, str | None]:
    """``http://user:pass@host:port`` -> the URL without credentials, and the
    ``Proxy-Authorization`` value that carries them."""
    parts = urlsplit(proxy if "://" in proxy else f"http://{proxy}")
    if parts.username is None:
        return urlunsplit(parts), None
    host = parts.hostname or ""
    netloc = f"[{host}]" if ":" in host else host
    if parts.port is not None:
        netloc += f":{parts.port}"
    auth = aiohttp.encode_basic_auth(unquote(parts.username), unquote(parts.password or ""))
    return urlunsplit(parts._replace(netloc=netloc)), auth


def _close_on_dead_loop(session: aiohttp.ClientSession) -> None:
    """Mark a session of a closed loop closed (no "Unclosed client session" at exit).

    Its loop is gone, so nothing can be awaited; aiohttp's ``close`` has then nothing to wait
    for and completes in one step, which is driven here by hand. The sockets were the loop's.
    """
    coro: Coroutine[Any, Any, None] = session.close()
    try:
        coro.send(None)
    except StopIteration:
        return
    except Exception:  # a half-closed session of a dead loop: nothing left to release
        return
    coro.close()
