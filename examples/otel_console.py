"""Runnable example: every modelport call as an OpenTelemetry trace, printed to the console.

    pip install modelport-otel opentelemetry-sdk
    python examples/otel_console.py --base-url http://127.0.0.1:8080/v1 --model tiny

Without --base-url it starts the local llama.cpp peer from ../shared/peers (as the demo does).
The modelport-otel plugin needs no code: installed, it traces through the global providers
set up below. Content capture is turned on here to show it; leave it off in production
unless your backend may hold prompts and answers.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import modelport as mp
from opentelemetry import metrics, trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import ConsoleMetricExporter, PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import ConsoleSpanExporter, SimpleSpanProcessor


def lookup_weather(city: str) -> str:
    """The weather in a city.

    Args:
        city: City name, e.g. "Paris".
    """
    return f"sunny in {city}"


def setup() -> tuple[TracerProvider, MeterProvider]:
    resource = Resource.create({"service.name": "otel-console-example"})
    tracer_provider = TracerProvider(resource=resource)
    tracer_provider.add_span_processor(SimpleSpanProcessor(ConsoleSpanExporter()))
    trace.set_tracer_provider(tracer_provider)
    reader = PeriodicExportingMetricReader(ConsoleMetricExporter())  # exported at shutdown
    meter_provider = MeterProvider(resource=resource, metric_readers=[reader])
    metrics.set_meter_provider(meter_provider)
    return tracer_provider, meter_provider


def run(base_url: str, model: str) -> None:
    os.environ["OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"] = "true"
    tracer_provider, meter_provider = setup()
    tracer = trace.get_tracer("otel-console-example")
    llm = mp.LLM(f"openai-chat:{model}", base_url=base_url, max_tokens=64)
    # The calls made inside the application's span are its children.
    with llm, tracer.start_as_current_span("weather job"):
        answer = llm.complete("What is the weather in Paris?", tools=[lookup_weather])
        streamed = "".join(e.content for e in llm.stream("Say hello.") if e.type == "answer")
    tracer_provider.shutdown()
    meter_provider.shutdown()  # prints the token usage and duration histograms
    print("answer:", answer.text, file=sys.stderr)
    print("streamed:", streamed, file=sys.stderr)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--base-url")
    parser.add_argument("--model", default="tiny")
    args = parser.parse_args()
    if args.base_url:
        run(args.base_url, args.model)
    else:
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))
        from llama_peer import LlamaServer

        with LlamaServer("plain") as server:
            run(server.base_url, args.model)
