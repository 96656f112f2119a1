"""Shared helpers: where the recorded corpus lives, how to replay it, and a reference assembler.

The corpus (../shared/conformance next to the repository, or ``MODELPORT_CONFORMANCE_DIR``) is
real traffic recorded by other projects; SOURCES.md there says which files are byte-exact.
"""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from modelport.provider import (
    FinishDelta,
    MetaDelta,
    ProviderSettings,
    ReasoningDelta,
    RefusalDelta,
    TextDelta,
    ToolCallDelta,
    UsageDelta,
    WireDelta,
)
from modelport_openai_chat._provider import OpenAIChatProvider
from modelport_openai_chat._stream import ChatStreamDecoder

# Few, fast examples and no deadline: replays are I/O-free, but one recording is 285 kB and
# these settings apply per test, so other suites' hypothesis profiles are left alone.
FAST = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _corpus_root() -> Path:
    env = os.environ.get("MODELPORT_CONFORMANCE_DIR")
    if env:
        return Path(env)
    # tests/plugins/openai_chat/_corpus.py -> repository root -> ../shared/conformance
    return Path(__file__).resolve().parents[3].parent / "shared" / "conformance"


CORPUS = _corpus_root()
DIRS = ("openai-chat", "openai-compat-servers", "thinking")

requires_corpus = pytest.mark.skipif(
    not (CORPUS / "openai-chat").is_dir(), reason=f"conformance corpus not found at {CORPUS}"
)


def recordings(suffix: str) -> list[Path]:
    """Every recording with this suffix in the three OpenAI-compatible folders."""
    out: list[Path] = []
    for d in DIRS:
        folder = CORPUS / d
        if folder.is_dir():
            out.extend(p for p in sorted(folder.iterdir()) if p.name.endswith(suffix))
    return [p for p in out if p.name != "index.json"]


def index_entry(path: Path) -> dict[str, Any]:
    index = json.loads((path.parent / "index.json").read_text())
    for entry in index["files"]:
        if entry["file"] == path.name:
            return dict(entry)
    raise LookupError(path.name)


def is_byte_exact(path: Path) -> bool:
    """Raw or gunzipped recorded bodies (SOURCES.md); re-serialized or pasted ones are not."""
    fidelity = str(index_entry(path).get("fidelity", ""))
    return fidelity.startswith(("raw recorded body", "gunzipped recorded body"))


def corpus_file(folder: str, name: str) -> Path:
    return CORPUS / folder / name


def provider(
    base_url: str | None = None, model: str = "test-model", **options: Any
) -> OpenAIChatProvider:
    return OpenAIChatProvider(ProviderSettings(model=model, base_url=base_url, options=options))


def feed_chunks(chunks: Iterable[bytes]) -> list[WireDelta]:
    decoder = ChatStreamDecoder(model="test-model")
    out: list[WireDelta] = []
    for chunk in chunks:
        out.extend(decoder.feed(chunk))
    out.extend(decoder.close())
    return out


def feed_whole(data: bytes) -> list[WireDelta]:
    return feed_chunks([data])


def split_at(data: bytes, cuts: Sequence[int]) -> list[bytes]:
    points = sorted({c for c in cuts if 0 < c < len(data)})
    bounds = [0, *points, len(data)]
    return [data[a:b] for a, b in itertools.pairwise(bounds)]


@dataclass
class Assembled:
    """What the core will build from the deltas; a reference implementation for the tests."""

    text: str = ""
    reasoning: str = ""
    signatures: list[str] = field(default_factory=list)
    refusal: str = ""
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    finish: list[str | None] = field(default_factory=list)
    usage: UsageDelta | None = None
    model: str | None = None
    response_id: str | None = None
    metas: int = 0


def assemble(deltas: Iterable[WireDelta]) -> Assembled:
    """Join text; group tool-call fragments by id, else index, else a new name (DESIGN.md)."""
    out = Assembled()
    text: list[str] = []
    reasoning: list[str] = []
    by_index: dict[int, dict[str, Any]] = {}
    current: dict[str, Any] | None = None
    for d in deltas:
        if isinstance(d, TextDelta):
            text.append(d.text)
        elif isinstance(d, ReasoningDelta):
            reasoning.append(d.text)
            if d.signature:
                out.signatures.append(d.signature)
        elif isinstance(d, RefusalDelta):
            out.refusal += d.text
        elif isinstance(d, ToolCallDelta):
            call = None
            if d.id is not None:
                call = next((c for c in out.tool_calls if c["id"] == d.id), None)
            if call is None and d.index is not None:
                call = by_index.get(d.index)
            if call is None and d.id is None and d.index is None and d.name is None:
                call = current
            if call is None:
                call = {"id": d.id, "name": d.name or "", "arguments": ""}
                out.tool_calls.append(call)
                if d.index is not None:
                    by_index[d.index] = call
            if d.id and not call["id"]:
                call["id"] = d.id
            if d.name and not call["name"]:
                call["name"] = d.name
            call["arguments"] += d.arguments
            current = call
        elif isinstance(d, FinishDelta):
            out.finish.append(d.reason)
        elif isinstance(d, UsageDelta):
            out.usage = d  # running totals: the last one wins
        elif isinstance(d, MetaDelta):
            out.metas += 1
            out.model, out.response_id = d.model, d.response_id
    out.text = "".join(text)
    out.reasoning = "".join(reasoning)
    return out


def sse(*payloads: Any, done: bool = True) -> bytes:
    """Build an SSE body from JSON-able payloads (strings are sent as-is)."""
    parts = [f"data: {p if isinstance(p, str) else json.dumps(p)}\n\n".encode() for p in payloads]
    if done:
        parts.append(b"data: [DONE]\n\n")
    return b"".join(parts)


def chunk(
    delta: dict[str, Any] | None = None, finish: str | None = None, **extra: Any
) -> dict[str, Any]:
    """One chat.completion.chunk as OpenAI sends it."""
    body: dict[str, Any] = {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "gpt-test",
        "choices": [{"index": 0, "delta": delta or {}, "logprobs": None, "finish_reason": finish}],
    }
    body.update(extra)
    return body
