"""Reading LM Studio's model management answers into ``LoadedModel`` values and typed errors.

The answers are JSON the server may shape differently from version to version (an error can
come back as a 200, a load config under two names), so every read is defensive and every
failure a typed ``LLMError`` a caller can catch like a model call's.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from modelport.provider import LLMError, error_from_body, error_from_payload

from ._admin_args import positive_int
from ._errors import relabel
from ._models import PROVIDER, LMStudioModel, excerpt, parse_model_info, protocol_error

__all__ = [
    "LoadedModel",
    "Reply",
    "catalogue",
    "check_reply",
    "context_length",
    "find",
    "instances",
    "loaded_model",
    "names",
    "unexpected_endpoint",
]

# An HTTP answer as the operations see it: (status, headers, body).
Reply = tuple[int, Mapping[str, str], bytes]


@dataclass(frozen=True, slots=True)
class LoadedModel:
    """A loaded model instance, as ``load_model`` left it.

    ``instance_id`` is what chat requests and ``unload_model`` name (LM Studio gives a second
    instance of one model the id ``key:2``). ``context_length`` is the loaded context window
    (``load_config.context_length``). ``reused`` says no load happened because a matching
    instance was already there; ``unloaded`` lists the instance ids unloaded first
    (``unload_others=True``, or a reload). ``load_time_s`` is ``None`` when reused.
    """

    instance_id: str
    model: str
    type: str | None = None
    context_length: int | None = None
    load_config: dict[str, Any] = field(default_factory=dict)
    load_time_s: float | None = None
    reused: bool = False
    unloaded: tuple[str, ...] = ()
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)


def _json_object(body: bytes, what: str, *, model: str | None) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise protocol_error(f"{what}: the answer is not JSON: {excerpt(body)}", model=model)
    if not isinstance(data, dict):
        raise protocol_error(
            f"{what}: the answer is not a JSON object: {excerpt(body)}", model=model
        )
    return data


def check_reply(reply: Reply, what: str, *, model: str | None) -> dict[str, Any]:
    """The JSON object of a successful answer; any failure as a typed, relabelled error.

    LM Studio before 0.4 answers unknown endpoints with a 200 ``{"error": "Unexpected endpoint
    or method. (POST /api/v1/models/load)"}``; that becomes an error saying the REST API v1
    (LM Studio 0.4+) is needed.
    """
    status, headers, body = reply
    if status >= 400:
        err: LLMError = error_from_body(status, headers, body, provider=PROVIDER, model=model)
        raise _named(relabel(err, model=model), what)
    data = _json_object(body, what, model=model)
    payload = data.get("error")
    if payload:
        err = error_from_payload(
            payload if isinstance(payload, Mapping | str) else str(payload),
            status=None,
            headers=headers,
            provider=PROVIDER,
            model=model,
        )
        raise _named(relabel(err, model=model), what)
    return data


def unexpected_endpoint(err: LLMError) -> bool:
    text = (err.provider_message or err.message or "").lower()
    return "unexpected endpoint" in text


def _named(err: LLMError, what: str) -> LLMError:
    hint = ""
    if unexpected_endpoint(err):
        hint = " (this server has no REST API v1: LM Studio 0.4 or later is needed)"
    err.message = f"{what}: {err.message}{hint}"
    err.args = (err.message,)
    return err


def catalogue(data: dict[str, Any], *, model: str | None) -> list[LMStudioModel]:
    if not isinstance(data.get("models"), list):
        raise protocol_error(
            f"GET /api/v1/models: no models array in {excerpt(json.dumps(data))}", model=model
        )
    return parse_model_info(data, model=model)


def instances(entry: LMStudioModel) -> list[tuple[str, dict[str, Any]]]:
    """(instance id, load config) of each loaded instance of a /api/v1/models entry."""
    out: list[tuple[str, dict[str, Any]]] = []
    raw = entry.raw.get("loaded_instances")
    for inst in raw if isinstance(raw, list) else []:
        if isinstance(inst, Mapping) and isinstance(inst.get("id"), str) and inst["id"]:
            config = inst.get("config")
            out.append((inst["id"], dict(config) if isinstance(config, Mapping) else {}))
    return out


def names(entry: LMStudioModel) -> set[str]:
    """Every name a caller may use for a catalogue entry: key and variants."""
    found = {entry.id}
    variants = entry.raw.get("variants")
    if isinstance(variants, list):
        found.update(v for v in variants if isinstance(v, str))
    return found


def find(models: list[LMStudioModel], name: str) -> tuple[LMStudioModel, str | None] | None:
    """The entry ``name`` means, and the instance id when ``name`` is one."""
    for entry in models:
        if name in names(entry):
            return entry, None
    for entry in models:
        for instance_id, _ in instances(entry):
            if instance_id == name:
                return entry, instance_id
    return None


def context_length(config: Mapping[str, Any]) -> int | None:
    value = config.get("context_length")
    return value if positive_int(value) else None


def loaded_model(data: dict[str, Any], requested: str, unloaded: tuple[str, ...]) -> LoadedModel:
    """The ``POST /api/v1/models/load`` answer; the load config has had two names in 0.4."""
    instance_id = data.get("instance_id") or data.get("model_instance_id")
    if not isinstance(instance_id, str) or not instance_id:
        raise protocol_error(
            f"POST /api/v1/models/load: no instance_id in {excerpt(json.dumps(data))}",
            model=requested,
        )
    status = data.get("status")
    if status is not None and status != "loaded":
        raise protocol_error(
            f"POST /api/v1/models/load: status {status!r}, not 'loaded'", model=requested
        )
    config = data.get("load_config")
    if not isinstance(config, Mapping):
        config = data.get("config")  # the earliest 0.4 documentation's name
    config = dict(config) if isinstance(config, Mapping) else {}
    seconds = data.get("load_time_seconds")
    kind = data.get("type")
    return LoadedModel(
        instance_id=instance_id,
        model=requested,
        type=kind if isinstance(kind, str) else None,
        context_length=context_length(config),
        load_config=config,
        load_time_s=float(seconds)
        if isinstance(seconds, int | float) and not isinstance(seconds, bool)
        else None,
        unloaded=unloaded,
        raw=data,
    )
