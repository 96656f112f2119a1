"""A first call pays only for what it uses: what a fresh interpreter has imported after
``import modelport``, ``LLM(...)`` and one plain sync request (issue 12, item 5).

The dev environment has every plugin installed, so their hooks run on this first call: the
DynamoDB cache registers nothing without a table, OpenTelemetry has no SDK, Redis limits are
not configured, and none of them may import its backend. Timing is left to
``bench/bench_cold.py``; this freezes the module list, which a loaded machine cannot break.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from modelport.testing import Reply, ScriptedServer, chat_completion

# Backends and optional speedups that a plain non-streamed call uses none of.
THIRD_PARTY = (
    "aiohttp",
    "asyncio",  # a sync call runs no event loop
    "boto3",
    "botocore",
    "decimal",  # a cost is priced only when read (and msgspec, not used here, imports it)
    "genai_prices",
    "msgspec",  # streams only
    "openai",
    "opentelemetry",
    "PIL",
    "pydantic",  # only tools, structured output and schemas use it (the boundary types are records)
    "pydantic_core",
    "redis",
)
# The core's modules for what this call does not do: tools, the CLI, scaffolding, fetching
# model profiles, async bridging, the test servers.
CORE = (
    "modelport._bgloop",
    "modelport._fn",
    "modelport._http._sse",  # a whole answer has no stream to decode
    "modelport._limits._backend",  # no limits were given
    "modelport._new_plugin",
    "modelport._profiles._fetch",
    "modelport._tools._exec",
    "modelport._tools._loop",
    "modelport._tools._schema",
    "modelport._thinking._config",  # an answer without a tag's first character is not parsed
    "modelport._thinking._parser",
    "modelport.cli",
    "modelport.testing",
)

FIRST_CALL = """
import json, sys
import modelport as mp
with mp.LLM("openai-chat:m", base_url=sys.argv[1], api_key="sk-test") as llm:
    assert llm.complete("hi").text == "ok"
print(json.dumps(sorted(sys.modules)))
"""
FIRST_STREAM = """
import json, sys
import modelport as mp
with mp.LLM("openai-chat:m", base_url=sys.argv[1], api_key="sk-test", cache="never") as llm:
    assert "".join(e.content for e in llm.stream("hi") if e.type == "answer") == "ok"
print(json.dumps(sorted(sys.modules)))
"""


def stream_reply() -> Reply:
    def chunk(delta: dict[str, str], finish: str | None = None) -> str:
        choice = {"index": 0, "delta": delta, "finish_reason": finish}
        return "data: " + json.dumps({"id": "c1", "model": "m", "choices": [choice]}) + "\n\n"

    return Reply.sse(
        [
            chunk({"role": "assistant", "content": "o"}),
            chunk({"content": "k"}, "stop"),
            "data: [DONE]\n\n",
        ]
    )


def imported_by_first_call(base_url: str, cache_dir: Path, code: str = FIRST_CALL) -> set[str]:
    # The child sees no configuration of ours: no table, no Redis, no OTel provider by name.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MODELPORT_", "OTEL_"))}
    env["MODELPORT_CACHE_DIR"] = str(cache_dir)
    out = subprocess.run(
        [sys.executable, "-c", code, base_url],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


def loaded(modules: set[str], name: str) -> bool:
    return name in modules or any(m.startswith(name + ".") for m in modules)


@pytest.fixture(scope="module")
def first_call(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    with ScriptedServer() as server:
        server.add(chat_completion())
        return imported_by_first_call(server.base_url, tmp_path_factory.mktemp("cache"))


def test_the_first_call_imports_no_unused_backend(first_call: set[str]) -> None:
    assert "modelport_openai_chat" in first_call  # the probe did run a call through the plugin
    assert [name for name in THIRD_PARTY if loaded(first_call, name)] == []


def test_the_first_call_imports_no_core_module_it_does_not_use(first_call: set[str]) -> None:
    assert "modelport._engine._call" in first_call
    assert [name for name in CORE if loaded(first_call, name)] == []


@pytest.mark.parametrize(
    ("package", "loaded_by_hook"),
    [
        ("modelport_dynamodb_cache", ["modelport_dynamodb_cache.plugin"]),
        (
            "modelport_otel",
            ["modelport_otel._active", "modelport_otel._settings", "modelport_otel.plugin"],
        ),
        ("modelport_redis", ["modelport_redis.plugin"]),
    ],
)
def test_installed_plugins_stay_unloaded_until_configured(
    first_call: set[str], package: str, loaded_by_hook: list[str]
) -> None:
    """Their entry points are imported (their hooks run), not what they would use."""
    if importlib.util.find_spec(package) is None:
        pytest.skip(f"{package} is not installed")
    assert sorted(m for m in first_call if m.startswith(package + ".")) == loaded_by_hook


def test_a_sync_stream_runs_without_asyncio(tmp_path: Path) -> None:
    with ScriptedServer() as server:
        server.add(stream_reply())
        modules = imported_by_first_call(server.base_url, tmp_path, FIRST_STREAM)
    assert "modelport._http._sse_stream" in modules
    assert not loaded(modules, "asyncio")


FIRST_AIOHTTP_CALL = """
import asyncio, json, sys
import modelport as mp

async def main():
    async with mp.LLM("openai-chat:m", base_url=sys.argv[1], api_key="sk-test",
                      transport="aiohttp") as llm:
        assert (await llm.acomplete("hi")).text == "ok"

asyncio.run(main())
print(json.dumps(sorted(sys.modules)))
"""


def test_finding_the_plugins_imports_no_importlib_metadata(tmp_path: Path) -> None:
    """The entry points are read from the distributions' files: a program that sends with
    aiohttp never loads ``importlib.metadata`` (httpx2 imports it itself, aiohttp does not)."""
    if importlib.util.find_spec("modelport_aiohttp") is None:
        pytest.skip("modelport-aiohttp is not installed")
    with ScriptedServer() as server:
        server.add(chat_completion())
        modules = imported_by_first_call(server.base_url, tmp_path, FIRST_AIOHTTP_CALL)
    assert "modelport_aiohttp" in modules and "modelport_openai_chat" in modules
    assert not loaded(modules, "importlib.metadata")
    assert not loaded(modules, "httpx2")
