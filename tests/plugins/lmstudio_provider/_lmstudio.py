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
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

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
    # tests/plugins/lmstudio_provider/_lmstudio.py -> repository root -> ../shared/conformance
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


# -- model management (REST API v1) -----------------------------------------------------------

# The documented load options: LM Studio's load body is a closed schema (zod), so anything else
# is a 400 "Unrecognized key(s) in object" (seen on LM Studio 0.4.23).
LOAD_KEYS = {
    "model",
    "context_length",
    "eval_batch_size",
    "flash_attention",
    "num_experts",
    "offload_kv_cache_to_gpu",
    "echo_load_config",
}
GPT_OSS = "openai/gpt-oss-20b"


def _error(status: int, message: str, code: str | None, param: str | None = None) -> Reply:
    """An error in the OpenAI-style shape LM Studio uses (see _errors.py); synthesized, since
    no management error was ever recorded."""
    err: dict[str, Any] = {"message": message, "type": "invalid_request_error", "code": code}
    if param is not None:
        err["param"] = param
    return Reply.json({"error": err}, status=status)


class LMStudioState:
    """The models of a scripted LM Studio 0.4 server, changed by its load/unload routes.

    The catalogue is docs-api-v1-models.json (gemma loaded with context 4096, deepseek and
    the embedding model not loaded) plus ``openai/gpt-oss-20b``, the model of the load and
    unload documentation examples. A load answers with docs-api-v1-models-load.json's shape:
    for the documented request (gpt-oss, context 16384, flash attention, echo) it is that file
    exactly; other requests change ``instance_id`` and ``load_config``, and ``load_config`` is
    sent only when ``echo_load_config`` is true, as documented. ``load_delay`` makes a load
    take that long (a real load takes seconds).
    """

    def __init__(self, *, echo: bool = True) -> None:
        models = corpus_json("docs-api-v1-models.json")["models"]
        models.append(
            {
                "type": "llm",
                "publisher": "openai",
                "key": GPT_OSS,
                "display_name": "gpt-oss 20B",
                "architecture": "gpt-oss",
                "quantization": {"name": "MXFP4", "bits_per_weight": 4},
                "size_bytes": 12109566560,
                "params_string": "20B",
                "loaded_instances": [],
                "max_context_length": 131072,
                "format": "gguf",
                "capabilities": {"vision": False, "trained_for_tool_use": True},
                "description": None,
            }
        )
        self.models: list[dict[str, Any]] = models
        self.echo = echo
        self.load_delay = 0.0
        self.lock = threading.Lock()

    def entry(self, name: str) -> dict[str, Any] | None:
        for model in self.models:
            if name == model["key"] or name in model.get("variants", []):
                return model
        return None

    def loaded(self) -> dict[str, list[str]]:
        """Instance ids per model key (the models with any)."""
        with self.lock:
            return {
                m["key"]: [i["id"] for i in m["loaded_instances"]]
                for m in self.models
                if m["loaded_instances"]
            }

    def list(self, request: RecordedRequest) -> Reply:
        with self.lock:
            return Reply.json({"models": self.models})

    def load(self, request: RecordedRequest) -> Reply:
        body = request.json()
        unknown = sorted(set(body) - LOAD_KEYS)
        if unknown:
            keys = ", ".join(f"'{k}'" for k in unknown)
            return _error(400, f"Unrecognized key(s) in object: {keys}", "unrecognized_keys")
        name = body.get("model")
        if not isinstance(name, str):
            return _error(400, "'model' is required", "missing_required_parameter", "model")
        if self.load_delay:
            time.sleep(self.load_delay)
        with self.lock:
            model = self.entry(name)
            if model is None:
                return _error(
                    404,
                    f'Model "{name}" not found. Please download it first.',
                    "model_not_found",
                    "model",
                )
            template = corpus_json("docs-api-v1-models-load.json")
            config = dict(template["load_config"])
            if model["key"] != GPT_OSS:
                config["context_length"] = 4096
            config.update({k: v for k, v in body.items() if k not in ("model", "echo_load_config")})
            taken = {i["id"] for i in model["loaded_instances"]}
            instance_id, n = model["key"], 1
            while instance_id in taken:
                n += 1
                instance_id = f"{model['key']}:{n}"
            model["loaded_instances"].append({"id": instance_id, "config": config})
        answer: dict[str, Any] = {
            "type": model["type"],
            "instance_id": instance_id,
            "load_time_seconds": template["load_time_seconds"],
            "status": "loaded",
        }
        if self.echo and body.get("echo_load_config"):
            answer["load_config"] = config
        return Reply.json(answer)

    def unload(self, request: RecordedRequest) -> Reply:
        instance_id = request.json().get("instance_id")
        with self.lock:
            for model in self.models:
                kept = [i for i in model["loaded_instances"] if i["id"] != instance_id]
                if len(kept) != len(model["loaded_instances"]):
                    model["loaded_instances"] = kept
                    return Reply.json({"instance_id": instance_id})
        return _error(
            404, f"No model instance found with identifier '{instance_id}'", "model_not_found"
        )


@contextmanager
def lmstudio_server(state: LMStudioState | None = None) -> Iterator[ScriptedServer]:
    """An LM Studio look-alike on 127.0.0.1 answering from the recordings.

    With a ``state``, /api/v1/models is that state's catalogue and the load/unload routes
    change it; without, /api/v1/models is the recorded list and there is no management.
    """
    with ScriptedServer() as server:
        server.route("GET", "/api/v0/models", Reply.json(corpus_bytes("real-api-v0-models.json")))
        for entry in corpus_json("real-api-v0-models.json")["data"]:  # one model's native info
            path = f"/api/v0/models/{quote(entry['id'], safe='')}"
            server.route("GET", path, Reply.json(entry))
        server.route("GET", "/v1/models", Reply.json(corpus_bytes("real-v1-models.json")))
        server.route("POST", "/v1/chat/completions", _chat(native=False))
        server.route("POST", "/api/v0/chat/completions", _chat(native=True))
        if state is None:
            v1 = corpus_bytes("docs-api-v1-models.json")
            server.route("GET", "/api/v1/models", Reply.json(v1))
        else:
            server.route("GET", "/api/v1/models", state.list)
            server.route("POST", "/api/v1/models/load", state.load)
            server.route("POST", "/api/v1/models/unload", state.unload)
        yield server
