"""A fast loopback OpenAI-compatible server for the benchmarks (stdlib only).

Why a separate process: the benchmark measures client overhead, so the server must never
compete with the client for the GIL or its event loop. ``bench/run.py`` starts this file with
``subprocess.Popen``, reads ``READY <port>`` from its stdout, and stops it by PID. The server
also exits on its own when its stdin closes (the parent died) or after ``--max-seconds``, so
a crashed benchmark never leaves it behind.

Why raw asyncio HTTP/1.1 instead of ``http.server``: keep-alive, chunked transfer encoding and
hundreds of concurrent connections, with every reply body encoded once and cached, so that the
server's cost per request is a header parse, a ``json.loads`` of the small request body and one
or a few ``write`` calls.

Routes:

- ``POST /v1/chat/completions``: a realistic ``chat.completion`` (shaped like a recorded OpenAI
  reply, usage included), or with ``"stream": true`` a ``chat.completion.chunk`` SSE stream:
  a role chunk, N content chunks (`` word``-sized deltas), a finish chunk, an include_usage
  chunk, ``data: [DONE]``; each SSE event is one HTTP chunk (``Transfer-Encoding: chunked``).
  N comes from the ``x-bench-chunks`` header, else the body's ``max_tokens`` /
  ``max_completion_tokens``, else 1000. A model name containing ``think`` (or the header
  ``x-bench-variant: think``) gives the thinking variant: ``<think>`` as one delta, ~30% of
  the deltas as reasoning, ``</think>`` split across two deltas, then the answer.
  ``x-bench-write`` picks how a stream is written: ``event`` (default: one ``write`` per SSE
  event, as a real server flushes each token) or ``burst`` (the whole body in one ``write``,
  so the client always reads large blocks: the worst case for per-read overhead is hidden and
  per-event parsing cost is all that remains).
- ``GET /v1/models``: a one-model list.
- ``GET /bench/stats``: ``{"requests": n}``, so the benchmark can check that calls really
  reached the server (a client-side cache hit would make a figure meaningless).

    python bench/_server.py [--port 0] [--max-seconds 1800]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import sys
import threading
import time
from email.utils import formatdate

HOST = "127.0.0.1"
DEFAULT_CHUNKS = 1000
MAX_CHUNKS = 1_000_000
IDLE_TIMEOUT_S = 120.0  # a keep-alive connection silent this long is closed
MAX_HEAD = 64 * 1024
MAX_BODY = 16 * 1024 * 1024
CREATED = 1782955818
FINGERPRINT = "fp_d0469e1700"
WORDS = (
    " the", " capital", " of", " France", " is", " Paris", ",", " a", " city", " known",
    " for", " its", " museums", " and", " cafés", ".",
)  # fmt: skip
REASONING = (" The", " user", " asks", " about", " capitals", ";", " recall", " facts", ".")
ANSWER = (
    "The capital of France is Paris. It has been the country's capital since the 10th century "
    "and is home to the Louvre, the Eiffel Tower and about two million people."
)

_stats = {"requests": 0}
_cache: dict[tuple[object, ...], object] = {}


def _date() -> str:
    """The Date header, formatted once per second (formatdate is slow-ish)."""
    now = int(time.time())
    cached = _cache.get(("date", now))
    if cached is None:
        cached = formatdate(now, usegmt=True)
        _cache[("date", now)] = cached
    return str(cached)


def _head(status: str, headers: list[tuple[str, str]]) -> bytes:
    """Status line plus OpenAI-like headers (clients pay to parse these; real ones send them)."""
    lines = [f"HTTP/1.1 {status}", f"date: {_date()}"]
    lines += [f"{k}: {v}" for k, v in headers]
    lines += [
        "connection: keep-alive",
        "openai-organization: bench",
        "openai-processing-ms: 212",
        "openai-version: 2020-10-01",
        "x-ratelimit-limit-requests: 30000",
        "x-ratelimit-remaining-requests: 29999",
        "x-ratelimit-reset-requests: 2ms",
        f"x-request-id: req_{os.urandom(12).hex()}",
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def completion_body(model: str) -> bytes:
    """A non-streamed reply shaped like a recorded OpenAI one (cached per model)."""
    key = ("completion", model)
    cached = _cache.get(key)
    if cached is None:
        obj = {
            "id": "chatcmpl-DPTBnLVEU6gLtntz301fthMFXeE4C",
            "object": "chat.completion",
            "created": CREATED,
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "message": {
                        "role": "assistant",
                        "content": ANSWER,
                        "refusal": None,
                        "annotations": [],
                    },
                    "logprobs": None,
                    "finish_reason": "stop",
                }
            ],
            "usage": _usage(15, 37),
            "service_tier": "default",
            "system_fingerprint": FINGERPRINT,
        }
        cached = json.dumps(obj, ensure_ascii=False, indent=2).encode()
        _cache[key] = cached
    assert isinstance(cached, bytes)
    return cached


def _usage(prompt: int, completion: int) -> dict[str, object]:
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": 0,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }


def stream_deltas(n: int, think: bool) -> list[str]:
    """The N content deltas; with ``think`` they open with a tag and close it across a split."""
    if not think:
        return [WORDS[i % len(WORDS)] for i in range(n)]
    n = max(n, 6)
    n_reason = max(1, int(n * 0.3))
    deltas = ["<think>", "\n"]
    deltas += [REASONING[i % len(REASONING)] for i in range(n_reason)]
    deltas += ["</thi", "nk>", "\n\n"]
    deltas += [WORDS[i % len(WORDS)] for i in range(n - len(deltas))]
    return deltas


def stream_events(model: str, n: int, think: bool) -> list[bytes]:
    """Every SSE event of one streamed reply, each already framed as one HTTP chunk."""
    key = ("stream", model, n, think)
    cached = _cache.get(key)
    if cached is not None:
        assert isinstance(cached, list)
        return cached
    prefix = (
        '{"id":"chatcmpl-Dx0Xq5Xx9rHB2ehcHZCRDsnuymUXc","object":"chat.completion.chunk",'
        f'"created":{CREATED},"model":{json.dumps(model)},"service_tier":"default",'
        f'"system_fingerprint":"{FINGERPRINT}","choices":'
    )
    payloads = [
        prefix + '[{"index":0,"delta":{"role":"assistant","content":"","refusal":null},'
        '"logprobs":null,"finish_reason":null}],"usage":null,"obfuscation":"HM7mrUsjk"}'
    ]
    for i, text in enumerate(stream_deltas(n, think)):
        payloads.append(
            prefix + '[{"index":0,"delta":{"content":'
            f'{json.dumps(text, ensure_ascii=False)}}},"logprobs":null,"finish_reason":null}}],'
            f'"usage":null,"obfuscation":"{"auU6fTns"[: 3 + i % 6]}"}}'
        )
    payloads.append(
        prefix + '[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}],'
        '"usage":null,"obfuscation":"RTaww"}'
    )
    payloads.append(
        prefix + f'[],"usage":{json.dumps(_usage(78, n), separators=(",", ":"))},'
        '"obfuscation":"dhWUdLZO659"}'
    )
    payloads.append("[DONE]")
    events = []
    for p in payloads:
        data = f"data: {p}\n\n".encode()
        events.append(b"%x\r\n%s\r\n" % (len(data), data))
    events.append(b"0\r\n\r\n")
    _cache[key] = events
    return events


class _BadRequest(Exception):
    pass


async def _read_request(
    reader: asyncio.StreamReader,
) -> tuple[str, str, dict[str, str], bytes] | None:
    """One HTTP/1.1 request, or None on a clean close between requests."""
    try:
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), IDLE_TIMEOUT_S)
    except (TimeoutError, asyncio.IncompleteReadError, ConnectionError):
        return None
    except asyncio.LimitOverrunError:
        raise _BadRequest("request head too large") from None
    if len(head) > MAX_HEAD:
        raise _BadRequest("request head too large")
    lines = head.decode("latin-1").split("\r\n")
    try:
        method, target, _version = lines[0].split(" ", 2)
    except ValueError:
        raise _BadRequest("bad request line") from None
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    body = b""
    if "content-length" in headers:
        length = int(headers["content-length"])
        if length > MAX_BODY:
            raise _BadRequest("body too large")
        body = await reader.readexactly(length)
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        parts = []
        total = 0
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await reader.readuntil(b"\r\n")  # no trailers expected
                break
            total += size
            if total > MAX_BODY:
                raise _BadRequest("body too large")
            parts.append(await reader.readexactly(size))
            await reader.readexactly(2)
        body = b"".join(parts)
    return method, target, headers, body


def _json_reply(status: str, payload: bytes) -> bytes:
    return (
        _head(status, [("content-type", "application/json"), ("content-length", str(len(payload)))])
        + payload
    )


async def _chat(writer: asyncio.StreamWriter, headers: dict[str, str], body: bytes) -> None:
    try:
        req = json.loads(body)
    except ValueError:
        writer.write(_json_reply("400 Bad Request", b'{"error":{"message":"invalid JSON"}}'))
        return
    model = str(req.get("model") or "bench")
    if not req.get("stream"):
        writer.write(_json_reply("200 OK", completion_body(model)))
        return
    n = headers.get("x-bench-chunks") or req.get("max_tokens") or req.get("max_completion_tokens")
    n = min(max(int(n or DEFAULT_CHUNKS), 1), MAX_CHUNKS)
    think = "think" in model or headers.get("x-bench-variant") == "think"
    events = stream_events(model, n, think)
    head = _head(
        "200 OK",
        [
            ("content-type", "text/event-stream; charset=utf-8"),
            ("transfer-encoding", "chunked"),
            ("cache-control", "no-cache"),
        ],
    )
    if headers.get("x-bench-write") == "burst":
        writer.write(head + b"".join(events))
        return
    writer.write(head)
    for ev in events:
        writer.write(ev)
        await writer.drain()  # keeps memory bounded when the client reads slower


async def _handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            try:
                request = await _read_request(reader)
            except _BadRequest as exc:
                msg = json.dumps({"error": {"message": str(exc)}}).encode()
                writer.write(_json_reply("400 Bad Request", msg))
                break
            if request is None:
                break
            method, target, headers, body = request
            _stats["requests"] += 1
            path = target.split("?", 1)[0]
            if method == "POST" and path.endswith("/chat/completions"):
                await _chat(writer, headers, body)
            elif method == "GET" and path.endswith("/models"):
                payload = b'{"object":"list","data":[{"id":"bench","object":"model"}]}'
                writer.write(_json_reply("200 OK", payload))
            elif method == "GET" and path == "/bench/stats":
                writer.write(_json_reply("200 OK", json.dumps(_stats).encode()))
            else:
                writer.write(_json_reply("404 Not Found", b'{"error":{"message":"not found"}}'))
            await writer.drain()
            if headers.get("connection", "").lower() == "close":
                break
    except (ConnectionError, asyncio.IncompleteReadError, ValueError):
        pass
    except asyncio.CancelledError:
        # Shutdown with a keep-alive connection open: ending quietly here avoids asyncio
        # logging "Exception in callback" for every idle connection (Python 3.11 streams).
        pass
    finally:
        writer.close()
        with contextlib.suppress(Exception, asyncio.CancelledError):
            await writer.wait_closed()


def _watch_stdin(loop: asyncio.AbstractEventLoop, stop: asyncio.Event) -> None:
    """Stop when the parent goes away (its end of our stdin pipe closes)."""
    try:
        while sys.stdin.buffer.read(4096):
            pass
    except (OSError, ValueError):
        pass
    loop.call_soon_threadsafe(stop.set)


async def serve(port: int, max_seconds: float, watch_stdin: bool) -> None:
    stop = asyncio.Event()
    server = await asyncio.start_server(_handle, HOST, port, backlog=2048, limit=MAX_HEAD * 2)
    bound = server.sockets[0].getsockname()[1]
    if watch_stdin:
        loop = asyncio.get_running_loop()
        threading.Thread(target=_watch_stdin, args=(loop, stop), daemon=True).start()
    print(f"READY {bound}", flush=True)
    async with server:
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(stop.wait(), max_seconds)


def main() -> None:
    ap = argparse.ArgumentParser(description="Loopback OpenAI-compatible benchmark server.")
    ap.add_argument("--port", type=int, default=0, help="0 picks a free port")
    ap.add_argument("--max-seconds", type=float, default=1800.0, help="exit after this long")
    ap.add_argument("--no-stdin-watch", action="store_true", help="don't exit on stdin EOF")
    args = ap.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args.port, args.max_seconds, not args.no_stdin_watch))


if __name__ == "__main__":
    main()
