"""The tool loop against a scripted OpenAI-compatible server: the model's side is scripted from
what each request contains, the tools are real Python functions run by the real loop."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import AsyncIterator, Iterator
from typing import Annotated, Any

import modelport as mp
import pytest
from modelport.testing import RecordedRequest, Reply, ScriptedServer


def completion(message: dict[str, Any], finish: str, usage: tuple[int, int] = (10, 5)) -> Reply:
    return Reply.json(
        {
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "model": "scripted",
            "choices": [{"index": 0, "message": message, "finish_reason": finish}],
            "usage": {"prompt_tokens": usage[0], "completion_tokens": usage[1]},
        }
    )


def tool_calls(*calls: tuple[str, str]) -> Reply:
    return completion(
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": f"call_{i}",
                    "type": "function",
                    "function": {"name": name, "arguments": args},
                }
                for i, (name, args) in enumerate(calls)
            ],
        },
        "tool_calls",
    )


def text(answer: str) -> Reply:
    return completion({"role": "assistant", "content": answer}, "stop")


def stream_of(reply_json: dict[str, Any]) -> Reply:
    """The same answer as an SSE stream (content and tool calls as deltas)."""
    choice = reply_json["choices"][0]
    msg = choice["message"]
    chunks = []
    base = {"id": "c", "object": "chat.completion.chunk", "model": "scripted"}
    if msg.get("content"):
        for word in msg["content"].split(" "):
            delta = {"content": word + " "}
            chunks.append({**base, "choices": [{"index": 0, "delta": delta}]})
    for i, call in enumerate(msg.get("tool_calls") or []):
        args = call["function"]["arguments"]
        first = {
            "index": i,
            "id": call["id"],
            "type": "function",
            "function": {"name": call["function"]["name"], "arguments": args[:3]},
        }
        rest = {"index": i, "function": {"arguments": args[3:]}}
        for tc in (first, rest):
            chunks.append({**base, "choices": [{"index": 0, "delta": {"tool_calls": [tc]}}]})
    chunks.append(
        {**base, "choices": [{"index": 0, "delta": {}, "finish_reason": choice["finish_reason"]}]}
    )
    chunks.append({**base, "choices": [], "usage": reply_json["usage"]})
    events = [f"data: {json.dumps(c)}\n\n".encode() for c in chunks] + [b"data: [DONE]\n\n"]
    return Reply.sse(events)


class Model:
    """Scripted model: answers each request from the conversation it receives."""

    def __init__(self, script: Any) -> None:
        self.script = script

    def __call__(self, req: RecordedRequest) -> Reply:
        body = req.json()
        reply = self.script(body["messages"], body)
        if body.get("stream"):
            return stream_of(json.loads(reply.body))
        return reply


def tool_messages(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [m for m in body["messages"] if m["role"] == "tool"]


# -- tools ------------------------------------------------------------------------------------


def get_weather(city: str, unit: str = "C") -> dict[str, Any]:
    """Current weather for a city.

    Args:
        city: The city name.
        unit: C or F.
    """
    return {"city": city, "temp": 21, "unit": unit}


async def get_time(zone: str) -> str:
    """Current time in a time zone."""
    await asyncio.sleep(0)
    return f"12:00 {zone}"


def count_to(n: int) -> Iterator[int]:
    """Counts, streaming progress."""
    yield from range(1, n + 1)
    return n * 10  # the result (a sync generator's return value)


async def async_count(n: int) -> AsyncIterator[Any]:
    """Async generator tool: the last item is the result unless Return is yielded."""
    for i in range(n):
        yield f"step {i}"
    yield mp.tools.Return({"steps": n})


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    with ScriptedServer() as s:
        yield s


def make(server: ScriptedServer, script: Any) -> mp.LLM:
    server.route("POST", "/v1/chat/completions", Model(script))
    return mp.LLM("openai-chat:scripted", base_url=server.base_url, api_key="k", cache="never")


def three_tools_script(messages: list[dict[str, Any]], body: dict[str, Any]) -> Reply:
    if not any(m["role"] == "tool" for m in messages):
        return tool_calls(
            ("get_weather", '{"city": "Paris"}'),
            ("get_time", '{"zone": "CET"}'),
            ("count_to", '{"n": 3}'),
        )
    results = {m["tool_call_id"]: m["content"] for m in messages if m["role"] == "tool"}
    return text(f"weather={results['call_0']} time={results['call_1']} count={results['call_2']}")


EXPECTED = 'weather={"city": "Paris", "temp": 21, "unit": "C"} time=12:00 CET count=30'


@pytest.mark.parametrize("mode", ["sync", "async", "stream", "astream"])
def test_three_plain_functions_multi_turn(server: ScriptedServer, mode: str) -> None:
    tools = [get_weather, get_time, count_to]
    with make(server, three_tools_script) as llm:
        if mode == "sync":
            r = llm.complete("plan my day", tools=tools)
        elif mode == "async":
            r = asyncio.run(llm.acomplete("plan my day", tools=tools))
        elif mode == "stream":
            events = list(llm.stream("plan my day", tools=tools))
            r = events[-2].content
        else:

            async def run() -> list[mp.StreamEvent]:
                return [ev async for ev in llm.astream("plan my day", tools=tools)]

            events = asyncio.run(run())
            r = events[-2].content
    assert r.text.strip() == EXPECTED
    assert [c.name for c in r.tool_calls] == ["get_weather", "get_time", "count_to"]
    assert [t.content for t in r.tool_results] == [
        {"city": "Paris", "temp": 21, "unit": "C"},
        "12:00 CET",
        30,
    ]
    assert (r.usage.input_tokens, r.usage.output_tokens) == (20, 10)  # two turns summed
    assert [m.role for m in r.messages] == ["assistant", "tool", "tool", "tool", "assistant"]
    second = server.requests[1].json()
    assert [m["tool_call_id"] for m in tool_messages(second)] == ["call_0", "call_1", "call_2"]
    if mode in ("stream", "astream"):
        kinds = [e.type for e in events]
        assert kinds.count("tool_call") == 3 and kinds.count("tool_result") == 3
        streamed = [e.content for e in events if e.type == "tool_stream"]
        assert streamed == [1, 2, 3]
        assert all(
            e.depth == 1 and e.source == "count_to" for e in events if e.type == "tool_stream"
        )
        assert kinds[-2:] == ["final", "done"] and kinds.count("final") == 1


def test_calls_of_one_turn_run_concurrently(server: ScriptedServer) -> None:
    def slow_a() -> str:
        """Slow sync tool A."""
        time.sleep(0.4)
        return "a"

    async def slow_b() -> str:
        """Slow async tool B."""
        await asyncio.sleep(0.4)
        return "b"

    def script(messages: list[dict[str, Any]], body: dict[str, Any]) -> Reply:
        if not any(m["role"] == "tool" for m in messages):
            return tool_calls(("slow_a", "{}"), ("slow_b", "{}"), ("slow_a", "{}"))
        return text("done")

    with make(server, script) as llm:
        started = time.monotonic()
        r = llm.complete("go", tools=[slow_a, slow_b])
        elapsed = time.monotonic() - started
    assert [t.content for t in r.tool_results] == ["a", "b", "a"]
    assert elapsed < 1.0  # 3 x 0.4 s sequentially would be 1.2 s


def test_tool_problems_are_reported_to_the_model(server: ScriptedServer) -> None:
    def boom(x: int) -> int:
        """Always fails."""
        raise ValueError("kaput")

    def script(messages: list[dict[str, Any]], body: dict[str, Any]) -> Reply:
        if not any(m["role"] == "tool" for m in messages):
            return tool_calls(
                ("nope", "{}"),
                ("get_weather", '{"city": "Par'),
                ("get_weather", '{"city": 5, "unit": []}'),
                ("boom", '{"x": 1}'),
            )
        return text("recovered")

    with make(server, script) as llm:
        r = llm.complete("go", tools=[get_weather, boom])
    assert r.text.strip() == "recovered"
    errors = [t.error for t in r.tool_results]
    assert all(errors)
    sent = [m["content"] for m in tool_messages(server.requests[1].json())]
    assert "unknown tool 'nope'" in sent[0] and "get_weather" in sent[0]
    assert "invalid JSON" in sent[1] and '{"city": "Par' in sent[1]
    assert "invalid arguments for tool 'get_weather'" in sent[2]
    assert "ValueError: kaput" in sent[3]
    assert all(s.startswith("Error: ") for s in sent)


def test_max_tool_calls_then_one_last_call_without_tools(server: ScriptedServer) -> None:
    def script(messages: list[dict[str, Any]], body: dict[str, Any]) -> Reply:
        if body.get("tool_choice") == "none":
            return text("final answer")
        return tool_calls(("get_time", '{"zone": "UTC"}'))

    with make(server, script) as llm:
        r = llm.complete("loop forever", tools=[get_time], max_tool_calls=2)
    assert r.text.strip() == "final answer"
    bodies = [req.json() for req in server.requests]
    assert len(bodies) == 4 and bodies[-1]["tool_choice"] == "none"
    assert [t.content for t in r.tool_results[:2]] == ["12:00 UTC", "12:00 UTC"]
    assert "limit of 2 tool calls" in (r.tool_results[2].error or "")


def test_tool_exec_false_returns_the_calls(server: ScriptedServer) -> None:
    with make(server, three_tools_script) as llm:
        r = llm.complete("go", tools=[get_weather, get_time, count_to], tool_exec=False)
    assert [c.name for c in r.tool_calls] == ["get_weather", "get_time", "count_to"]
    assert r.tool_results == [] and len(server.requests) == 1


def guarded_script(messages: list[dict[str, Any]], body: dict[str, Any]) -> Reply:
    if not any(m["role"] == "tool" for m in messages):
        return tool_calls(("get_weather", '{"city": "Paris"}'), ("get_time", '{"zone": "CET"}'))
    return text(" | ".join(m["content"] for m in messages if m["role"] == "tool"))


def test_review_in_a_stream_with_send(server: ScriptedServer) -> None:
    with make(server, guarded_script) as llm:
        stream = llm.stream("go", tools=[get_weather, get_time], interceptor=["get_weather"])
        seen = []
        for ev in stream:
            seen.append(ev)
            if ev.type == "review_request":
                assert ev.content.name == "get_weather"
                assert ev.data == {"name": "get_weather", "arguments": {"city": "Paris"}}
                returned = stream.send({"city": "Rome"})  # approve with edited arguments
                seen.append(returned)  # the event send() returns is the next one, not lost
    kinds = [e.type for e in seen]
    assert kinds.count("review_request") == 1
    final = seen[-2].content
    assert final.tool_results[0].content["city"] == "Rome"
    assert kinds.count("tool_result") == 2


def test_review_rejection_and_no_decision(server: ScriptedServer) -> None:
    with make(server, guarded_script) as llm:
        stream = llm.stream("go", tools=[get_weather, get_time], interceptor=True)
        for ev in stream:
            if ev.type == "review_request" and ev.content.name == "get_weather":
                stream.send("the user said no")
            # get_time's review_request is left unanswered
    sent = [m["content"] for m in tool_messages(server.requests[1].json())]
    assert "not executed: the user said no" in sent[0]
    assert "no approval was given" in sent[1]


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_approve_callback_in_non_streaming_calls(server: ScriptedServer, kind: str) -> None:
    asked: list[tuple[str, dict[str, Any]]] = []

    def approve(name: str, args: dict[str, Any]) -> Any:
        asked.append((name, args))
        return name == "get_time"

    async def aapprove(name: str, args: dict[str, Any]) -> Any:
        return approve(name, args)

    with make(server, guarded_script) as llm:
        r = llm.complete(
            "go",
            tools=[get_weather, get_time],
            interceptor=True,
            approve=approve if kind == "sync" else aapprove,
        )
    assert [a[0] for a in asked] == ["get_weather", "get_time"]
    assert r.tool_results[0].error and r.tool_results[1].content == "12:00 CET"


def test_no_decision_mechanism_rejects_with_a_reason(server: ScriptedServer) -> None:
    with make(server, guarded_script) as llm:
        r = llm.complete("go", tools=[get_weather, get_time], interceptor=[get_weather])
    assert "no approval was given" in (r.tool_results[0].error or "")
    assert r.tool_results[1].content == "12:00 CET"


def test_async_generator_tool_and_nested_depth(server: ScriptedServer) -> None:
    def nested() -> Iterator[Any]:
        """Forwards a nested stream's events."""
        yield mp.StreamEvent("answer", "inner", depth=1)
        return "outer done"

    def script(messages: list[dict[str, Any]], body: dict[str, Any]) -> Reply:
        if not any(m["role"] == "tool" for m in messages):
            return tool_calls(("async_count", '{"n": 2}'), ("nested", "{}"))
        return text("ok")

    with make(server, script) as llm:
        events = list(llm.stream("go", tools=[async_count, nested]))
    streamed = [
        (e.source, e.content if not isinstance(e.content, mp.StreamEvent) else "ev", e.depth)
        for e in events
        if e.type == "tool_stream"
    ]
    assert ("async_count", "step 0", 1) in streamed and ("nested", "ev", 2) in streamed
    final = events[-2].content
    assert [t.content for t in final.tool_results] == [{"steps": 2}, "outer done"]


class Database:
    def lookup(self, key: str) -> str:
        return f"value-of-{key}"


def test_deps_are_injected_and_hidden(server: ScriptedServer) -> None:
    def fetch(key: str, db: Annotated[Database, mp.tools.Depends()]) -> str:
        """Fetch a key from the database."""
        return db.lookup(key)

    def script(messages: list[dict[str, Any]], body: dict[str, Any]) -> Reply:
        params = body["tools"][0]["function"]["parameters"]
        assert "db" not in params.get("properties", {})
        if not any(m["role"] == "tool" for m in messages):
            return tool_calls(("fetch", '{"key": "k1"}'))
        return text(tool_messages(body)[0]["content"])

    with make(server, script) as llm:
        r = llm.complete("go", tools=[fetch], deps={"db": Database()})
        assert r.text.strip() == "value-of-k1"
        with pytest.raises(mp.ConfigurationError, match="db"):
            llm.complete("go", tools=[fetch])


def test_sync_generator_in_async_mode_runs_off_loop(server: ScriptedServer) -> None:
    loop_threads: list[bool] = []

    def blocking_gen(n: int) -> Iterator[int]:
        """Blocks between items."""
        for i in range(n):
            loop_threads.append(threading.current_thread() is threading.main_thread())
            time.sleep(0.05)
            yield i
        return -1

    def script(messages: list[dict[str, Any]], body: dict[str, Any]) -> Reply:
        if not any(m["role"] == "tool" for m in messages):
            return tool_calls(("blocking_gen", '{"n": 3}'))
        return text("ok")

    async def run() -> mp.Response:
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1

        task = asyncio.create_task(ticker())
        with make(server, script) as llm:
            r = await llm.acomplete("go", tools=[blocking_gen])
        task.cancel()
        assert ticks >= 5  # the loop kept running while the generator blocked
        return r

    r = asyncio.run(run())
    assert r.tool_results[0].content == -1
    assert not any(loop_threads)


def test_a_result_that_cannot_be_shown_is_the_tools_error_not_a_crash() -> None:
    """docs/tools.md: tool problems are information for the model, never a crashed loop."""
    from modelport._tools._exec import ToolRunner
    from modelport.tools import tool_from_function

    class Unprintable:
        def __str__(self) -> str:
            raise RuntimeError("no str for you")

        __repr__ = __str__

    def broken() -> object:
        """Returns something that cannot be rendered."""
        return Unprintable()

    events: list[mp.StreamEvent] = []
    runner = ToolRunner([tool_from_function(broken)], deps=None, emit=events.append)
    call = mp.ToolCall(id="c1", name="broken", arguments="{}")
    result = asyncio.run(runner.run(call, None))
    assert result.content is None
    assert result.error is not None and "cannot be shown as text" in result.error
    assert [e.type for e in events] == ["tool_error"]


SYNC_LOOP_SCRIPT = r"""
import json, threading
import modelport as mp
from modelport.testing import Reply, ScriptedServer

def reply(message, finish):
    return Reply.json({"id": "c", "object": "chat.completion", "model": "m",
        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1}})

seen = []
def where() -> str:
    "Which thread runs me."
    seen.append(threading.current_thread() is threading.main_thread())
    return "here"

call = {"id": "c1", "type": "function", "function": {"name": "where", "arguments": "{}"}}
with ScriptedServer() as server:
    server.add(reply({"role": "assistant", "content": None, "tool_calls": [call]}, "tool_calls"))
    server.add(reply({"role": "assistant", "content": "done"}, "stop"))
    with mp.LLM("openai-chat:m", base_url=server.base_url, transport=mp.StdlibTransport()) as llm:
        r = llm.complete("go", tools=[where])
names = sorted(t.name for t in threading.enumerate())
print(json.dumps({"text": r.text, "main": seen, "threads": names}))
"""


def test_a_sync_tool_loop_runs_on_the_sync_transport_without_an_event_loop() -> None:
    """No background loop: the stdlib transport (sync only) serves the whole loop, and a lone
    sync tool runs on the caller's thread."""
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-c", SYNC_LOOP_SCRIPT], capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["text"] == "done"
    assert result["main"] == [True]
    assert "modelport-loop" not in result["threads"]


def test_an_interceptor_list_knows_a_renamed_tool() -> None:
    from modelport._tools._exec import review_predicate
    from modelport.tools import tool

    @tool(name="fetch_page")
    def fetch(url: str) -> str:
        """Fetch a page."""
        return url

    needs_review = review_predicate([fetch])
    assert needs_review is not None
    assert needs_review("fetch_page", {}) and not needs_review("fetch", {})
