"""A stream's span ends when the stream ends, is closed early or is cancelled; sync and async
alike."""

from __future__ import annotations

import asyncio

import modelport as mp
from modelport.testing import ScriptedServer
from opentelemetry.trace import StatusCode

from .conftest import Otel, stream_reply


def test_a_whole_stream_ends_its_span_with_usage(otel: Otel, server: ScriptedServer) -> None:
    server.add(stream_reply(["a", "b", "c"]))
    with mp.LLM("openai-chat:m", base_url=server.base_url, api_key="k") as llm:
        text = "".join(e.content for e in llm.stream("hi") if e.type == "answer")
    assert text == "abc"
    (call,) = otel.named("chat ")
    attrs = dict(call.attributes or {})
    assert attrs["modelport.streaming"] is True
    assert attrs["gen_ai.usage.output_tokens"] == 3
    assert attrs["gen_ai.response.finish_reasons"] == ("stop",)
    assert attrs["gen_ai.response.id"] == "chatcmpl-s"
    assert attrs["gen_ai.response.model"] == "m-2026"
    (attempt,) = otel.children(call)
    assert dict(attempt.attributes or {})["http.response.status_code"] == 200
    assert attempt.end_time is not None and call.end_time is not None


def test_an_async_stream_ends_its_span_when_it_ends(otel: Otel, server: ScriptedServer) -> None:
    server.add(stream_reply(["x", "y"]))

    async def main() -> str:
        with mp.LLM("openai-chat:m", base_url=server.base_url, api_key="k") as llm:
            return "".join([e.content async for e in llm.astream("hi") if e.type == "answer"])

    assert asyncio.run(main()) == "xy"
    (call,) = otel.named("chat ")
    assert dict(call.attributes or {})["gen_ai.usage.output_tokens"] == 2


def test_a_sync_stream_closed_early_ends_its_spans(otel: Otel, server: ScriptedServer) -> None:
    server.add(stream_reply([f"w{i} " for i in range(50)], chunk_delay=0.01))
    with mp.LLM("openai-chat:m", base_url=server.base_url, api_key="k") as llm:
        events = llm.stream("hi")
        for event in events:
            if event.type == "answer":
                break
        assert otel.named("chat ") == []  # still open while the stream is
        events.close()
    (call,) = otel.named("chat ")
    attrs = dict(call.attributes or {})
    assert attrs["modelport.closed_early"] is True
    assert call.status.status_code is StatusCode.UNSET and "error.type" not in attrs
    (attempt,) = otel.children(call)
    assert dict(attempt.attributes or {})["modelport.closed_early"] is True


def test_an_async_stream_closed_early_ends_its_spans(otel: Otel, server: ScriptedServer) -> None:
    server.add(stream_reply([f"w{i} " for i in range(50)], chunk_delay=0.01))

    async def main() -> None:
        with mp.LLM("openai-chat:m", base_url=server.base_url, api_key="k") as llm:
            events = llm.astream("hi")
            async for event in events:
                if event.type == "answer":
                    break
            await events.aclose()

    asyncio.run(main())
    (call,) = otel.named("chat ")
    assert dict(call.attributes or {})["modelport.closed_early"] is True
    assert len(otel.children(call)) == 1


def test_a_cancelled_stream_ends_its_span_as_cancelled(otel: Otel, server: ScriptedServer) -> None:
    server.add(stream_reply([f"w{i} " for i in range(200)], chunk_delay=0.02))

    async def main() -> None:
        with mp.LLM("openai-chat:m", base_url=server.base_url, api_key="k") as llm:
            first = asyncio.Event()

            async def consume() -> None:
                async for event in llm.astream("hi"):
                    if event.type == "answer":
                        first.set()

            task = asyncio.create_task(consume())
            await asyncio.wait_for(first.wait(), 10)
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                pass

    asyncio.run(main())
    (call,) = otel.named("chat ")
    attrs = dict(call.attributes or {})
    assert attrs["error.type"] == "CancelledError"
    assert call.status.status_code is StatusCode.ERROR
    (attempt,) = otel.children(call)
    assert attempt.end_time is not None


def test_a_cancelled_whole_call_ends_its_span(otel: Otel, server: ScriptedServer) -> None:
    from modelport.testing import Fault

    from .conftest import chat_reply

    server.add(Fault.slow_first_byte(chat_reply(), delay=5.0))

    async def main() -> None:
        with mp.LLM("openai-chat:m", base_url=server.base_url, api_key="k") as llm:
            task = asyncio.create_task(llm.acomplete("hi"))
            await asyncio.to_thread(server.wait_for_requests, 1)
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                pass

    asyncio.run(main())
    (call,) = otel.named("chat ")
    assert dict(call.attributes or {})["error.type"] == "CancelledError"
    (attempt,) = otel.children(call)
    assert dict(attempt.attributes or {})["error.type"] == "CancelledError"
