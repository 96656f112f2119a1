"""Model management (REST API v1): load, unload, unload the others, the loaded context length.

Against the scripted LM Studio 0.4 server of ``_lmstudio`` (``LMStudioState``): its catalogue
is docs-api-v1-models.json plus the documentation's gpt-oss model, loads answer in the shape of
docs-api-v1-models-load.json, unloads in that of docs-api-v1-models-unload.json, and the routes
really change which instances are loaded. Real sockets on 127.0.0.1, modelport's transport.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import Any

import modelport as mp
import pytest
from modelport.testing import Reply, ScriptedServer, free_port
from modelport_lmstudio import (
    LMStudio,
    LoadedModel,
    aload_model,
    aloaded_context_length,
    aunload_model,
    aunload_others,
    load_model,
    loaded_context_length,
    unload_model,
    unload_others,
)

from ._lmstudio import GPT_OSS, LMStudioState, corpus_json, lmstudio_server, requires_corpus

pytestmark = requires_corpus

GEMMA = "google/gemma-4-26b-a4b"
DEEPSEEK = "deepseek-r1"
NOMIC = "text-embedding-nomic-embed-text-v1.5-embedding"
LOAD = "/api/v1/models/load"
UNLOAD = "/api/v1/models/unload"
LIST = "/api/v1/models"


@pytest.fixture
def state() -> LMStudioState:
    return LMStudioState()


@pytest.fixture
def server(state: LMStudioState) -> Iterator[ScriptedServer]:
    with lmstudio_server(state) as s:
        yield s


def calls(server: ScriptedServer) -> list[tuple[str, str]]:
    return [(r.method, r.path) for r in server.requests]


def llm(server: ScriptedServer, model: str = GPT_OSS, **kw: Any) -> mp.LLM:
    return mp.LLM(f"lmstudio:{model}", base_url=server.base_url, cache="never", **kw)


# -- load ------------------------------------------------------------------------------------


def test_load_the_documented_request(server: ScriptedServer, state: LMStudioState) -> None:
    """The docs' example request gets the docs' example answer, read into a LoadedModel."""
    with llm(server) as model:
        loaded = load_model(model, context_length=16384, flash_attention=True)
    assert loaded == LoadedModel(
        instance_id=GPT_OSS,
        model=GPT_OSS,
        type="llm",
        context_length=16384,
        load_config=corpus_json("docs-api-v1-models-load.json")["load_config"],
        load_time_s=9.099,
    )
    assert loaded.raw == corpus_json("docs-api-v1-models-load.json")
    assert calls(server) == [("GET", LIST), ("POST", LOAD)]
    post = server.requests[1]
    assert post.json() == {
        "model": GPT_OSS,
        "context_length": 16384,
        "flash_attention": True,
        "echo_load_config": True,
    }
    assert post.headers["content-type"] == "application/json"
    assert "authorization" not in post.headers
    assert state.loaded()[GPT_OSS] == [GPT_OSS]


def test_load_options_from_config_and_kwargs(server: ScriptedServer) -> None:
    with LMStudio(server.base_url) as admin:  # ".../v1": the REST root is found from it
        assert admin.root_url == server.url
        loaded = admin.load_model(
            DEEPSEEK,
            config={"context_length": 8192, "num_experts": 2, "eval_batch_size": 256},
            context_length=32768,  # keyword arguments win over config
            offload_kv_cache_to_gpu=False,
        )
    assert server.requests[-1].json() == {
        "model": DEEPSEEK,
        "context_length": 32768,
        "num_experts": 2,
        "eval_batch_size": 256,
        "offload_kv_cache_to_gpu": False,
        "echo_load_config": True,
    }
    assert (loaded.instance_id, loaded.context_length, loaded.reused) == (DEEPSEEK, 32768, False)


def test_reuse_reload_and_add(server: ScriptedServer, state: LMStudioState) -> None:
    with LMStudio(server.url, model=GPT_OSS) as admin:
        first = admin.load_model(context_length=16384)
        n = len(server.requests)
        # Already loaded with these options: returned as is, no load request.
        same = admin.load_model(context_length=16384)
        assert same.reused and same.instance_id == first.instance_id
        assert same.context_length == 16384 and same.load_time_s is None
        assert calls(server)[n:] == [("GET", LIST)]
        # No options given: any instance will do.
        assert admin.load_model().reused
        # Other options: the instance goes, the model is loaded with the new ones.
        n = len(server.requests)
        bigger = admin.load_model(context_length=32768)
        assert (bigger.reused, bigger.unloaded, bigger.context_length) == (
            False,
            (GPT_OSS,),
            32768,
        )
        assert calls(server)[n:] == [("GET", LIST), ("POST", UNLOAD), ("POST", LOAD)]
        assert state.loaded()[GPT_OSS] == [GPT_OSS]
        # "reload": always unloaded and loaded again.
        again = admin.load_model(context_length=32768, if_loaded="reload")
        assert not again.reused and again.unloaded == (GPT_OSS,)
        # "add": LM Studio's own behaviour, another instance, and no list request.
        n = len(server.requests)
        second = admin.load_model(if_loaded="add")
        assert second.instance_id == f"{GPT_OSS}:2"
        assert calls(server)[n:] == [("POST", LOAD)]
        assert state.loaded()[GPT_OSS] == [GPT_OSS, f"{GPT_OSS}:2"]


def test_load_unloading_the_others(server: ScriptedServer, state: LMStudioState) -> None:
    """better-llm-sdk's ``lm_studio_unload_model=True``: only this model stays loaded."""
    load_model(server.url, NOMIC, if_loaded="add")
    assert state.loaded() == {GEMMA: [GEMMA], NOMIC: [NOMIC]}
    with llm(server) as model:
        loaded = load_model(model, unload_others=True)
    assert sorted(loaded.unloaded) == [GEMMA, NOMIC]
    assert state.loaded() == {GPT_OSS: [GPT_OSS]}
    unload_bodies = [r.json() for r in server.requests if r.path == UNLOAD]
    assert sorted(b["instance_id"] for b in unload_bodies) == [GEMMA, NOMIC]


def test_load_unload_others_keeps_the_models_own_instances(
    server: ScriptedServer, state: LMStudioState
) -> None:
    with LMStudio(server.url) as admin:
        admin.load_model(GEMMA, if_loaded="add")  # gemma:2
        loaded = admin.load_model(GEMMA, unload_others=True)
    assert loaded.reused and loaded.unloaded == ()
    assert state.loaded() == {GEMMA: [GEMMA, f"{GEMMA}:2"]}


def test_a_server_that_does_not_echo_the_config() -> None:
    """Without ``load_config`` in the answer, the context length is read from the list."""
    state = LMStudioState(echo=False)
    with lmstudio_server(state) as server, LMStudio(server.url) as admin:
        loaded = admin.load_model(DEEPSEEK, context_length=8192, if_loaded="add")
    assert (loaded.context_length, loaded.load_config) == (8192, {})
    assert calls(server) == [("POST", LOAD), ("GET", LIST)]


# -- the loaded context length -----------------------------------------------------------------


def test_loaded_context_length(server: ScriptedServer) -> None:
    with llm(server, GEMMA) as model:
        assert loaded_context_length(model) == 4096  # docs-api-v1-models.json's instance
        assert loaded_context_length(model, DEEPSEEK) is None  # known, not loaded
        assert loaded_context_length(model, "google/gemma-4-26b-a4b@q4_k_m") == 4096  # variant
        load_model(model, context_length=8192, if_loaded="add")
        assert loaded_context_length(model, f"{GEMMA}:2") == 8192  # an instance id
        with pytest.raises(mp.ModelNotFoundError, match="not in LM Studio's model list") as info:
            loaded_context_length(model, "no/such-model")
    assert info.value.provider == "lmstudio" and info.value.model == "no/such-model"
    assert {r.path for r in server.requests} == {LIST, LOAD}


def test_model_info_has_the_loaded_context_length(server: ScriptedServer) -> None:
    with LMStudio(server.url) as admin:
        infos = {m.id: m for m in admin.models()}
    assert infos[GEMMA].loaded_context_length == 4096 and infos[GEMMA].loaded
    assert infos[DEEPSEEK].loaded_context_length is None and not infos[DEEPSEEK].loaded
    assert infos[GPT_OSS].max_context_length == 131072


def test_context_length_on_a_server_before_0_4() -> None:
    """LM Studio 0.3 has no /api/v1: /api/v0/models/{id} says ``loaded_context_length``."""
    old = {
        **corpus_json("real-api-v0-models.json")["data"][3],
        "state": "loaded",
        "loaded_context_length": 8192,
    }
    with ScriptedServer() as server:
        for method, path in (("GET", LIST), ("POST", LOAD)):  # what LM Studio 0.3 answers
            unexpected = {"error": f"Unexpected endpoint or method. ({method} {path})"}
            server.route(method, path, Reply.json(unexpected))
        server.route("GET", "/api/v0/models/phi-4-mini-instruct", Reply.json(old))
        server.route(
            "GET",
            "/api/v0/models/qwen3-4b-instruct-2507",
            Reply.json(corpus_json("real-api-v0-models.json")["data"][2]),  # not-loaded
        )
        assert old["id"] == "phi-4-mini-instruct"
        assert loaded_context_length(server.url, "phi-4-mini-instruct") == 8192
        assert loaded_context_length(server.url, "qwen3-4b-instruct-2507") is None
        with pytest.raises(mp.ModelRequestError, match=r"LM Studio 0\.4 or later"):
            load_model(server.url, "phi-4-mini-instruct", if_loaded="add")


# -- unload ----------------------------------------------------------------------------------


def test_unload_model(server: ScriptedServer, state: LMStudioState) -> None:
    with llm(server, GEMMA) as model:
        assert unload_model(model) == GEMMA  # the LLM's model is the default
    assert state.loaded() == {}
    assert server.requests[-1].json() == {"instance_id": GEMMA}
    assert calls(server) == [("POST", UNLOAD)]
    with pytest.raises(mp.ModelNotFoundError) as info:
        unload_model(server.url, GEMMA)  # not loaded any more
    assert info.value.status == 404 and info.value.provider == "lmstudio"
    assert "POST /api/v1/models/unload" in str(info.value)


def test_unload_others_and_all(server: ScriptedServer, state: LMStudioState) -> None:
    with LMStudio(server.url) as admin:
        admin.load_model(GPT_OSS)
        admin.load_model(NOMIC)
        admin.load_model(GEMMA, if_loaded="add")
        assert state.loaded() == {GEMMA: [GEMMA, f"{GEMMA}:2"], GPT_OSS: [GPT_OSS], NOMIC: [NOMIC]}
        # Keep a model (all its instances) and one instance id of another.
        assert admin.unload_others([GPT_OSS, f"{GEMMA}:2"]) == [GEMMA, NOMIC]
        assert state.loaded() == {GEMMA: [f"{GEMMA}:2"], GPT_OSS: [GPT_OSS]}
        assert admin.unload_others(GPT_OSS) == [f"{GEMMA}:2"]
        assert admin.unload_others(GPT_OSS) == []  # nothing else loaded: no unload request
        assert admin.unload_all() == [GPT_OSS]
    assert state.loaded() == {}
    with llm(server, GEMMA) as model:
        load_model(model, DEEPSEEK)
        load_model(model)
        assert unload_others(model) == [DEEPSEEK]  # keep= defaults to the LLM's model
    assert state.loaded() == {GEMMA: [GEMMA]}


# -- async -----------------------------------------------------------------------------------


def test_async_twins(server: ScriptedServer, state: LMStudioState) -> None:
    async def main() -> None:
        async with llm(server) as model:
            loaded = await aload_model(model, context_length=16384, unload_others=True)
            assert (loaded.instance_id, loaded.context_length, loaded.unloaded) == (
                GPT_OSS,
                16384,
                (GEMMA,),
            )
            assert await aloaded_context_length(model) == 16384
            assert await aloaded_context_length(model, GEMMA) is None
            await aload_model(model, DEEPSEEK)
            assert await aunload_others(model) == [DEEPSEEK]
            assert await aunload_model(model) == GPT_OSS
            with pytest.raises(mp.ModelNotFoundError):
                await aunload_model(model)
        async with LMStudio(server.url, model=NOMIC) as admin:
            assert (await admin.aload_model()).instance_id == NOMIC
            assert [m.id for m in await admin.amodels() if m.loaded] == [NOMIC]
            assert await admin.aunload_all() == [NOMIC]

    asyncio.run(main())
    assert state.loaded() == {}


def test_async_load_never_blocks_the_event_loop(
    server: ScriptedServer, state: LMStudioState
) -> None:
    """A 0.6 s load leaves the loop free: a ticker keeps running, and two loads overlap."""
    state.load_delay = 0.6

    async def main() -> tuple[int, float]:
        ticks = 0
        done = asyncio.Event()

        async def ticker() -> None:
            nonlocal ticks
            while not done.is_set():
                ticks += 1
                await asyncio.sleep(0.01)

        async with LMStudio(server.url) as admin:
            tick = asyncio.create_task(ticker())
            started = time.monotonic()
            await asyncio.gather(
                admin.aload_model(GPT_OSS, if_loaded="add"),
                admin.aload_model(DEEPSEEK, if_loaded="add"),
            )
            elapsed = time.monotonic() - started
            done.set()
            await tick
        return ticks, elapsed

    ticks, elapsed = asyncio.run(main())
    assert ticks >= 15  # ~60 expected; a blocked loop would give 1
    assert elapsed < 1.1  # the two 0.6 s loads ran at the same time (one after the other: 1.2)
    assert state.loaded()[GPT_OSS] == [GPT_OSS] and state.loaded()[DEEPSEEK] == [DEEPSEEK]


# -- errors ----------------------------------------------------------------------------------


def test_model_not_found(server: ScriptedServer, state: LMStudioState) -> None:
    # Straight to the server ("add" lists nothing): its 404 is a ModelNotFoundError.
    with pytest.raises(mp.ModelNotFoundError) as info:
        load_model(server.url, "no/such-model", if_loaded="add")
    err = info.value
    assert (err.status, err.code, err.provider, err.model) == (
        404,
        "model_not_found",
        "lmstudio",
        "no/such-model",
    )
    assert "POST /api/v1/models/load" in err.message and "not found" in err.message
    # Unloading everything else for a model that is not there would lose them for nothing.
    n = len(server.requests)
    with pytest.raises(mp.ModelNotFoundError, match="nothing was unloaded"):
        load_model(server.url, "no/such-model", unload_others=True)
    assert calls(server)[n:] == [("GET", LIST)]
    assert state.loaded() == {GEMMA: [GEMMA]}


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"context_length": 0}, "context_length must be a positive int"),
        ({"context_length": -4096}, "context_length must be a positive int"),
        ({"context_length": True}, "context_length must be a positive int"),
        ({"context_length": "8k"}, "context_length must be a positive int"),
        ({"context_length": 4096.0}, "context_length must be a positive int"),
        ({"eval_batch_size": 0}, "eval_batch_size must be a positive int"),
        ({"num_experts": 1.5}, "num_experts must be a positive int"),
        ({"flash_attention": "yes"}, "flash_attention must be a bool"),
        ({"offload_kv_cache_to_gpu": 1}, "offload_kv_cache_to_gpu must be a bool"),
        ({"config": {"ctx": 4096}}, r"unknown load option\(s\) \['ctx'\]"),
        ({"config": {"context_length": 0}}, "context_length must be a positive int"),
        ({"config": [("context_length", 1)]}, "config must be a mapping"),
        ({"extra_body": "x"}, "extra_body must be a mapping"),
        ({"context_lenght": 4096}, r"unknown load_model argument\(s\) \['context_lenght'\]"),
        ({"if_loaded": "replace"}, "if_loaded must be one of"),
        ({"unload_others": "yes"}, "unload_others must be a bool"),
    ],
)
def test_bad_options_fail_before_any_request(
    server: ScriptedServer, kwargs: dict[str, Any], match: str
) -> None:
    with llm(server) as model, pytest.raises(mp.ConfigurationError, match=match):
        load_model(model, **kwargs)

    async def main() -> None:
        with pytest.raises(mp.ConfigurationError, match=match):
            await aload_model(server.url, GPT_OSS, **kwargs)

    asyncio.run(main())
    assert server.requests == []


def test_bad_arguments_fail_before_any_request(server: ScriptedServer) -> None:
    with pytest.raises(mp.ConfigurationError, match="base_url must be an http"):
        LMStudio("localhost:1234")
    with pytest.raises(mp.ConfigurationError, match="timeout must be positive"):
        LMStudio(server.url, timeout=-1)
    with pytest.raises(mp.ConfigurationError, match="model must be a non-empty string"):
        load_model(server.url, "")
    with pytest.raises(mp.ConfigurationError, match="name the model"):
        load_model(server.url)  # a base URL has no default model
    with pytest.raises(mp.ConfigurationError, match="name the model"):
        LMStudio(server.url).unload_others()
    with pytest.raises(mp.ConfigurationError, match="keep must be a non-empty string"):
        unload_others(server.url, [GEMMA, 3])  # type: ignore[list-item]
    with pytest.raises(mp.ConfigurationError, match=r"expected a modelport\.LLM"):
        load_model(1234, GEMMA)  # type: ignore[arg-type]
    assert server.requests == []


def test_context_length_above_the_models_maximum(server: ScriptedServer) -> None:
    with pytest.raises(mp.ConfigurationError, match="max_context_length 131072"):
        load_model(server.url, GPT_OSS, context_length=262144)
    assert calls(server) == [("GET", LIST)]  # the list says so; nothing was loaded


def test_an_unchecked_extra_option_reaches_the_server(server: ScriptedServer) -> None:
    """``extra_body`` is the unchecked way out; LM Studio's closed schema answers 400."""
    with pytest.raises(mp.BadRequestError, match="Unrecognized key") as info:
        load_model(server.url, GPT_OSS, extra_body={"ttl": 60}, if_loaded="add")
    assert info.value.status == 400 and not isinstance(info.value, mp.ModelNotFoundError)
    assert server.requests[-1].json()["ttl"] == 60


def test_authentication(state: LMStudioState, monkeypatch: pytest.MonkeyPatch) -> None:
    key = "sk-lm-0123456789abcdef0123"
    with lmstudio_server(state) as server:
        with llm(server, GEMMA, api_key=key) as model:
            assert unload_model(model) == GEMMA
        assert server.requests[-1].headers["authorization"] == f"Bearer {key}"
        monkeypatch.setenv("LM_API_TOKEN", "env-token")
        assert loaded_context_length(server.url, GEMMA) is None
        assert server.requests[-1].headers["authorization"] == "Bearer env-token"
    with ScriptedServer() as server:
        denied = {"error": {"message": f"Invalid token {key}", "type": "unauthorized"}}
        server.route("GET", LIST, Reply.json(denied, status=401))
        with pytest.raises(mp.AuthenticationError) as info:
            LMStudio(server.url, api_key=key).loaded_context_length(GEMMA)
    assert key not in str(info.value) and key not in (info.value.provider_message or "")
    assert info.value.provider == "lmstudio"


def test_transport_failures_are_typed(state: LMStudioState) -> None:
    with pytest.raises(mp.ProviderConnectionError) as info:
        load_model(f"http://127.0.0.1:{free_port()}", GEMMA)
    assert info.value.provider == "lmstudio"
    with ScriptedServer() as server:
        server.route("GET", LIST, Reply.raw(200, b"<html>not json</html>"))
        with pytest.raises(mp.ProviderProtocolError, match="not JSON"):
            load_model(server.url, GEMMA)
        server.route("GET", LIST, Reply.json({"data": []}))
        with pytest.raises(mp.ProviderProtocolError, match="no models array"):
            load_model(server.url, GEMMA)
        server.route("POST", LOAD, Reply.json({"status": "loaded"}))
        with pytest.raises(mp.ProviderProtocolError, match="no instance_id"):
            load_model(server.url, GEMMA, if_loaded="add")


def test_timeouts(state: LMStudioState) -> None:
    state.load_delay = 0.5
    with lmstudio_server(state) as server:
        with LMStudio(server.url, timeout=0.2) as admin:
            with pytest.raises(mp.LLMTimeoutError):
                admin.load_model(DEEPSEEK, if_loaded="add")

            async def main() -> None:
                with pytest.raises(mp.LLMTimeoutError) as info:
                    await admin.aload_model(DEEPSEEK, if_loaded="add")
                assert info.value.provider == "lmstudio"

            asyncio.run(main())
        # The total bounds the whole operation, list and load together.
        total = mp.Timeouts(connect=1.0, read=5.0, total=0.3)
        with LMStudio(server.url, timeout=total) as admin:
            started = time.monotonic()
            with pytest.raises(mp.LLMTimeoutError):
                asyncio.run(admin.aload_model(DEEPSEEK))
            assert time.monotonic() - started < 2.0  # raising at all shows the cut (read: 5 s)
            with pytest.raises(mp.LLMTimeoutError):
                admin.load_model(GPT_OSS)


def test_from_any_llm_pointed_at_lm_studio(server: ScriptedServer) -> None:
    """An openai-chat LLM aimed at LM Studio's /v1 works too; one without a base URL cannot."""
    with mp.LLM("openai-chat:" + GEMMA, base_url=server.base_url, api_key="k") as model:
        admin = LMStudio.from_llm(model)
        assert (admin.root_url, admin.model) == (server.url, GEMMA)
        assert admin.loaded_context_length() == 4096
        admin.close()
    assert server.requests[-1].headers["authorization"] == "Bearer k"
    with mp.LLM("openai-chat:gpt-4o-mini", api_key="k") as model:
        with pytest.raises(mp.ConfigurationError, match="no base_url"):
            LMStudio.from_llm(model)
