"""Spans of whole calls over real HTTP: the call span, its attempts, the cache source, errors,
and the caller's parent span, sync and async."""

from __future__ import annotations

import asyncio
from typing import Any

import modelport as mp
import pytest
from modelport.testing import Reply, ScriptedServer
from opentelemetry.trace import SpanKind, StatusCode

from .conftest import Otel, chat_reply


def run(mode: str, llm: mp.LLM, prompt: str = "hi", **kw: Any) -> mp.Response:
    if mode == "sync":
        return llm.complete(prompt, **kw)
    return asyncio.run(llm.acomplete(prompt, **kw))


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_call_is_a_client_span_with_an_attempt_per_http_request(
    otel: Otel, server: ScriptedServer, mode: str
) -> None:
    server.add(Reply.status(503, {"error": "busy"}, headers={"retry-after-ms": "5"}))
    server.add(chat_reply("four"))
    with mp.LLM(
        "openai-chat:m", base_url=server.base_url, api_key="k", temperature=0, max_tokens=50
    ) as llm:
        r = run(mode, llm)
    assert r.text == "four"
    (call,) = otel.named("chat ")
    assert call.name == "chat m" and call.kind is SpanKind.CLIENT
    attrs = dict(call.attributes or {})
    port = int(server.base_url.rsplit(":", 1)[1].split("/")[0])
    assert attrs["gen_ai.operation.name"] == "chat"
    assert attrs["gen_ai.provider.name"] == "openai" and attrs["gen_ai.system"] == "openai"
    assert attrs["modelport.provider"] == "openai-chat"
    assert attrs["gen_ai.request.model"] == "m"
    assert attrs["gen_ai.request.max_tokens"] == 50
    assert attrs["gen_ai.request.temperature"] == 0
    assert "gen_ai.request.top_p" not in attrs  # unset parameters are left out
    assert attrs["gen_ai.response.model"] == "m-2026"
    assert attrs["gen_ai.response.id"] == "chatcmpl-abc"
    assert attrs["gen_ai.usage.input_tokens"] == 11
    assert attrs["gen_ai.usage.output_tokens"] == 3
    assert attrs["gen_ai.response.finish_reasons"] == ("stop",)
    assert attrs["modelport.cache.source"] == "miss"
    assert attrs["modelport.attempts"] == 2
    assert attrs["server.address"] == "127.0.0.1" and attrs["server.port"] == port
    assert call.status.status_code is StatusCode.UNSET
    assert "gen_ai.input.messages" not in attrs and "gen_ai.output.messages" not in attrs

    first, second = sorted(otel.children(call), key=lambda s: s.start_time or 0)
    assert first.name == second.name == "POST"
    assert first.kind is SpanKind.CLIENT
    a1, a2 = dict(first.attributes or {}), dict(second.attributes or {})
    assert a1["http.response.status_code"] == 503 and a1["error.type"] == "503"
    assert a1["modelport.error.type"] == "ProviderServerError"
    assert first.status.status_code is StatusCode.ERROR
    assert a2["http.response.status_code"] == 200 and "error.type" not in a2
    assert a2["http.request.resend_count"] == 1 and "http.request.resend_count" not in a1
    assert a2["url.full"] == f"{server.base_url}/chat/completions"
    assert a2["server.port"] == port
    assert (second.end_time or 0) <= (call.end_time or 0)


def test_a_cache_hit_is_a_call_without_attempts(otel: Otel, server: ScriptedServer) -> None:
    server.add(chat_reply())
    with mp.LLM("openai-chat:m", base_url=server.base_url, api_key="k", temperature=0) as llm:
        llm.complete("hi")
        llm.complete("hi")
    miss, hit = sorted(otel.named("chat "), key=lambda s: s.start_time or 0)
    assert dict(miss.attributes or {})["modelport.cache.source"] == "miss"
    assert dict(hit.attributes or {})["modelport.cache.source"] == "l1"
    assert len(otel.children(miss)) == 1 and otel.children(hit) == []


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_failed_call_has_its_error_type_and_status_error(
    otel: Otel, server: ScriptedServer, mode: str
) -> None:
    server.add(Reply.status(401, {"error": {"message": "bad key"}}))
    with mp.LLM("openai-chat:m", base_url=server.base_url, api_key="k", retry=0) as llm:
        with pytest.raises(mp.AuthenticationError):
            run(mode, llm)
    (call,) = otel.named("chat ")
    attrs = dict(call.attributes or {})
    assert attrs["error.type"] == "AuthenticationError"
    assert call.status.status_code is StatusCode.ERROR
    assert "gen_ai.usage.input_tokens" not in attrs
    (attempt,) = otel.children(call)
    assert dict(attempt.attributes or {})["error.type"] == "401"


def test_an_unreachable_server_fails_the_attempt_with_the_error_class(otel: Otel) -> None:
    from modelport.testing import free_port

    url = f"http://127.0.0.1:{free_port()}/v1"
    with mp.LLM("openai-chat:m", base_url=url, api_key="k", retry=0) as llm:
        with pytest.raises(mp.ModelRequestError):
            llm.complete("hi")
    (call,) = otel.named("chat ")
    (attempt,) = otel.children(call)
    kind = dict(attempt.attributes or {})["error.type"]
    assert kind == dict(call.attributes or {})["error.type"] == "ProviderConnectionError"
    assert "http.response.status_code" not in dict(attempt.attributes or {})


def test_the_callers_span_is_the_parent_sync(otel: Otel, server: ScriptedServer) -> None:
    server.add(chat_reply())
    tracer = otel.tracer_provider.get_tracer("app")
    with mp.LLM("openai-chat:m", base_url=server.base_url, api_key="k") as llm:
        with tracer.start_as_current_span("job") as job:
            llm.complete("hi")
    (call,) = otel.named("chat ")
    assert call.parent is not None and call.parent.span_id == job.get_span_context().span_id
    assert call.context is not None
    assert call.context.trace_id == job.get_span_context().trace_id


def test_concurrent_async_calls_keep_their_own_parents_and_attempts(
    otel: Otel, server: ScriptedServer
) -> None:
    server.add(chat_reply("a"), chat_reply("b"))
    tracer = otel.tracer_provider.get_tracer("app")

    async def job(llm: mp.LLM, name: str) -> int:
        with tracer.start_as_current_span(name) as span:
            await asyncio.sleep(0)
            await llm.acomplete(name)
            return span.get_span_context().span_id

    async def main() -> tuple[int, int]:
        with mp.LLM("openai-chat:m", base_url=server.base_url, api_key="k") as llm:
            a, b = await asyncio.gather(job(llm, "one"), job(llm, "two"))
            return a, b

    ids = asyncio.run(main())
    calls = otel.named("chat ")
    assert len(calls) == 2
    parents = {c.parent.span_id for c in calls if c.parent is not None}
    assert parents == set(ids)
    for c in calls:
        (attempt,) = otel.children(c)
        assert attempt.context is not None and c.context is not None
        assert attempt.context.trace_id == c.context.trace_id
    assert len({c.context.trace_id for c in calls if c.context is not None}) == 2


def test_no_tracing_when_the_plugin_is_disabled(
    otel: Otel, server: ScriptedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from modelport.plugins import reset

    monkeypatch.setenv("MODELPORT_DISABLE_PLUGINS", "otel")
    reset()
    server.add(chat_reply())
    with mp.LLM("openai-chat:m", base_url=server.base_url, api_key="k") as llm:
        assert llm.complete("hi").text == "ok"
    assert otel.spans() == []


GLOBAL_PROVIDER = """
from modelport.testing import Reply, ScriptedServer
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
import modelport as mp

message = {"role": "assistant", "content": "ok"}
reply = Reply.json({"choices": [{"index": 0, "message": message, "finish_reason": "stop"}]})
exporter = InMemorySpanExporter()
with ScriptedServer() as server:
    server.add(reply, reply)
    llm = mp.LLM("openai-chat:m", base_url=server.base_url, api_key="k")
    llm.complete("before")  # no SDK yet: not observed
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    trace.set_tracer_provider(provider)  # set later: picked up by the next call
    with llm, trace.get_tracer("app").start_as_current_span("job"):
        llm.complete("after")
print(sorted(s.name for s in exporter.get_finished_spans()))
"""


def test_the_global_tracer_provider_is_used_once_set() -> None:
    """Without ``configure``: the global provider, set after the first call (in a fresh
    interpreter, since the global can be set once per process)."""
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-c", GLOBAL_PROVIDER], capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "['POST', 'chat m', 'job']"


def test_the_cost_is_on_the_call_span(otel: Otel, server: ScriptedServer) -> None:
    """``Response.cost`` where the model has a price; a cache hit reports what it saved."""
    mp.set_price("openai-chat:m", input=1, output=2)
    try:
        server.add(chat_reply())
        with mp.LLM("openai-chat:m", base_url=server.base_url, api_key="k", temperature=0) as llm:
            r = llm.complete("hi")
            hit = llm.complete("hi")
            cost, saved = r.cost, hit.cost_saved  # priced when read: while the price is set
    finally:
        mp.set_price("openai-chat:m")
    assert cost is not None and cost.total > 0
    assert saved is not None and saved.total == cost.total
    miss_span, hit_span = sorted(otel.named("chat "), key=lambda s: s.start_time or 0)
    attrs = dict(miss_span.attributes or {})
    assert attrs["modelport.cost.usd"] == pytest.approx(float(cost.total))
    hit_attrs = dict(hit_span.attributes or {})
    assert hit_attrs["modelport.cost_saved.usd"] == pytest.approx(float(saved.total))
    assert hit_attrs["modelport.cost.usd"] == 0


def test_no_cost_attribute_for_an_unpriced_model(otel: Otel, server: ScriptedServer) -> None:
    server.add(chat_reply())
    with mp.LLM("openai-chat:unpriced-model", base_url=server.base_url, api_key="k") as llm:
        assert llm.complete("hi").cost is None
    (call,) = otel.named("chat ")
    assert "modelport.cost.usd" not in dict(call.attributes or {})


def shape(otel: Otel) -> list[tuple[str, str, tuple[str, ...], str | None]]:
    """The trace without ids and times: name, kind, attribute names, the parent's name."""
    spans = otel.spans()
    by_id = {s.context.span_id: s.name for s in spans if s.context is not None}
    return sorted(
        (
            s.name,
            s.kind.name,
            tuple(sorted(dict(s.attributes or {}))),
            by_id.get(s.parent.span_id) if s.parent is not None else None,
        )
        for s in spans
    )


def test_sync_and_async_make_the_same_trace(otel: Otel, server: ScriptedServer) -> None:
    from .conftest import tool_call_reply

    def lookup(city: str) -> str:
        """The weather in a city."""
        return f"sunny in {city}"

    tracer = otel.tracer_provider.get_tracer("app")
    shapes = []
    for mode in ("sync", "async"):
        otel.exporter.clear()
        server.add(Reply.status(503, {"error": "busy"}, headers={"retry-after-ms": "5"}))
        server.add(tool_call_reply("lookup", '{"city": "Oslo"}'), chat_reply("Sunny."))
        with mp.LLM("openai-chat:m", base_url=server.base_url, api_key="k") as llm:
            with tracer.start_as_current_span("job"):
                run(mode, llm, tools=[lookup])
        shapes.append(shape(otel))
    assert shapes[0] == shapes[1]
    assert [s[0] for s in shapes[0]] == [
        "POST",
        "POST",
        "POST",
        "chat m",
        "execute_tool lookup",
        "job",
    ]


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_stream_is_a_child_of_the_callers_span(
    otel: Otel, server: ScriptedServer, mode: str
) -> None:
    from .conftest import stream_reply

    server.add(stream_reply(["a", "b"]))
    tracer = otel.tracer_provider.get_tracer("app")

    async def astream(llm: mp.LLM) -> None:
        async for _ in llm.astream("hi"):
            pass

    with mp.LLM("openai-chat:m", base_url=server.base_url, api_key="k") as llm:
        with tracer.start_as_current_span("job") as job:
            if mode == "sync":
                list(llm.stream("hi"))
            else:
                asyncio.run(astream(llm))
    (call,) = otel.named("chat ")
    assert call.parent is not None and call.parent.span_id == job.get_span_context().span_id


def test_concurrent_async_streams_do_not_cross(otel: Otel, server: ScriptedServer) -> None:
    from .conftest import stream_reply

    server.add(stream_reply(list("abcdefgh"), chunk_delay=0.01))
    server.add(stream_reply(list("ABCDEFGH"), chunk_delay=0.01))
    tracer = otel.tracer_provider.get_tracer("app")

    async def job(llm: mp.LLM, name: str) -> tuple[str, int]:
        with tracer.start_as_current_span(name) as span:
            text = "".join([e.content async for e in llm.astream(name) if e.type == "answer"])
            return text, span.get_span_context().span_id

    async def main() -> list[tuple[str, int]]:
        with mp.LLM("openai-chat:m", base_url=server.base_url, api_key="k") as llm:
            return list(await asyncio.gather(job(llm, "one"), job(llm, "two")))

    results = asyncio.run(main())
    assert sorted(t for t, _ in results) == ["ABCDEFGH", "abcdefgh"]
    calls = otel.named("chat ")
    assert {c.parent.span_id for c in calls if c.parent is not None} == {i for _, i in results}
    for c in calls:
        (attempt,) = otel.children(c)
        assert dict(c.attributes or {})["gen_ai.usage.output_tokens"] == 8
        assert attempt.end_time is not None and c.end_time is not None
        assert attempt.end_time <= c.end_time


def test_a_fallback_is_a_call_of_its_own(otel: Otel, server: ScriptedServer) -> None:
    server.add(Reply.status(500, {"error": "down"}), chat_reply("from b"))
    with mp.LLM(
        "openai-chat:a",
        base_url=server.base_url,
        api_key="k",
        retry=0,
        fallbacks=[mp.LLM("openai-chat:b", base_url=server.base_url, api_key="k")],
    ) as llm:
        assert llm.complete("hi").text == "from b"
    names = {c.name: c for c in otel.named("chat ")}
    assert set(names) == {"chat a", "chat b"}
    assert dict(names["chat a"].attributes or {})["error.type"] == "ProviderServerError"
    assert "error.type" not in dict(names["chat b"].attributes or {})


def test_a_sync_call_inside_a_running_loop_keeps_its_parent(
    otel: Otel, server: ScriptedServer
) -> None:
    """The sync facade inside an event loop (a notebook): the caller's span is still the
    parent."""
    server.add(chat_reply())
    tracer = otel.tracer_provider.get_tracer("app")

    async def main() -> int:
        with mp.LLM("openai-chat:m", base_url=server.base_url, api_key="k") as llm:
            with tracer.start_as_current_span("cell") as cell:
                llm.complete("hi")
                return cell.get_span_context().span_id

    cell_id = asyncio.run(main())
    (call,) = otel.named("chat ")
    assert call.parent is not None and call.parent.span_id == cell_id
