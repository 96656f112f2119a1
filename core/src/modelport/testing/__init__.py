"""A scripted HTTP/1.1 server on real loopback sockets, for testing modelport and its plugins.

Mocks that patch the HTTP client cannot show what real providers do to a connection: reset
it mid-stream, close a pooled connection after a stream, stall before the first byte. This
server replays recorded provider bodies and injects exactly those faults over a real TCP
socket on 127.0.0.1, so the code under test runs its real transport. Standard library only,
and never imported by ``import modelport``::

    from modelport.testing import Fault, Reply, ScriptedServer

    with ScriptedServer() as server:
        server.add(Reply.status(429, {"error": {"message": "slow down"}},
                                headers={"retry-after-ms": "10"}))
        server.add(Reply.from_file("chat-stream-text.sse"))
        ...  # point the client at server.base_url ("http://127.0.0.1:PORT/v1")
        assert server.requests[1].json()["stream"] is True

URLs: ``server.base_url`` is the root plus the API prefix (``/v1`` by default, as OpenAI-style
clients expect); ``server.url`` is the bare ``http://127.0.0.1:PORT`` for providers whose
paths start at the root (Bedrock's ``/model/{id}/invoke``, LM Studio's ``/api/v0``), and
``ScriptedServer(api_prefix="")`` makes ``base_url`` equal to it. The prefix only shapes the
URL handed out: the queue answers any path, and ``route`` matches the full path as sent.

Answering order: a ``route`` matching method and path (never consumed), else the oldest
entry queued with ``add`` (consumed), else a 500 naming the unscripted request. Requests are
recorded (``requests``, ``wait_for_requests``) before they are answered, faults included.
Connections are keep-alive unless a reply says otherwise (``close_after=True`` closes
without announcing it, as llama.cpp does). The server runs in its own threads, so it serves
async clients as well; as a pytest fixture::

    @pytest.fixture
    def server():
        with ScriptedServer() as s:
            yield s
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._chat import chat_completion
from ._http import RecordedRequest
from ._limited import ProviderLimits
from ._memory_cache import MemoryCache
from ._script import Fault, Reply, split_eventstream_messages, split_sse_events, sse_event
from ._server import Entry, Handler, ScriptedServer, free_port

if TYPE_CHECKING:
    from ._shaping import shaped_request

__all__ = [
    "Entry",
    "Fault",
    "Handler",
    "MemoryCache",
    "ProviderLimits",
    "RecordedRequest",
    "Reply",
    "ScriptedServer",
    "chat_completion",
    "free_port",
    "shaped_request",
    "split_eventstream_messages",
    "split_sse_events",
    "sse_event",
]


def __getattr__(name: str) -> Any:
    # ``shaped_request`` needs the core's call machinery; the server needs only the standard
    # library, and pytest imports this package at start-up for the conformance plugin.
    if name == "shaped_request":
        from ._shaping import shaped_request

        return shaped_request
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
