"""The real OpenTelemetry SDK with its in-memory exporter and reader, given to the plugin
through ``modelport_otel.configure`` (the global providers can be set only once a process)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import modelport_otel
import pytest
from modelport.testing import Reply, ScriptedServer
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter


@dataclass
class Otel:
    tracer_provider: TracerProvider
    exporter: InMemorySpanExporter
    reader: InMemoryMetricReader

    def spans(self) -> list[ReadableSpan]:
        return list(self.exporter.get_finished_spans())

    def named(self, prefix: str) -> list[ReadableSpan]:
        return [s for s in self.spans() if s.name.startswith(prefix)]

    def children(self, parent: ReadableSpan) -> list[ReadableSpan]:
        assert parent.context is not None
        ident = parent.context.span_id
        return [s for s in self.spans() if s.parent is not None and s.parent.span_id == ident]

    def points(self, metric: str) -> list[Any]:
        data = self.reader.get_metrics_data()
        found: list[Any] = []
        if data is None:
            return found
        for resource in data.resource_metrics:
            for scope in resource.scope_metrics:
                for m in scope.metrics:
                    if m.name == metric:
                        found += list(m.data.data_points)
        return found


@pytest.fixture
def otel(monkeypatch: pytest.MonkeyPatch) -> Iterator[Otel]:
    monkeypatch.delenv(modelport_otel._settings.CONTENT_ENV, raising=False)
    exporter = InMemorySpanExporter()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))
    reader = InMemoryMetricReader()
    meter_provider = MeterProvider(metric_readers=[reader])
    modelport_otel.configure(tracer_provider=tracer_provider, meter_provider=meter_provider)
    yield Otel(tracer_provider, exporter, reader)
    modelport_otel.configure()
    tracer_provider.shutdown()
    meter_provider.shutdown()


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    with ScriptedServer() as s:
        yield s


def chat_reply(text: str = "ok", *, model: str = "m-2026", finish: str = "stop") -> Reply:
    message = {"role": "assistant", "content": text}
    return Reply.json(
        {
            "id": "chatcmpl-abc",
            "object": "chat.completion",
            "model": model,
            "choices": [{"index": 0, "message": message, "finish_reason": finish}],
            "usage": {"prompt_tokens": 11, "completion_tokens": 3, "total_tokens": 14},
        }
    )


def tool_call_reply(name: str, arguments: str, call_id: str = "call_1") -> Reply:
    call = {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}
    message = {"role": "assistant", "content": None, "tool_calls": [call]}
    return Reply.json(
        {
            "id": "chatcmpl-tool",
            "object": "chat.completion",
            "model": "m-2026",
            "choices": [{"index": 0, "message": message, "finish_reason": "tool_calls"}],
            "usage": {"prompt_tokens": 20, "completion_tokens": 5, "total_tokens": 25},
        }
    )


def stream_reply(words: list[str], *, chunk_delay: float = 0.0) -> Reply:
    def chunk(delta: dict[str, Any], finish: str | None = None, usage: Any = None) -> bytes:
        import json

        body = {
            "id": "chatcmpl-s",
            "object": "chat.completion.chunk",
            "model": "m-2026",
            "choices": [] if usage else [{"index": 0, "delta": delta, "finish_reason": finish}],
            "usage": usage,
        }
        return f"data: {json.dumps(body)}\n\n".encode()

    events = [chunk({"role": "assistant", "content": ""})]
    events += [chunk({"content": w}) for w in words]
    events.append(chunk({}, "stop"))
    events.append(chunk({}, usage={"prompt_tokens": 7, "completion_tokens": len(words)}))
    events.append(b"data: [DONE]\n\n")
    return Reply.sse(events, chunk_delay=chunk_delay)
