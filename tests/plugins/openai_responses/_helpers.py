"""Shared helpers: the recorded corpus, feeding a decoder, and the core's own assembly.

Streams are assembled with the core's ``StreamAssembler`` (what ``LLM.stream`` uses), so
"streamed == non-streamed" is checked on the same ``Response`` type the user sees.
"""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from modelport._engine._assemble import StreamAssembler
from modelport._response import Response
from modelport.provider import ProviderSettings, WireDelta
from modelport_openai_responses._provider import OpenAIResponsesProvider
from modelport_openai_responses._stream import ResponsesStreamDecoder

FAST = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _corpus_root() -> Path:
    env = os.environ.get("MODELPORT_CONFORMANCE_DIR")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[3].parent / "shared" / "conformance"


CORPUS = _corpus_root() / "openai-responses"

requires_corpus = pytest.mark.skipif(
    not CORPUS.is_dir(), reason=f"conformance corpus not found at {CORPUS}"
)


def recording(name: str) -> Path:
    return CORPUS / name


def recordings() -> list[str]:
    if not CORPUS.is_dir():
        return []
    return sorted(p.name for p in CORPUS.iterdir() if p.name != "index.json")


def index_entry(name: str) -> dict[str, Any]:
    for entry in json.loads((CORPUS / "index.json").read_text())["files"]:
        if entry["file"] == name:
            return dict(entry)
    raise LookupError(name)


def provider(
    base_url: str | None = None, model: str = "test-model", **options: Any
) -> OpenAIResponsesProvider:
    return OpenAIResponsesProvider(
        ProviderSettings(model=model, base_url=base_url, options=options)
    )


def feed_chunks(chunks: Iterable[bytes]) -> list[WireDelta]:
    decoder = ResponsesStreamDecoder(model="test-model")
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


def assemble(deltas: Iterable[WireDelta]) -> Response:
    """The Response the core builds from these deltas."""
    asm = StreamAssembler("openai-responses", "test-model")
    for d in deltas:
        asm.add(d)
    asm.flush()
    return asm.finish()


def sse(*events: dict[str, Any]) -> bytes:
    """An SSE body as OpenAI writes it: ``event:`` name plus the JSON with the same type."""
    return b"".join(f"event: {e['type']}\ndata: {json.dumps(e)}\n\n".encode() for e in events)


def completed_event(data: bytes) -> dict[str, Any]:
    """The ``response`` object of the terminal event of a recorded stream."""
    last: dict[str, Any] | None = None
    for line in data.splitlines():
        if line.startswith(b"data: "):
            obj = json.loads(line[6:])
            if obj.get("type") in ("response.completed", "response.incomplete"):
                last = obj["response"]
    assert last is not None
    return last
