"""The httpx2 transport's clients (``_http/_transport.py``): an ``http://`` request goes through
a client that loads no CA certificates, and nothing that can do TLS goes unverified: not an
``https://`` request on the same transport, not a proxy from the environment."""

from __future__ import annotations

import asyncio
import json
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import modelport as mp
import pytest
from modelport import ProviderConnectionError
from modelport.provider import WireRequest
from modelport.testing import Reply, ScriptedServer

CERT = Path(__file__).parent / "tls" / "self_signed.pem"


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    with ScriptedServer() as s:
        yield s


@pytest.fixture
def tls_port() -> Iterator[int]:
    """A TLS listener on 127.0.0.1 presenting a certificate nobody trusts: a client that
    verifies fails its handshake; one that does not gets through, then the connection closes."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(CERT)
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.1)
    stop = threading.Event()

    def serve() -> None:
        deadline = time.monotonic() + 60
        for _ in range(100):  # bounded in count and in time
            if stop.is_set() or time.monotonic() > deadline:
                return
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            conn.settimeout(2)
            try:
                with context.wrap_socket(conn, server_side=True):
                    pass
            except (ssl.SSLError, OSError):
                pass
            finally:
                conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join(5)
    listener.close()


def _post(url: str) -> WireRequest:
    return WireRequest("POST", url, {"content-type": "application/json"}, None, b"{}")


def _unverified(exc: BaseException) -> bool:
    return "CERTIFICATE_VERIFY_FAILED" in str(exc) or "certificate verify failed" in str(exc)


@pytest.fixture(autouse=True)
def _no_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "http_proxy",
        "HTTP_PROXY",
        "https_proxy",
        "HTTPS_PROXY",
        "all_proxy",
        "ALL_PROXY",
        "no_proxy",
        "NO_PROXY",
    ):
        monkeypatch.delenv(name, raising=False)


def test_https_is_verified_on_a_transport_that_served_http(
    server: ScriptedServer, tls_port: int
) -> None:
    server.add(Reply.json({"ok": True}))
    transport = mp.HttpxTransport()
    try:
        raw = transport.send(_post(server.url + "/v1/x"), mp.Timeouts())
        assert raw.status == 200 and raw.read() == b'{"ok":true}'
        raw.close()
        with pytest.raises(ProviderConnectionError) as info:
            transport.send(_post(f"https://127.0.0.1:{tls_port}/v1/x"), mp.Timeouts())
        assert _unverified(info.value), info.value
    finally:
        transport.close()


def test_async_https_is_verified_on_a_transport_that_served_http(
    server: ScriptedServer, tls_port: int
) -> None:
    server.add(Reply.json({"ok": True}))

    async def main() -> None:
        transport = mp.HttpxTransport()
        try:
            raw = await transport.asend(_post(server.url + "/v1/x"), mp.Timeouts())
            assert raw.status == 200 and await raw.aread() == b'{"ok":true}'
            await raw.aclose()
            with pytest.raises(ProviderConnectionError) as info:
                await transport.asend(_post(f"https://127.0.0.1:{tls_port}/v1/x"), mp.Timeouts())
            assert _unverified(info.value), info.value
        finally:
            await transport.aclose()

    asyncio.run(main())


@pytest.mark.parametrize("variable", ["HTTP_PROXY", "all_proxy"])
def test_a_proxy_reached_over_tls_is_verified_for_an_http_request(
    monkeypatch: pytest.MonkeyPatch, tls_port: int, variable: str
) -> None:
    """The proxy is reached over TLS: its certificate is checked, so the untrusted one fails,
    though the request itself is http://. The transport's own choice is under test: an http://
    request goes through a client made with ``verify=False``, which is safe only while httpx2
    gives a proxy its own verifying context; an httpx2 that applied ``verify`` to proxies
    would fail this test rather than silently trust any proxy."""
    monkeypatch.setenv(variable, f"https://127.0.0.1:{tls_port}")
    transport = mp.HttpxTransport()
    try:
        with pytest.raises(ProviderConnectionError) as info:
            transport.send(_post("http://127.0.0.1:9/v1/x"), mp.Timeouts(connect=5, read=5))
        assert _unverified(info.value), info.value
    finally:
        transport.close()


def test_client_options_apply_to_http_requests_too(server: ScriptedServer) -> None:
    server.add(Reply.json({"ok": True}))
    transport = mp.HttpxTransport(client_options={"headers": {"x-configured": "yes"}})
    try:
        raw = transport.send(_post(server.url + "/v1/x"), mp.Timeouts())
        raw.read()
        raw.close()
    finally:
        transport.close()
    assert server.requests[0].headers["x-configured"] == "yes"


def test_client_options_may_set_the_pool_limits(server: ScriptedServer) -> None:
    """The caller's ``limits`` replace the transport's (they used to clash with them)."""
    import httpx2

    server.add(Reply.json({"ok": True}))
    limits = httpx2.Limits(max_connections=1, max_keepalive_connections=1)
    transport = mp.HttpxTransport(client_options={"limits": limits})
    try:
        raw = transport.send(_post(server.url + "/v1/x"), mp.Timeouts())
        assert raw.status == 200
        assert json.loads(raw.read()) == {"ok": True}
        raw.close()
    finally:
        transport.close()


def test_an_llm_on_http_answers_through_the_certificate_free_client(
    server: ScriptedServer,
) -> None:
    server.add(Reply.json({"choices": [{"message": {"content": "hi"}}]}))
    with mp.LLM("openai-chat:m", base_url=server.url + "/v1", api_key="sk-test") as llm:
        assert llm.complete("hello").text == "hi"
