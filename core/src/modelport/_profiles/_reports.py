"""What OpenAI-compatible servers say about the model they serve, read into a ``ModelReport``.

Two endpoints answer on the servers people run locally, and both openai-chat and
openai-responses talk to such servers, so the reading lives here, once:

- llama.cpp's ``GET /props`` (at the server's root, beside ``/v1``):
  ``default_generation_settings.n_ctx`` is the context window the model is loaded with,
  ``modalities.vision`` says whether images are accepted, ``chat_template_caps.supports_tools``
  whether the chat template can express tools;
- the OpenAI-compatible ``GET /v1/models``: the entry whose ``id`` (or one of its ``aliases``)
  is the model. OpenAI itself reports only the id; servers add what they know: llama.cpp
  ``meta.n_ctx``, vLLM ``max_model_len``, OpenRouter ``context_length``,
  ``top_provider.max_completion_tokens``, ``architecture.input_modalities`` and
  ``supported_parameters``, Groq ``context_window`` and ``max_completion_tokens``.

A body that is not JSON is a ``ProviderProtocolError``; a field of an unexpected type is
simply not reported.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from .._contract import ModelReport
from .._errors import ProviderProtocolError
from .._wire import WireRequest

__all__ = [
    "parse_server_profile",
    "report_from_models",
    "report_from_props",
    "server_profile_requests",
]

_ACCEPT = {"Accept": "application/json"}


def server_profile_requests(base_url: str) -> list[WireRequest]:
    """llama.cpp's ``/props``, then ``/models`` under ``base_url`` (a ``.../v1`` URL)."""
    base = base_url.rstrip("/")
    root = base.removesuffix("/v1")
    return [
        WireRequest("GET", f"{root}/props", dict(_ACCEPT)),
        WireRequest("GET", f"{base}/models", dict(_ACCEPT)),
    ]


def parse_server_profile(wire: WireRequest, body: bytes, model: str) -> ModelReport:
    """The report in the answer to one of ``server_profile_requests``, by its path."""
    if urlsplit(wire.url).path.rstrip("/").endswith("/props"):
        return report_from_props(body)
    return report_from_models(body, model)


def _json(body: bytes, what: str) -> Any:
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError):
        sample = body[:200].decode("utf-8", "replace")
        raise ProviderProtocolError(f"{what} is not JSON: {sample!r}") from None


def _positive(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float) and not value.is_integer():
        return None
    return int(value) if value > 0 else None


def _table(value: Any, key: str) -> Mapping[str, Any]:
    inner = value.get(key) if isinstance(value, Mapping) else None
    return inner if isinstance(inner, Mapping) else {}


def report_from_props(body: bytes) -> ModelReport:
    """llama.cpp's ``/props`` body -> context window, images, tools."""
    data = _json(body, "/props")
    report = ModelReport()
    if not isinstance(data, Mapping):
        return report
    n_ctx = _positive(_table(data, "default_generation_settings").get("n_ctx"))
    if n_ctx is None:
        n_ctx = _positive(data.get("n_ctx"))
    if n_ctx is not None:
        report["context_window"] = n_ctx
    vision = _table(data, "modalities").get("vision")
    if isinstance(vision, bool):
        report["images"] = vision
    tools = _table(data, "chat_template_caps").get("supports_tools")
    if isinstance(tools, bool):
        report["tools"] = tools
    return report


def _entry(data: Any, model: str) -> Mapping[str, Any] | None:
    items = data.get("data") if isinstance(data, Mapping) else data
    if not isinstance(items, list):
        return None
    for item in items:
        if not isinstance(item, Mapping):
            continue
        aliases = item.get("aliases")
        if item.get("id") == model or (isinstance(aliases, list) and model in aliases):
            return item
    return None


def report_from_models(body: bytes, model: str) -> ModelReport:
    """The ``/v1/models`` entry of ``model`` -> what that server puts in it (often nothing)."""
    entry = _entry(_json(body, "the model list"), model)
    report = ModelReport()
    if entry is None:
        return report
    for value in (
        _table(entry, "meta").get("n_ctx"),  # llama.cpp: the loaded window
        entry.get("max_model_len"),  # vLLM
        entry.get("context_window"),  # Groq
        entry.get("context_length"),  # OpenRouter, Together
    ):
        n = _positive(value)
        if n is not None:
            report["context_window"] = n
            break
    out = _positive(entry.get("max_completion_tokens"))
    if out is None:
        out = _positive(_table(entry, "top_provider").get("max_completion_tokens"))
    if out is not None:
        report["max_output_tokens"] = out
    modalities = _table(entry, "architecture").get("input_modalities")
    if isinstance(modalities, list):
        report["images"] = "image" in modalities
    params = entry.get("supported_parameters")
    if isinstance(params, list):
        report["tools"] = "tools" in params
    return report
