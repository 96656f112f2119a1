"""A child span per tool execution; the tool's own spans nest under it."""

from __future__ import annotations

import asyncio

import modelport as mp
import modelport_otel
import pytest
from modelport.testing import ScriptedServer
from opentelemetry import trace
from opentelemetry.trace import SpanKind, StatusCode

from .conftest import Otel, chat_reply, tool_call_reply

APP: list[trace.Tracer] = []  # the application's tracer, on the test's provider


def traced_lookup(city: str) -> str:
    """The weather in a city (its work is traced by the application)."""
    with APP[0].start_as_current_span("fetch weather"):
        return f"sunny in {city}"


async def async_lookup(city: str) -> str:
    """The weather in a city (an async tool)."""
    with APP[0].start_as_current_span("fetch weather"):
        await asyncio.sleep(0)
        return f"sunny in {city}"


def broken(city: str) -> str:
    """A tool that fails."""
    raise RuntimeError("no weather today")


@pytest.mark.parametrize("mode", ["sync", "sync-async-tool", "async", "async-sync-tool", "stream"])
def test_a_tool_execution_is_a_child_of_the_call(
    otel: Otel, server: ScriptedServer, mode: str
) -> None:
    APP[:] = [otel.tracer_provider.get_tracer("app")]
    tool = async_lookup if mode in ("async", "sync-async-tool") else traced_lookup
    name = tool.__name__
    server.add(tool_call_reply(name, '{"city": "Oslo"}'), chat_reply("Sunny."))
    with mp.LLM("openai-chat:m", base_url=server.base_url, api_key="k") as llm:
        if mode.startswith("sync"):  # an async tool there runs on the bridge's loop
            r = llm.complete("weather?", tools=[tool])
        elif mode.startswith("async"):  # a sync tool there runs in a worker thread
            r = asyncio.run(llm.acomplete("weather?", tools=[tool]))
        else:
            events = list(llm.stream("weather?", tools=[tool]))
            r = events[-2].content
    assert r.text == "Sunny."
    (call,) = otel.named("chat ")
    children = sorted(otel.children(call), key=lambda s: s.start_time or 0)
    assert [c.name for c in children] == ["POST", f"execute_tool {name}", "POST"]
    tool_span = children[1]
    assert tool_span.kind is SpanKind.INTERNAL
    attrs = dict(tool_span.attributes or {})
    assert attrs["gen_ai.operation.name"] == "execute_tool"
    assert attrs["gen_ai.tool.name"] == name
    assert attrs["gen_ai.tool.call.id"] == "call_1"
    assert attrs["gen_ai.tool.type"] == "function"
    assert tool_span.status.status_code is StatusCode.UNSET
    (inner,) = otel.named("fetch weather")
    assert inner.parent is not None and tool_span.context is not None
    assert inner.parent.span_id == tool_span.context.span_id
    usage = dict(call.attributes or {})
    assert usage["gen_ai.usage.input_tokens"] == 31  # summed over the loop's turns
    assert usage["modelport.tools"] == (name,)


def test_a_failed_tool_is_an_error_span_and_the_call_goes_on(
    otel: Otel, server: ScriptedServer
) -> None:
    server.add(tool_call_reply("broken", '{"city": "Oslo"}'), chat_reply("No idea."))
    with mp.LLM("openai-chat:m", base_url=server.base_url, api_key="k") as llm:
        r = llm.complete("weather?", tools=[broken])
    assert r.tool_results[0].error is not None and r.text == "No idea."
    (tool_span,) = otel.named("execute_tool ")
    assert dict(tool_span.attributes or {})["error.type"] == "ToolExecutionError"
    assert tool_span.status.status_code is StatusCode.ERROR
    (call,) = otel.named("chat ")
    assert call.status.status_code is StatusCode.UNSET


def test_parallel_tools_each_get_a_span(otel: Otel, server: ScriptedServer) -> None:
    import json

    from modelport.testing import Reply

    calls = [
        {
            "id": f"call_{i}",
            "type": "function",
            "function": {"name": "async_lookup", "arguments": json.dumps({"city": c})},
        }
        for i, c in enumerate(["Oslo", "Rome", "Lima"])
    ]
    message = {"role": "assistant", "content": None, "tool_calls": calls}
    server.add(
        Reply.json(
            {
                "id": "x",
                "object": "chat.completion",
                "model": "m",
                "choices": [{"index": 0, "message": message, "finish_reason": "tool_calls"}],
            }
        ),
        chat_reply("All sunny."),
    )

    async def main() -> mp.Response:
        with mp.LLM("openai-chat:m", base_url=server.base_url, api_key="k") as llm:
            return await llm.acomplete("weather?", tools=[async_lookup])

    assert asyncio.run(main()).text == "All sunny."
    (call,) = otel.named("chat ")
    tools = otel.named("execute_tool ")
    assert sorted(str(dict(t.attributes or {})["gen_ai.tool.call.id"]) for t in tools) == [
        "call_0",
        "call_1",
        "call_2",
    ]
    assert call.context is not None
    assert all(t.parent is not None and t.parent.span_id == call.context.span_id for t in tools)


def test_tools_an_abort_left_running_end_with_the_call_once(
    otel: Otel, server: ScriptedServer, caplog: pytest.LogCaptureFixture
) -> None:
    import logging
    import threading

    started, release = threading.Event(), threading.Event()
    workers: list[threading.Thread] = []

    def slow(city: str) -> str:
        """A tool that waits to be released."""
        workers.append(threading.current_thread())
        started.set()
        release.wait(5)
        return "late"

    modelport_otel.configure(
        capture_content=True,
        tracer_provider=otel.tracer_provider,
        meter_provider=modelport_otel._settings.settings.meter_provider,
    )
    server.add(tool_call_reply("slow", '{"city": "Oslo"}'))
    signal = mp.AbortSignal()

    def abort_once_the_tool_runs() -> None:
        if started.wait(5):
            signal.abort("stop now")

    aborter = threading.Thread(target=abort_once_the_tool_runs)
    aborter.start()
    caplog.set_level(logging.WARNING, logger="opentelemetry")
    with mp.LLM("openai-chat:m", base_url=server.base_url, api_key="k") as llm:
        r = llm.complete("weather?", tools=[slow], abort=signal)
    aborter.join(5)
    assert r.stop_reason == "aborted"
    (tool_span,) = otel.named("execute_tool ")  # ended with the call, while the tool ran
    attrs = dict(tool_span.attributes or {})
    assert attrs["modelport.closed_early"] is True
    assert "gen_ai.tool.call.result" not in attrs
    release.set()
    for worker in workers:
        worker.join(5)  # the tool has returned and reported its result
    assert len(otel.named("execute_tool ")) == 1
    assert not [rec for rec in caplog.records if rec.name.startswith("opentelemetry")]


def test_a_call_made_inside_a_tool_is_a_child_of_the_tool_span(
    otel: Otel, server: ScriptedServer
) -> None:
    inner = mp.LLM("openai-chat:inner", base_url=server.base_url, api_key="k")

    def ask_another_model(question: str) -> str:
        """Asks a second model."""
        return inner.complete(question).text

    server.add(tool_call_reply("ask_another_model", '{"question": "q"}'))
    server.add(chat_reply("inner answer"), chat_reply("outer answer"))
    with inner, mp.LLM("openai-chat:outer", base_url=server.base_url, api_key="k") as llm:
        assert llm.complete("go", tools=[ask_another_model]).text == "outer answer"
    (tool_span,) = otel.named("execute_tool ")
    (inner_call,) = otel.named("chat inner")
    assert tool_span.context is not None and inner_call.parent is not None
    assert inner_call.parent.span_id == tool_span.context.span_id
