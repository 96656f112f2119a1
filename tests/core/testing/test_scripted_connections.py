"""Connections, routing, recording, limits and shutdown."""

from __future__ import annotations

import socket
import threading
import time

import httpx2
import pytest
from modelport.testing import Fault, Reply, ScriptedServer, free_port

# -- keep-alive and closing ------------------------------------------------------------------


def test_keep_alive_reuses_one_connection(server: ScriptedServer) -> None:
    server.add(Reply.json({"n": 1}), Reply.sse([b"data: 2\n\n"]), Reply.status(404, {"e": 3}))
    with httpx2.Client(base_url=server.base_url) as client:
        assert client.post("/a").json() == {"n": 1}
        assert client.post("/b").text == "data: 2\n\n"
        assert client.post("/c").status_code == 404
    assert [r.connection for r in server.requests] == [1, 1, 1]
    assert server.connection_count == 1


def test_pipelined_requests_on_one_socket(server: ScriptedServer, raw) -> None:
    server.add(Reply.json({"n": 1}), Reply.json({"n": 2}))
    raw.send(
        b"POST /v1/a HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}"
        b"GET /v1/b HTTP/1.1\r\nHost: x\r\n\r\n"
    )
    assert raw.read_response().body == b'{"n":1}'
    assert raw.read_response().body == b'{"n":2}'
    assert [(r.method, r.path, r.body) for r in server.requests] == [
        ("POST", "/v1/a", b"{}"),
        ("GET", "/v1/b", b""),
    ]


def test_close_after_closes_without_announcing_it(server: ScriptedServer, raw) -> None:
    server.add(Reply.sse([b"data: 1\n\n"], close_after=True), Reply.json({"n": 2}))
    raw.request()
    response = raw.read_response()
    assert response.chunks == [b"data: 1\n\n"]
    assert "connection" not in response.headers  # looked keep-alive, as llama.cpp's does
    assert raw.closed_by_peer()


def test_close_after_makes_the_client_reconnect(server: ScriptedServer) -> None:
    server.add(Reply.json({"n": 1}, close_after=True), Reply.json({"n": 2}))
    with httpx2.Client(base_url=server.base_url) as client:
        client.post("/a")
        time.sleep(0.05)  # let the FIN arrive, so the pool sees the connection is gone
        client.post("/b")
    assert [r.connection for r in server.requests] == [1, 2]


def test_stale_pooled_connection_fails_the_next_request(server: ScriptedServer) -> None:
    """What llama.cpp does to clients: the request sent on the closed connection dies."""
    server.add(Reply.json({"n": 1}), Fault.close_before_headers(), Reply.json({"n": 3}))
    with httpx2.Client(base_url=server.base_url) as client:
        client.post("/a")
        with pytest.raises(httpx2.RemoteProtocolError):
            client.post("/b")
        assert client.post("/c").json() == {"n": 3}
    assert [r.connection for r in server.requests] == [1, 1, 2]


def test_announced_close_and_client_close(server: ScriptedServer, connect) -> None:
    server.add(Reply.json({}, headers={"Connection": "close"}), Reply.json({}))
    first = connect()
    first.request()
    assert first.read_response().headers["connection"] == "close"
    assert first.closed_by_peer()
    second = connect()
    second.request(headers={"Connection": "close"})
    assert second.read_response().headers["connection"] == "close"
    assert second.closed_by_peer()


def test_http10_stream_is_close_delimited(server: ScriptedServer, raw) -> None:
    server.add(Reply.sse([b"data: 1\n\n", b"data: 2\n\n"]))
    raw.send(b"GET /v1/x HTTP/1.0\r\n\r\n")
    data = raw.read_to_end()
    head, _, body = data.partition(b"\r\n\r\n")
    assert b"transfer-encoding" not in head.lower()
    assert body == b"data: 1\n\ndata: 2\n\n"


# -- routes and the queue --------------------------------------------------------------------


def test_routes_are_persistent_and_win_over_the_queue(server: ScriptedServer) -> None:
    server.route("GET", "/v1/models", Reply.json({"data": [{"id": "m"}]}))
    server.route("*", "/health", Reply.status(204))
    server.add(Reply.json({"queued": 1}))
    with httpx2.Client(base_url=server.url) as client:
        for _ in range(3):
            assert client.get("/v1/models?limit=5").json() == {"data": [{"id": "m"}]}
        assert client.head("/health").status_code == 204
        assert server.pending == 1  # routes never consume the queue
        assert client.post("/v1/models").json() == {"queued": 1}  # method must match too
    assert server.pending == 0


def test_empty_queue_answers_500_naming_the_request(server: ScriptedServer) -> None:
    with httpx2.Client(base_url=server.base_url) as client:
        response = client.post("/chat/completions", json={})
    assert response.status_code == 500
    message = response.json()["error"]["message"]
    assert message == "scripted server: no reply queued for POST /v1/chat/completions"


def test_queue_is_fifo_and_clear_forgets_everything(server: ScriptedServer) -> None:
    server.add(Reply.json(1), Reply.json(2))
    server.add(Reply.json(3))
    server.route("GET", "/r", Reply.json("r"))
    with httpx2.Client(base_url=server.url) as client:
        assert [client.post("/").json() for _ in range(2)] == [1, 2]
        server.clear()
        assert server.requests == []
        assert client.get("/r").status_code == 500
        assert client.post("/").status_code == 500


# -- recorded requests -----------------------------------------------------------------------


def test_requests_are_recorded(server: ScriptedServer) -> None:
    server.add(Reply.json({}))
    with httpx2.Client() as client:
        client.post(
            f"{server.base_url}/chat/completions?api-version=2024",
            json={"model": "m", "stream": True},
            headers={"Authorization": "Bearer sk-test", "X-Custom": "a"},
        )
    [request] = server.wait_for_requests(1)
    assert (request.method, request.path, request.query) == (
        "POST",
        "/v1/chat/completions",
        "api-version=2024",
    )
    assert request.target == "/v1/chat/completions?api-version=2024"
    assert request.headers["authorization"] == "Bearer sk-test"
    assert request.headers["x-custom"] == "a"
    assert all(name == name.lower() for name in request.headers)
    assert ("X-Custom", "a") in request.raw_headers
    assert request.json() == {"model": "m", "stream": True}
    assert request.text() == request.body.decode()
    assert request.http_version == "HTTP/1.1"


def test_repeated_request_headers_are_joined(server: ScriptedServer, raw) -> None:
    server.add(Reply.json({}))
    raw.send(b"GET / HTTP/1.1\r\nAccept: a\r\naccept: b\r\n\r\n")
    raw.read_response()
    assert server.requests[0].headers["accept"] == "a, b"


def test_wait_for_requests_blocks_until_they_arrive(server: ScriptedServer) -> None:
    server.add(Reply.json({}), Reply.json({}))

    def later() -> None:
        time.sleep(0.1)
        with httpx2.Client() as client:
            client.post(server.url)
            client.post(server.url)

    thread = threading.Thread(target=later)
    thread.start()
    assert len(server.wait_for_requests(2, timeout=5)) == 2
    thread.join()


def test_wait_for_requests_times_out_loudly(server: ScriptedServer) -> None:
    started = time.monotonic()
    with pytest.raises(TimeoutError, match="got 0 request"):
        server.wait_for_requests(1, timeout=0.1)
    assert time.monotonic() - started < 1


# -- request parsing and bounds --------------------------------------------------------------


def test_chunked_request_bodies_are_decoded(server: ScriptedServer) -> None:
    server.add(Reply.json({}))

    def body():  # a generator makes httpx send Transfer-Encoding: chunked
        yield b'{"a":'
        yield b"1}"

    with httpx2.Client() as client:
        client.post(server.url, content=body())
    [request] = server.requests
    assert request.headers["transfer-encoding"] == "chunked"
    assert request.json() == {"a": 1}


def test_expect_100_continue(server: ScriptedServer, raw) -> None:
    server.add(Reply.json({}))
    raw.send(b"POST / HTTP/1.1\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n")
    assert raw.read_head().status == 100
    raw.send(b"{}")
    assert raw.read_response().status == 200
    assert server.requests[0].body == b"{}"


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        (b"NONSENSE\r\n\r\n", 400),
        (b"GET / HTTP/2.0\r\n\r\n", 505),
        (b"GET / HTTP/1.1\r\nno colon here\r\n\r\n", 400),
        (b"POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400),
        (b"POST / HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
        (b"POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", 501),
        (b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400),
        (b"POST / HTTP/1.1\r\nContent-Length: 2000\r\n\r\n", 413),
        (b"GET / HTTP/1.1\r\nX-Big: " + b"a" * 5000 + b"\r\n\r\n", 431),
    ],
)
def test_bad_requests_get_4xx_and_a_closed_connection(
    request_bytes: bytes, status: int, connect
) -> None:
    with ScriptedServer(max_body_bytes=1000, max_header_bytes=4096) as server:
        raw = connect(server.port)
        raw.send(request_bytes)
        response = raw.read_response()
        assert response.status == status
        assert response.headers["connection"] == "close"
        assert response.body.startswith(b'{"error":{"message":"scripted server: ')
        assert raw.closed_by_peer()
        assert server.requests == []


def test_chunked_request_body_over_the_limit(connect) -> None:
    with ScriptedServer(max_body_bytes=10) as server:
        raw = connect(server.port)
        raw.send(b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n")
        raw.send(b"6\r\nworld!\r\n0\r\n\r\n")
        assert raw.read_response().status == 413


def test_idle_connections_are_closed(connect) -> None:
    with ScriptedServer(idle_timeout=0.2) as server:
        raw = connect(server.port)
        started = time.monotonic()
        assert raw.closed_by_peer(timeout=3)
        assert 0.15 < time.monotonic() - started < 2


def test_a_request_that_never_completes_is_given_up(connect) -> None:
    with ScriptedServer(idle_timeout=0.2) as server:
        raw = connect(server.port)
        raw.send(b"POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc")
        assert raw.closed_by_peer(timeout=3)
        assert server.requests == []


def test_requests_per_connection_are_bounded(connect) -> None:
    with ScriptedServer(max_requests_per_connection=2) as server:
        server.route("GET", "/", Reply.json({}))
        with httpx2.Client(base_url=server.url) as client:
            for _ in range(3):
                assert client.get("/").status_code == 200
                time.sleep(0.02)
        assert [r.connection for r in server.requests] == [1, 1, 2]


def test_connections_past_the_cap_wait_in_the_backlog(connect) -> None:
    with ScriptedServer(max_connections=2) as server:
        server.route("GET", "/", Reply.json({}))
        first, second, third = connect(server.port), connect(server.port), connect(server.port)
        for c in (first, second):
            c.request("GET", "/")
            assert c.read_response().status == 200
        third.request("GET", "/")
        third.sock.settimeout(0.2)
        with pytest.raises(TimeoutError):  # no thread for it yet
            third.sock.recv(1, socket.MSG_PEEK)
        first.close()
        third.sock.settimeout(3)
        assert third.read_response().status == 200


# -- shutdown --------------------------------------------------------------------------------


def test_stop_releases_the_port_and_closes_open_connections(connect) -> None:
    server = ScriptedServer().start()
    port = server.port
    server.add(Reply.json({}))
    idle = connect(port)
    idle.request()
    idle.read_response()
    started = time.monotonic()
    server.stop()
    assert time.monotonic() - started < 1
    assert idle.closed_by_peer(timeout=1)
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    with ScriptedServer(port) as again:  # the same port can be bound right away
        assert again.port == port
    server.stop()  # idempotent


def test_stop_interrupts_stalls_and_delays(connect) -> None:
    with ScriptedServer() as server:
        server.add(
            Fault.stall_mid_stream(Reply.sse([b"data: 1\n\n", b"data: 2\n\n"]), delay=30),
            Fault.slow_first_byte(Reply.json({}), delay=30),
            Reply.sse([b"a\n\n", b"b\n\n"], chunk_delay=30),
        )
        for _ in range(3):
            connect(server.port).request()
        server.wait_for_requests(3)
        started = time.monotonic()
    assert time.monotonic() - started < 1


def test_lifecycle_errors() -> None:
    server = ScriptedServer()
    with pytest.raises(RuntimeError, match="not started"):
        _ = server.url
    with server:
        assert server.url == f"http://127.0.0.1:{server.port}"
        assert server.base_url == server.url + "/v1"
        assert server.host == "127.0.0.1"
    with pytest.raises(RuntimeError, match="stopped"):
        server.start()


def test_base_url_prefix_is_configurable() -> None:
    with ScriptedServer(api_prefix="/openai/v1/") as server:
        assert server.base_url.endswith("/openai/v1")
    with ScriptedServer(api_prefix="") as server:
        assert server.base_url == server.url


def test_free_port_is_bindable() -> None:
    port = free_port()
    with ScriptedServer(port) as server:
        assert server.port == port
