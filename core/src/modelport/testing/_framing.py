"""Byte framing for scripted replies: recorded bodies cut where providers flush, synthetic
SSE events, and the bytes of a JSON body.

Kept apart from the reply and fault values (``_script``) because the conformance kit uses the
splitters on their own, to replay recordings one event per read.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["as_bytes", "json_body", "split_eventstream_messages", "split_sse_events", "sse_event"]


def as_bytes(item: bytes | bytearray | memoryview | str) -> bytes:
    if isinstance(item, str):
        return item.encode("utf-8")
    if isinstance(item, bytes | bytearray | memoryview):
        return bytes(item)
    raise TypeError(f"expected bytes or str, got {type(item).__name__}")


def json_body(body: Any) -> bytes:
    # bytes/str are recorded bodies: sent as-is so byte-exact recordings stay byte-exact.
    if isinstance(body, bytes | bytearray | memoryview | str):
        return as_bytes(body)
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def split_sse_events(data: bytes) -> list[bytes]:
    """Split an SSE byte stream after each blank line, keeping every byte.

    Replaying a recording one event per HTTP chunk reproduces how providers flush, and the
    pieces concatenate back to the exact recorded bytes (CRLF, LF and CR endings alike).
    """
    pieces: list[bytes] = []
    start = pos = 0
    for line in data.splitlines(keepends=True):
        pos += len(line)
        if line in (b"\n", b"\r\n", b"\r"):
            pieces.append(data[start:pos])
            start = pos
    if start < len(data):
        pieces.append(data[start:])
    return pieces


def split_eventstream_messages(data: bytes) -> list[bytes]:
    """Split AWS event-stream bytes at message boundaries (from each prelude's total length).

    Bedrock flushes one message at a time; anything that does not parse as a message is kept
    whole at the end rather than dropped, so the replayed bytes always equal the recording.
    """
    pieces: list[bytes] = []
    pos = 0
    while len(data) - pos >= 16:
        total = int.from_bytes(data[pos : pos + 4], "big")
        if total < 16 or pos + total > len(data):
            break
        pieces.append(data[pos : pos + total])
        pos += total
    if pos < len(data):
        pieces.append(data[pos:])
    return pieces


def sse_event(
    data: Any = None,
    *,
    event: str | None = None,
    id: str | None = None,
    retry: int | None = None,
) -> bytes:
    """One SSE event, ending in its blank line, for scripts that synthesise a stream.

    ``data`` that is not a str/bytes is JSON-encoded compactly, the way providers send it; a
    multi-line string becomes several ``data:`` lines, as the SSE spec requires.
    """
    lines: list[bytes] = []
    if event is not None:
        lines.append(b"event: " + event.encode("utf-8"))
    if id is not None:
        lines.append(b"id: " + id.encode("utf-8"))
    if retry is not None:
        lines.append(b"retry: %d" % retry)
    if data is not None:
        payload = json_body(data)
        lines.extend(b"data: " + line for line in (payload.splitlines() or [b""]))
    return b"\n".join(lines) + b"\n\n"
