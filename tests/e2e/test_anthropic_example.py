"""The proof that a stranger can write a provider from docs/plugins.md alone.

``examples/anthropic-messages-plugin`` is a third-party plugin package for Anthropic's Messages
API, written against the public SDK only. Here it runs end to end against the real llama.cpp
server's ``/v1/messages`` with the tiny models, and its own test suite (the shipped conformance
suite included) runs as a plugin author would run it.

How it is installed: it is not. Its ``src`` goes on ``sys.path`` and its entry-point module is
registered on a private ``PluginHost(entry_points=False)``, which costs nothing in CI and leaves
the test environment's plugin set alone; that the package's ``pyproject.toml`` declares that
same module as its ``modelport`` entry point is checked separately (``tomllib``).
"""

from __future__ import annotations

import ast
import asyncio
import importlib
import importlib.util
import os
import re
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import modelport as mp
import pytest
from llama_peer import LlamaServer
from modelport.plugins import PluginHost
from modelport.provider import check_provider_class

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "anthropic-messages-plugin"
SRC = EXAMPLE / "src"
PROVIDER_MODULE = SRC / "modelport_anthropic_messages" / "_provider.py"
HELLO = "Hello from tiny model."


def get_weather(city: str) -> str:
    """The current weather in a city."""
    return "sunny"


@pytest.fixture(scope="module")
def entry_point() -> Any:
    sys.path.insert(0, str(SRC))
    try:
        yield importlib.import_module("modelport_anthropic_messages.plugin")
    finally:
        sys.path.remove(str(SRC))


@pytest.fixture
def host(entry_point: Any) -> PluginHost:
    plugins = PluginHost(entry_points=False)
    plugins.register(entry_point, name="anthropic-messages")
    return plugins


def llm(server: LlamaServer, host: PluginHost, **kw: Any) -> mp.LLM:
    return mp.LLM(
        "anthropic-messages:tiny",
        base_url=server.base_url,
        plugins=host,
        cache="never",
        temperature=0,
        max_tokens=64,
        **kw,
    )


def final(events: Iterator[mp.StreamEvent]) -> tuple[str, str, mp.Response]:
    """(answer text, reasoning text, final response) as the caller saw them stream."""
    answer, reasoning, response = [], [], None
    for ev in events:
        if ev.type == "answer":
            answer.append(ev.content)
        elif ev.type == "reasoning":
            reasoning.append(ev.content)
        elif ev.type == "final":
            response = ev.content
    assert isinstance(response, mp.Response)
    return "".join(answer), "".join(reasoning), response


def same_answer(streamed: mp.Response, whole: mp.Response) -> None:
    assert streamed.text == whole.text
    assert streamed.reasoning == whole.reasoning
    assert streamed.stop_reason == whole.stop_reason
    assert streamed.raw_stop_reason == whole.raw_stop_reason
    assert [(c.name, c.parsed_arguments()) for c in streamed.tool_calls] == [
        (c.name, c.parsed_arguments()) for c in whole.tool_calls
    ]
    # The prompt cache moves tokens between input and cached; the totals stay.
    assert streamed.usage.input_tokens == whole.usage.input_tokens
    assert streamed.usage.output_tokens == whole.usage.output_tokens


# -- the package, statically -------------------------------------------------------------------


def test_the_package_declares_its_entry_point_and_types() -> None:
    project = tomllib.loads((EXAMPLE / "pyproject.toml").read_text())
    assert project["build-system"]["build-backend"] == "hatchling.build"
    assert project["project"]["entry-points"]["modelport"] == {
        "anthropic-messages": "modelport_anthropic_messages.plugin"
    }
    assert project["project"]["dependencies"] == ["modelport>=0.1,<0.2"]
    assert project["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"] == [
        "src/modelport_anthropic_messages"
    ]
    assert (SRC / "modelport_anthropic_messages" / "py.typed").exists()


def test_the_entry_point_registers_a_contract_class(entry_point: Any) -> None:
    registered: list[object] = []
    entry_point.register_providers(registered.append)
    assert [check_provider_class(c, "anthropic-messages").name for c in registered] == [
        "anthropic-messages"
    ]


def test_the_provider_module_is_under_150_lines() -> None:
    lines = PROVIDER_MODULE.read_text().splitlines()
    assert len(lines) < 150, len(lines)


def test_the_docs_show_the_provider_verbatim() -> None:
    docs = (ROOT / "docs" / "plugins.md").read_text()
    assert "```python\n" + PROVIDER_MODULE.read_text() + "```\n" in docs


def _private_imports(source: str) -> list[str]:
    """Absolute imports of ``modelport._*`` / ``modelport.<pkg>._*`` (relative ones are fine)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        for name in names:
            parts = name.split(".")
            if parts[0] == "modelport" and any(p.startswith("_") for p in parts[1:]):
                found.append(name)
    return found


def test_nothing_in_the_example_or_the_docs_imports_a_private_module() -> None:
    sources = {str(p): p.read_text() for p in EXAMPLE.rglob("*.py")}
    for page in (ROOT / "docs").rglob("*.md"):
        for n, block in enumerate(re.findall(r"```python\n(.*?)```", page.read_text(), re.S)):
            sources[f"{page}#{n}"] = block
    assert len(sources) > 10
    private = {where: names for where, src in sources.items() if (names := _private_imports(src))}
    assert private == {}


# -- the example's own test suite, as its author runs it ---------------------------------------


def conformance_kit() -> bool:
    try:
        from modelport.testing.conformance import Conformance, ProviderConformance  # noqa: F401
    except ImportError:
        return False
    return True


def test_the_example_suite_passes_as_its_author_runs_it() -> None:
    """``pytest`` in the plugin's folder: its offline tests and the conformance suite."""
    args = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"]
    if not conformance_kit():
        args.append("--ignore=tests/test_conformance.py")  # the kit is not in this core yet
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    out = subprocess.run(args, cwd=EXAMPLE, env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    assert " passed" in out.stdout


# -- end to end against llama.cpp's /v1/messages -------------------------------------------------


@pytest.mark.peers
def test_complete_and_stream(llama_plain: LlamaServer, host: PluginHost) -> None:
    with llm(llama_plain, host) as model:
        whole = model.complete("hi", system="You are terse.")
        answer, reasoning, streamed = final(model.stream("hi", system="You are terse."))
    assert (whole.text, whole.stop_reason, whole.raw_stop_reason) == (HELLO, "stop", "end_turn")
    assert whole.provider == "anthropic-messages" and whole.model == "tiny"
    assert whole.usage.input_tokens > 0 and whole.usage.output_tokens > 0
    assert whole.provider_metadata["response_id"]
    assert answer == HELLO and reasoning == ""
    same_answer(streamed, whole)


@pytest.mark.peers
def test_thinking_blocks_are_reasoning(llama_think: LlamaServer, host: PluginHost) -> None:
    with llm(llama_think, host) as model:
        whole = model.complete("hi")
        answer, reasoning, streamed = final(model.stream("hi"))
    assert (whole.reasoning, whole.text) == (" Thinking quietly", HELLO)
    assert (reasoning, answer) == (" Thinking quietly", HELLO)
    same_answer(streamed, whole)


@pytest.mark.peers
@pytest.mark.parametrize("server", ["llama_plain", "llama_think"])
def test_a_tool_call_round_trip(server: str, host: PluginHost, request: Any) -> None:
    """tool_use (streamed as input_json_delta) -> the tool runs -> tool_result -> the answer."""
    peer: LlamaServer = request.getfixturevalue(server)
    with llm(peer, host) as model:
        whole = model.complete("What is the weather in Paris?", tools=[get_weather])
        _, _, streamed = final(model.stream("What is the weather in Paris?", tools=[get_weather]))
    for r in (whole, streamed):
        assert r.text == HELLO and r.stop_reason == "stop"
        assert [(c.name, sorted(c.parsed_arguments())) for c in r.tool_calls] == [
            ("get_weather", ["city"])
        ]
        assert [(t.name, t.content) for t in r.tool_results] == [("get_weather", "sunny")]
        roles = [m.role for m in r.messages]
        assert roles == ["assistant", "tool", "assistant"]


@pytest.mark.peers
def test_streamed_tool_calls_equal_whole(llama_plain: LlamaServer, host: PluginHost) -> None:
    with llm(llama_plain, host) as model:
        whole = model.complete("weather?", tools=[get_weather], tool_exec=False)
        _, _, streamed = final(model.stream("weather?", tools=[get_weather], tool_exec=False))
    assert whole.stop_reason == "tool_calls" and whole.raw_stop_reason == "tool_use"
    assert whole.tool_calls[0].id and streamed.tool_calls[0].id
    same_answer(streamed, whole)


@pytest.mark.peers
def test_limits_stops_and_structured_output(llama_plain: LlamaServer, host: PluginHost) -> None:
    from pydantic import BaseModel

    class Answer(BaseModel):
        answer: str
        n: int

    with llm(llama_plain, host) as model:
        cut = model.complete("hi", max_tokens=3)
        _, _, cut_streamed = final(model.stream("hi", max_tokens=3))
        stopped = model.complete("hi", stop=["model"])
        structured = model.complete("Answer.", response_format=Answer)
    assert (cut.stop_reason, cut.raw_stop_reason) == ("length", "max_tokens")
    same_answer(cut_streamed, cut)
    assert stopped.text == "Hello from tiny " and stopped.stop_reason == "stop"
    assert isinstance(structured.structured, Answer)


@pytest.mark.peers
def test_errors_from_the_server_are_typed(llama_plain: LlamaServer, host: PluginHost) -> None:
    with llm(llama_plain, host, retry=mp.RetryPolicy(max_retries=0)) as model:
        with pytest.raises(mp.ContextWindowExceededError) as info:
            model.complete("hello " * 5000)
        with pytest.raises(mp.ContextWindowExceededError):
            list(model.stream("hello " * 5000))
    assert info.value.status == 400 and info.value.provider == "anthropic-messages"


@pytest.mark.peers
def test_async(llama_think: LlamaServer, host: PluginHost) -> None:
    async def run() -> tuple[mp.Response, list[str]]:
        async with llm(llama_think, host) as model:
            whole = await model.acomplete("hi")
            kinds: list[str] = [ev.type async for ev in model.astream("hi")]
        return whole, kinds

    whole, kinds = asyncio.run(run())
    assert whole.text == HELLO and whole.reasoning == " Thinking quietly"
    assert kinds[0] == "reasoning" and kinds[-2:] == ["final", "done"]
