"""What modelport-otel costs per call: without the plugin, installed with no SDK configured,
and tracing into the real SDK (in-memory exporter and metric reader).

modelport's own CPU per non-streamed call, with the HTTP stack taken out (an in-memory
transport through the public ``transport=`` seam), so the figure is the observer's share and
not the network's. Each configuration runs in a fresh interpreter, rounds rotate their order,
the median over rounds is reported with ratios to "without"; nothing is asserted.

    python bench/bench_otel.py [--rounds N] [--calls N]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from typing import Any

BODY = json.dumps(
    {
        "id": "chatcmpl-bench",
        "object": "chat.completion",
        "model": "m",
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": "ok"}, "finish_reason": "stop"}
        ],
        "usage": {"prompt_tokens": 5, "completion_tokens": 1, "total_tokens": 6},
    }
).encode()


class _Reply:
    def __init__(self) -> None:
        self.status = 200
        self.headers = {"content-type": "application/json"}

    def iter_bytes(self) -> Any:
        return iter([BODY])

    def read(self) -> bytes:
        return BODY

    def close(self) -> None:
        pass

    def abort(self) -> None:
        pass


class _Memory:
    def send(self, request: Any, timeouts: Any) -> _Reply:
        return _Reply()

    async def asend(self, request: Any, timeouts: Any) -> Any:
        raise NotImplementedError

    def close(self) -> None:
        pass

    async def aclose(self) -> None:
        pass


def child(mode: str, calls: int) -> None:
    import modelport as mp

    if mode == "sdk":
        import modelport_otel
        from opentelemetry.sdk.metrics import MeterProvider
        from opentelemetry.sdk.metrics.export import InMemoryMetricReader
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import SimpleSpanProcessor
        from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

        exporter = InMemorySpanExporter()
        tracer_provider = TracerProvider()
        tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))
        meter_provider = MeterProvider(metric_readers=[InMemoryMetricReader()])
        modelport_otel.configure(tracer_provider=tracer_provider, meter_provider=meter_provider)
    with mp.LLM(
        "openai-chat:m", base_url="http://bench.invalid/v1", api_key="k", transport=_Memory()
    ) as llm:
        for _ in range(max(20, calls // 10)):  # warm-up: plugins loaded, paths hot
            llm.complete("hi", cache="never")
        start = time.process_time()
        for _ in range(calls):
            llm.complete("hi", cache="never")
        cpu = time.process_time() - start
    print(json.dumps({"us_per_call": cpu / calls * 1e6}))


MODES = {
    "without the plugin": ("none", {"MODELPORT_DISABLE_PLUGINS": "otel"}),
    "installed, no SDK configured": ("none", {}),
    "tracing into the SDK": ("sdk", {}),
}


def main() -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--calls", type=int, default=2000)
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child, args.calls)
        return 0
    names = list(MODES)
    figures: dict[str, list[float]] = {n: [] for n in names}
    for r in range(args.rounds):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            mode, extra = MODES[name]
            env = {**os.environ, **extra}
            out = subprocess.run(
                [sys.executable, __file__, "--child", mode, "--calls", str(args.calls)],
                env=env,
                capture_output=True,
                text=True,
                check=True,
                timeout=600,
            )
            figures[name].append(json.loads(out.stdout.splitlines()[-1])["us_per_call"])
    base = statistics.median(figures[names[0]])
    print(f"modelport-otel per-call CPU, {args.calls} calls x {args.rounds} rounds (median)")
    for name in names:
        med = statistics.median(figures[name])
        print(f"  {name:32s} {med:8.1f} us/call  {med / base:5.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
