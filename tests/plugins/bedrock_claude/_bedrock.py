"""Test helpers: the recorded corpus, the fake credentials and an AWS event-stream frame
encoder (SigV4 verification and the scripted endpoint are in ``_signed``).

The frame encoder is written from the event-stream format (prelude: total length, headers
length, CRC32 of those 8 bytes; headers as ``name-len name type=7 value-len value``; payload;
CRC32 of everything before it), not from botocore, so botocore's decoder checks our bytes and
our bytes check the plugin.
"""

from __future__ import annotations

import base64
import json
import os
import struct
import zlib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from modelport.provider import ProviderSettings, Response, WireDelta
from modelport.provider import assemble as sdk_assemble
from modelport_bedrock_claude._provider import BedrockClaudeProvider
from modelport_bedrock_claude._stream import BedrockStreamDecoder

FAST = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

MODEL = "anthropic.claude-3-5-sonnet-20240620-v1:0"
THINKER = "anthropic.claude-3-7-sonnet-20250219-v1:0"  # a manual-budget thinking model
ACCESS_KEY = "AKIDEXAMPLEMODELPORT"
SECRET_KEY = "canary-SECRET-7f3a9c1e5b2d4f6a8c0e"  # must never appear in any error or repr
REGION = "us-east-1"


def _corpus_root() -> Path:
    env = os.environ.get("MODELPORT_CONFORMANCE_DIR")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[3].parent / "shared" / "conformance"


CORPUS = _corpus_root() / "bedrock-claude"

requires_corpus = pytest.mark.skipif(
    not CORPUS.is_dir(), reason=f"conformance corpus not found at {CORPUS}"
)


def recording(name: str) -> Path:
    return CORPUS / name


def index_entry(name: str) -> dict[str, Any]:
    for entry in json.loads((CORPUS / "index.json").read_text())["files"]:
        if entry["file"] == name:
            return dict(entry)
    raise LookupError(name)


def provider(base_url: str | None = None, **options: Any) -> BedrockClaudeProvider:
    options.setdefault("region", REGION)
    return BedrockClaudeProvider(ProviderSettings(model=MODEL, base_url=base_url, options=options))


# -- feeding a decoder ------------------------------------------------------------------------


def feed_chunks(chunks: Iterable[bytes]) -> list[WireDelta]:
    decoder = BedrockStreamDecoder(model=MODEL)
    out: list[WireDelta] = []
    for chunk in chunks:
        out.extend(decoder.feed(chunk))
    out.extend(decoder.close())
    return out


def assemble(deltas: Iterable[WireDelta]) -> Response:
    return sdk_assemble(deltas, provider="bedrock-claude", model=MODEL)


def split_at(data: bytes, cuts: Iterable[int]) -> list[bytes]:
    points = sorted({c for c in cuts if 0 < c < len(data)})
    pieces, start = [], 0
    for p in points:
        pieces.append(data[start:p])
        start = p
    pieces.append(data[start:])
    return pieces


# -- event-stream frames ----------------------------------------------------------------------


def _headers(headers: Mapping[str, str]) -> bytes:
    out = bytearray()
    for name, value in headers.items():
        n, v = name.encode(), value.encode()
        out += bytes([len(n)]) + n + b"\x07" + struct.pack(">H", len(v)) + v
    return bytes(out)


def frame(headers: Mapping[str, str], payload: bytes) -> bytes:
    """One event-stream message: prelude + prelude CRC, headers, payload, message CRC."""
    hb = _headers(headers)
    prelude = struct.pack(">II", 16 + len(hb) + len(payload), len(hb))
    message = prelude + struct.pack(">I", zlib.crc32(prelude)) + hb + payload
    return message + struct.pack(">I", zlib.crc32(message))


def chunk_frame(event: Mapping[str, Any], *, pad: str | None = None) -> bytes:
    """A Bedrock ``chunk`` event carrying one Anthropic stream event (base64 JSON)."""
    wrapper: dict[str, str] = {"bytes": base64.b64encode(json.dumps(event).encode()).decode()}
    if pad is not None:
        wrapper["p"] = pad
    headers = {
        ":event-type": "chunk",
        ":content-type": "application/json",
        ":message-type": "event",
    }
    return frame(headers, json.dumps(wrapper).encode())


def exception_frame(name: str, message: str) -> bytes:
    headers = {
        ":exception-type": name,
        ":content-type": "application/json",
        ":message-type": "exception",
    }
    return frame(headers, json.dumps({"message": message}).encode())


def stream_bytes(events: Iterable[Mapping[str, Any]]) -> bytes:
    return b"".join(chunk_frame(e) for e in events)


def sse_events(path: Path) -> list[dict[str, Any]]:
    """The JSON events of a recorded Anthropic SSE stream (its data: lines)."""
    out = []
    for line in path.read_text().splitlines():
        if line.startswith("data:"):
            out.append(json.loads(line[5:].strip()))
    return out


def message_events(message: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The stream events Claude sends for a (non-streamed) message, split into fragments."""
    head = {k: v for k, v in message.items() if k not in ("content", "stop_reason", "usage")}
    usage = dict(message.get("usage") or {})
    out_tokens = usage.pop("output_tokens", 0)
    events: list[dict[str, Any]] = [
        {
            "type": "message_start",
            "message": {
                **head,
                "content": [],
                "stop_reason": None,
                "usage": {**usage, "output_tokens": 1},
            },
        }
    ]
    for i, block in enumerate(message["content"]):
        kind = block["type"]
        if kind == "text":
            events.append(
                {"type": "content_block_start", "index": i, "content_block": {**block, "text": ""}}
            )
            for piece in _pieces(block["text"]):
                events.append(
                    {
                        "type": "content_block_delta",
                        "index": i,
                        "delta": {"type": "text_delta", "text": piece},
                    }
                )
        elif kind == "thinking":
            start = {"type": "thinking", "thinking": "", "signature": ""}
            events.append({"type": "content_block_start", "index": i, "content_block": start})
            for piece in _pieces(block["thinking"]):
                events.append(
                    {
                        "type": "content_block_delta",
                        "index": i,
                        "delta": {"type": "thinking_delta", "thinking": piece},
                    }
                )
            events.append(
                {
                    "type": "content_block_delta",
                    "index": i,
                    "delta": {"type": "signature_delta", "signature": block["signature"]},
                }
            )
        elif kind == "redacted_thinking":
            events.append({"type": "content_block_start", "index": i, "content_block": block})
        elif kind == "tool_use":
            start = {**block, "input": {}}
            events.append({"type": "content_block_start", "index": i, "content_block": start})
            for piece in _pieces(json.dumps(block["input"])):
                events.append(
                    {
                        "type": "content_block_delta",
                        "index": i,
                        "delta": {"type": "input_json_delta", "partial_json": piece},
                    }
                )
        events.append({"type": "content_block_stop", "index": i})
    events.append(
        {
            "type": "message_delta",
            "delta": {"stop_reason": message.get("stop_reason"), "stop_sequence": None},
            "usage": {"output_tokens": out_tokens},
        }
    )
    events.append({"type": "message_stop"})
    return events


def _pieces(text: str, size: int = 7) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)] or []
