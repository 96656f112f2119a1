"""A ``review_request`` yielded by a generator tool (``_tools/_review``) reaches the caller in a
``tool_stream`` event, and the caller's ``send()`` / ``asend()`` answer is sent into the
generator, as better-llm-sdk's nested reviews do. Through a real ``mp.LLM`` tool loop against a
scripted server on 127.0.0.1 that asks for the tool, then answers.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Generator, Iterator
from typing import Any

import modelport as mp
import pytest
from modelport._tools._review import is_review
from modelport.testing import Reply, ScriptedServer
from modelport.tools import Return


def _tool_call(name: str) -> dict[str, Any]:
    return {
        "id": "c1",
        "object": "chat.completion",
        "model": "m",
        "choices": [
            {
                "index": 0,
                "finish_reason": "tool_calls",
                "message": {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "id": "call_1",
                            "type": "function",
                            "function": {"name": name, "arguments": '{"path": "/tmp/x"}'},
                        }
                    ],
                },
            }
        ],
        "usage": {"prompt_tokens": 3, "completion_tokens": 3, "total_tokens": 6},
    }


ANSWER = {
    "id": "c2",
    "object": "chat.completion",
    "model": "m",
    "choices": [
        {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": "ok"}}
    ],
    "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4},
}

REVIEW = {"name": "rm", "arguments": {"path": "/tmp/x"}}
finished = threading.Event()


def cleanup(path: str) -> Generator[Any, Any, str]:
    """Clean a path up, after asking.

    Args:
        path: The path.
    """
    try:
        answer = yield mp.StreamEvent("review_request", REVIEW)
        yield f"answer was {answer!r}"
        return f"cleaned: {answer!r}"
    finally:
        finished.set()


async def acleanup(path: str) -> AsyncIterator[Any]:
    """Clean a path up, after asking (async, forwarding a nested stream's event dict).

    Args:
        path: The path.
    """
    nested = {"type": "tool_stream", "content": {"type": "review_request", "content": REVIEW}}
    answer = yield {**nested, "depth": 1}
    yield Return(f"cleaned: {answer!r}")


@pytest.fixture
def llm() -> Iterator[tuple[mp.LLM, ScriptedServer]]:
    with (
        ScriptedServer() as server,
        mp.LLM("openai-chat:m", base_url=server.base_url, api_key="sk-t", cache="never") as model,
    ):
        yield model, server


def test_is_review() -> None:
    assert is_review(mp.StreamEvent("review_request", None))
    assert is_review({"type": "review_request"})
    assert is_review({"type": "tool_stream", "content": mp.StreamEvent("review_request", None)})
    assert not is_review({"type": "tool_stream", "content": "text"})
    assert not is_review("review_request")
    loop: dict[str, Any] = {"type": "tool_stream"}
    loop["content"] = loop  # a self-referencing dict ends, it does not recurse forever
    assert not is_review(loop)


@pytest.mark.parametrize("tool", [cleanup, acleanup])
def test_a_sync_stream_sends_the_answer_into_the_tool(
    llm: tuple[mp.LLM, ScriptedServer], tool: Any
) -> None:
    model, server = llm
    server.add(Reply.json(_tool_call(tool.__name__)), Reply.json(ANSWER))
    stream = model.stream("clean", tools=[tool])
    seen = []
    for ev in stream:
        if ev.type == "tool_stream" and is_review(ev.content):
            assert ev.source == tool.__name__ and ev.tool_id == "call_1"
            seen.append(ev.depth)
            ev = stream.send("approve")
        if ev.type == "tool_result":
            assert ev.content == "cleaned: 'approve'"
    assert seen == ([1] if tool is cleanup else [2])
    tool_message = server.requests[1].json()["messages"][-1]
    assert tool_message["content"] == "cleaned: 'approve'"


@pytest.mark.parametrize("tool", [cleanup, acleanup])
def test_an_async_stream_sends_the_answer_into_the_tool(
    llm: tuple[mp.LLM, ScriptedServer], tool: Any
) -> None:
    model, server = llm
    server.add(Reply.json(_tool_call(tool.__name__)), Reply.json(ANSWER))

    async def run() -> list[Any]:
        results = []
        stream = model.astream("clean", tools=[tool])
        async for ev in stream:
            if ev.type == "tool_stream" and is_review(ev.content):
                ev = await stream.asend({"edited": True})
            if ev.type == "tool_result":
                results.append(ev.content)
        return results

    assert asyncio.run(run()) == ["cleaned: {'edited': True}"]


def test_without_an_answer_the_tool_gets_none(llm: tuple[mp.LLM, ScriptedServer]) -> None:
    model, server = llm
    server.add(Reply.json(_tool_call("cleanup")), Reply.json(ANSWER))
    r = model.complete("clean", tools=[cleanup])  # not streamed: nobody can answer
    assert r.tool_results[0].content == "cleaned: None"
    server.add(Reply.json(_tool_call("cleanup")), Reply.json(ANSWER))
    events = list(model.stream("clean", tools=[cleanup]))  # streamed, answered with next()
    assert [e.content for e in events if e.type == "tool_result"] == ["cleaned: None"]


def test_leaving_the_stream_at_the_question_releases_the_tool(
    llm: tuple[mp.LLM, ScriptedServer],
) -> None:
    model, server = llm
    server.add(Reply.json(_tool_call("cleanup")), Reply.json(ANSWER))
    finished.clear()
    stream = model.stream("clean", tools=[cleanup])
    for ev in stream:
        if ev.type == "tool_stream" and is_review(ev.content):
            break
    stream.close()
    assert finished.wait(10), "the tool's thread still waits for an answer"


def test_an_abort_while_a_question_is_open_ends_the_call(
    llm: tuple[mp.LLM, ScriptedServer],
) -> None:
    model, server = llm
    server.add(Reply.json(_tool_call("cleanup")), Reply.json(ANSWER))
    finished.clear()
    signal = mp.AbortSignal()
    events = []
    for ev in model.stream("clean", tools=[cleanup], abort=signal):
        events.append(ev)
        if ev.type == "tool_stream" and is_review(ev.content):
            signal.abort("user left")
    final = next(e for e in events if e.type == "final")
    assert final.data is not None
    assert final.data["aborted"] is True and final.data["reason"] == "user left"
    assert len(server.requests) == 1  # no model call after the abort
    assert finished.wait(10), "the tool's thread still waits for an answer"
