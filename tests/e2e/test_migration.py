"""The migration guides' examples run as written, against real local servers.

Every file in examples/migration/ is run here as a subprocess: against the real llama.cpp
server (scripts/llama_peer.py, through the session fixtures of tests/conftest.py), or against
a scripted server on 127.0.0.1 where the tiny model cannot serve (images, LM Studio's REST
API). Its printed lines are checked. And every ``python`` code block of docs/migration/*.md is
an excerpt of those files (unless it is marked as seed code or as not runnable offline), so
the guides cannot drift from code that runs.
"""

from __future__ import annotations

import base64
import importlib.util
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from llama_peer import LlamaServer
from modelport.testing import Reply, ScriptedServer

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "migration"
GUIDES = ROOT / "docs" / "migration"


def run_example(name: str, *args: str, env: dict[str, str] | None = None) -> list[str]:
    out = subprocess.run(
        [sys.executable, str(EXAMPLES / f"{name}.py"), *args],
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, **(env or {})},
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return out.stdout.splitlines()


def line(lines: list[str], prefix: str) -> str:
    found = [x for x in lines if x.startswith(prefix)]
    assert found, f"no line starting with {prefix!r} in {lines}"
    return found[0]


# -- SimpleLLMFunc ------------------------------------------------------------------------------


@pytest.mark.peers
def test_simplellmfunc_provider_config(llama_plain: LlamaServer) -> None:
    lines = run_example("simplellmfunc_provider_config", "--base-url", llama_plain.base_url)
    assert lines == [
        "alias: openai-chat:tiny",
        "default model: tiny",
        "batch: 3 Hello from tiny model.",
    ]


@pytest.mark.peers
def test_simplellmfunc_decorators(llama_plain: LlamaServer) -> None:
    lines = run_example("simplellmfunc_decorators", "--base-url", llama_plain.base_url)
    assert line(lines, "llm_function pydantic:") == "llm_function pydantic: ProductReview int"
    assert line(lines, "llm_function dict:") == "llm_function dict: dict"
    assert line(lines, "llm_chat stream:") == "llm_chat stream: Hello from tiny model."
    roles = "history roles: ['user', 'assistant', 'tool', 'assistant']"
    assert line(lines, "history roles:") == roles
    assert line(lines, "llm_chat whole:") == (
        "llm_chat whole: Hello from tiny model. ['user', 'assistant']"
    )
    events = [x for x in lines if x.startswith("event:")]
    assert events == [
        "event: model_call_end 1",
        "event: tool_call_start get_weather",
        "event: tool_call_end get_weather True",
        "event: model_call_end 2",
        "event: loop_end 2 1 True",
    ]


@pytest.mark.peers
def test_simplellmfunc_abort(llama_plain: LlamaServer) -> None:
    lines = run_example("simplellmfunc_abort", "--base-url", llama_plain.base_url)
    assert lines == [
        "tool: slow_search cancelled: user_interrupt",
        "loop_end: aborted True reason user_interrupt",
        "history roles: ['user', 'assistant', 'tool']",
        "tool message: Error: cancelled: user_interrupt",
        "stopped within 10 s: True",
    ]


def _tool_call_body(name: str, arguments: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "model": "vision",
        "choices": [
            {
                "index": 0,
                "finish_reason": "tool_calls",
                "message": {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "id": "call_1",
                            "type": "function",
                            "function": {"name": name, "arguments": arguments},
                        }
                    ],
                },
            }
        ],
        "usage": {"prompt_tokens": 5, "completion_tokens": 5, "total_tokens": 10},
    }


def _text_body(text: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-2",
        "object": "chat.completion",
        "model": "vision",
        "choices": [
            {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": text}}
        ],
        "usage": {"prompt_tokens": 9, "completion_tokens": 3, "total_tokens": 12},
    }


def test_simplellmfunc_tool_images() -> None:
    with ScriptedServer() as server:
        server.add(
            Reply.json(_tool_call_body("generate_chart", '{"data": "1,2,3"}')),
            Reply.json(_text_body("A bar chart.")),
            Reply.json(_text_body("White.")),
        )
        lines = run_example("simplellmfunc_tool_images", "--base-url", server.base_url)
        first, second, third = (r.json() for r in server.requests)
    assert lines == [
        "answer: A bar chart.",
        "history roles: ['user', 'assistant', 'tool', 'assistant']",
        "tool result parts: ['text', 'image_url']",
        "llm_function image: White.",
    ]
    (asked,) = third["messages"]
    assert [p["type"] for p in asked["content"]] == ["text", "text", "image_url"]
    assert asked["content"][0]["text"] == (
        "Analyze the image as asked: describe the colors. The image: [image: local_image]"
    )
    assert asked["content"][1]["text"] == "[image: local_image]"
    assert asked["content"][2]["image_url"]["url"].startswith("data:image/png;base64,")
    assert "tools" in first
    sent = second["messages"]
    assert [m["role"] for m in sent] == ["system", "user", "assistant", "tool", "user"]
    assert sent[3]["tool_call_id"] == "call_1"
    assert isinstance(sent[3]["content"], str) and "Chart of 1,2,3" in sent[3]["content"]
    image = sent[4]["content"][-1]
    assert image["type"] == "image_url"
    url = image["image_url"]["url"]
    assert url.startswith("data:image/png;base64,")
    assert base64.b64decode(url.split(",", 1)[1]).startswith(b"\x89PNG\r\n\x1a\n")


# -- better-llm-sdk -----------------------------------------------------------------------------


@pytest.mark.peers
def test_llm_sdk_basics(llama_plain: LlamaServer) -> None:
    lines = run_example("llm_sdk_basics", "--base-url", llama_plain.base_url)
    assert lines == [
        "response: Hello from tiny model.",
        "final: True",
        "verbose has tokens: True",
        "tokens/s known: True",
        "structured: PersonInfo int",
        "max_tokens=3: length",
        "ConfigurationError: ConfigurationError",
        "batch: 3 Hello from tiny model.",
    ]


@pytest.mark.peers
def test_llm_sdk_tools(llama_plain: LlamaServer) -> None:
    lines = run_example("llm_sdk_tools", "--base-url", llama_plain.base_url)
    assert line(lines, "tool_results:") == "tool_results: [('get_weather', 'sunny')]"
    assert line(lines, "dict schema:") == "dict schema: ['search_internet'] tool_calls"
    assert line(lines, "tool_exec=False:") == "tool_exec=False: ['get_weather'] []"
    assert line(lines, "review_request:").startswith("review_request: delete_file {'path': ")
    assert line(lines, "approved result:").startswith("approved result: Deleted ")
    assert line(lines, "non-streamed review:") == "non-streamed review: True"
    streamed = [x for x in lines if x.startswith("tool_stream depth=1: Record ")]
    assert len(streamed) == 3
    assert line(lines, "generator result:") == "generator result: {'total': 3}"
    assert line(lines, "async generator result:") == "async generator result: Done"
    assert line(lines, "nested review:") == "nested review: rm 1"
    assert line(lines, "nested result:") == "nested result: True"


@pytest.mark.peers
def test_llm_sdk_thinking(llama_think: LlamaServer) -> None:
    lines = run_example("llm_sdk_thinking", "--base-url", llama_think.base_url)
    assert lines == [
        "reasoning: Thinking quietly | answer: Hello from tiny model.",
        "inline tags: Thinking quietly | answer: Hello from tiny model.",
        "stream: Thinking quietly | Hello from tiny model.",
        "hidden: None | answer: Hello from tiny model.",
        "custom token llm: Hello from tiny model.",
    ]


def test_llm_sdk_images() -> None:
    with ScriptedServer() as server:
        server.add(
            Reply.json(_text_body("Two pictures.")),
            Reply.json(_text_body("Three.")),
            Reply.json(_text_body("One.")),
        )
        lines = run_example("llm_sdk_images", "--base-url", server.base_url)
        bodies = [r.json() for r in server.requests]
    assert lines == ["answer: Two pictures.", "newer forms: Three.", "image_url answer: One."]
    newer = [p["image_url"]["url"] for p in bodies[1]["messages"][0]["content"]]
    assert [u.split(";")[0] for u in newer[:2]] == ["data:image/jpeg", "data:image/png"]
    assert newer[2] == "https://example.com/image.jpg"
    parts = bodies[0]["messages"][0]["content"]
    assert [p["type"] for p in parts] == [
        "text",
        "image_url",
        "image_url",
        "image_url",
        "image_url",
    ]
    urls = [p["image_url"]["url"] for p in parts[1:]]
    media = [u.split(";")[0] for u in urls[:3]]
    # image_path (a JPEG named .png: sniffed), image_pil (PNG), image_base64 (PNG)
    assert media == ["data:image/jpeg", "data:image/png", "data:image/png"]
    assert urls[3] == "https://example.com/image.jpg"
    assert parts[1]["image_url"]["detail"] == "low"
    assert bodies[2]["messages"][0]["content"][1]["image_url"]["url"].startswith(
        "data:image/png;base64,"
    )


def _lmstudio_helpers() -> ModuleType:
    """The scripted LM Studio server of tests/plugins/lmstudio_provider, loaded by path (it is
    not a package on sys.path from here)."""
    path = ROOT / "tests" / "plugins" / "lmstudio_provider" / "_lmstudio.py"
    spec = importlib.util.spec_from_file_location("_migration_lmstudio", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def lmstudio() -> Iterator[tuple[ScriptedServer, Any]]:
    helpers = _lmstudio_helpers()
    if not helpers.CORPUS.is_dir():
        pytest.skip(f"LM Studio conformance files not found at {helpers.CORPUS}")
    state = helpers.LMStudioState()
    with helpers.lmstudio_server(state) as server:
        yield server, state


def test_llm_sdk_lmstudio(lmstudio: tuple[ScriptedServer, Any]) -> None:
    server, state = lmstudio
    lines = run_example("llm_sdk_lmstudio", "--base-url", server.base_url)
    assert lines == [
        "context length before: None",
        "loaded: deepseek-r1 unloaded first: ['google/gemma-4-26b-a4b']",
        "context length after: 8192",
        "async unload_others: []",
        "count_tokens: True estimated: True",
        "answered: True",
    ]
    assert state.loaded() == {"deepseek-r1": ["deepseek-r1"]}
    loads = [r for r in server.requests if r.path == "/api/v1/models/load"]
    assert [json.loads(r.body)["context_length"] for r in loads] == [8192]


# -- SmartLLM -----------------------------------------------------------------------------------


@pytest.mark.peers
def test_smartllm_client(llama_plain: LlamaServer) -> None:
    lines = run_example("smartllm_client", "--base-url", llama_plain.base_url)
    assert lines == [
        "responses api: Hello from tiny model.",
        "chat completions: Hello from tiny model.",
        "multi-turn: Hello from tiny model.",
        "stream: Hello from tiny model.",
        "structured: Person",
        "usage: True 0",
        "concurrent: 3",
        "models: ['tiny']",
    ]


@pytest.mark.peers
def test_smartllm_cache_progress(llama_plain: LlamaServer, tmp_path: Path) -> None:
    env = {"MODELPORT_CACHE_DIR": str(tmp_path / "cache")}
    lines = run_example("smartllm_cache_progress", "--base-url", llama_plain.base_url, env=env)
    assert lines == [
        "progress: started",
        "progress: done",
        "first: miss",
        "progress: cache_hit",
        "second: l1",
        "never: miss",
        "sampling cacheable: False",
    ]


def test_smartllm_capabilities() -> None:
    lines = run_example("smartllm_capabilities")  # no server: the profile is the plugin's data
    assert lines == [
        "anthropic.claude-3-5-sonnet-20240620-v1:0: thinking=none "
        "temperature=True top_p/top_k=True max_output=8192",
        "us.anthropic.claude-sonnet-4-5-20250929-v1:0: thinking=manual_budget "
        "temperature=True top_p/top_k=True max_output=64000",
        "anthropic.claude-opus-4-6-v1: thinking=adaptive_effort "
        "temperature=True top_p/top_k=True max_output=128000",
        "eu.anthropic.claude-opus-4-7: thinking=adaptive_effort "
        "temperature=False top_p/top_k=False max_output=128000",
    ]


# -- the guides ---------------------------------------------------------------------------------


def test_every_example_is_run_here() -> None:
    source = Path(__file__).read_text()
    for example in sorted(EXAMPLES.glob("*.py")):
        assert f'run_example("{example.stem}"' in source, f"{example.name} is not run by a test"


def test_every_example_is_in_a_guide_and_every_link_exists() -> None:
    text = "\n".join(p.read_text() for p in sorted(GUIDES.glob("*.md")))
    for example in sorted(EXAMPLES.glob("*.py")):
        assert f"examples/migration/{example.name}" in text, f"no guide links {example.name}"
    for name in re.findall(r"examples/migration/([\w.]+\.py)", text):
        assert (EXAMPLES / name).is_file(), f"a guide links a missing example: {name}"


_FENCE = re.compile(
    r"(?P<marker><!-- *(?P<kind>seed|not run)[^>]*-->\s*\n)?```python\n(?P<body>.*?)```", re.S
)


def _python_blocks() -> Iterator[tuple[str, str | None, str]]:
    for guide in sorted(GUIDES.glob("*.md")):
        for match in _FENCE.finditer(guide.read_text()):
            yield guide.name, match.group("kind"), match.group("body")


def test_the_guides_have_code_blocks() -> None:
    kinds = [kind for _, kind, _ in _python_blocks()]
    assert kinds.count(None) >= 10  # runnable excerpts
    assert kinds.count("seed") >= 10  # the seed's side


def test_every_runnable_code_block_is_an_excerpt_of_an_example() -> None:
    """A guide's modelport code is copied from a tested example: every line of it (blank lines
    and comments aside) is a line of some file in examples/migration/."""
    lines: set[str] = set()
    for example in EXAMPLES.glob("*.py"):
        lines.update(x.strip() for x in example.read_text().splitlines())
    for guide, kind, body in _python_blocks():
        if kind is not None:
            continue
        for code in body.splitlines():
            code = code.strip()
            if not code or code.startswith("#") or code == "...":
                continue
            assert code in lines, f"{guide}: {code!r} is in no example of examples/migration/"
