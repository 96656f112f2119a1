"""LM Studio's model management operations, each written once as a request/answer program.

A program is a generator that yields the ``WireRequest`` it needs next and receives that
request's ``(status, headers, body)``; it does no I/O itself, so the same code serves the sync
and the async methods (``_admin_runner`` drives it) and a test can drive it by hand::

    GET  {root}/api/v1/models          the catalogue, with ``loaded_instances[].config``
    POST {root}/api/v1/models/load     {"model", "context_length"?, "eval_batch_size"?,
                                        "flash_attention"?, "num_experts"?,
                                        "offload_kv_cache_to_gpu"?, "echo_load_config"?}
                                       -> {"type", "instance_id", "load_time_seconds",
                                           "status": "loaded", "load_config"?}
    POST {root}/api/v1/models/unload   {"instance_id"} -> {"instance_id"}
    GET  {root}/api/v0/models/{id}     (servers before 0.4: ``loaded_context_length``)
"""

from __future__ import annotations

import json
from collections.abc import Generator, Mapping
from typing import Any, TypeVar
from urllib.parse import quote

from modelport.provider import ConfigurationError, LLMError, ModelNotFoundError, WireRequest

from ._admin_args import LOAD_OPTIONS, IfLoaded, positive_int
from ._admin_replies import (
    LoadedModel,
    Reply,
    catalogue,
    check_reply,
    context_length,
    find,
    instances,
    loaded_model,
    names,
    unexpected_endpoint,
)
from ._models import PROVIDER, LMStudioModel

__all__ = [
    "Program",
    "Requests",
    "context_program",
    "list_program",
    "load_program",
    "unload_others_program",
    "unload_program",
]

T = TypeVar("T")
Program = Generator[WireRequest, Reply, T]


class Requests:
    """The wire requests, for one server root."""

    def __init__(self, root: str, api_key: str | None) -> None:
        self.root = root
        self._api_key = api_key

    def _headers(self, *, body: bool) -> dict[str, str]:
        headers = {"Accept": "application/json"}
        if body:
            headers["Content-Type"] = "application/json"
        if self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        return headers

    def get(self, path: str) -> WireRequest:
        return WireRequest(method="GET", url=self.root + path, headers=self._headers(body=False))

    def post(self, path: str, body: dict[str, Any]) -> WireRequest:
        return WireRequest(
            method="POST",
            url=self.root + path,
            headers=self._headers(body=True),
            body=body,
            content=json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode(),
        )


def list_program(req: Requests, *, model: str | None = None) -> Program[list[LMStudioModel]]:
    reply = yield req.get("/api/v1/models")
    return catalogue(check_reply(reply, "GET /api/v1/models", model=model), model=model)


def unload_program(req: Requests, instance_id: str) -> Program[str]:
    reply = yield req.post("/api/v1/models/unload", {"instance_id": instance_id})
    data = check_reply(reply, "POST /api/v1/models/unload", model=instance_id)
    echoed = data.get("instance_id")
    return echoed if isinstance(echoed, str) and echoed else instance_id


def unload_others_program(
    req: Requests, keep: frozenset[str], *, models: list[LMStudioModel] | None = None
) -> Program[list[str]]:
    """``models`` is a catalogue the caller has just read, to spare a second ``GET``."""
    if models is None:
        models = yield from list_program(req)
    gone: list[str] = []
    for entry in models:
        whole_entry_kept = bool(names(entry) & keep)
        for instance_id, _ in instances(entry):
            if whole_entry_kept or instance_id in keep or instance_id in gone:
                continue
            gone.append((yield from unload_program(req, instance_id)))
    return gone


def _matches(config: Mapping[str, Any], wanted: Mapping[str, Any]) -> bool:
    return all(config.get(k) == v for k, v in wanted.items() if k in LOAD_OPTIONS)


def load_program(
    req: Requests,
    body: dict[str, Any],
    *,
    unload_others: bool,
    if_loaded: IfLoaded,
) -> Program[LoadedModel]:
    model: str = body["model"]
    wanted = {k: v for k, v in body.items() if k in LOAD_OPTIONS}
    unloaded: list[str] = []
    if unload_others or if_loaded != "add":
        models = yield from list_program(req, model=model)
        found = find(models, model)
        if found is not None:
            entry, _ = found
            limit = entry.max_context_length
            asked = wanted.get("context_length")
            if limit is not None and asked is not None and asked > limit:
                raise ConfigurationError(
                    f"lmstudio: context_length {asked} is more than {entry.id}'s "
                    f"max_context_length {limit}",
                    provider=PROVIDER,
                    model=model,
                )
        if unload_others:
            if found is None:  # unloading everything for a load that cannot work: no
                raise ModelNotFoundError(
                    f"model not found: {model!r} is not in LM Studio's model list "
                    "(GET /api/v1/models); nothing was unloaded",
                    provider=PROVIDER,
                    model=model,
                )
            keep = frozenset(names(found[0]))
            unloaded += yield from unload_others_program(req, keep, models=models)
        if found is not None and if_loaded != "add":
            entry, named_instance = found
            loaded = [(i, c) for i, c in instances(entry) if named_instance in (None, i)]
            if if_loaded == "reuse":
                for instance_id, config in loaded:
                    if _matches(config, wanted):
                        return LoadedModel(
                            instance_id=instance_id,
                            model=model,
                            type=entry.type,
                            context_length=context_length(config),
                            load_config=config,
                            reused=True,
                            unloaded=tuple(unloaded),
                            raw=dict(entry.raw),
                        )
            for instance_id, _ in loaded:  # a reload, or no instance has these options
                unloaded.append((yield from unload_program(req, instance_id)))
    reply = yield req.post("/api/v1/models/load", body)
    result = loaded_model(
        check_reply(reply, "POST /api/v1/models/load", model=model), model, tuple(unloaded)
    )
    if result.context_length is None:  # a server that does not echo the load config
        length = yield from context_program(req, result.instance_id)
        result = LoadedModel(
            instance_id=result.instance_id,
            model=result.model,
            type=result.type,
            context_length=length,
            load_config=result.load_config,
            load_time_s=result.load_time_s,
            unloaded=result.unloaded,
            raw=result.raw,
        )
    return result


def context_program(req: Requests, model: str) -> Program[int | None]:
    """The context length ``model`` (a key, variant or instance id) is loaded with."""
    reply = yield req.get("/api/v1/models")
    status = reply[0]
    try:
        data = check_reply(reply, "GET /api/v1/models", model=model)
    except LLMError as err:
        if not (status == 404 or unexpected_endpoint(err)):
            raise
        # LM Studio before 0.4: /api/v0/models/{id} has loaded_context_length.
        old = yield req.get("/api/v0/models/" + quote(model, safe=""))
        info = check_reply(old, "GET /api/v0/models/{id}", model=model)
        if info.get("state") not in (None, "loaded"):
            return None
        value = info.get("loaded_context_length")
        return value if positive_int(value) else None
    found = find(catalogue(data, model=model), model)
    if found is None:
        raise ModelNotFoundError(
            f"model not found: {model!r} is not in LM Studio's model list (GET /api/v1/models)",
            provider=PROVIDER,
            model=model,
            status=status,
        )
    entry, named_instance = found
    for instance_id, config in instances(entry):
        if named_instance in (None, instance_id):
            return context_length(config)
    return None
