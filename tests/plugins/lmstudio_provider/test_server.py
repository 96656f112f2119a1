"""The plugin end to end: ``mp.LLM("lmstudio:...")`` against a scripted LM Studio server.

The server (``_lmstudio.lmstudio_server``) answers /api/v0/models, /api/v1/models and /v1/models
with the recorded lists, /api/v0/chat/completions with the real native recording and
/v1/chat/completions with the same body minus LM Studio's extras. Streams are synthesized (no
LM Studio stream was ever recorded; see ``_lmstudio.synth_stream``). Real sockets on 127.0.0.1,
the core's real transport.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator

import modelport as mp
import pytest
from modelport.testing import Reply, ScriptedServer
from modelport_lmstudio import LMStudioProvider

from ._lmstudio import ANSWER, REASONING, corpus_json, lmstudio_server, requires_corpus
from .test_errors import NOT_LOADED, NOT_LOADED_404

pytestmark = requires_corpus

REAL = "real-api-v0-chat-completions.json"


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    with lmstudio_server() as s:
        yield s


def llm(server: ScriptedServer, model: str = "phi-4-mini-instruct", **kw: object) -> mp.LLM:
    return mp.LLM(f"lmstudio:{model}", base_url=server.base_url, cache="never", **kw)  # type: ignore[arg-type]


def test_complete(server: ScriptedServer) -> None:
    with llm(server, max_tokens=200, temperature=0) as model:
        r = model.complete("Introduce yourself in rhyme.")
    expected = corpus_json(REAL)["choices"][0]["message"]["content"]
    assert r.text == expected and r.provider == "lmstudio" and r.model == "phi-4-mini-instruct"
    assert r.stop_reason == "stop" and (r.usage.input_tokens, r.usage.output_tokens) == (14, 89)
    assert "stats" not in r.provider_metadata  # /v1 sends none
    (req,) = server.requests
    assert (req.method, req.path) == ("POST", "/v1/chat/completions")
    assert req.json() == {
        "model": "phi-4-mini-instruct",
        "messages": [{"role": "user", "content": "Introduce yourself in rhyme."}],
        "temperature": 0,
        "max_tokens": 200,
    }
    assert "authorization" not in req.headers


def test_native_api_stats(server: ScriptedServer) -> None:
    with llm(server, options={"api": "native"}) as model:
        r = model.complete("Introduce yourself in rhyme.")
    assert server.requests[0].path == "/api/v0/chat/completions"
    data = corpus_json(REAL)
    assert r.text == data["choices"][0]["message"]["content"]
    assert r.provider_metadata["stats"] == data["stats"]
    assert r.provider_metadata["model_info"]["arch"] == "phi3"
    assert r.provider_metadata["runtime"]["version"] == "1.51.0"
    assert r.time_to_first_token_s == 0.073
    assert r.stop_reason == "stop" and r.usage.total_tokens == 103
    assert r.tokens_per_second == data["stats"]["tokens_per_second"]  # the server's measure


def test_stream(server: ScriptedServer) -> None:
    with llm(server, "qwen/qwen3-8b") as model:
        events = list(model.stream("hi"))
    assert "".join(e.content for e in events if e.type == "reasoning") == "".join(REASONING)
    assert "".join(e.content for e in events if e.type == "answer") == "".join(ANSWER)
    r = next(e.content for e in events if e.type == "final")
    assert isinstance(r, mp.Response)
    assert r.text == "".join(ANSWER) and r.reasoning == "".join(REASONING)
    assert r.stop_reason == "stop" and (r.usage.input_tokens, r.usage.output_tokens) == (12, 9)
    assert r.provider == "lmstudio"
    body = server.requests[0].json()
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}


def test_native_stream_stats(server: ScriptedServer) -> None:
    with llm(server, "qwen/qwen3-8b", options={"api": "native"}) as model:
        events = list(model.stream("hi"))
    assert server.requests[0].path == "/api/v0/chat/completions"
    r = next(e.content for e in events if e.type == "final")
    assert isinstance(r, mp.Response)
    assert r.provider_metadata["stats"] == corpus_json(REAL)["stats"]
    assert r.stop_reason == "stop" and r.text == "".join(ANSWER)


def test_async(server: ScriptedServer) -> None:
    async def main() -> tuple[str, str]:
        async with llm(server) as model:
            r = await model.acomplete("hi")
            answer = "".join([e.content async for e in model.astream("hi") if e.type == "answer"])
            return r.text, answer

    text, answer = asyncio.run(main())
    assert text.startswith("Greetings, I'm a digital sprite") and answer == "".join(ANSWER)


def test_models(server: ScriptedServer) -> None:
    with llm(server) as model:
        ids = model.models()
    assert ids == [m["id"] for m in corpus_json("real-api-v0-models.json")["data"]]
    assert server.requests[-1].path == "/api/v0/models"
    with llm(server, options={"models_api": "v1"}) as model:
        assert model.models() == [
            "google/gemma-4-26b-a4b",
            "deepseek-r1",
            "text-embedding-nomic-embed-text-v1.5-embedding",
        ]
    assert server.requests[-1].path == "/api/v1/models"
    with llm(server, options={"models_api": "openai"}) as model:
        assert model.models() == ids  # the same seven models, ids only
    assert server.requests[-1].path == "/v1/models"


def test_model_info_through_the_wire(server: ScriptedServer) -> None:
    """``models_request()`` + ``parse_model_info`` is what a caller needs for metadata."""
    import urllib.request

    with llm(server) as model:
        provider = model.provider
        assert isinstance(provider, LMStudioProvider)
        wire = provider.models_request()
        assert wire is not None
        with urllib.request.urlopen(wire.url) as resp:
            infos = provider.parse_model_info(resp.read())
    assert [m.id for m in infos if "tool_use" in m.capabilities] == [
        "qwen3-4b-instruct-2507",
        "qwen/qwen3-14b",
        "qwen/qwen3-8b",
    ]


def test_api_key_is_sent_as_bearer(server: ScriptedServer) -> None:
    with llm(server, api_key="lms-secret-token") as model:
        model.complete("hi")
        model.models()
    assert all(r.headers["authorization"] == "Bearer lms-secret-token" for r in server.requests)


def test_api_key_from_environment(server: ScriptedServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LM_API_TOKEN", "env-token")
    with llm(server) as model:
        model.complete("hi")
    assert server.requests[0].headers["authorization"] == "Bearer env-token"


def test_no_models_loaded_is_model_not_found_and_not_retried() -> None:
    with ScriptedServer() as server:
        server.route("POST", "/v1/chat/completions", Reply.status(404, NOT_LOADED_404))
        with llm(server, retry=2) as model, pytest.raises(mp.ModelNotFoundError) as info:
            model.complete("hi")
        assert len(server.requests) == 1
    err = info.value
    assert err.provider == "lmstudio" and err.status == 404
    assert err.provider_message == NOT_LOADED


def test_bare_string_400_is_model_not_found_in_a_stream() -> None:
    with ScriptedServer() as server:
        server.route(
            "POST",
            "/v1/chat/completions",
            Reply.status(400, {"error": "No models loaded. Please load a model."}),
        )
        with llm(server) as model, pytest.raises(mp.ModelNotFoundError) as info:
            list(model.stream("hi"))
    assert info.value.provider == "lmstudio" and info.value.status == 400


def test_server_error_is_retried() -> None:
    with ScriptedServer() as server:
        server.add(Reply.status(503, {"error": "Model is loading"}, headers={"retry-after": "0"}))
        server.add(Reply.json(corpus_json(REAL)))
        with llm(server) as model:
            r = model.complete("hi")
    assert r.attempts == 2 and r.text.startswith("Greetings")


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "LM_API_TOKEN"}
    return subprocess.run(
        [sys.executable, "-m", "modelport", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def test_cli_models(server: ScriptedServer) -> None:
    out = run_cli("models", "-m", "lmstudio", "--base-url", server.base_url)
    assert out.returncode == 0, out.stderr
    models = corpus_json("real-api-v0-models.json")["data"]
    header, *rows = out.stdout.splitlines()
    assert header.split()[:2] == ["MODEL", "CONTEXT"]  # then each model's profile
    assert [row.split()[0] for row in rows] == [f"lmstudio:{m['id']}" for m in models]
    for model, row in zip(models, rows, strict=True):
        assert row.split()[1] == str(model["max_context_length"])
    assert server.requests[0].path == "/api/v0/models"
    assert out.stderr == ""


def test_cli_lists_the_provider() -> None:
    out = run_cli("models")
    assert out.returncode == 0, out.stderr
    assert "lmstudio" in out.stdout


def test_cli_prompt(server: ScriptedServer) -> None:
    out = run_cli("prompt", "hi", "-m", "lmstudio:qwen/qwen3-8b", "--base-url", server.base_url)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "".join(ANSWER)
