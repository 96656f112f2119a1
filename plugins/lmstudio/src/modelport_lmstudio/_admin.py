"""LM Studio's model management (REST API v1): load, unload, unload the others, context length.

The provider is a sans-IO translator; these are the calls that manage the server itself::

    GET  {root}/api/v1/models          the catalogue, with ``loaded_instances[].config``
    POST {root}/api/v1/models/load     {"model", "context_length"?, "eval_batch_size"?,
                                        "flash_attention"?, "num_experts"?,
                                        "offload_kv_cache_to_gpu"?, "echo_load_config"?}
                                       -> {"type", "instance_id", "load_time_seconds",
                                           "status": "loaded", "load_config"?}
    POST {root}/api/v1/models/unload   {"instance_id"} -> {"instance_id"}
    GET  {root}/api/v0/models/{id}     (servers before 0.4: ``loaded_context_length``)

Every operation is written once, as a generator that yields the requests it needs and receives
``(status, headers, body)`` for each (``_Program``); ``LMStudio`` drives it with the transport's
``send`` (sync methods) or ``asend`` (``a*`` methods, which never block the event loop). The
HTTP goes through modelport's public transport seam (``modelport.HttpxTransport`` by default),
so timeouts and connection errors are the same typed errors a model call raises.

Options are checked before any request: LM Studio's load body is a closed schema (an unknown
key is a 400 "Unrecognized key(s) in object"), so a misspelt option is a ``ConfigurationError``
here rather than a round trip; ``extra_body`` is the unchecked way to send a newer option.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import time
from collections.abc import AsyncIterator, Callable, Generator, Iterable, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar, cast
from urllib.parse import quote, urlsplit

import modelport as mp
from modelport.provider import (
    ConfigurationError,
    LLMError,
    LLMTimeoutError,
    ModelNotFoundError,
    WireRequest,
    error_from_body,
    error_from_payload,
)

from ._errors import relabel
from ._models import PROVIDER, LMStudioModel, excerpt, parse_model_info, protocol_error

if TYPE_CHECKING:
    from modelport.transport import Transport

__all__ = [
    "DEFAULT_ROOT_URL",
    "DEFAULT_TIMEOUT",
    "LOAD_OPTIONS",
    "LMStudio",
    "LoadedModel",
    "aload_model",
    "aloaded_context_length",
    "aunload_model",
    "aunload_others",
    "load_model",
    "loaded_context_length",
    "unload_model",
    "unload_others",
]

DEFAULT_ROOT_URL = "http://127.0.0.1:1234"
# Loading a large model from a slow disk takes minutes, and LM Studio answers the load request
# only when it is done: the read timeout has to cover the whole load.
DEFAULT_TIMEOUT = mp.Timeouts(connect=10.0, read=600.0)

IfLoaded = Literal["reuse", "reload", "add"]
_IF_LOADED = ("reuse", "reload", "add")


def _positive_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _boolean(value: Any) -> bool:
    return isinstance(value, bool)


# The documented load options (LM Studio 0.4 ``POST /api/v1/models/load``) and their checks.
LOAD_OPTIONS: Mapping[str, tuple[Callable[[Any], bool], str]] = {
    "context_length": (_positive_int, "a positive int"),
    "eval_batch_size": (_positive_int, "a positive int"),
    "num_experts": (_positive_int, "a positive int"),
    "flash_attention": (_boolean, "a bool"),
    "offload_kv_cache_to_gpu": (_boolean, "a bool"),
}

_Reply = tuple[int, Mapping[str, str], bytes]
T = TypeVar("T")
_Program = Generator[WireRequest, _Reply, T]


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


# -- checking arguments (before any request) -------------------------------------------------


def _check_model(model: Any, what: str = "model") -> str:
    if not isinstance(model, str) or not model.strip():
        raise ConfigurationError(
            f"lmstudio: {what} must be a non-empty string, not {model!r}", provider=PROVIDER
        )
    return model


def load_body(
    model: str,
    options: Mapping[str, Any],
    *,
    extra_body: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The ``/api/v1/models/load`` body; unknown or ill-typed options are ConfigurationErrors."""
    _check_model(model)
    unknown = sorted(set(options) - set(LOAD_OPTIONS))
    if unknown:
        raise ConfigurationError(
            f"lmstudio: unknown load option(s) {unknown}; LM Studio knows {sorted(LOAD_OPTIONS)}"
            " (pass anything newer in extra_body={...})",
            provider=PROVIDER,
            model=model,
        )
    body: dict[str, Any] = {"model": model}
    for name, value in options.items():
        if value is None:
            continue
        check, expected = LOAD_OPTIONS[name]
        if not check(value):
            raise ConfigurationError(
                f"lmstudio: load option {name} must be {expected}, not {value!r}",
                provider=PROVIDER,
                model=model,
            )
        body[name] = value
    body["echo_load_config"] = True  # the loaded context length comes back with the answer
    if extra_body is not None:
        if not isinstance(extra_body, Mapping):
            raise ConfigurationError(
                f"lmstudio: extra_body must be a mapping, not {type(extra_body).__name__}",
                provider=PROVIDER,
                model=model,
            )
        body.update(extra_body)
    return body


def _coerce_timeout(value: mp.Timeouts | float | None, default: mp.Timeouts) -> mp.Timeouts:
    if value is None:
        return default
    if isinstance(value, mp.Timeouts):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        if not math.isfinite(value) or value <= 0:
            raise ConfigurationError(f"lmstudio: timeout must be positive, not {value!r}")
        seconds = float(value)
        return mp.Timeouts(connect=min(10.0, seconds), read=seconds, total=seconds)
    raise ConfigurationError(
        f"lmstudio: timeout must be a number or modelport.Timeouts, not {value!r}"
    )


def _keep_set(keep: str | Iterable[str] | None) -> frozenset[str]:
    if keep is None:
        return frozenset()
    if isinstance(keep, str):
        return frozenset({_check_model(keep, "keep")})
    if not isinstance(keep, Iterable):
        raise ConfigurationError(f"lmstudio: keep must be a str or strings, not {keep!r}")
    return frozenset(_check_model(k, "keep") for k in keep)


def root_url(base_url: str) -> str:
    """``http://host:1234/v1`` (or ``/api/v1``, ``/api/v0``) -> ``http://host:1234``."""
    url = base_url.strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigurationError(
            f"lmstudio: base_url must be an http(s) URL such as {DEFAULT_ROOT_URL}, "
            f"not {base_url!r}",
            provider=PROVIDER,
        )
    for suffix in ("/api/v1", "/api/v0", "/v1"):
        if url.endswith(suffix):
            return url[: -len(suffix)]
    return url


# -- reading answers ---------------------------------------------------------------------------


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


def check_reply(reply: _Reply, what: str, *, model: str | None) -> dict[str, Any]:
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


def _unexpected_endpoint(err: LLMError) -> bool:
    text = (err.provider_message or err.message or "").lower()
    return "unexpected endpoint" in text


def _named(err: LLMError, what: str) -> LLMError:
    hint = ""
    if _unexpected_endpoint(err):
        hint = " (this server has no REST API v1: LM Studio 0.4 or later is needed)"
    err.message = f"{what}: {err.message}{hint}"
    err.args = (err.message,)
    return err


def _catalogue(data: dict[str, Any], *, model: str | None) -> list[LMStudioModel]:
    if not isinstance(data.get("models"), list):
        raise protocol_error(
            f"GET /api/v1/models: no models array in {excerpt(json.dumps(data))}", model=model
        )
    return parse_model_info(data, model=model)


def _instances(entry: LMStudioModel) -> list[tuple[str, dict[str, Any]]]:
    """(instance id, load config) of each loaded instance of a /api/v1/models entry."""
    out: list[tuple[str, dict[str, Any]]] = []
    raw = entry.raw.get("loaded_instances")
    for inst in raw if isinstance(raw, list) else []:
        if isinstance(inst, Mapping) and isinstance(inst.get("id"), str) and inst["id"]:
            config = inst.get("config")
            out.append((inst["id"], dict(config) if isinstance(config, Mapping) else {}))
    return out


def _names(entry: LMStudioModel) -> set[str]:
    """Every name a caller may use for a catalogue entry: key and variants."""
    names = {entry.id}
    variants = entry.raw.get("variants")
    if isinstance(variants, list):
        names.update(v for v in variants if isinstance(v, str))
    return names


def _find(catalogue: list[LMStudioModel], name: str) -> tuple[LMStudioModel, str | None] | None:
    """The entry ``name`` means, and the instance id when ``name`` is one."""
    for entry in catalogue:
        if name in _names(entry):
            return entry, None
    for entry in catalogue:
        for instance_id, _ in _instances(entry):
            if instance_id == name:
                return entry, instance_id
    return None


def _context_length(config: Mapping[str, Any]) -> int | None:
    value = config.get("context_length")
    return value if _positive_int(value) else None


def _loaded(data: dict[str, Any], requested: str, unloaded: tuple[str, ...]) -> LoadedModel:
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
        context_length=_context_length(config),
        load_config=config,
        load_time_s=float(seconds)
        if isinstance(seconds, int | float) and not isinstance(seconds, bool)
        else None,
        unloaded=unloaded,
        raw=data,
    )


# -- the operations, as request/answer programs ------------------------------------------------


class _Requests:
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


def _list_program(req: _Requests, *, model: str | None = None) -> _Program[list[LMStudioModel]]:
    reply = yield req.get("/api/v1/models")
    return _catalogue(check_reply(reply, "GET /api/v1/models", model=model), model=model)


def _unload_program(req: _Requests, instance_id: str) -> _Program[str]:
    reply = yield req.post("/api/v1/models/unload", {"instance_id": instance_id})
    data = check_reply(reply, "POST /api/v1/models/unload", model=instance_id)
    echoed = data.get("instance_id")
    return echoed if isinstance(echoed, str) and echoed else instance_id


def _unload_others_program(
    req: _Requests, keep: frozenset[str], *, catalogue: list[LMStudioModel] | None = None
) -> _Program[list[str]]:
    if catalogue is None:
        catalogue = yield from _list_program(req)
    gone: list[str] = []
    for entry in catalogue:
        whole_entry_kept = bool(_names(entry) & keep)
        for instance_id, _ in _instances(entry):
            if whole_entry_kept or instance_id in keep or instance_id in gone:
                continue
            gone.append((yield from _unload_program(req, instance_id)))
    return gone


def _matches(config: Mapping[str, Any], wanted: Mapping[str, Any]) -> bool:
    return all(config.get(k) == v for k, v in wanted.items() if k in LOAD_OPTIONS)


def _load_program(
    req: _Requests,
    body: dict[str, Any],
    *,
    unload_others: bool,
    if_loaded: IfLoaded,
) -> _Program[LoadedModel]:
    model: str = body["model"]
    wanted = {k: v for k, v in body.items() if k in LOAD_OPTIONS}
    unloaded: list[str] = []
    if unload_others or if_loaded != "add":
        catalogue = yield from _list_program(req, model=model)
        found = _find(catalogue, model)
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
            keep = frozenset(_names(found[0]))
            unloaded += yield from _unload_others_program(req, keep, catalogue=catalogue)
        if found is not None and if_loaded != "add":
            entry, named_instance = found
            instances = [(i, c) for i, c in _instances(entry) if named_instance in (None, i)]
            if if_loaded == "reuse":
                for instance_id, config in instances:
                    if _matches(config, wanted):
                        return LoadedModel(
                            instance_id=instance_id,
                            model=model,
                            type=entry.type,
                            context_length=_context_length(config),
                            load_config=config,
                            reused=True,
                            unloaded=tuple(unloaded),
                            raw=dict(entry.raw),
                        )
            for instance_id, _ in instances:  # a reload, or no instance has these options
                unloaded.append((yield from _unload_program(req, instance_id)))
    reply = yield req.post("/api/v1/models/load", body)
    loaded = _loaded(
        check_reply(reply, "POST /api/v1/models/load", model=model), model, tuple(unloaded)
    )
    if loaded.context_length is None:  # a server that does not echo the load config
        length = yield from _context_program(req, loaded.instance_id)
        loaded = LoadedModel(
            instance_id=loaded.instance_id,
            model=loaded.model,
            type=loaded.type,
            context_length=length,
            load_config=loaded.load_config,
            load_time_s=loaded.load_time_s,
            unloaded=loaded.unloaded,
            raw=loaded.raw,
        )
    return loaded


def _context_program(req: _Requests, model: str) -> _Program[int | None]:
    """The context length ``model`` (a key, variant or instance id) is loaded with."""
    reply = yield req.get("/api/v1/models")
    status = reply[0]
    try:
        data = check_reply(reply, "GET /api/v1/models", model=model)
    except LLMError as err:
        if not (status == 404 or _unexpected_endpoint(err)):
            raise
        # LM Studio before 0.4: /api/v0/models/{id} has loaded_context_length.
        old = yield req.get("/api/v0/models/" + quote(model, safe=""))
        info = check_reply(old, "GET /api/v0/models/{id}", model=model)
        if info.get("state") not in (None, "loaded"):
            return None
        value = info.get("loaded_context_length")
        return value if _positive_int(value) else None
    found = _find(_catalogue(data, model=model), model)
    if found is None:
        raise ModelNotFoundError(
            f"model not found: {model!r} is not in LM Studio's model list (GET /api/v1/models)",
            provider=PROVIDER,
            model=model,
            status=status,
        )
    entry, named_instance = found
    for instance_id, config in _instances(entry):
        if named_instance in (None, instance_id):
            return _context_length(config)
    return None


class _Step(Generic[T]):
    """Where a program is: the request it waits on (``wire``), or its ``result``."""

    __slots__ = ("_program", "_result", "wire")

    def __init__(self, program: _Program[T]) -> None:
        self._program = program
        self._result: T | None = None
        self.wire: WireRequest | None = None
        self._advance(lambda: next(program))

    def answer(self, reply: _Reply) -> None:
        self._advance(lambda: self._program.send(reply))

    def _advance(self, move: Callable[[], WireRequest]) -> None:
        try:
            self.wire = move()
        except StopIteration as stop:
            self.wire = None
            self._result = stop.value

    @property
    def result(self) -> T:
        return cast(T, self._result)


# -- the client --------------------------------------------------------------------------------


class LMStudio:
    """Model management for one LM Studio server (REST API v1, LM Studio 0.4+).

    ``LMStudio("http://127.0.0.1:1234")`` or ``LMStudio.from_llm(llm)``; a base URL ending in
    ``/v1`` is accepted. ``api_key`` (default ``LM_API_TOKEN``) is sent as a Bearer token.
    Every method has an ``a``-prefixed async twin that never blocks the event loop. One
    connection pool per object: reuse it, and close it (``with`` / ``async with``).
    """

    def __init__(
        self,
        base_url: str = DEFAULT_ROOT_URL,
        *,
        api_key: str | None = None,
        timeout: mp.Timeouts | float | None = None,
        transport: Transport | None = None,
        model: str | None = None,
    ) -> None:
        if not isinstance(base_url, str):
            raise ConfigurationError(f"lmstudio: base_url must be a str, not {base_url!r}")
        self.root_url = root_url(base_url)
        if api_key is None:
            api_key = os.environ.get("LM_API_TOKEN") or None
        self._secrets = [api_key] if api_key else []
        self._req = _Requests(self.root_url, api_key)
        self.timeout = _coerce_timeout(timeout, DEFAULT_TIMEOUT)
        self.model = None if model is None else _check_model(model)
        self._transport: Transport = transport if transport is not None else mp.HttpxTransport()

    @classmethod
    def from_llm(
        cls,
        llm: mp.LLM,
        *,
        timeout: mp.Timeouts | float | None = None,
        transport: Transport | None = None,
    ) -> LMStudio:
        """The server an ``LLM`` talks to, its key, and its model as the default model."""
        provider = llm.provider
        root = getattr(provider, "root_url", None)
        if not isinstance(root, str):
            root = provider.settings.base_url
        if not isinstance(root, str) or not root:
            raise ConfigurationError(
                f"lmstudio: {llm!r} has no base_url to find an LM Studio server at",
                provider=PROVIDER,
            )
        return cls(
            root,
            api_key=provider.settings.api_key,
            timeout=timeout,
            transport=transport,
            model=llm.model,
        )

    def __repr__(self) -> str:
        return f"LMStudio({self.root_url!r})"

    # -- driving a program ---------------------------------------------------------------------

    def _target(self, model: str | None) -> str:
        model = model if model is not None else self.model
        if model is None:
            raise ConfigurationError(
                "lmstudio: name the model (this LMStudio has no default model)",
                provider=PROVIDER,
            )
        return _check_model(model)

    def _fail(self, err: LLMError) -> LLMError:
        if err.provider is None:
            err.provider = PROVIDER
        return err.scrubbed(self._secrets)

    def _run(self, program: _Program[T]) -> T:
        timeout = self.timeout
        deadline = None if timeout.total is None else time.monotonic() + timeout.total
        try:
            step = _Step(program)
            while step.wire is not None:
                step.answer(self._send(step.wire, _remaining(timeout, deadline)))
        except LLMError as err:
            raise self._fail(err) from None
        finally:
            program.close()
        return step.result

    def _send(self, wire: WireRequest, timeout: mp.Timeouts) -> _Reply:
        raw = self._transport.send(wire, timeout)
        try:
            return raw.status, dict(raw.headers), raw.read()
        finally:
            raw.close()

    async def _arun(self, program: _Program[T]) -> T:
        timeout = self.timeout
        deadline = None if timeout.total is None else time.monotonic() + timeout.total
        try:
            step = _Step(program)
            async with asyncio.timeout(timeout.total):
                while step.wire is not None:
                    step.answer(await self._asend(step.wire, _remaining(timeout, deadline)))
        except LLMError as err:
            raise self._fail(err) from None
        except TimeoutError:  # asyncio.timeout: the total ran out in the middle of a request
            raise self._fail(
                LLMTimeoutError(
                    f"total timeout: LM Studio did not finish within {timeout.total}s",
                    phase="total",
                    provider=PROVIDER,
                )
            ) from None
        finally:
            program.close()
        return step.result

    async def _asend(self, wire: WireRequest, timeouts: mp.Timeouts) -> _Reply:
        raw = await self._transport.asend(wire, timeouts)
        try:
            return raw.status, dict(raw.headers), await raw.aread()
        finally:
            await raw.aclose()

    # -- the catalogue -------------------------------------------------------------------------

    def models(self) -> list[LMStudioModel]:
        """Every model of ``GET /api/v1/models``, with its loaded instances."""
        return self._run(_list_program(self._req))

    async def amodels(self) -> list[LMStudioModel]:
        return await self._arun(_list_program(self._req))

    def loaded_context_length(self, model: str | None = None) -> int | None:
        """The context length ``model`` is loaded with; ``None`` when it is not loaded.

        ``model`` is a model key, a variant or an instance id (``key:2``). A model the server
        does not know is a ``ModelNotFoundError``.
        """
        return self._run(_context_program(self._req, self._target(model)))

    async def aloaded_context_length(self, model: str | None = None) -> int | None:
        return await self._arun(_context_program(self._req, self._target(model)))

    # -- load ----------------------------------------------------------------------------------

    def _load(
        self,
        model: str | None,
        options: dict[str, Any],
        config: Mapping[str, Any] | None,
        extra_body: Mapping[str, Any] | None,
        unload_others: bool,
        if_loaded: str,
    ) -> _Program[LoadedModel]:
        target = self._target(model)
        if config is not None and not isinstance(config, Mapping):
            raise ConfigurationError(
                f"lmstudio: config must be a mapping, not {type(config).__name__}",
                provider=PROVIDER,
                model=target,
            )
        merged = {**dict(config or {}), **{k: v for k, v in options.items() if v is not None}}
        body = load_body(target, merged, extra_body=extra_body)
        if if_loaded not in _IF_LOADED:
            raise ConfigurationError(
                f"lmstudio: if_loaded must be one of {list(_IF_LOADED)}, not {if_loaded!r}",
                provider=PROVIDER,
                model=target,
            )
        if not isinstance(unload_others, bool):
            raise ConfigurationError(
                f"lmstudio: unload_others must be a bool, not {unload_others!r}",
                provider=PROVIDER,
                model=target,
            )
        return _load_program(
            self._req, body, unload_others=unload_others, if_loaded=cast(IfLoaded, if_loaded)
        )

    def load_model(
        self,
        model: str | None = None,
        *,
        context_length: int | None = None,
        eval_batch_size: int | None = None,
        flash_attention: bool | None = None,
        num_experts: int | None = None,
        offload_kv_cache_to_gpu: bool | None = None,
        config: Mapping[str, Any] | None = None,
        extra_body: Mapping[str, Any] | None = None,
        unload_others: bool = False,
        if_loaded: IfLoaded = "reuse",
    ) -> LoadedModel:
        """Load ``model`` (default: this object's model) and return the loaded instance.

        Load options are the keyword arguments, or the same names in ``config`` (keyword
        arguments win); ``extra_body`` is merged into the request unchecked. With
        ``unload_others=True`` every other loaded instance is unloaded first (better-llm-sdk's
        ``lm_studio_unload_model``). ``if_loaded`` decides what an already loaded model means:
        ``"reuse"`` returns an instance whose config has every option given (else its instances
        are unloaded and the model loaded again), ``"reload"`` always unloads and loads,
        ``"add"`` always asks for another instance (LM Studio's own behaviour).
        """
        program = self._load(
            model,
            {
                "context_length": context_length,
                "eval_batch_size": eval_batch_size,
                "flash_attention": flash_attention,
                "num_experts": num_experts,
                "offload_kv_cache_to_gpu": offload_kv_cache_to_gpu,
            },
            config,
            extra_body,
            unload_others,
            if_loaded,
        )
        return self._run(program)

    async def aload_model(
        self,
        model: str | None = None,
        *,
        context_length: int | None = None,
        eval_batch_size: int | None = None,
        flash_attention: bool | None = None,
        num_experts: int | None = None,
        offload_kv_cache_to_gpu: bool | None = None,
        config: Mapping[str, Any] | None = None,
        extra_body: Mapping[str, Any] | None = None,
        unload_others: bool = False,
        if_loaded: IfLoaded = "reuse",
    ) -> LoadedModel:
        """``load_model``, on the event loop."""
        program = self._load(
            model,
            {
                "context_length": context_length,
                "eval_batch_size": eval_batch_size,
                "flash_attention": flash_attention,
                "num_experts": num_experts,
                "offload_kv_cache_to_gpu": offload_kv_cache_to_gpu,
            },
            config,
            extra_body,
            unload_others,
            if_loaded,
        )
        return await self._arun(program)

    # -- unload --------------------------------------------------------------------------------

    def unload_model(self, instance_id: str | None = None) -> str:
        """Unload one instance (default: this object's model); returns the unloaded id.

        An instance the server does not have is a ``ModelNotFoundError``.
        """
        return self._run(_unload_program(self._req, self._target(instance_id)))

    async def aunload_model(self, instance_id: str | None = None) -> str:
        return await self._arun(_unload_program(self._req, self._target(instance_id)))

    def _others(self, keep: str | Iterable[str] | None) -> frozenset[str]:
        kept = _keep_set(keep)
        return kept or frozenset({self._target(None)})

    def unload_others(
        self,
        keep: str | Iterable[str] | None = None,
    ) -> list[str]:
        """Unload every loaded instance except those of ``keep`` (default: this object's model).

        ``keep`` names models (keys or variants: all their instances stay) or instance ids.
        Returns the unloaded instance ids.
        """
        return self._run(_unload_others_program(self._req, self._others(keep)))

    async def aunload_others(
        self,
        keep: str | Iterable[str] | None = None,
    ) -> list[str]:
        return await self._arun(_unload_others_program(self._req, self._others(keep)))

    def unload_all(self) -> list[str]:
        """Unload every loaded instance; returns their ids."""
        return self._run(_unload_others_program(self._req, frozenset()))

    async def aunload_all(self) -> list[str]:
        return await self._arun(_unload_others_program(self._req, frozenset()))

    # -- lifecycle -----------------------------------------------------------------------------

    def close(self) -> None:
        self._transport.close()

    async def aclose(self) -> None:
        await self._transport.aclose()

    def __enter__(self) -> LMStudio:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    async def __aenter__(self) -> LMStudio:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


def _remaining(timeout: mp.Timeouts, deadline: float | None) -> mp.Timeouts:
    """Each request's read timeout, capped by what is left of the operation's total."""
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        raise LLMTimeoutError(
            f"total timeout: LM Studio did not finish within {timeout.total}s",
            phase="total",
            provider=PROVIDER,
        )
    read = left if timeout.read is None else min(timeout.read, left)
    connect = left if timeout.connect is None else min(timeout.connect, left)
    return mp.Timeouts(connect=connect, read=read, first_chunk=timeout.first_chunk, total=left)


# -- functions for an LLM, a base URL or an LMStudio --------------------------------------------


Target = mp.LLM | str | LMStudio


def _new_client(target: Target) -> LMStudio | None:
    """A new ``LMStudio`` for an ``LLM`` or a base URL; ``None`` for the caller's own."""
    if isinstance(target, LMStudio):
        return None
    if isinstance(target, str):
        return LMStudio(target)
    if isinstance(target, mp.LLM):
        return LMStudio.from_llm(target)
    raise ConfigurationError(
        "lmstudio: expected a modelport.LLM, a base URL or an LMStudio, "
        f"not {type(target).__name__}",
        provider=PROVIDER,
    )


@contextmanager
def _client(target: Target) -> Iterator[LMStudio]:
    """The ``LMStudio`` a function works with: the caller's own (left open) or a new one."""
    admin = _new_client(target)
    if admin is None:
        yield cast(LMStudio, target)
        return
    try:
        yield admin
    finally:
        admin.close()


@asynccontextmanager
async def _aclient(target: Target) -> AsyncIterator[LMStudio]:
    admin = _new_client(target)
    if admin is None:
        yield cast(LMStudio, target)
        return
    try:
        yield admin
    finally:
        await admin.aclose()


_LOAD_ARGS = frozenset({*LOAD_OPTIONS, "config", "extra_body", "unload_others", "if_loaded"})


def _load_args(options: dict[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(options) - _LOAD_ARGS)
    if unknown:
        raise ConfigurationError(
            f"lmstudio: unknown load_model argument(s) {unknown}; load options are "
            f"{sorted(LOAD_OPTIONS)} (and config=, extra_body=, unload_others=, if_loaded=)",
            provider=PROVIDER,
        )
    return options


def load_model(target: Target, model: str | None = None, **options: Any) -> LoadedModel:
    """``LMStudio.load_model`` on ``target``: an ``LLM`` (its server, key and, by default, its
    model), a base URL, or an ``LMStudio``. Unknown option names are ``ConfigurationError``."""
    args = _load_args(options)
    with _client(target) as admin:
        return admin.load_model(model, **args)


async def aload_model(target: Target, model: str | None = None, **options: Any) -> LoadedModel:
    args = _load_args(options)
    async with _aclient(target) as admin:
        return await admin.aload_model(model, **args)


def unload_model(target: Target, instance_id: str | None = None) -> str:
    with _client(target) as admin:
        return admin.unload_model(instance_id)


async def aunload_model(target: Target, instance_id: str | None = None) -> str:
    async with _aclient(target) as admin:
        return await admin.aunload_model(instance_id)


def unload_others(target: Target, keep: str | Iterable[str] | None = None) -> list[str]:
    with _client(target) as admin:
        return admin.unload_others(keep)


async def aunload_others(target: Target, keep: str | Iterable[str] | None = None) -> list[str]:
    async with _aclient(target) as admin:
        return await admin.aunload_others(keep)


def loaded_context_length(target: Target, model: str | None = None) -> int | None:
    with _client(target) as admin:
        return admin.loaded_context_length(model)


async def aloaded_context_length(target: Target, model: str | None = None) -> int | None:
    async with _aclient(target) as admin:
        return await admin.aloaded_context_length(model)
