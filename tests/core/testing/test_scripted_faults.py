"""Each fault observed exactly as documented: on the raw socket and by a real client."""

from __future__ import annotations

import time

import httpx2
import pytest
from modelport import ProviderProtocolError
from modelport._http._sse import SSEDecoder
from modelport.testing import Fault, Reply, ScriptedServer

EVENTS = [f'data: {{"n":{i}}}\n\n'.encode() for i in range(5)]
STREAM = Reply.sse(EVENTS)


def test_reset_before_headers_on_the_wire(server: ScriptedServer, raw) -> None:
    server.add(Fault.reset_before_headers())
    raw.request(body=b'{"model":"m"}')
    with pytest.raises(ConnectionResetError):
        raw.read_to_end()
    assert raw.buf == b""  # not a byte before the reset
    [request] = server.requests  # the request was read (and recorded) first
    assert request.body == b'{"model":"m"}'


def test_reset_before_headers_through_httpx(server: ScriptedServer) -> None:
    server.add(Fault.reset_before_headers(), Reply.json({"ok": True}))
    with httpx2.Client(base_url=server.base_url) as client:
        with pytest.raises(httpx2.ReadError):
            client.post("/chat/completions", json={})
        assert client.post("/chat/completions", json={}).json() == {"ok": True}  # a retry works
    assert [r.connection for r in server.requests] == [1, 2]


def test_close_before_headers_is_a_fin_without_a_response(server: ScriptedServer, raw) -> None:
    server.add(Fault.close_before_headers())
    raw.request()
    assert raw.read_to_end() == b""  # clean EOF, not a reset


def test_close_before_headers_through_httpx(server: ScriptedServer) -> None:
    server.add(Fault.close_before_headers())
    with (
        httpx2.Client() as client,
        pytest.raises(httpx2.RemoteProtocolError, match="without sending a response"),
    ):
        client.post(server.base_url)


def test_reset_mid_stream_on_the_wire(server: ScriptedServer, raw) -> None:
    server.add(Fault.reset_mid_stream(STREAM, after_chunks=2))
    raw.request()
    head = raw.read_head()
    assert head.status == 200
    assert raw.read_chunk() == EVENTS[0]
    assert raw.read_chunk() == EVENTS[1]
    with pytest.raises(ConnectionResetError):
        raw.read_chunk()


@pytest.mark.parametrize("after", [0, 2, 5, 99])
def test_reset_mid_stream_through_httpx(server: ScriptedServer, after: int) -> None:
    server.add(Fault.reset_mid_stream(STREAM, after_chunks=after))
    received: list[bytes] = []
    with httpx2.Client() as client, client.stream("POST", server.base_url) as response:
        assert response.status_code == 200
        with pytest.raises(httpx2.ReadError):
            received.extend(response.iter_raw())  # keeps what arrived before the error
    assert b"".join(received) == b"".join(EVENTS[:after])  # exactly the first chunks, nothing lost


def test_close_mid_stream_truncates_the_body(server: ScriptedServer, raw) -> None:
    server.add(Fault.close_mid_stream(STREAM, after_chunks=1), Fault.close_mid_stream(STREAM))
    raw.request()
    raw.read_head()
    assert raw.read_chunk() == EVENTS[0]
    assert raw.read_to_end() == b""  # FIN, no terminating chunk
    with httpx2.Client() as client, client.stream("POST", server.base_url) as response:
        with pytest.raises(httpx2.RemoteProtocolError):
            response.read()


def test_slow_first_byte_trips_a_shorter_read_timeout(server: ScriptedServer) -> None:
    server.add(Fault.slow_first_byte(Reply.json({"ok": 1}), delay=3))
    timeout = httpx2.Timeout(5.0, read=0.1)
    started = time.monotonic()
    with httpx2.Client(timeout=timeout) as client, pytest.raises(httpx2.ReadTimeout):
        client.post(server.base_url)
    assert time.monotonic() - started < 2  # the client's timeout, not the end of the delay


def test_slow_first_byte_then_answers(server: ScriptedServer, raw) -> None:
    server.add(Fault.slow_first_byte(Reply.json({"ok": 1}), delay=0.2))
    started = time.monotonic()
    raw.request()
    raw.sock.settimeout(0.1)
    with pytest.raises(TimeoutError):  # not even the status line yet
        raw.sock.recv(1, 0x2)  # MSG_PEEK
    raw.sock.settimeout(3)
    assert raw.read_response().body == b'{"ok":1}'
    assert time.monotonic() - started >= 0.2


def test_stall_mid_stream_flushes_what_came_before(server: ScriptedServer) -> None:
    server.add(Fault.stall_mid_stream(STREAM, after_chunks=1, delay=0.4))
    with httpx2.Client() as client, client.stream("POST", server.base_url) as response:
        started = time.monotonic()
        pieces = response.iter_raw()
        first = next(pieces)
        first_at = time.monotonic() - started
        rest = b"".join(pieces)
        total = time.monotonic() - started
    assert first == EVENTS[0]
    assert total - first_at >= 0.3  # the first chunk was flushed before the stall
    assert total >= 0.35  # the stall began before `started` was read
    assert first + rest == b"".join(EVENTS)


def test_stall_mid_stream_trips_a_read_timeout(server: ScriptedServer) -> None:
    server.add(Fault.stall_mid_stream(STREAM, after_chunks=2, delay=0.5))
    received: list[bytes] = []
    timeout = httpx2.Timeout(5.0, read=0.1)
    with httpx2.Client(timeout=timeout) as client, client.stream("POST", server.base_url) as r:
        with pytest.raises(httpx2.ReadTimeout):
            received.extend(r.iter_raw())
    assert b"".join(received) == b"".join(EVENTS[:2])


def test_malformed_sse_inserts_a_chunk(server: ScriptedServer, raw) -> None:
    server.add(
        Fault.malformed_sse(STREAM, after_chunks=1),
        Fault.malformed_sse([b"data: 1\n\n"], line="oops\n", after_chunks=0),
    )
    raw.request()
    response = raw.read_response()
    assert response.chunks == [EVENTS[0], b"this is not sse\n", *EVENTS[1:]]
    raw.request()
    assert raw.read_response().chunks == [b"oops\n", b"data: 1\n\n"]


def test_malformed_sse_is_what_the_core_decoder_rejects(server: ScriptedServer) -> None:
    server.add(Fault.malformed_sse(STREAM, after_chunks=2))
    decoder = SSEDecoder()
    events = []
    with httpx2.Client() as client, client.stream("POST", server.base_url) as response:
        with pytest.raises(ProviderProtocolError):
            events.extend(e for data in response.iter_raw() for e in decoder.feed(data))
    assert [e.data for e in events] == ['{"n":0}', '{"n":1}']


def test_faults_compose(server: ScriptedServer) -> None:
    fault = Fault.slow_first_byte(
        Fault.reset_mid_stream(Fault.malformed_sse(STREAM, after_chunks=1), after_chunks=1),
        delay=0.2,
    )
    server.add(fault)
    received: list[bytes] = []
    started = time.monotonic()
    with httpx2.Client() as client, client.stream("POST", server.base_url) as response:
        assert time.monotonic() - started >= 0.2
        with pytest.raises(httpx2.ReadError):
            received.extend(response.iter_raw())
    assert b"".join(received) == EVENTS[0] + b"this is not sse\n"


def test_reset_mid_stream_of_a_content_length_body(server: ScriptedServer) -> None:
    server.add(Fault.reset_mid_stream(Reply.json({"big": "x" * 1000}), after_chunks=0))
    with httpx2.Client() as client, pytest.raises(httpx2.ReadError):
        client.post(server.base_url)


def test_raw_response_for_malformed_http(server: ScriptedServer) -> None:
    server.add(Fault.raw_response(b"HTTP/1.1 200 OK\r\nContent-Length: nope\r\n\r\n"))
    with httpx2.Client() as client, pytest.raises(httpx2.RemoteProtocolError):
        client.post(server.base_url)


def test_retry_after_then_success(server: ScriptedServer) -> None:
    server.add(
        Reply.status(429, {"error": {"message": "slow down"}}, headers={"retry-after-ms": "10"}),
        Reply.json({"ok": True}),
    )
    with httpx2.Client(base_url=server.base_url) as client:
        first = client.post("/chat/completions")
        assert first.status_code == 429
        time.sleep(int(first.headers["retry-after-ms"]) / 1000)
        assert client.post("/chat/completions").json() == {"ok": True}
    assert server.pending == 0
