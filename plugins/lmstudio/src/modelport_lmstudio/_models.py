"""LM Studio's model lists -> ``LMStudioModel`` values (and plain ids for ``LLM.models()``).

Three shapes answer "which models are there" on an LM Studio server, and this module reads all
of them so a caller never has to know which endpoint produced a body:

``GET /api/v0/models`` (LM Studio 0.3.6+)::

    {"object": "list", "data": [{"id", "object": "model", "type": "llm|vlm|embeddings",
      "publisher", "arch", "compatibility_type": "gguf|mlx", "quantization": "Q4_K_M",
      "state": "loaded|not-loaded", "max_context_length", "capabilities": ["tool_use"]?}]}

``GET /api/v1/models`` (LM Studio 0.4+)::

    {"models": [{"type": "llm|embedding", "publisher", "key", "display_name", "architecture",
      "quantization": {"name", "bits_per_weight"}, "size_bytes", "loaded_instances": [{"id",
      "config"}], "max_context_length", "format", "capabilities": {"vision",
      "trained_for_tool_use", "reasoning": {"allowed_options", "default"}}?}]}

``GET /v1/models`` (OpenAI-compatible): ``{"data": [{"id", "object", "owned_by"}]}`` -- ids
only, every other field of the result is ``None``.

Every field is optional on the wire (an embedding model in /api/v1 has no ``architecture`` and
no ``capabilities``), so each is read defensively and unknown fields are ignored.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from modelport.provider import ModelReport, ProviderProtocolError

__all__ = [
    "PROVIDER",
    "LMStudioModel",
    "excerpt",
    "parse_model_info",
    "profile_report",
    "protocol_error",
]

PROVIDER = "lmstudio"


@dataclass(frozen=True, slots=True)
class LMStudioModel:
    """One model known to an LM Studio server, whichever list endpoint described it.

    ``state`` is ``"loaded"`` or ``"not-loaded"`` (for /api/v1 bodies: loaded when it has
    loaded instances), ``None`` when the body does not say (the OpenAI-compatible list).
    ``capabilities`` uses /api/v0's names: ``"tool_use"``, plus ``"vision"`` and
    ``"reasoning"`` from /api/v1's capability object. ``loaded_context_length`` is the context
    window the model is loaded with (/api/v0's ``loaded_context_length``, /api/v1's first
    loaded instance's ``config.context_length``), ``None`` when not loaded or not said.
    ``raw`` is the model's JSON object.
    """

    id: str
    type: str | None = None
    publisher: str | None = None
    arch: str | None = None
    quantization: str | None = None
    state: str | None = None
    max_context_length: int | None = None
    capabilities: tuple[str, ...] = ()
    display_name: str | None = None
    format: str | None = None
    size_bytes: int | None = None
    loaded_instances: tuple[str, ...] = ()
    loaded_context_length: int | None = None
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def loaded(self) -> bool:
        return self.state == "loaded"


def excerpt(data: bytes | str, limit: int = 200) -> str:
    """A short, printable sample of what the server sent, for error messages."""
    if isinstance(data, bytes):
        data = data[: limit * 4].decode("utf-8", "replace")
    text = data.strip()
    return repr(text[:limit] + ("..." if len(text) > limit else ""))


def protocol_error(message: str, *, model: str | None = None) -> ProviderProtocolError:
    return ProviderProtocolError(message, provider=PROVIDER, model=model)


def parse_model_info(
    body: bytes | str | Mapping[str, Any] | list[Any], *, model: str | None = None
) -> list[LMStudioModel]:
    """Models described by an /api/v0/models, /api/v1/models or /v1/models body.

    ``body`` may be the raw bytes or the decoded JSON. Entries without an id are skipped; a
    body that is not JSON, or has no model array, raises ``ProviderProtocolError``.
    """
    data: Any = body
    if isinstance(body, bytes | str):
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            raise protocol_error(f"model list is not JSON: {excerpt(body)}", model=model) from None
    items: Any
    if isinstance(data, Mapping):
        items = data.get("data")
        if items is None:
            items = data.get("models")
    else:
        items = data
    if not isinstance(items, list):
        shown = body if isinstance(body, bytes | str) else json.dumps(body, default=str)
        raise protocol_error(f"model list has no model array: {excerpt(shown)}", model=model)
    out: list[LMStudioModel] = []
    for item in items:
        if isinstance(item, str) and item:
            out.append(LMStudioModel(id=item))
        elif isinstance(item, Mapping):
            info = _model(item)
            if info is not None:
                out.append(info)
    return out


def profile_report(body: bytes, model: str) -> ModelReport:
    """What LM Studio says about ``model``, from one model's object (``/api/v0/models/{id}``)
    or a list holding it: the loaded context length (else the model's maximum, the window a
    load may give it), vision (``type: vlm`` or the ``vision`` capability) and tool use."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise protocol_error(f"model info is not JSON: {excerpt(body)}", model=model) from None
    if isinstance(data, Mapping) and "data" not in data and "models" not in data:
        info = _model(data)  # the one model the URL named
    else:
        info = next((m for m in parse_model_info(data, model=model) if m.id == model), None)
    report = ModelReport()
    if info is None:
        return report
    window = info.loaded_context_length or info.max_context_length
    if window:
        report["context_window"] = window
    if "vision" in info.capabilities or info.type == "vlm":
        report["images"] = True
    elif info.type == "llm" or isinstance(info.raw.get("capabilities"), Mapping):
        report["images"] = False
    if "tool_use" in info.capabilities:
        report["tools"] = True
    return report


def model_ids(body: bytes, *, model: str | None = None) -> list[str]:
    return [m.id for m in parse_model_info(body, model=model)]


def _model(item: Mapping[str, Any]) -> LMStudioModel | None:
    ident = _str(item.get("id")) or _str(item.get("key"))
    if ident is None:
        return None
    instances = _instances(item.get("loaded_instances"))
    state = _str(item.get("state"))
    if state is None and "loaded_instances" in item:
        state = "loaded" if instances else "not-loaded"
    quant = item.get("quantization")
    quantization = _str(quant.get("name")) if isinstance(quant, Mapping) else _str(quant)
    return LMStudioModel(
        id=ident,
        type=_str(item.get("type")),
        publisher=_str(item.get("publisher")),
        arch=_str(item.get("arch")) or _str(item.get("architecture")),
        quantization=quantization,
        state=state,
        max_context_length=_int(item.get("max_context_length")),
        capabilities=_capabilities(item.get("capabilities")),
        display_name=_str(item.get("display_name")),
        format=_str(item.get("compatibility_type")) or _str(item.get("format")),
        size_bytes=_int(item.get("size_bytes")),
        loaded_instances=instances,
        loaded_context_length=_loaded_context(item),
        raw=dict(item),
    )


def _loaded_context(item: Mapping[str, Any]) -> int | None:
    length = _int(item.get("loaded_context_length"))  # /api/v0
    if length is not None:
        return length
    instances = item.get("loaded_instances")  # /api/v1
    for inst in instances if isinstance(instances, list) else []:
        config = inst.get("config") if isinstance(inst, Mapping) else None
        if isinstance(config, Mapping):
            length = _int(config.get("context_length"))
            if length is not None:
                return length
    return None


def _capabilities(value: Any) -> tuple[str, ...]:
    if isinstance(value, list):  # /api/v0: ["tool_use"]
        return tuple(v for v in value if isinstance(v, str) and v)
    if isinstance(value, Mapping):  # /api/v1: {"vision": bool, "trained_for_tool_use": ...}
        caps: list[str] = []
        if value.get("trained_for_tool_use") is True:
            caps.append("tool_use")
        if value.get("vision") is True:
            caps.append("vision")
        reasoning = value.get("reasoning")
        if isinstance(reasoning, Mapping) or reasoning is True:
            caps.append("reasoning")
        return tuple(caps)
    return ()


def _instances(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        return ()
    out: list[str] = []
    for inst in value:
        ident = _str(inst.get("id")) if isinstance(inst, Mapping) else _str(inst)
        if ident:
            out.append(ident)
    return tuple(out)


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None
