"""llm_chat(events=True): SimpleLLMFunc's lifecycle events, typed, in the core's event stream.

Scripted OpenAI-compatible server on loopback; real tools run by the real tool loop. The
events are built from the core's StreamEvents; these tests pin their order and contents.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import modelport as mp
import pytest
from modelport.fn import (
    LIFECYCLE_EVENT_TYPES,
    AbortSignal,
    LoopEnd,
    LoopStart,
    ModelCallEnd,
    ModelCallStart,
    ToolCallEnd,
    ToolCallError,
    ToolCallStart,
    llm_chat,
    llm_function,
)
from modelport.testing import Fault, RecordedRequest, Reply, ScriptedServer

Script = Callable[[list[dict[str, Any]]], dict[str, Any]]


def say(text: str) -> dict[str, Any]:
    return {"role": "assistant", "content": text}


def calls(*items: tuple[str, dict[str, Any]]) -> dict[str, Any]:
    return {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": f"call_{i}",
                "type": "function",
                "function": {"name": name, "arguments": json.dumps(args)},
            }
            for i, (name, args) in enumerate(items)
        ],
    }


def sse(message: dict[str, Any]) -> Reply:
    base = {"id": "c", "object": "chat.completion.chunk", "model": "m"}
    chunks: list[dict[str, Any]] = []
    if message.get("content"):
        for word in message["content"].split(" "):
            chunks.append({**base, "choices": [{"index": 0, "delta": {"content": word + " "}}]})
    for i, tc in enumerate(message.get("tool_calls") or []):
        delta = {"tool_calls": [{"index": i, **tc}]}
        chunks.append({**base, "choices": [{"index": 0, "delta": delta}]})
    finish = "tool_calls" if message.get("tool_calls") else "stop"
    chunks.append({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": finish}]})
    chunks.append({**base, "choices": [], "usage": {"prompt_tokens": 7, "completion_tokens": 3}})
    return Reply.sse([f"data: {json.dumps(c)}\n\n" for c in chunks] + ["data: [DONE]\n\n"])


def model(server: ScriptedServer, script: Script) -> None:
    def handle(req: RecordedRequest) -> Reply:
        return sse(script(req.json()["messages"]))

    server.route("POST", "/v1/chat/completions", handle)


def weather_then_answer(messages: list[dict[str, Any]]) -> dict[str, Any]:
    if not any(m["role"] == "tool" for m in messages):
        return calls(("get_weather", {"city": "Paris"}))
    return say("Sunny.")


def get_weather(city: str) -> dict[str, Any]:
    """Current weather for a city."""
    return {"city": city, "temp": 21}


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    with ScriptedServer() as s:
        yield s


@pytest.fixture
def llm(server: ScriptedServer) -> Iterator[mp.LLM]:
    with mp.LLM(
        "openai-chat:m", base_url=server.base_url, api_key="k", cache="never", retry=0
    ) as m:
        yield m


def kinds(events: list[Any]) -> list[str]:
    return [e.type for e in events if e.type not in ("answer", "reasoning")]


def of(events: list[Any], cls: type) -> list[Any]:
    return [e for e in events if isinstance(e, cls)]


# -- the order and the contents -----------------------------------------------------------------


def test_a_tool_loop_in_events(server: ScriptedServer, llm: mp.LLM) -> None:
    @llm_chat(llm, events=True, tools=[get_weather])
    def chat(message: str, history: list[Any] | None = None) -> None:
        """Weather bot."""

    model(server, weather_then_answer)
    events = list(chat("Weather?"))
    assert kinds(events) == [
        "loop_start",
        "model_call_start",
        "model_call_end",
        "tool_call",
        "tool_call_start",
        "tool_result",
        "tool_call_end",
        "model_call_start",
        "model_call_end",
        "final",
        "loop_end",
        "done",
    ]
    assert {e.type for e in events if not isinstance(e, mp.StreamEvent)} <= LIFECYCLE_EVENT_TYPES

    (start,) = of(events, LoopStart)
    system = {"role": "system", "content": "Weather bot."}
    assert start.messages == [system, {"role": "user", "content": "Weather?"}]
    assert [t["function"]["name"] for t in start.tools] == ["get_weather"]
    assert start.tools[0]["function"]["parameters"]["required"] == ["city"]

    first, second = of(events, ModelCallStart)
    assert (first.iteration, second.iteration) == (1, 2)
    assert first.messages == start.messages and first.tools == start.tools
    assert [m["role"] for m in second.messages] == ["system", "user", "assistant", "tool"]
    # What the second call sent (the wire form of a tool message has no "name").
    without_names = [{k: v for k, v in m.items() if k != "name"} for m in second.messages]
    assert without_names == sent_messages(server, 1)

    ends = of(events, ModelCallEnd)
    assert [e.iteration for e in ends] == [1, 2]
    assert all(e.usage == mp.Usage(input_tokens=7, output_tokens=3) for e in ends)
    assert all(e.elapsed_s is not None and e.elapsed_s > 0 for e in ends)
    assert ends[0].text == "" and ends[1].text == "Sunny. "

    (tool_start,) = of(events, ToolCallStart)
    assert (tool_start.name, tool_start.arguments, tool_start.iteration) == (
        "get_weather",
        {"city": "Paris"},
        1,
    )
    (tool_end,) = of(events, ToolCallEnd)
    assert tool_end.result == {"city": "Paris", "temp": 21}
    assert tool_end.tool_call_id == tool_start.tool_call_id and tool_end.elapsed_s >= 0

    (end,) = of(events, LoopEnd)
    final = next(e for e in events if e.type == "final")
    assert (end.model_calls, end.tool_calls, end.aborted) == (2, 1, False)
    assert end.usage == mp.Usage(input_tokens=14, output_tokens=6) == final.content.usage
    assert end.response is final.content and end.text == "Sunny. "
    assert end.history == final.data["history"]
    assert [m["role"] for m in end.history] == ["user", "assistant", "tool", "assistant"]
    assert end.elapsed_s >= sum(e.elapsed_s for e in ends)
    assert not [e for e in events if e.type == "verbose"]  # asked for internally, not shown


def sent_messages(server: ScriptedServer, index: int) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = server.requests[index].json()["messages"]
    return messages


def test_verbose_events_pass_through_when_the_user_asks(
    server: ScriptedServer, llm: mp.LLM
) -> None:
    @llm_chat(llm, events=True, verbose=True)
    def chat(history: list[Any], message: str) -> None:
        """Assistant."""

    model(server, lambda ms: say("hi"))
    events = list(chat([], "x"))
    assert kinds(events) == [
        "loop_start",
        "model_call_start",
        "model_call_end",
        "verbose",
        "final",
        "loop_end",
        "done",
    ]


def test_tool_time_is_the_tools_own_not_the_consumers(server: ScriptedServer, llm: mp.LLM) -> None:
    def slow(seconds: float) -> str:
        """Sleeps."""
        time.sleep(seconds)
        return "slept"

    def script(messages: list[dict[str, Any]]) -> dict[str, Any]:
        if not any(m["role"] == "tool" for m in messages):
            return calls(("slow", {"seconds": 0.3}), ("slow", {"seconds": 0.05}))
        return say("ok")

    @llm_chat(llm, events=True, tools=[slow])
    def chat(history: list[Any], message: str) -> None:
        """Assistant."""

    model(server, script)
    events = []
    for ev in chat([], "go"):
        events.append(ev)
        if isinstance(ev, ToolCallStart):
            time.sleep(0.4)  # a slow consumer: not counted in the tools' times
    short, long = sorted(of(events, ToolCallEnd), key=lambda e: e.arguments["seconds"])
    assert 0.3 <= long.elapsed_s < 0.4 + 0.3
    assert 0.05 <= short.elapsed_s < 0.4


def test_a_failing_tool_gives_tool_call_error(server: ScriptedServer, llm: mp.LLM) -> None:
    def get_weather(city: str) -> dict[str, Any]:
        """Current weather for a city."""
        raise RuntimeError("station offline")

    @llm_chat(llm, events=True, tools=[get_weather])
    def chat(history: list[Any], message: str) -> None:
        """Assistant."""

    model(server, weather_then_answer)
    events = list(chat([], "Weather?"))
    (error,) = of(events, ToolCallError)
    assert error.error == "get_weather raised RuntimeError: station offline"
    assert error.name == "get_weather" and error.elapsed_s >= 0
    assert kinds(events)[kinds(events).index("tool_call_error") + 1] == "model_call_start"
    (end,) = of(events, LoopEnd)
    assert end.history[2]["content"] == "Error: get_weather raised RuntimeError: station offline"


def test_calls_over_the_limit_end_with_tool_call_error(server: ScriptedServer, llm: mp.LLM) -> None:
    def script(messages: list[dict[str, Any]]) -> dict[str, Any]:
        if not any(m["role"] == "tool" for m in messages):
            return calls(("get_weather", {"city": "Paris"}), ("get_weather", {"city": "Rome"}))
        return say("I could not check.")

    @llm_chat(llm, events=True, tools=[get_weather], max_tool_calls=1)
    def chat(history: list[Any], message: str) -> None:
        """Assistant."""

    model(server, script)
    events = list(chat([], "Weather?"))
    errors = of(events, ToolCallError)
    assert len(errors) == 2 and all(
        e.error.startswith("not executed: the limit of 1") for e in errors
    )
    assert len(of(events, ToolCallStart)) == 2 and not of(events, ToolCallEnd)
    assert [e.iteration for e in of(events, ModelCallStart)] == [1, 2]
    (end,) = of(events, LoopEnd)
    assert (end.model_calls, end.tool_calls, end.text) == (2, 2, "I could not check. ")
    assert [m["content"][:22] for m in end.history if m["role"] == "tool"] == [
        "Error: not executed: t"
    ] * 2


def test_tool_exec_false_calls_are_reported_not_run(server: ScriptedServer, llm: mp.LLM) -> None:
    @llm_chat(llm, events=True, tools=[get_weather], tool_exec=False)
    def chat(history: list[Any], message: str) -> None:
        """Assistant."""

    model(server, weather_then_answer)
    events = list(chat([], "Weather?"))
    (error,) = of(events, ToolCallError)
    assert "returned to the caller" in error.error
    assert kinds(events)[-4:] == ["tool_call_error", "final", "loop_end", "done"]


# -- review and abort ---------------------------------------------------------------------------


def test_review_requests_are_answered_with_send(server: ScriptedServer, llm: mp.LLM) -> None:
    @llm_chat(llm, events=True, tools=[get_weather], interceptor=True)
    def chat(history: list[Any], message: str) -> None:
        """Assistant."""

    model(server, weather_then_answer)
    stream = chat([], "Weather?")
    events = []
    for ev in stream:
        if ev.type == "review_request":
            events.append(ev)
            ev = stream.send({"city": "Rome"})  # approve with edited arguments
        events.append(ev)
    (end_tool,) = of(events, ToolCallEnd)
    assert end_tool.result == {"city": "Rome", "temp": 21}
    assert kinds(events)[3:7] == ["tool_call", "tool_call_start", "review_request", "tool_result"]


def test_async_events_with_review(server: ScriptedServer, llm: mp.LLM) -> None:
    @llm_chat(llm, events=True, tools=[get_weather], interceptor=True)
    async def chat(history: list[Any], message: str) -> None:
        """Assistant."""

    model(server, weather_then_answer)

    async def main() -> list[Any]:
        stream = chat([], "Weather?")
        out = []
        async for ev in stream:
            out.append(ev)
            if ev.type == "review_request":
                out.append(await stream.asend("not today"))  # reject, with a reason
        return out

    events = asyncio.run(main())
    (error,) = of(events, ToolCallError)
    assert error.error == "the call was not executed: not today"
    (end,) = of(events, LoopEnd)
    assert (end.model_calls, end.tool_calls) == (2, 1)


def test_abort_while_a_tool_runs_ends_with_loop_end(
    server: ScriptedServer, llm: mp.LLM, priced: None
) -> None:
    def get_weather(city: str) -> str:
        """Slow weather."""
        time.sleep(3.0)
        return "late"

    @llm_chat(llm, events=True, tools=[get_weather])
    def chat(history: list[Any], message: str) -> None:
        """Assistant."""

    model(server, weather_then_answer)
    signal = AbortSignal()
    threading.Timer(0.2, signal.abort, args=("user left",)).start()
    started = time.monotonic()
    events = list(chat([], "Weather?", abort=signal))
    assert time.monotonic() - started < 2.5  # not the tool's 3 s
    (error,) = of(events, ToolCallError)
    assert error.error == "cancelled: user left"
    (end,) = of(events, LoopEnd)
    assert end.aborted and end.reason == "user left"
    assert end.cost == CALL  # the one model call that was made
    final = next(e for e in events if e.type == "final")
    assert final.data["aborted"] is True
    assert end.history[-1] == {
        "role": "tool",
        "tool_call_id": "call_0",
        "name": "get_weather",
        "content": "Error: cancelled: user left",
    }
    assert len(server.requests) == 1


def test_abort_mid_answer_marks_the_partial_answer(
    server: ScriptedServer, llm: mp.LLM, priced: None
) -> None:
    base = {"id": "c", "object": "chat.completion.chunk", "model": "m"}
    chunks = [
        {**base, "choices": [{"index": 0, "delta": {"content": w}}]} for w in ("Hel", "lo ")
    ] + [{**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}]
    stream = Reply.sse([f"data: {json.dumps(c)}\n\n" for c in chunks] + ["data: [DONE]\n\n"])
    server.add(Fault.stall_mid_stream(stream, after_chunks=2, delay=5.0))

    @llm_chat(llm, events=True)
    def chat(history: list[Any], message: str) -> None:
        """Assistant."""

    signal = AbortSignal()
    events = []
    started = time.monotonic()
    for ev in chat([], "hi", abort=signal):
        events.append(ev)
        if ev.type == "answer" and ev.content == "lo ":
            threading.Timer(0.1, signal.abort, args=("stop",)).start()
    assert time.monotonic() - started < 3.0
    (end,) = of(events, LoopEnd)
    assert end.aborted and end.reason == "stop" and end.text == "Hello "
    assert end.history[-1] == {"role": "assistant", "content": "Hello ", "interrupted": True}
    assert kinds(events)[-3:] == ["final", "loop_end", "done"]
    assert end.cost is None  # the cut-off call reported no usage: what it spent is unknown


# -- cost ---------------------------------------------------------------------------------------

M = Decimal(1_000_000)
# One scripted model call (7 tokens in, 3 out) at $1 in and $2 out per million tokens.
CALL = mp.Cost(total=Decimal(7 + 3 * 2) / M, input=Decimal(7) / M, output=Decimal(3 * 2) / M)


@pytest.fixture
def priced() -> Iterator[None]:
    mp.set_price("openai-chat:m", input=1, output=2)  # a scripted model is in no price list
    yield
    mp.set_price("openai-chat:m")


def test_each_model_call_and_the_loop_report_their_cost(
    server: ScriptedServer, llm: mp.LLM, priced: None
) -> None:
    @llm_chat(llm, events=True, tools=[get_weather])
    def chat(message: str, history: list[Any] | None = None) -> None:
        """Weather bot."""

    model(server, weather_then_answer)
    events = list(chat("Weather?"))
    ends = of(events, ModelCallEnd)
    assert [(e.cost, e.cost_saved) for e in ends] == [(CALL, None), (CALL, None)]
    (end,) = of(events, LoopEnd)
    final = next(e for e in events if e.type == "final")
    assert end.cost == CALL + CALL == final.content.cost
    assert end.cost is not None and end.cost.total == Decimal("0.000026")
    assert end.cost_saved is None


def test_an_unpriced_model_costs_none_not_a_guess(server: ScriptedServer, llm: mp.LLM) -> None:
    @llm_chat(llm, events=True, tools=[get_weather])
    def chat(message: str, history: list[Any] | None = None) -> None:
        """Weather bot."""

    model(server, weather_then_answer)
    events = list(chat("Weather?"))
    assert [e.cost for e in of(events, ModelCallEnd)] == [None, None]
    (end,) = of(events, LoopEnd)
    assert (end.cost, end.cost_saved) == (None, None)


def test_cached_model_calls_spend_nothing_and_report_what_they_saved(
    server: ScriptedServer, priced: None
) -> None:
    with mp.LLM(
        "openai-chat:m", base_url=server.base_url, api_key="k", cache="always", retry=0
    ) as cached:

        @llm_chat(cached, events=True, tools=[get_weather], temperature=0)
        def chat(message: str, history: list[Any] | None = None) -> None:
            """Weather bot."""

        model(server, weather_then_answer)
        question = f"Weather? ({uuid.uuid4()})"  # not in the session's cache yet
        sent = list(chat(question))
        replayed = list(chat(question))
    assert len(server.requests) == 2  # the second chat's two model calls came from the cache
    (first,) = of(sent, LoopEnd)
    assert (first.cost, first.cost_saved) == (CALL + CALL, None)
    hits = of(replayed, ModelCallEnd)
    assert [e.cache_source for e in hits] == ["l1", "l1"]
    assert [(e.cost, e.cost_saved) for e in hits] == [(mp.Cost(), CALL), (mp.Cost(), CALL)]
    (end,) = of(replayed, LoopEnd)
    assert end.cost == mp.Cost()  # known to be nothing, not unknown
    assert end.cost_saved == CALL + CALL


def test_llm_function_costs_reach_the_llms_progress_observer(
    server: ScriptedServer, priced: None
) -> None:
    events: list[mp.ProgressEvent] = []
    with mp.LLM(
        "openai-chat:m",
        base_url=server.base_url,
        api_key="k",
        cache="never",
        retry=0,
        on_progress=events.append,
    ) as observed:

        @llm_function(observed)
        def capital(country: str) -> str:
            """The capital of {country}, in one word."""

        answer = {
            "id": "c",
            "object": "chat.completion",
            "model": "m",
            "choices": [{"index": 0, "message": say("Paris"), "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 7, "completion_tokens": 3},
        }
        server.add(Reply.json(answer))  # llm_function asks for the whole answer
        assert capital("France") == "Paris"
    assert [e.detail["cost"] for e in events if e.kind == "done"] == [CALL]
