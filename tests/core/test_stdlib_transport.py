"""StdlibTransport details the shared fault suite (tests/e2e/test_faults.py) does not cover."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator

import modelport as mp
import pytest
from modelport._http._timeouts import Timeouts
from modelport._wire import WireRequest
from modelport.testing import Reply, ScriptedServer


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    with ScriptedServer() as s:
        yield s


def test_gzip_bodies_are_decoded(server: ScriptedServer) -> None:
    payload = json.dumps({"hello": "world" * 100}).encode()
    server.add(
        Reply.raw(
            200,
            gzip.compress(payload),
            content_type="application/json",
            headers={"content-encoding": "gzip"},
        )
    )
    transport = mp.StdlibTransport()
    raw = transport.send(WireRequest("GET", server.url + "/x"), Timeouts())
    try:
        assert raw.status == 200 and raw.read() == payload
        assert raw.headers["content-encoding"] == "gzip"
    finally:
        raw.close()
        transport.close()


def test_query_strings_and_headers_reach_the_server(server: ScriptedServer) -> None:
    server.add(Reply.json({"ok": True}))
    transport = mp.StdlibTransport()
    wire = WireRequest("POST", server.url + "/v1/a?b=1", {"x-test": "yes"}, None, b"{}")
    raw = transport.send(wire, Timeouts())
    raw.read()
    raw.close()
    transport.close()
    req = server.requests[0]
    assert (req.method, req.path, req.query) == ("POST", "/v1/a", "b=1")
    assert req.headers["x-test"] == "yes" and req.body == b"{}"


def test_a_silently_closed_pooled_connection_fails_before_the_response(
    server: ScriptedServer,
) -> None:
    """llama.cpp closes after a reply without saying so; the transport reports it as a
    failure before any response byte, which the engine retries for free (see test_faults)."""
    server.add(Reply.json({"n": 1}, close_after=True))
    transport = mp.StdlibTransport()
    raw = transport.send(WireRequest("GET", server.url + "/"), Timeouts())
    raw.read()
    raw.close()
    with pytest.raises(mp.ProviderConnectionError) as info:
        transport.send(WireRequest("GET", server.url + "/"), Timeouts())
    assert info.value.before_response is True
    transport.close()
