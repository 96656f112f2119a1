"""``AiohttpTransport``: async requests on aiohttp's connections, sync requests through a sync
transport.

aiohttp makes and pools the connections: DNS (with its cache), TLS, proxies and their CONNECT
tunnels, the pool's limits and the expiry of idle connections (``aiohttp.TCPConnector``).
What is said over a connection is modelport's own small HTTP/1.1 (``_http1``, ``_exchange``):
with 200 calls in flight, aiohttp's request and response objects cost more CPU than the rest of
a modelport call, and the exchange without them costs a fraction (docs/design-notes.md,
"Seventh pass"). This module is imported only when an ``LLM`` chooses the transport.

How it behaves, next to the core's transports:

- One connector (one pool) per event loop, created on the first call from that loop: a pool
  belongs to its loop. It is closed when its loop shuts down (``asyncio.run`` ends: a guard
  registered with the loop's async-generator shutdown closes it while the loop still runs),
  when the transport is closed, or, for a loop closed without that shutdown, dropped when the
  next one is created.
- Pooled keep-alive connections (512 in all by default, as the httpx2 transport); gzip and
  deflate bodies are asked for and decoded; redirects are not followed (as httpx2); TLS with
  OpenSSL's default CA paths (``connector_options={"ssl": ctx}`` for another).
- Proxies from the environment (``HTTP_PROXY``, ``HTTPS_PROXY``, ``ALL_PROXY``, ``NO_PROXY``),
  read once per transport, as httpx2 reads them once per client; ``~/.netrc`` is not read (a
  ``.netrc`` entry for a provider's host would clash with its API key).
- Timeouts as the other transports map ``modelport.Timeouts``: ``connect`` bounds getting a
  connection (from the pool or a new one), ``read`` the silence between two reads, headers
  included; ``first_chunk`` and ``total`` are the core's.
- Errors are modelport errors (``modelport.transport.connection_error``): connection refused
  is ``fresh_connection=True`` (retried as an attempt), and any other failure before the
  response head is ``before_response=True``, so a pooled connection that the server closed
  after its last reply (llama.cpp does, without saying so) costs one free retry, not an error.
  A response that is not HTTP/1.1, or a body cut short, is a ``ProviderConnectionError``.
- Sync calls (``complete``, ``stream``) go to ``sync_transport``, httpx2 by default: the same
  proxies and TLS trust as today's sync path, no event loop, no thread hop. Pass
  ``sync_transport=modelport.StdlibTransport()`` for the cheapest sync calls (no proxies).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncGenerator, Coroutine, Mapping
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

import aiohttp
from aiohttp import ClientRequest
from modelport import ConfigurationError, ModelRequestError, Timeouts
from modelport.provider import WireRequest
from modelport.transport import (
    AsyncRawResponse,
    HttpxTransport,
    RawResponse,
    Transport,
    connection_error,
)
from multidict import CIMultiDict
from yarl import URL

from ._exchange import Exchange
from ._http1 import encode_head

__all__ = ["AiohttpTransport"]

_Proxy = tuple[str | None, str | None]  # the proxy URL (no credentials), its Proxy-Authorization
_DIRECT: _Proxy = (None, None)
_CACHE_MAX = 256  # distinct URLs / timeouts remembered; cleared when full


class _Route:
    """How one URL is reached from one loop: the connector's pool key (a ``ClientRequest``
    that is never sent: aiohttp's connector takes the host, port, TLS and proxy from it), the
    request target and ``Host``, and the headers a plain-http proxy needs in the request."""

    __slots__ = ("extra", "host", "key", "target")

    def __init__(self, key: ClientRequest, target: str, host: str, extra: dict[str, str]) -> None:
        self.key, self.target, self.host, self.extra = key, target, host, extra


class _Pool:
    """One event loop's connector, the guard that closes it with the loop, its routes."""

    __slots__ = ("connector", "guard", "routes")

    def __init__(self, connector: aiohttp.TCPConnector) -> None:
        self.connector = connector
        self.guard: AsyncGenerator[None, None] | None = None
        self.routes: dict[str, _Route] = {}


def _translate(exc: BaseException) -> ModelRequestError:
    """A failure to get a connection, as a modelport error with the facts the retry loop uses."""
    text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    if isinstance(exc, TimeoutError):  # no free connection, or none made, within ``connect``
        return connection_error(text, before_response=True, phase="connect")
    if isinstance(exc, aiohttp.ClientConnectorError):  # refused, DNS, TLS handshake, proxy
        return connection_error(
            f"cannot connect: {text}", before_response=True, fresh_connection=True
        )
    return connection_error(text, before_response=True)


class AiohttpTransport:
    """``LLM(..., transport="aiohttp")``, or an instance to configure it:

    ``limit`` caps the connections of one event loop's pool (``limit_per_host`` per host, 0
    for no cap), ``trust_env`` reads proxies from the environment, ``sync_transport`` serves
    the sync API (default: ``modelport.HttpxTransport()``). ``connector_options`` go to
    ``aiohttp.TCPConnector`` as they are (e.g. ``{"ssl": my_ssl_context}``,
    ``{"keepalive_timeout": 30}``, ``{"resolver": ...}``).
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
        if session_options:
            raise ConfigurationError(
                "AiohttpTransport(session_options=...) is gone: the transport makes no "
                "aiohttp.ClientSession any more (aiohttp's connector makes the connections, "
                "modelport speaks HTTP/1.1 over them); pass connector_options=, or headers "
                "through the LLM"
            )
        self._limit = limit
        self._limit_per_host = limit_per_host
        self._trust_env = trust_env
        self._sync: Transport = sync_transport if sync_transport is not None else HttpxTransport()
        self._connector_options = dict(connector_options or {})
        # One pool per event loop. A plain dict, not weak keys: a connector refers to its
        # loop, so a weak key would never die; the guard removes its entry instead.
        self._pools: dict[asyncio.AbstractEventLoop, _Pool] = {}
        self._lock = threading.Lock()
        self._timeouts: dict[float | None, aiohttp.ClientTimeout] = {}
        self._env_proxies: dict[str, str] | None = None
        self._proxies: dict[str, _Proxy] = {}
        self._closing: set[asyncio.Task[None]] = set()

    # -- sync: delegated -----------------------------------------------------------------------

    def send(self, request: WireRequest, timeouts: Timeouts) -> RawResponse:
        return self._sync.send(request, timeouts)

    # -- async ---------------------------------------------------------------------------------

    async def asend(self, request: WireRequest, timeouts: Timeouts) -> AsyncRawResponse:
        loop = asyncio.get_running_loop()
        pool = self._pools.get(loop)
        if pool is None or pool.connector.closed:
            pool = await self._new_pool(loop)
        url = request.url
        route = pool.routes.get(url)
        if route is None:
            route = self._route(pool, url, loop)
        headers = request.headers if not route.extra else {**request.headers, **route.extra}
        body = request.content
        method = request.method
        sized = body is not None or method in ("POST", "PUT", "PATCH")
        head = encode_head(
            method, route.target, route.host, headers, (len(body) if body else 0) if sized else None
        )
        try:
            conn = await pool.connector.connect(route.key, [], self._timeout(timeouts.connect))
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            raise _translate(exc) from None
        transport = conn.transport
        if transport is None or transport.is_closing():  # closed between the pool and now
            conn.close()
            raise connection_error("the pooled connection was closed", before_response=True)
        exchange = Exchange(conn, transport, method, timeouts.read, loop)
        try:
            exchange.start(head, body)
            await exchange.head()
        except BaseException:  # a failure, or the caller cancelled: the connection is done
            exchange.give_back()
            raise
        return exchange

    async def _new_pool(self, loop: asyncio.AbstractEventLoop) -> _Pool:
        with self._lock:
            stale = [(lp, p) for lp, p in self._pools.items() if lp.is_closed()]
            for lp, _ in stale:
                del self._pools[lp]
            pool = _Pool(
                aiohttp.TCPConnector(
                    limit=self._limit,
                    limit_per_host=self._limit_per_host,
                    **self._connector_options,
                )
            )
            guard = pool.guard = self._guard(loop, pool)
            self._pools[loop] = pool
        for _, old in stale:
            _close_on_dead_loop(old.connector)
        await guard.asend(None)  # started: the loop now finalizes it when it shuts down
        return pool

    async def _guard(
        self, loop: asyncio.AbstractEventLoop, pool: _Pool
    ) -> AsyncGenerator[None, None]:
        """Closes ``pool`` when closed itself: by ``asyncio.run`` (its ``shutdown_asyncgens``
        finalizes every started async generator while the loop still runs) or by ``close``."""
        try:
            yield
        finally:
            with self._lock:
                if self._pools.get(loop) is pool:
                    del self._pools[loop]
            try:
                await pool.connector.close()
            except Exception:  # closing what is already broken: nothing to give back
                pass

    def _timeout(self, connect: float | None) -> aiohttp.ClientTimeout:
        value = self._timeouts.get(connect)
        if value is None:
            if len(self._timeouts) >= _CACHE_MAX:
                self._timeouts.clear()
            value = self._timeouts[connect] = aiohttp.ClientTimeout(
                total=None, connect=connect, sock_connect=connect
            )
        return value

    def _route(self, pool: _Pool, url: str, loop: asyncio.AbstractEventLoop) -> _Route:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in ("http", "https") or not parts.hostname:
            raise connection_error(
                f"not an http(s) URL: {url.split('?')[0]!r}", before_response=True
            )
        host = parts.netloc.rpartition("@")[2]
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        proxy, auth = self._proxy(parts.hostname, scheme)
        extra: dict[str, str] = {}
        proxy_headers = None
        if proxy is not None and scheme == "http":  # a plain-http proxy: the absolute URL
            target = urlunsplit((scheme, host, parts.path or "/", parts.query, ""))
            if auth is not None:
                extra["Proxy-Authorization"] = auth
        elif auth is not None:  # https through a proxy: credentials for its CONNECT
            proxy_headers = {"Proxy-Authorization": auth}
        key = ClientRequest(
            "GET",
            URL(f"{scheme}://{host}/"),
            loop=loop,
            proxy=URL(proxy) if proxy is not None else None,
            proxy_headers=proxy_headers,
        )
        if isinstance(key.proxy_headers, CIMultiDict):
            # aiohttp's connector adds Host to the CONNECT headers on the first connection,
            # which changes the pool key: set now, the first tunnel is reused like the others.
            key.proxy_headers["Host"] = key.headers["Host"]
        route = _Route(key, target, host, extra)
        if len(pool.routes) >= _CACHE_MAX:
            pool.routes.clear()
        pool.routes[url] = route
        return route

    def _proxy(self, hostname: str, scheme: str) -> _Proxy:
        """The proxy (and its credentials) for a host, from the environment; remembered."""
        found = self._proxies.get(f"{scheme}://{hostname}")
        if found is not None:
            return found
        found = _DIRECT
        if self._trust_env:
            from urllib.request import getproxies, proxy_bypass

            if self._env_proxies is None:
                self._env_proxies = getproxies()
            proxy = self._env_proxies.get(scheme) or self._env_proxies.get("all")
            if proxy and not proxy_bypass(hostname):
                found = _split_proxy(proxy)
        if len(self._proxies) >= _CACHE_MAX:
            self._proxies.clear()
        self._proxies[f"{scheme}://{hostname}"] = found
        return found

    # -- closing -------------------------------------------------------------------------------

    def close(self) -> None:
        self._sync.close()
        self._close_pools()

    async def aclose(self) -> None:
        pool = self._pools.get(asyncio.get_running_loop())
        if pool is not None and pool.guard is not None:
            await pool.guard.aclose()
        await self._sync.aclose()
        self._close_pools()

    def _close_pools(self) -> None:
        with self._lock:
            pools, self._pools = list(self._pools.items()), {}
        try:
            running: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        for loop, pool in pools:
            guard = pool.guard
            if loop.is_closed() or guard is None:
                _close_on_dead_loop(pool.connector)
            elif loop is running:
                task = loop.create_task(_aclose(guard))
                self._closing.add(task)
                task.add_done_callback(self._closing.discard)
            elif loop.is_running():
                try:
                    asyncio.run_coroutine_threadsafe(_aclose(guard), loop)
                except RuntimeError:  # the loop closed meanwhile
                    _close_on_dead_loop(pool.connector)
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


def _close_on_dead_loop(connector: aiohttp.TCPConnector) -> None:
    """Mark a connector of a closed loop closed (no "Unclosed connector" at exit).

    Its loop is gone, so nothing can be awaited; aiohttp's ``close`` has then nothing to wait
    for and completes in one step, which is driven here by hand. The sockets were the loop's.
    """
    coro: Coroutine[Any, Any, None] = connector.close()
    try:
        coro.send(None)
    except StopIteration:
        return
    except Exception:  # a half-closed session of a dead loop: nothing left to release
        return
    coro.close()
