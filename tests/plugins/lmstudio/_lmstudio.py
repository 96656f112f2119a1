"""Shared helpers: the LM Studio recordings, and a scripted LM Studio server built from them.

Files in ../shared/conformance/lmstudio (SOURCES.md there says where each came from):
``real-*`` are responses of real LM Studio servers pasted into a README; ``docs-*`` are
examples from LM Studio's documentation. No LM Studio stream was ever recorded, so the
streamed replies here are *synthesized*: Chat Completions chunks in OpenAI's shape with the
``reasoning`` delta field LM Studio sends for reasoning models, built by ``synth_stream``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from modelport.provider import ProviderSettings
from modelport.testing import RecordedRequest, Reply, ScriptedServer, sse_event
from modelport_lmstudio import LMStudioProvider

FAST = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


def _corpus_root() -> Path:
    env = os.environ.get("MODELPORT_CONFORMANCE_DIR")
    if env:
        return Path(env)
    # tests/plugins/lmstudio/_lmstudio.py -> repository root -> ../shared/conformance
    return Path(__file__).resolve().parents[3].parent / "shared" / "conformance"


CORPUS = _corpus_root() / "lmstudio"

requires_corpus = pytest.mark.skipif(
    not CORPUS.is_dir(), reason=f"LM Studio conformance files not found at {CORPUS}"
)


def corpus_bytes(name: str) -> bytes:
    return (CORPUS / name).read_bytes()


def corpus_json(name: str) -> Any:
    return json.loads(corpus_bytes(name))


def provider(model: str = "phi-4-mini-instruct", **options: Any) -> LMStudioProvider:
    return LMStudioProvider(ProviderSettings(model=model, options=dict(options)))


def openai_body() -> bytes:
    """The real /api/v0 chat response without LM Studio's extras: what /v1 returns.

    LM Studio's /v1/chat/completions and /api/v0/chat/completions share one completion shape;
    /v1 leaves out ``stats``, ``model_info`` and ``runtime``. Derived, not recorded.
    """
    data = corpus_json("real-api-v0-chat-completions.json")
    for key in ("stats", "model_info", "runtime"):
        data.pop(key)
    return json.dumps(data).encode()


REASONING = ["The user", " greets me;", " answer briefly."]
ANSWER = ["Hello", "! How can", " I help", " today?"]


def synth_stream(
    *,
    model: str = "qwen/qwen3-8b",
    usage: bool = True,
    finish: str | None = "stop",
    stats: dict[str, Any] | None = None,
) -> list[bytes]:
    """A synthesized LM Studio stream: reasoning deltas (``reasoning``), then content.

    Shape follows LM Studio's OpenAI-compatible chunks (``chat.completion.chunk``, one choice,
    ``system_fingerprint`` = model); ``stats`` on the last chunk mimics the native endpoint.
    """
    base = {
        "id": "chatcmpl-synth0lmstudio",
        "object": "chat.completion.chunk",
        "created": 1759168490,
        "model": model,
        "system_fingerprint": model,
    }

    def chunk(delta: dict[str, Any], reason: str | None = None, **extra: Any) -> bytes:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": reason}
        return sse_event({**base, "choices": [choice], **extra})

    events = [chunk({"role": "assistant", "content": ""})]
    events += [chunk({"reasoning": r}) for r in REASONING]
    events += [chunk({"content": a}) for a in ANSWER]
    last_extra: dict[str, Any] = {}
    if stats is not None:
        last_extra["stats"] = stats
    events.append(chunk({}, finish, **last_extra))
    if usage:
        events.append(
            sse_event(
                {
                    **base,
                    "choices": [],
                    "usage": {"prompt_tokens": 12, "completion_tokens": 9, "total_tokens": 21},
                }
            )
        )
    events.append(b"data: [DONE]\n\n")
    return events


def _chat(native: bool) -> Any:
    def answer(request: RecordedRequest) -> Reply:
        body = request.json()
        if body.get("stream"):
            stats = None
            if native:
                stats = corpus_json("real-api-v0-chat-completions.json")["stats"]
            return Reply.sse(synth_stream(stats=stats))
        if native:
            return Reply.json(corpus_bytes("real-api-v0-chat-completions.json"))
        return Reply.json(openai_body())

    return answer


@contextmanager
def lmstudio_server() -> Iterator[ScriptedServer]:
    """An LM Studio look-alike on 127.0.0.1 answering from the recordings."""
    with ScriptedServer() as server:
        server.route("GET", "/api/v0/models", Reply.json(corpus_bytes("real-api-v0-models.json")))
        server.route("GET", "/api/v1/models", Reply.json(corpus_bytes("docs-api-v1-models.json")))
        server.route("GET", "/v1/models", Reply.json(corpus_bytes("real-v1-models.json")))
        server.route("POST", "/v1/chat/completions", _chat(native=False))
        server.route("POST", "/api/v0/chat/completions", _chat(native=True))
        yield server
