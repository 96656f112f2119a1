"""``abort=AbortSignal()``: a call stops at once, keeps what it had, and says so.

Against a real scripted server on loopback: a stream that stalls mid-answer, and tool loops
whose tools run far longer than the test waits. "At once" is checked against the stall or the
tool's duration (seconds), not as a performance figure.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import modelport as mp
import pytest
from modelport.testing import Fault, Reply, ScriptedServer


def chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
    body = {
        "id": "c",
        "object": "chat.completion.chunk",
        "model": "m",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
    return f"data: {json.dumps(body)}\n\n".encode()


STREAM = [
    chunk({"role": "assistant", "content": "Hello "}),
    chunk({"content": "from "}),
    chunk({"content": "the rest"}),
    chunk({}, "stop"),
    b"data: [DONE]\n\n",
]


def reply(message: dict[str, Any], finish: str) -> Reply:
    return Reply.json(
        {
            "id": "c",
            "object": "chat.completion",
            "model": "m",
            "choices": [{"index": 0, "message": message, "finish_reason": finish}],
            "usage": {"prompt_tokens": 3, "completion_tokens": 2},
        }
    )


def calls(*names: str) -> Reply:
    tool_calls = [
        {"id": f"c{i}", "type": "function", "function": {"name": name, "arguments": "{}"}}
        for i, name in enumerate(names)
    ]
    return reply({"role": "assistant", "content": None, "tool_calls": tool_calls}, "tool_calls")


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    with ScriptedServer() as s:
        yield s


def make(server: ScriptedServer) -> mp.LLM:
    return mp.LLM("openai-chat:m", base_url=server.base_url, temperature=0, retry=0)


def abort_later(signal: mp.AbortSignal, after: float, reason: str) -> None:
    threading.Timer(after, signal.abort, args=(reason,)).start()


def test_a_stalled_stream_is_aborted_at_once_and_keeps_its_text(server: ScriptedServer) -> None:
    server.add(Fault.stall_mid_stream(Reply.sse(STREAM), after_chunks=2, delay=5.0))
    signal = mp.AbortSignal()
    with make(server) as llm:
        started = time.monotonic()
        stream = llm.stream("hi", abort=signal)
        events = [next(stream), next(stream)]  # the two chunks before the stall
        abort_later(signal, 0.2, "user pressed stop")
        events += list(stream)
        elapsed = time.monotonic() - started
        assert elapsed < 3.0  # not the 5 s stall
        final = next(e for e in events if e.type == "final")
        assert final.data["aborted"] is True and final.data["reason"] == "user pressed stop"
        response = final.content
        assert response.text == "Hello from "
        assert response.stop_reason == "aborted" and response.abort_reason == "user pressed stop"
        assert response.messages[0].content == "Hello from "  # the history stays usable
        assert events[-1].type == "done" and events[-1].data["aborted"] is True


def test_an_async_stream_is_aborted_while_it_waits(server: ScriptedServer) -> None:
    server.add(Fault.stall_mid_stream(Reply.sse(STREAM), after_chunks=2, delay=5.0))

    async def main() -> tuple[list[mp.StreamEvent], float]:
        signal = mp.AbortSignal()
        async with make(server) as llm:
            started = time.monotonic()
            events = []
            async for ev in llm.astream("hi", abort=signal):
                events.append(ev)
                if ev.type == "answer" and len(events) == 2:
                    asyncio.get_running_loop().call_later(0.2, signal.abort, "enough")
            return events, time.monotonic() - started

    events, elapsed = asyncio.run(main())
    assert elapsed < 3.0
    final = next(e for e in events if e.type == "final")
    assert final.content.text == "Hello from " and final.data["reason"] == "enough"


def test_an_abort_before_the_call_sends_nothing(server: ScriptedServer) -> None:
    signal = mp.AbortSignal()
    signal.abort("changed my mind")
    with make(server) as llm:
        r = llm.complete("hi", abort=signal)
    assert r.stop_reason == "aborted" and r.text == ""
    assert server.requests == []


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_an_abort_cancels_running_tools_and_answers_every_call(
    server: ScriptedServer, mode: str
) -> None:
    signal = mp.AbortSignal()
    running: list[str] = []
    lock = threading.Lock()

    def on_start(name: str) -> None:
        # Abort once a tool runs, not after a fixed delay that a loaded machine can beat.
        with lock:
            running.append(name)
            if len(running) == 1:
                signal.abort("stop now")

    def slow_sync() -> str:
        """A tool that takes its time."""
        on_start("sync")
        time.sleep(4.0)
        return "late"

    async def slow_async() -> str:
        """An async tool that takes its time."""
        on_start("async")
        await asyncio.sleep(4.0)
        return "late"

    server.add(calls("slow_sync", "slow_async"))
    tools = [slow_sync, slow_async]
    with make(server) as llm:
        if mode == "sync":
            started = time.monotonic()
            events = list(llm.stream("go", tools=tools, abort=signal))
            elapsed = time.monotonic() - started
        else:

            async def main() -> tuple[list[mp.StreamEvent], float]:
                started = time.monotonic()
                got = [e async for e in llm.astream("go", tools=tools, abort=signal)]
                return got, time.monotonic() - started

            # (asyncio.run itself then waits for the sync tool's worker thread to finish)
            events, elapsed = asyncio.run(main())
    assert elapsed < 3.0  # not the 4 s the tools take
    final = next(e for e in events if e.type == "final")
    r = final.content
    assert final.data["aborted"] is True and r.abort_reason == "stop now"
    assert [t.error for t in r.tool_results] == ["cancelled: stop now"] * 2
    # Valid for the next turn: the assistant's calls, then one tool message for each.
    assert [m.role for m in r.messages] == ["assistant", "tool", "tool"]
    assert all(m.content == "Error: cancelled: stop now" for m in r.messages[1:])
    assert len(server.requests) == 1  # no further model call after the abort


def test_an_aborted_answer_is_not_cached(server: ScriptedServer) -> None:
    server.add(Fault.stall_mid_stream(Reply.sse(STREAM), after_chunks=2, delay=2.0))
    server.add(Reply.sse(STREAM))
    signal = mp.AbortSignal()
    with make(server) as llm:
        stream = llm.stream("cache me", abort=signal, cache="always")
        next(stream)
        signal.abort("stop")
        list(stream)
        again = list(llm.stream("cache me", cache="always"))
    final = next(e for e in again if e.type == "final").content
    assert final.text == "Hello from the rest" and final.cache_source == "miss"


def test_abort_must_be_a_signal(server: ScriptedServer) -> None:
    with make(server) as llm, pytest.raises(mp.ConfigurationError, match="AbortSignal"):
        llm.complete("hi", abort=True)
