"""Each reply kind, checked on the wire (raw socket) and through a real client (httpx2)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx2
import pytest
from hypothesis import given
from hypothesis import strategies as st
from modelport.testing import (
    Fault,
    RecordedRequest,
    Reply,
    ScriptedServer,
    split_eventstream_messages,
    split_sse_events,
    sse_event,
)

SSE = [b'data: {"n":1}\n\n', b'data: {"n":2}\n\n', b"data: [DONE]\n\n"]


def test_importing_it_pulls_in_no_http_client() -> None:
    code = "import sys, modelport.testing; print('httpx2' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_json_reply(server: ScriptedServer) -> None:
    server.add(Reply.json({"id": "chatcmpl-1", "n": [1, 2]}, headers={"x-request-id": "req_1"}))
    response = httpx2.post(f"{server.base_url}/chat/completions", json={"model": "m"})
    assert response.status_code == 200
    assert response.json() == {"id": "chatcmpl-1", "n": [1, 2]}
    assert response.headers["x-request-id"] == "req_1"
    assert response.headers["content-type"] == "application/json"
    assert response.headers["content-length"] == str(len(response.content))


def test_json_bytes_are_sent_verbatim(server: ScriptedServer, raw) -> None:
    recorded = b'{\n  "id": "x",\n  "text": "caf\xc3\xa9"\n}\n'
    server.add(Reply.json(recorded, status=201))
    raw.request()
    response = raw.read_response()
    assert (response.status, response.reason) == (201, "Created")
    assert response.body == recorded
    assert response.chunks is None


def test_sse_reply_sends_one_http_chunk_per_item(server: ScriptedServer, raw) -> None:
    server.add(Reply.sse([*SSE[:2], b"", SSE[2]]))  # an empty item would end the body: dropped
    raw.request()
    response = raw.read_response()
    assert response.status == 200
    assert response.headers["content-type"] == "text/event-stream"
    assert response.headers["transfer-encoding"] == "chunked"
    assert "content-length" not in response.headers
    assert "connection" not in response.headers  # keep-alive, as OpenAI
    assert response.chunks == SSE


def test_sse_reply_through_httpx(server: ScriptedServer) -> None:
    server.add(Reply.sse([s.decode() for s in SSE], chunk_delay=0.01))
    with httpx2.Client() as client, client.stream("POST", server.base_url) as response:
        lines = [line for line in response.iter_lines() if line]
    assert lines == ['data: {"n":1}', 'data: {"n":2}', "data: [DONE]"]


def test_sse_reply_from_one_recorded_blob_is_split_into_events(server: ScriptedServer, raw) -> None:
    server.add(Reply.sse(b"".join(SSE)), Reply.sse("data: a\r\n\r\ndata: b\r\n\r\n"))
    raw.request()
    assert raw.read_response().chunks == SSE
    raw.request()
    assert raw.read_response().chunks == [b"data: a\r\n\r\n", b"data: b\r\n\r\n"]


def test_raw_reply_with_body_and_with_chunks(server: ScriptedServer, raw) -> None:
    server.add(
        Reply.raw(418, b"short and stout", content_type="text/plain", reason="Teapot"),
        Reply.raw(200, content_type="application/x-ndjson", chunks=[b'{"a":1}\n', '{"b":2}\n']),
        Reply.raw(200),
    )
    raw.request()
    first = raw.read_response()
    assert (first.status, first.reason, first.body) == (418, "Teapot", b"short and stout")
    assert first.headers["content-type"] == "text/plain"
    raw.request()
    second = raw.read_response()
    assert second.chunks == [b'{"a":1}\n', b'{"b":2}\n']
    assert second.headers["content-type"] == "application/x-ndjson"
    raw.request()
    third = raw.read_response()
    assert (third.status, third.body, third.headers["content-length"]) == (200, b"", "0")
    assert "content-type" not in third.headers


def test_status_reply_with_retry_headers(server: ScriptedServer) -> None:
    error = {"error": {"message": "Rate limit reached", "code": "rate_limit_exceeded"}}
    server.add(
        Reply.status(429, error, headers={"retry-after-ms": "10", "Retry-After": "1"}),
        Reply.status(204),
    )
    with httpx2.Client(base_url=server.base_url) as client:
        limited = client.post("/chat/completions")
        empty = client.delete("/files/1")
    assert limited.status_code == 429
    assert limited.json() == error
    assert limited.headers["retry-after-ms"] == "10"
    assert limited.headers["retry-after"] == "1"
    assert empty.status_code == 204
    assert empty.content == b""
    assert "content-length" not in empty.headers


def test_user_framing_headers_are_replaced(server: ScriptedServer, raw) -> None:
    recorded = {"Transfer-Encoding": "chunked", "Content-Length": "999", "openai-version": "x"}
    server.add(Reply.json({"a": 1}, headers=recorded))
    raw.request()
    response = raw.read_response()
    assert response.headers["content-length"] == "7"
    assert "transfer-encoding" not in response.headers
    assert response.headers["openai-version"] == "x"
    assert response.header_names.count("Content-Length") == 0


def test_content_type_in_headers_wins(server: ScriptedServer, raw) -> None:
    server.add(Reply.json({}, headers={"Content-Type": "application/json; charset=utf-8"}))
    raw.request()
    response = raw.read_response()
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    assert [n.lower() for n in response.header_names].count("content-type") == 1


def test_head_request_gets_headers_only(server: ScriptedServer, raw) -> None:
    server.route("HEAD", "/health", Reply.json({"ok": True}))
    server.route("GET", "/health", Reply.json({"ok": True}))
    raw.request("HEAD", "/health")
    head = raw.read_response(head_only=True)
    assert head.headers["content-length"] == "11"
    raw.request("GET", "/health")  # the connection is still in sync: no stray body bytes
    assert raw.read_response().body == b'{"ok":true}'


def test_from_file_frames_each_recording_kind(server: ScriptedServer, raw, tmp_path: Path) -> None:
    body = b'{"id":"chatcmpl-1","object":"chat.completion"}'
    (tmp_path / "a.json").write_bytes(body)
    sse = b"data: one\r\n\r\ndata: two\r\n\r\ndata: [DONE]\r\n\r\n"
    (tmp_path / "b.sse").write_bytes(sse)
    messages = [_eventstream_message(b"one"), _eventstream_message(b"second message")]
    (tmp_path / "c.bin").write_bytes(b"".join(messages))
    (tmp_path / "d.txt").write_bytes(b"plain")

    server.add(
        Reply.from_file(tmp_path / "a.json"),
        Reply.from_file(tmp_path / "b.sse"),
        Reply.from_file(str(tmp_path / "c.bin"), headers={"x-amzn-requestid": "r"}),
        Reply.from_file(tmp_path / "d.txt", status=202, content_type="text/plain"),
    )
    with pytest.raises(ValueError, match="content_type"):
        Reply.from_file(tmp_path / "d.txt")

    for _ in range(4):  # pipelined on one connection
        raw.request()
    a, b, c, d = (raw.read_response() for _ in range(4))
    assert (a.body, a.chunks, a.headers["content-type"]) == (body, None, "application/json")
    assert b.chunks == [b"data: one\r\n\r\n", b"data: two\r\n\r\n", b"data: [DONE]\r\n\r\n"]
    assert b.headers["content-type"] == "text/event-stream"
    assert c.chunks == messages
    assert c.headers["content-type"] == "application/vnd.amazon.eventstream"
    assert c.headers["x-amzn-requestid"] == "r"
    assert (d.status, d.body) == (202, b"plain")


@pytest.mark.parametrize(
    "name",
    [
        "openai-chat/chat-nonstream-text.json",
        "openai-chat/chat-stream-tool-calls-parallel.sse",
        "bedrock-claude/stream-text.bin",
    ],
)
def test_from_file_replays_real_recordings_byte_exact(
    server: ScriptedServer, conformance: Path, name: str
) -> None:
    path = conformance / name
    if not path.exists():
        pytest.skip(f"conformance corpus not present: {path}")
    server.add(Reply.from_file(path))
    with httpx2.Client() as client, client.stream("POST", server.base_url) as response:
        received = response.read()
    assert received == path.read_bytes()


def test_callable_entries_see_the_request(server: ScriptedServer) -> None:
    def echo(request: RecordedRequest) -> Reply:
        return Reply.json({"echo": request.json(), "path": request.path})

    server.add(echo)
    server.route("POST", "/v1/echo", echo)
    with httpx2.Client(base_url=server.url) as client:
        queued = client.post("/v1/chat/completions", json={"q": 1})
        routed = client.post("/v1/echo?x=1", json={"q": 2})
    assert queued.json() == {"echo": {"q": 1}, "path": "/v1/chat/completions"}
    assert routed.json() == {"echo": {"q": 2}, "path": "/v1/echo"}


def test_callable_that_raises_is_a_loud_500() -> None:
    def broken(request: RecordedRequest) -> Reply:
        raise RuntimeError("boom")

    def wrong_type(request: RecordedRequest) -> Reply:
        return "nope"  # type: ignore[return-value]

    with ScriptedServer() as server:
        server.add(broken, wrong_type)
        with httpx2.Client(base_url=server.url) as client:
            first = client.post("/v1/chat/completions")
            second = client.post("/v1/chat/completions")
        errors = server.errors
    assert first.status_code == 500
    assert "raised RuntimeError('boom')" in first.json()["error"]["message"]
    assert second.status_code == 500
    assert "returned str" in second.json()["error"]["message"]
    assert [type(e) for e in errors] == [RuntimeError, TypeError]


def test_invalid_scripts_fail_where_they_are_written() -> None:
    with pytest.raises(ValueError, match="status"):
        Reply.status(42)
    with pytest.raises(ValueError, match="CR or LF"):
        Reply.json({}, headers={"x-evil": "a\r\nSet-Cookie: b"})
    with pytest.raises(ValueError, match="header name"):
        Reply.json({}, headers={"bad name": "x"})
    with pytest.raises(ValueError, match="either body or chunks"):
        Reply.raw(200, b"body", chunks=[b"chunk"])
    with pytest.raises(ValueError, match="chunk_delay"):
        Reply.sse([b"x"], chunk_delay=-1)
    with pytest.raises(ValueError, match="streamed reply"):
        Fault.malformed_sse(Reply.json({}))
    with pytest.raises(ValueError, match="needs a reply"):
        Fault.reset_mid_stream(Fault.reset_before_headers())
    with pytest.raises(ValueError, match="after_chunks"):
        Fault.stall_mid_stream(Reply.sse([b"x"]), after_chunks=-1)
    with pytest.raises(TypeError, match="list of bytes"):
        Reply.raw(200, chunks=b"one blob")
    with ScriptedServer() as server, pytest.raises(TypeError):
        server.add("not a reply")  # type: ignore[arg-type]


def test_sse_event_formats_spec_events() -> None:
    assert sse_event({"a": 1}) == b'data: {"a":1}\n\n'
    assert sse_event("[DONE]") == b"data: [DONE]\n\n"
    assert sse_event("two\nlines", event="delta", id="7") == (
        b"event: delta\nid: 7\ndata: two\ndata: lines\n\n"
    )
    assert json.loads(sse_event([1, 2])[6:]) == [1, 2]


@given(
    st.lists(
        st.tuples(
            st.binary(max_size=20).map(lambda b: b.replace(b"\r", b"").replace(b"\n", b"")),
            st.sampled_from([b"\n\n", b"\r\n\r\n", b"\r\r", b"\n"]),
        ),
        max_size=8,
    ),
    st.binary(max_size=10),
)
def test_split_sse_events_keeps_every_byte(parts: list[tuple[bytes, bytes]], tail: bytes) -> None:
    data = b"".join(text + end for text, end in parts) + tail
    pieces = split_sse_events(data)
    assert b"".join(pieces) == data
    assert all(pieces)
    blank = (b"\n", b"\r\n", b"\r")
    for piece in pieces:  # exactly one blank line per piece, and it ends the piece
        lines = piece.splitlines(keepends=True)
        assert not any(line in blank for line in lines[:-1])
    assert all(p.splitlines(keepends=True)[-1] in blank for p in pieces[:-1])


def test_split_eventstream_keeps_garbage_at_the_end() -> None:
    messages = [_eventstream_message(b"a"), _eventstream_message(b"bb")]
    data = b"".join(messages) + b"\x00\x00\xff\xfftruncated"
    pieces = split_eventstream_messages(data)
    assert pieces[:2] == messages
    assert b"".join(pieces) == data


def _eventstream_message(payload: bytes) -> bytes:
    """An AWS event-stream frame; the CRCs are zero (the splitter only reads lengths)."""
    total = 12 + len(payload) + 4
    return total.to_bytes(4, "big") + (0).to_bytes(4, "big") + b"\0" * 4 + payload + b"\0" * 4
