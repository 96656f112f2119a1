"""Section e: what each per-chunk step of a stream costs, and its share of the whole.

One stream is the bench server's exact bytes (``bench/_server.py``: a role chunk, 1000 content
chunks, finish, usage, ``[DONE]``), taken out of its HTTP framing and fed from memory, so the
figures are modelport's work alone, the part it controls. Each step is timed on its own input,
prepared beforehand, in CPU seconds (median of rounds):

1. SSE split: ``SSEDecoder.feed`` over the chunks (bytes in, ``SSEEvent``s out);
2. JSON decode: the decoder's JSON function over each event's data;
3. delta objects: the rest of the openai-chat decoder (the whole decoder, minus 1 and 2);
4. event objects: ``StreamEvent("answer", text)`` per text delta;
5. assembly: ``StreamAssembler.add`` over the decoded deltas without thinking, minus 4;
6. thinking parser: the assembler with the parser on, minus 5 and 4;
7. engine: ``LLM.stream`` / ``astream`` through an in-memory transport (the public
   ``transport=`` seam), minus all of the above: the call program, the driver, the body reader
   and the caller's ``for`` loop.

Two chunkings of the same bytes: one SSE event per read (a server flushing each token, what
httpx2 yields per HTTP chunk) and 16 KiB blocks (what a transport reading all that is buffered
gets once the client falls behind), where the per-read cost is spread over many events.

    python bench/bench_steps.py [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import statistics
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _server

MODEL = "gpt-4o-mini"
THINK_MODEL = "bench-think"
CHUNKS = 1000
BLOCK = 16 * 1024


def server_chunks(model: str, think: bool = False) -> list[bytes]:
    """The server's stream body, one SSE event per item (HTTP chunk framing removed)."""
    framed = _server.stream_events(model, CHUNKS, think)[:-1]  # the last item ends the body
    return [ev.partition(b"\r\n")[2][:-2] for ev in framed]


def blocks(chunks: list[bytes], size: int = BLOCK) -> list[bytes]:
    body = b"".join(chunks)
    return [body[i : i + size] for i in range(0, len(body), size)]


class _Memory:
    """A recorded body served from memory, sync and async (the transport seam's two sides)."""

    def __init__(self, chunks: list[bytes]) -> None:
        self.status = 200
        self.headers = {"content-type": "text/event-stream", "x-request-id": "req_bench"}
        self._chunks = chunks

    def iter_bytes(self) -> Iterator[bytes]:
        return iter(self._chunks)

    async def aiter_bytes(self) -> AsyncIterator[bytes]:
        for chunk in self._chunks:
            yield chunk

    def read(self) -> bytes:
        return b"".join(self._chunks)

    async def aread(self) -> bytes:
        return b"".join(self._chunks)

    def close(self) -> None:
        pass

    async def aclose(self) -> None:
        pass

    def abort(self) -> None:
        pass


class MemoryTransport:
    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = chunks

    def send(self, request: Any, timeouts: Any) -> _Memory:
        return _Memory(self.chunks)

    async def asend(self, request: Any, timeouts: Any) -> _Memory:
        return _Memory(self.chunks)

    def close(self) -> None:
        pass

    async def aclose(self) -> None:
        pass


def interleaved(steps: dict[str, Callable[[], object]], rounds: int, reps: int) -> dict[str, float]:
    """Median CPU µs per content chunk of each step. Every round times each step once
    (``reps`` calls), in rotating order, so a burst of load from elsewhere on a shared machine
    falls on all steps alike instead of on whichever was being measured."""
    names = list(steps)
    for fn in steps.values():
        fn()  # warm-up
    samples: dict[str, list[float]] = {name: [] for name in names}
    for r in range(rounds):
        k = r % len(names)
        for name in names[k:] + names[:k]:
            fn = steps[name]
            gc.collect()
            t0 = time.process_time()
            for _ in range(reps):
                fn()
            samples[name].append((time.process_time() - t0) / reps / CHUNKS * 1e6)
    return {name: statistics.median(xs) for name, xs in samples.items()}


def measure(chunks: list[bytes], rounds: int, reps: int) -> dict[str, float]:
    """µs per content chunk of each step (see the module docstring), for this chunking."""
    import modelport as mp
    from modelport._engine._assemble import StreamAssembler
    from modelport._events import StreamEvent
    from modelport._thinking import ThinkingParser
    from modelport.provider import SSEDecoder, TextDelta
    from modelport_openai_chat._json import json_decoders, stdlib_json_loads
    from modelport_openai_chat._stream import ChatStreamDecoder

    def sse() -> list[Any]:
        dec = SSEDecoder()
        out: list[Any] = []
        for c in chunks:
            out += dec.feed(c)
        return out + dec.close()

    datas = [e.data for e in sse() if e.data.startswith("{")]

    fast_loads = json_decoders()[0]

    def decode_json(loads: Callable[[str], Any]) -> Callable[[], None]:
        def run() -> None:
            for d in datas:
                loads(d)

        return run

    def decoder() -> list[Any]:
        dec = ChatStreamDecoder(model=MODEL, expect_usage=True)
        out: list[Any] = []
        for c in chunks:
            out += dec.feed(c)
        return out + dec.close()

    deltas = decoder()
    texts = [d.text for d in deltas if type(d) is TextDelta]

    def events() -> None:
        for t in texts:
            StreamEvent("answer", t)

    def assemble(thinking: bool) -> Callable[[], None]:
        def run() -> None:
            asm = StreamAssembler(
                "openai-chat", MODEL, thinking=ThinkingParser() if thinking else None
            )
            add = asm.add
            for d in deltas:
                add(d)
            asm.flush()
            asm.finish()

        return run

    llm = mp.LLM(
        f"openai-chat:{MODEL}",
        api_key="sk-bench",
        base_url="http://127.0.0.1:9/v1",
        cache="never",
        transport=MemoryTransport(chunks),
    )

    def stream() -> None:
        for _ in llm.stream("hi"):
            pass

    async def astream_many(n: int) -> None:
        for _ in range(n):
            async for _ in llm.astream("hi"):
                pass

    loop = asyncio.new_event_loop()

    def astream() -> None:
        loop.run_until_complete(astream_many(1))

    got = "".join(ev.content for ev in llm.stream("hi") if ev.type == "answer")
    if got != "".join(texts):
        print("  WARNING: the in-memory stream's answer differs from the decoder's text")
    steps: dict[str, Callable[[], object]] = {
        "sse": sse,
        "stdlib": decode_json(stdlib_json_loads),
        "json": decode_json(fast_loads or stdlib_json_loads),
        "decoder": decoder,
        "events": events,
        "asm": assemble(False),
        "think": assemble(True),
        "sync": stream,
        "async": astream,
    }
    t = interleaved(steps, rounds, reps)
    loop.close()
    t_sse, t_stdlib, t_json, t_dec = t["sse"], t["stdlib"], t["json"], t["decoder"]
    t_ev, t_asm, t_think, t_sync, t_async = t["events"], t["asm"], t["think"], t["sync"], t["async"]
    llm.close()
    core = t_dec + t_think
    return {
        "SSE split": t_sse,
        "JSON decode": t_json,
        "  (the standard library's, for scale)": t_stdlib,
        "delta objects": max(t_dec - t_sse - t_json, 0.0),
        "event objects": t_ev,
        "assembly": max(t_asm - t_ev, 0.0),
        "thinking parser": max(t_think - t_asm, 0.0),
        "engine, sync (program, driver, reader)": max(t_sync - core, 0.0),
        "engine, async (program, driver, reader)": max(t_async - core, 0.0),
        "total, LLM.stream": t_sync,
        "total, LLM.astream": t_async,
    }


def report(results: dict[str, dict[str, float]]) -> None:
    from run import say, table

    labels = list(next(iter(results.values())))
    heads = ["step (µs per content chunk)"]
    for name in results:
        heads += [name, "share"]
    rows = []
    for label in labels:
        row = [label]
        for res in results.values():
            total = res["total, LLM.astream" if "async" in label else "total, LLM.stream"]
            share = "" if label.startswith(("total", " ")) else f"{res[label] / total:.0%}"
            row += [f"{res[label]:.2f}", share]
        rows.append(row)
    say(table(heads, rows))
    say("  (shares of the sync total; the async engine row against the async total)")


def bench_steps(quick: bool = False) -> dict[str, Any]:
    from modelport_openai_chat._json import json_decoders
    from run import say

    rounds, reps = (3, 2) if quick else (21, 3)
    say(
        f"e. per-chunk cost of each step, no I/O ({CHUNKS}-chunk stream from memory, CPU, "
        f"median of {rounds}; JSON: {'msgspec' if json_decoders()[0] else 'standard library'})"
    )
    chunks = server_chunks(MODEL)
    results = {
        "1 event/read": measure(chunks, rounds, reps),
        f"{BLOCK // 1024} KiB reads": measure(blocks(chunks), rounds, reps),
    }
    report(results)
    return results


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args(argv)
    bench_steps(args.quick)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
