"""Every fault the scripted server injects ends in a successful retry or a typed error:
never a hang, never duplicated output. Real sockets on 127.0.0.1, the real transport."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any

import modelport as mp
import pytest
from modelport.testing import Fault, Reply, ScriptedServer

CHUNK_HI = (
    b'data: {"id":"x","object":"chat.completion.chunk","model":"m","choices":[{"index":0,'
    b'"delta":{"content":"Hi"},"finish_reason":null}]}\n\n'
)
CANARY = "sk-canary-ZXQ0123456789abcdefCANARY"


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    with ScriptedServer() as s:
        yield s


@pytest.fixture
def chat(conformance: Path) -> Path:
    return conformance / "openai-chat"


@pytest.fixture(params=["httpx2", "stdlib", "aiohttp"], autouse=True)
def transport(request: pytest.FixtureRequest) -> Iterator[None]:
    """Every fault, through every transport behind the seam, chosen by its registered name."""
    global TRANSPORT
    TRANSPORT = request.param
    yield
    TRANSPORT = "httpx2"


TRANSPORT = "httpx2"


class AsyncDriven:
    """An LLM whose sync calls run through its async API, on one event loop in a thread.

    The aiohttp transport carries async calls only (its sync calls are delegated to httpx2),
    so this is how each fault, written here as a sync call, reaches it. One loop for the LLM's
    life, as in an async application: keep-alive reuse and stale connections are real.
    """

    def __init__(self, llm: mp.LLM) -> None:
        self.llm = llm
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def _run(self, coro: Coroutine[Any, Any, Any]) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result()

    def complete(self, *args: Any, **kw: Any) -> mp.Response:
        return self._run(self.llm.acomplete(*args, **kw))  # type: ignore[no-any-return]

    def stream(self, *args: Any, **kw: Any) -> Iterator[mp.StreamEvent]:
        events = self.llm.astream(*args, **kw)

        async def step() -> mp.StreamEvent | None:
            return await anext(events, None)

        try:
            while (ev := self._run(step())) is not None:
                yield ev
        finally:
            self._run(events.aclose())

    def close(self) -> None:
        try:
            self._run(self.llm.aclose())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join()
            self.loop.close()

    def __enter__(self) -> AsyncDriven:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return repr(self.llm)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.llm, name)


def make(server: ScriptedServer, **kw: Any) -> Any:
    kw.setdefault("max_retries", 2)
    kw.setdefault("transport", TRANSPORT)
    llm = mp.LLM("openai-chat:gpt-test", base_url=server.base_url, api_key=CANARY, **kw)
    return AsyncDriven(llm) if TRANSPORT == "aiohttp" else llm


def answer_of(events: list[mp.StreamEvent]) -> str:
    return "".join(e.content for e in events if e.type == "answer")


def expected_stream_text(path: Path) -> str:
    text = []
    for line in path.read_bytes().splitlines():
        if line.startswith(b"data: {"):
            for choice in json.loads(line[6:]).get("choices", []):
                text.append(choice.get("delta", {}).get("content") or "")
    return "".join(text)


def test_429_with_retry_after_ms_is_retried(server: ScriptedServer, chat: Path) -> None:
    server.add(
        Reply.status(429, {"error": {"message": "slow down"}}, headers={"retry-after-ms": "20"})
    )
    server.add(Reply.from_file(chat / "chat-nonstream-text.json"))
    seen: list[mp.ProgressEvent] = []
    with make(server, on_progress=seen.append) as llm:
        r = llm.complete("hi")
    assert r.text.startswith("Why did the Opentelemetry developer go broke?")
    assert r.attempts == 2
    retries = [e for e in seen if e.kind == "retry"]
    assert len(retries) == 1 and retries[0].detail["delay_s"] == pytest.approx(0.02)
    assert retries[0].detail["status"] == 429


def test_5xx_exhausts_retries_then_raises_typed(server: ScriptedServer) -> None:
    for _ in range(2):
        server.add(
            Reply.status(503, {"error": {"message": "overloaded"}}, headers={"retry-after": "0"})
        )
    with make(server, max_retries=1) as llm, pytest.raises(mp.ProviderServerError) as info:
        llm.complete("hi")
    assert info.value.status == 503 and "overloaded" in str(info.value)
    assert len(server.requests) == 2


def test_4xx_is_not_retried(server: ScriptedServer, chat: Path) -> None:
    server.add(Reply.from_file(chat / "error-404-model-not-found.json", status=404))
    with make(server) as llm, pytest.raises(mp.ModelNotFoundError):
        llm.complete("hi")
    assert len(server.requests) == 1


def test_reset_before_headers_is_retried(server: ScriptedServer, chat: Path) -> None:
    server.add(Fault.reset_before_headers())
    server.add(Reply.from_file(chat / "chat-nonstream-text.json"))
    with make(server) as llm:
        assert llm.complete("hi").text.startswith("Why did")


def test_stale_pooled_connection_is_retried_transparently(
    server: ScriptedServer, chat: Path
) -> None:
    # llama.cpp closes the connection after a stream without saying so.
    server.add(Reply.from_file(chat / "chat-stream-text.sse", close_after=True))
    server.add(Reply.from_file(chat / "chat-nonstream-text.json"))
    with make(server, max_retries=0) as llm:
        list(llm.stream("hi"))
        r = llm.complete("again")
    assert r.attempts == 1 and r.text.startswith("Why did")


def test_reset_mid_stream_after_output_raises_without_duplicates(
    server: ScriptedServer, chat: Path
) -> None:
    sse = chat / "chat-stream-text.sse"
    server.add(Fault.reset_mid_stream(Reply.from_file(sse), after_chunks=4))
    server.add(Reply.from_file(sse))  # must not be used: output was already yielded
    events: list[mp.StreamEvent] = []
    with make(server) as llm, pytest.raises(mp.ProviderConnectionError):
        for ev in llm.stream("hi"):
            events.append(ev)
    full = expected_stream_text(sse)
    assert full.startswith(answer_of(events)) and answer_of(events)
    assert len(server.requests) == 1


def test_reset_mid_stream_before_output_is_retried(server: ScriptedServer, chat: Path) -> None:
    sse = chat / "chat-stream-text.sse"
    server.add(Fault.reset_mid_stream(Reply.from_file(sse), after_chunks=1))  # role-only chunk
    server.add(Reply.from_file(sse))
    with make(server) as llm:
        events = list(llm.stream("hi"))
    assert answer_of(events) == expected_stream_text(sse)
    assert events[-1].type == "done" and events[-2].type == "final"


def test_slow_first_byte_times_out_then_retries(server: ScriptedServer, chat: Path) -> None:
    body = chat / "chat-nonstream-text.json"
    server.add(Fault.slow_first_byte(Reply.from_file(body), delay=1.0))
    server.add(Reply.from_file(body))
    with make(server, timeout=mp.Timeouts(read=0.2)) as llm:
        r = llm.complete("hi")
    assert r.attempts == 2


def test_first_chunk_timeout_is_typed(server: ScriptedServer, chat: Path) -> None:
    body = chat / "chat-nonstream-text.json"
    for _ in range(2):
        server.add(Fault.slow_first_byte(Reply.from_file(body), delay=1.0))
    with make(server, max_retries=1, timeout=mp.Timeouts(first_chunk=0.2)) as llm:
        with pytest.raises(mp.LLMTimeoutError) as info:
            llm.complete("hi")
    assert info.value.phase == "first_chunk"


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_total_timeout_mid_stream(server: ScriptedServer, chat: Path, mode: str) -> None:
    sse = chat / "chat-stream-text.sse"
    server.add(Fault.stall_mid_stream(Reply.from_file(sse), after_chunks=3, delay=2.0))
    started = time.monotonic()
    with make(server, max_retries=0, timeout=mp.Timeouts(total=0.4)) as llm:
        with pytest.raises(mp.LLMTimeoutError) as info:
            if mode == "sync":
                list(llm.stream("hi"))
            else:

                async def run() -> None:
                    async for _ in llm.astream("hi"):
                        pass

                asyncio.run(run())
    assert info.value.phase == "total"
    assert time.monotonic() - started < 1.8  # the deadline fired, not the stall's end


def test_malformed_sse_is_a_protocol_error_not_retried(server: ScriptedServer, chat: Path) -> None:
    sse = chat / "chat-stream-text.sse"
    server.add(Fault.malformed_sse(Reply.from_file(sse), after_chunks=0))
    with make(server) as llm, pytest.raises(mp.ProviderProtocolError, match="malformed SSE"):
        list(llm.stream("hi"))
    assert len(server.requests) == 1


def test_error_event_mid_stream_is_typed(server: ScriptedServer) -> None:
    server.add(
        Reply.sse(
            [
                CHUNK_HI,
                b'data: {"error":{"message":"server overloaded","type":"server_error",'
                b'"code":null}}\n\n',
            ]
        )
    )
    events: list[mp.StreamEvent] = []
    with make(server) as llm, pytest.raises(mp.ModelRequestError, match="overloaded"):
        for ev in llm.stream("hi"):
            events.append(ev)
    assert answer_of(events) == "Hi"


def test_truncated_stream_is_an_error_not_a_silent_success(server: ScriptedServer) -> None:
    server.add(
        Reply.sse(
            [
                CHUNK_HI,
            ]
        )
    )
    with make(server) as llm, pytest.raises(mp.ProviderProtocolError):
        list(llm.stream("hi"))


def test_canary_key_never_leaks_into_errors(server: ScriptedServer) -> None:
    server.add(
        Reply.status(
            401,
            {
                "error": {
                    "message": f"Incorrect API key provided: {CANARY}. Or sk-canar***{CANARY[-8:]}",
                    "type": "invalid_request_error",
                    "code": "invalid_api_key",
                }
            },
            headers={"x-request-id": "req_abc"},
        )
    )
    with make(server) as llm, pytest.raises(mp.AuthenticationError) as info:
        llm.complete("hi")
    err = info.value
    for text in (
        str(err),
        repr(err),
        err.provider_message or "",
        repr(llm),
        repr(llm.provider.settings),
    ):
        assert CANARY not in text and CANARY[-8:] not in text
    assert err.status == 401 and err.request_id == "req_abc" and err.provider == "openai-chat"
    assert server.requests[0].headers["authorization"] == f"Bearer {CANARY}"


def test_context_window_error(server: ScriptedServer, chat: Path) -> None:
    server.add(Reply.from_file(chat / "error-400-context-length.from-issue.json", status=400))
    with make(server) as llm, pytest.raises(mp.ContextWindowExceededError):
        llm.complete("hi")


def test_unreachable_server_is_a_connection_error() -> None:
    from modelport.testing import free_port

    llm = mp.LLM(
        "openai-chat:m",
        base_url=f"http://127.0.0.1:{free_port()}/v1",
        api_key="k",
        max_retries=1,
        retry=None,
    )
    with llm, pytest.raises(mp.ProviderConnectionError, match="cannot connect"):
        llm.complete("hi")


def test_sync_api_inside_a_running_event_loop(server: ScriptedServer, chat: Path) -> None:
    server.add(Reply.from_file(chat / "chat-nonstream-text.json"))

    async def notebook_cell() -> str:
        with make(server) as llm:
            return llm.complete("hi").text

    assert asyncio.run(notebook_cell()).startswith("Why did")


def test_async_client_survives_two_event_loops(server: ScriptedServer, chat: Path) -> None:
    for _ in range(2):
        server.add(Reply.from_file(chat / "chat-nonstream-text.json"))
    llm = make(server)
    assert asyncio.run(llm.acomplete("a")).text.startswith("Why")
    assert asyncio.run(llm.acomplete("b")).text.startswith("Why")
    llm.close()


def test_keep_alive_connections_are_reused(server: ScriptedServer, chat: Path) -> None:
    for _ in range(3):
        server.add(Reply.from_file(chat / "chat-nonstream-text.json"))
    with make(server) as llm:
        for _ in range(3):
            llm.complete("hi", use_cache=False)
    assert len({r.connection for r in server.requests}) == 1
