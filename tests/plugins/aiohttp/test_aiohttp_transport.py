"""The aiohttp transport's own behaviour, on real loopback sockets (the shared fault suite in
tests/e2e/test_faults.py runs every fault through it as well).

No ``__init__.py`` in this folder, on purpose: a package named ``aiohttp`` here would shadow the
real one. Hence the file names are unique across the test suite.
"""

from __future__ import annotations

import asyncio
import base64
import gzip
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import modelport as mp
import pytest
from modelport.provider import WireRequest
from modelport.testing import Fault, Reply, ScriptedServer, free_port
from modelport_aiohttp import AiohttpTransport

CHAT = "chat-nonstream-text.json"


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    with ScriptedServer() as s:
        yield s


@pytest.fixture
def chat(conformance: Path) -> Path:
    return conformance / "openai-chat"


@pytest.fixture(autouse=True)
def _no_proxy_from_the_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("http_proxy", "https_proxy", "all_proxy", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)


async def fetch(transport: AiohttpTransport, wire: WireRequest, **kw: Any) -> tuple[int, bytes]:
    raw = await transport.asend(wire, mp.Timeouts(**kw))
    try:
        return raw.status, b"".join([c async for c in raw.aiter_bytes()])
    finally:
        await raw.aclose()


def get(url: str) -> WireRequest:
    return WireRequest("GET", url)


# -- registration ------------------------------------------------------------------------------


def test_registered_by_name_and_imported_only_when_chosen() -> None:
    code = (
        "import sys, modelport as mp\n"
        "from modelport.plugins import default_host\n"
        "names = default_host().transport_names()\n"
        "listed = {p['name']: p for p in mp.plugins.list_plugins()}\n"
        "before = sorted(m for m in sys.modules if m.split('.')[0] in ('aiohttp', 'httpx2'))\n"
        "llm = mp.LLM('openai-chat:m', base_url='http://127.0.0.1:9/v1', api_key='k',\n"
        "             transport='aiohttp')\n"
        "print(names, listed['aiohttp']['transports'], before, type(llm._transport).__name__,\n"
        "      'aiohttp' in sys.modules, 'httpx2' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == [
        "['aiohttp',",
        "'httpx2',",
        "'stdlib']",
        "['aiohttp']",
        "[]",
        "AiohttpTransport",
        "True",
        "False",
    ]


def test_not_the_default_unless_chosen(monkeypatch: pytest.MonkeyPatch) -> None:
    kw: dict[str, Any] = {"base_url": "http://127.0.0.1:9/v1", "api_key": "k"}
    with mp.LLM("openai-chat:m", **kw) as llm:
        assert isinstance(llm._transport, mp.HttpxTransport)
    monkeypatch.setenv("MODELPORT_TRANSPORT", "aiohttp")
    mp.plugins.reset()  # the environment is read when the plugin host is created
    with mp.LLM("openai-chat:m", **kw) as llm:
        assert isinstance(llm._transport, AiohttpTransport)
    with mp.LLM("openai-chat:m", transport="stdlib", **kw) as llm:
        assert isinstance(llm._transport, mp.StdlibTransport)


def test_blocking_the_plugin_removes_the_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODELPORT_DISABLE_PLUGINS", "aiohttp")
    with pytest.raises(mp.ConfigurationError, match=r"unknown transport 'aiohttp'.*httpx2"):
        mp.LLM("openai-chat:m", base_url="http://127.0.0.1:9/v1", transport="aiohttp")


# -- HTTP --------------------------------------------------------------------------------------


def test_gzip_bodies_are_decoded_and_requested(server: ScriptedServer) -> None:
    payload = json.dumps({"hello": "world" * 100}).encode()
    server.add(
        Reply.raw(
            200,
            gzip.compress(payload),
            content_type="application/json",
            headers={"content-encoding": "gzip"},
        )
    )
    transport = AiohttpTransport()

    async def run() -> None:
        raw = await transport.asend(get(server.url + "/x"), mp.Timeouts())
        try:
            assert raw.status == 200 and await raw.aread() == payload
            assert raw.headers["Content-Encoding"] == raw.headers["content-encoding"] == "gzip"
        finally:
            await raw.aclose()
            await transport.aclose()

    asyncio.run(run())
    assert "gzip" in server.requests[0].headers["accept-encoding"]


def test_method_query_headers_and_body_reach_the_server(server: ScriptedServer) -> None:
    server.add(Reply.json({"ok": True}))
    transport = AiohttpTransport()
    wire = WireRequest("POST", server.url + "/v1/a?b=1", {"x-test": "yes"}, None, b"{}")

    async def run() -> tuple[int, bytes]:
        try:
            return await fetch(transport, wire)
        finally:
            await transport.aclose()

    assert asyncio.run(run()) == (200, b'{"ok":true}')
    req = server.requests[0]
    assert (req.method, req.path, req.query) == ("POST", "/v1/a", "b=1")
    assert req.headers["x-test"] == "yes" and req.body == b"{}"


def test_redirects_are_not_followed(server: ScriptedServer) -> None:
    server.add(Reply.raw(302, b"", headers={"location": "/elsewhere"}))
    transport = AiohttpTransport()

    async def run() -> tuple[int, bytes]:
        try:
            return await fetch(transport, get(server.url + "/x"))
        finally:
            await transport.aclose()

    assert asyncio.run(run())[0] == 302
    assert len(server.requests) == 1


def test_keep_alive_pool_is_reused_and_bounded(server: ScriptedServer) -> None:
    server.route("GET", "/x", Reply.json({"ok": True}))
    transport = AiohttpTransport(limit=4)

    async def run() -> None:
        try:
            for _ in range(3):
                await fetch(transport, get(server.url + "/x"))
            await asyncio.gather(*(fetch(transport, get(server.url + "/x")) for _ in range(40)))
        finally:
            await transport.aclose()

    asyncio.run(run())
    first_three = {r.connection for r in server.requests[:3]}
    assert len(first_three) == 1
    assert len({r.connection for r in server.requests}) <= 4


# -- the connection quirks ---------------------------------------------------------------------


def test_failure_on_a_reused_connection_is_before_the_response(server: ScriptedServer) -> None:
    """The race a peer that closes after every reply (llama.cpp) causes: the request went out
    on a pooled connection, which then failed before any response byte. The core retries that
    once for free (``before_response`` and not ``fresh_connection``)."""
    server.add(Reply.json({"n": 1}))
    server.add(Fault.reset_before_headers())
    transport = AiohttpTransport()
    post = WireRequest("POST", server.url + "/", {}, None, b"{}")  # not retried by aiohttp

    async def run() -> mp.ProviderConnectionError:
        try:
            await fetch(transport, post)
            with pytest.raises(mp.ProviderConnectionError) as info:
                await fetch(transport, post)
            return info.value
        finally:
            await transport.aclose()

    err = asyncio.run(run())
    assert err.before_response is True and err.fresh_connection is False
    assert server.requests[0].connection == server.requests[1].connection  # really reused


def test_a_peer_closing_after_each_stream_costs_no_attempt(
    server: ScriptedServer, chat: Path
) -> None:
    server.add(Reply.from_file(chat / "chat-stream-text.sse", close_after=True))
    server.add(Reply.from_file(chat / CHAT, close_after=True))
    server.add(Reply.from_file(chat / CHAT))

    async def run() -> list[int]:
        async with mp.LLM(
            "openai-chat:m", base_url=server.base_url, api_key="k", transport="aiohttp", retry=0
        ) as llm:
            attempts = []
            async for ev in llm.astream("hi"):
                if ev.type == "final":
                    attempts.append(ev.content.attempts)
            for _ in range(2):
                attempts.append((await llm.acomplete("again", cache="never")).attempts)
            return attempts

    assert asyncio.run(run()) == [1, 1, 1]


def test_connection_refused_is_a_fresh_connection_failure() -> None:
    transport = AiohttpTransport()

    async def run() -> mp.ProviderConnectionError:
        try:
            with pytest.raises(mp.ProviderConnectionError, match="cannot connect") as info:
                await fetch(transport, get(f"http://127.0.0.1:{free_port()}/"))
            return info.value
        finally:
            await transport.aclose()

    err = asyncio.run(run())
    assert err.before_response is True and err.fresh_connection is True


def test_read_timeout_before_headers_is_typed(server: ScriptedServer) -> None:
    server.add(Fault.slow_first_byte(Reply.json({"n": 1}), delay=1.0))
    transport = AiohttpTransport()

    async def run() -> mp.LLMTimeoutError:
        try:
            with pytest.raises(mp.LLMTimeoutError) as info:
                await fetch(transport, get(server.url + "/"), read=0.2)
            return info.value
        finally:
            await transport.aclose()

    err = asyncio.run(run())
    assert err.phase == "read" and err.before_response is True


def test_reset_mid_body_is_after_the_response(server: ScriptedServer, chat: Path) -> None:
    sse = Reply.from_file(chat / "chat-stream-text.sse")
    server.add(Fault.reset_mid_stream(sse, after_chunks=3))
    transport = AiohttpTransport()

    async def run() -> mp.ProviderConnectionError:
        try:
            with pytest.raises(mp.ProviderConnectionError) as info:
                await fetch(transport, get(server.url + "/"))
            return info.value
        finally:
            await transport.aclose()

    assert asyncio.run(run()).before_response is False


def test_a_cancelled_stream_gives_its_connection_up(server: ScriptedServer, chat: Path) -> None:
    sse = Reply.from_file(chat / "chat-stream-text.sse")
    server.add(Fault.stall_mid_stream(sse, after_chunks=2, delay=2.0))
    server.add(Reply.json({"n": 2}))
    transport = AiohttpTransport()

    async def run() -> tuple[int, bytes]:
        try:
            with pytest.raises(TimeoutError):
                async with asyncio.timeout(0.3):
                    await fetch(transport, get(server.url + "/"))
            return await fetch(transport, get(server.url + "/"))
        finally:
            await transport.aclose()

    assert asyncio.run(run()) == (200, b'{"n":2}')
    assert server.requests[0].connection != server.requests[1].connection


# -- proxies from the environment --------------------------------------------------------------


def test_proxy_from_the_environment_with_credentials(
    server: ScriptedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The scripted server plays the proxy: it gets the request for the host it does not
    serve, and the credentials from the proxy URL (percent-decoded)."""
    proxy = server.url.replace("http://", "http://us%40er:p%3Ass@")
    monkeypatch.setenv("HTTP_PROXY", proxy)
    server.add(Reply.json({"via": "proxy"}))
    transport = AiohttpTransport()

    async def run() -> tuple[int, bytes]:
        try:
            return await fetch(transport, get("http://api.example.invalid/v1/models"))
        finally:
            await transport.aclose()

    assert asyncio.run(run()) == (200, b'{"via":"proxy"}')
    req = server.requests[0]  # *.invalid never resolves: only the proxy could answer
    assert req.path == "/v1/models" and req.headers["host"] == "api.example.invalid"
    expected = base64.b64encode(b"us@er:p:ss").decode()
    assert req.headers["proxy-authorization"] == f"Basic {expected}"


def test_no_proxy_and_trust_env_false_go_direct(
    server: ScriptedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{free_port()}")  # nobody listens
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    server.route("GET", "/x", Reply.json({"ok": True}))

    async def run(transport: AiohttpTransport) -> int:
        try:
            return (await fetch(transport, get(server.url + "/x")))[0]
        finally:
            await transport.aclose()

    assert asyncio.run(run(AiohttpTransport())) == 200
    monkeypatch.delenv("NO_PROXY")
    assert asyncio.run(run(AiohttpTransport(trust_env=False))) == 200
    assert [r.target for r in server.requests] == ["/x", "/x"]


# -- event loops and closing -------------------------------------------------------------------


def test_one_pool_per_loop_closed_when_the_loop_ends(server: ScriptedServer) -> None:
    import gc
    import warnings

    server.route("GET", "/x", Reply.json({"ok": True}))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        gc.collect()  # what earlier tests left behind is not this test's to report
    transport = AiohttpTransport()
    with warnings.catch_warnings():
        warnings.simplefilter("error", ResourceWarning)  # an unclosed socket fails the test
        for _ in range(3):
            assert asyncio.run(fetch(transport, get(server.url + "/x")))[0] == 200
            assert transport._pools == {}  # closed by asyncio.run's shutdown, nothing held
        loop = asyncio.new_event_loop()
        try:
            loop.run_until_complete(fetch(transport, get(server.url + "/x")))
            assert len(transport._pools) == 1
        finally:
            transport.close()  # a loop that is not running: closed on it
            loop.close()
        assert transport._pools == {}
        gc.collect()


def test_sync_calls_go_to_the_sync_transport(server: ScriptedServer, chat: Path) -> None:
    for _ in range(2):
        server.add(Reply.from_file(chat / CHAT))
    for sync in (None, mp.StdlibTransport()):
        transport = AiohttpTransport(sync_transport=sync)
        with mp.LLM(
            "openai-chat:m", base_url=server.base_url, api_key="k", transport=transport
        ) as llm:
            assert llm.complete("hi", cache="never").text.startswith("Why did")
    agents = [r.headers.get("user-agent", "") for r in server.requests]
    assert "aiohttp" not in " ".join(agents)  # neither went through aiohttp
    assert "httpx" in agents[0].lower()


# -- reads: whatever has arrived -----------------------------------------------------------------


def _chunk(content: str) -> bytes:
    payload = {"id": "c1", "model": "m", "choices": [{"index": 0, "delta": {"content": content}}]}
    return b"data: " + json.dumps(payload).encode() + b"\n\n"


def test_many_events_in_one_read_give_every_event(server: ScriptedServer) -> None:
    """A body read in one piece (readany hands the decoder many events at once) streams the
    same events as one event per read."""
    words = [f"w{i} " for i in range(200)]
    body = b"".join(_chunk(w) for w in words)
    body += b'data: {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}\n\n'
    body += b"data: [DONE]\n\n"
    server.add(Reply.sse([body]))  # one HTTP chunk
    server.add(Reply.sse(body))  # split into one HTTP chunk per event

    async def run() -> list[str]:
        async with mp.LLM(
            "openai-chat:m", base_url=server.url, api_key="k", cache="never", transport="aiohttp"
        ) as llm:
            out = []
            for _ in range(2):
                out.append(
                    "".join([e.content async for e in llm.astream("hi") if e.type == "answer"])
                )
            return out

    assert asyncio.run(run()) == ["".join(words)] * 2


def test_text_before_an_error_event_in_the_same_read_is_delivered(server: ScriptedServer) -> None:
    """Text and an error event arriving in one read: the text reaches the caller, then the
    typed error, and the call is not retried (output was seen)."""
    error = b'data: {"error": {"message": "overloaded", "type": "server_error"}}\n\n'
    server.add(Reply.sse([_chunk("Hello ") + _chunk("world") + error]))

    async def run() -> tuple[list[str], BaseException | None]:
        seen: list[str] = []
        async with mp.LLM(
            "openai-chat:m", base_url=server.url, api_key="k", cache="never", transport="aiohttp"
        ) as llm:
            try:
                async for e in llm.astream("hi"):
                    if e.type == "answer":
                        seen.append(e.content)
            except mp.LLMError as exc:
                return seen, exc
        return seen, None

    seen, failure = asyncio.run(run())
    assert "".join(seen) == "Hello world"
    assert isinstance(failure, mp.ModelRequestError)
    assert "overloaded" in str(failure)
    assert len(server.requests) == 1


# -- modelport's HTTP/1.1 over aiohttp's connections ---------------------------------------------


def test_a_malformed_response_is_a_typed_error(server: ScriptedServer) -> None:
    server.add(Fault.raw_response(b"SSH-2.0-OpenSSH_9.6\r\n\r\n"))
    server.add(Fault.raw_response(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab"))
    transport = AiohttpTransport()

    async def run() -> tuple[mp.ProviderConnectionError, mp.ProviderConnectionError]:
        try:
            with pytest.raises(mp.ProviderConnectionError, match="status line") as bad_head:
                await fetch(transport, get(server.url + "/"))
            raw = await transport.asend(get(server.url + "/"), mp.Timeouts())
            try:
                with pytest.raises(mp.ProviderConnectionError, match="middle of the body") as cut:
                    await raw.aread()
            finally:
                await raw.aclose()
            return bad_head.value, cut.value
        finally:
            await transport.aclose()

    bad_head, cut = asyncio.run(run())
    assert bad_head.before_response is True and cut.before_response is False


def test_a_header_with_a_line_break_is_refused_before_sending(server: ScriptedServer) -> None:
    transport = AiohttpTransport()
    wire = WireRequest("GET", server.url + "/", {"Authorization": "Bearer sk-1\r\nX-Evil: 1"})

    async def run() -> None:
        try:
            with pytest.raises(ValueError, match="line break") as info:
                await fetch(transport, wire)
            assert "sk-1" not in str(info.value)
        finally:
            await transport.aclose()

    asyncio.run(run())
    assert server.requests == []


def test_read_timeout_mid_stream_is_after_the_response(server: ScriptedServer, chat: Path) -> None:
    sse = Reply.from_file(chat / "chat-stream-text.sse")
    server.add(Fault.stall_mid_stream(sse, after_chunks=2, delay=1.5))
    transport = AiohttpTransport()

    async def run() -> tuple[mp.LLMTimeoutError, int]:
        raw = await transport.asend(get(server.url + "/"), mp.Timeouts(read=0.3))
        got = 0
        try:
            with pytest.raises(mp.LLMTimeoutError) as info:
                async for chunk in raw.aiter_bytes():
                    got += len(chunk)
            return info.value, got
        finally:
            await raw.aclose()
            await transport.aclose()

    err, got = asyncio.run(run())
    assert err.phase == "read" and err.before_response is False and got > 0


def test_a_slow_reader_gets_every_byte_of_a_large_body(server: ScriptedServer) -> None:
    """Reading pauses while the caller falls behind, and resumes: nothing lost or reordered."""
    body = bytes(range(256)) * 24_000  # about 6 MB
    server.add(Reply.raw(200, body, content_type="application/octet-stream"))
    server.add(Reply.raw(200, b"next"))
    transport = AiohttpTransport()

    async def run() -> tuple[bytes, tuple[int, bytes]]:
        try:
            raw = await transport.asend(get(server.url + "/"), mp.Timeouts(read=5))
            pieces = []
            try:
                async for chunk in raw.aiter_bytes():
                    pieces.append(chunk)
                    if len(pieces) < 20:
                        await asyncio.sleep(0.01)  # the server's bytes pile up meanwhile
            finally:
                await raw.aclose()
            return b"".join(pieces), await fetch(transport, get(server.url + "/"))
        finally:
            await transport.aclose()

    got, after = asyncio.run(run())
    assert got == body and after == (200, b"next")
    assert server.requests[0].connection == server.requests[1].connection  # reused after it


def test_session_options_are_refused_with_the_way_forward() -> None:
    with pytest.raises(mp.ConfigurationError, match="connector_options"):
        AiohttpTransport(session_options={"headers": {"x": "1"}})


CERT = Path(__file__).parents[2] / "core" / "tls" / "self_signed.pem"


async def _tls_origin(seen: list[tuple[str, str]]) -> asyncio.Server:
    """An HTTPS origin on 127.0.0.1 (the tests' self-signed certificate) answering every
    request on a connection with a JSON body that counts the requests of that connection."""
    import ssl

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(CERT)

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            for n in range(1, 11):  # bounded: ten requests a connection
                head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
                lines = head.decode("latin-1").split("\r\n")
                fields = dict(line.split(": ", 1) for line in lines[1:] if line)
                size = int(fields.get("Content-Length", "0"))
                if size:
                    await asyncio.wait_for(reader.readexactly(size), 5)
                seen.append((lines[0], fields.get("Host", "")))
                payload = json.dumps({"n": n}).encode()
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n")
                writer.write(b"Content-Length: %d\r\n\r\n%s" % (len(payload), payload))
                await writer.drain()
        except (asyncio.IncompleteReadError, TimeoutError, ConnectionError):
            pass
        finally:
            writer.close()

    return await asyncio.start_server(handle, "127.0.0.1", 0, ssl=context)


async def _connect_proxy(seen: list[str]) -> asyncio.Server:
    """A CONNECT proxy on 127.0.0.1: records each CONNECT head, then pipes both ways."""

    async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
        try:
            for _ in range(10_000):  # bounded
                data = await asyncio.wait_for(src.read(65_536), 5)
                if not data:
                    break
                dst.write(data)
                await dst.drain()
        except (TimeoutError, ConnectionError):
            pass
        finally:
            dst.close()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = (await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)).decode("latin-1")
        seen.append(head)
        host, _, port = head.split(" ")[1].rpartition(":")
        up_reader, up_writer = await asyncio.open_connection(host, int(port))
        writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        await writer.drain()
        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

    return await asyncio.start_server(handle, "127.0.0.1", 0)


def _trusting_context() -> Any:
    import ssl

    return ssl.create_default_context(cafile=str(CERT))


def test_https_keeps_its_connection_across_requests() -> None:
    """Over TLS the exchange takes the encrypted transport over and gives it back: the second
    and third requests ride the first one's connection."""
    seen: list[tuple[str, str]] = []

    async def run() -> list[bytes]:
        origin = await _tls_origin(seen)
        port = origin.sockets[0].getsockname()[1]
        transport = AiohttpTransport(connector_options={"ssl": _trusting_context()})
        try:
            wire = WireRequest("POST", f"https://127.0.0.1:{port}/v1/x", {}, None, b"{}")
            return [(await fetch(transport, wire))[1] for _ in range(3)]
        finally:
            await transport.aclose()
            origin.close()
            await origin.wait_closed()

    assert asyncio.run(run()) == [b'{"n": 1}', b'{"n": 2}', b'{"n": 3}']
    assert seen[0][0] == "POST /v1/x HTTP/1.1" and seen[0][1].startswith("127.0.0.1:")


def test_https_through_a_proxy_tunnels_with_its_credentials(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    heads: list[str] = []
    seen: list[tuple[str, str]] = []

    async def run() -> list[bytes]:
        origin = await _tls_origin(seen)
        proxy = await _connect_proxy(heads)
        port = origin.sockets[0].getsockname()[1]
        proxy_port = proxy.sockets[0].getsockname()[1]
        monkeypatch.setenv("HTTPS_PROXY", f"http://us%40er:pw@127.0.0.1:{proxy_port}")
        transport = AiohttpTransport(connector_options={"ssl": _trusting_context()})
        try:
            url = f"https://127.0.0.1:{port}/v1/models"
            return [(await fetch(transport, get(url)))[1] for _ in range(2)]
        finally:
            await transport.aclose()
            for s in (proxy, origin):
                s.close()

    assert asyncio.run(run()) == [b'{"n": 1}', b'{"n": 2}']  # one tunnel, two requests
    assert len(heads) == 1 and heads[0].startswith("CONNECT 127.0.0.1:")
    expected = base64.b64encode(b"us@er:pw").decode()
    assert f"Proxy-Authorization: Basic {expected}" in heads[0]
    assert seen[0][0] == "GET /v1/models HTTP/1.1"  # origin-form inside the tunnel
