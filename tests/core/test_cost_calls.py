"""Response.cost over real calls: summed over attempts, tool-loop turns and structured passes,
cache hits saved not spent, the done event, the CLI line, and a local model on llama.cpp."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import modelport as mp
import pytest
from llama_peer import LlamaServer
from modelport.testing import Fault, Reply, ScriptedServer

M = Decimal(1_000_000)
# gpt-4o-mini in genai-prices 0.2.3: $0.15 input, $0.075 cached input, $0.60 output per 1M.
MINI_CACHED = {  # chat-nonstream-cached-tokens.json: 1149 in (1024 cached), 353 out
    "input": (125 * Decimal("0.15") + 1024 * Decimal("0.075")) / M,
    "cache_read": 1024 * Decimal("0.075") / M,
    "output": 353 * Decimal("0.6") / M,
}
MINI_CACHED_TOTAL = MINI_CACHED["input"] + MINI_CACHED["output"]  # $0.00030735


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    with ScriptedServer() as s:
        yield s


@pytest.fixture
def chat(conformance: Path) -> Path:
    return conformance / "openai-chat"


def final_of(events: Iterator[mp.StreamEvent]) -> mp.Response:
    finals = [ev.content for ev in events if ev.type == "final"]
    assert len(finals) == 1
    response: mp.Response = finals[0]
    return response


def make(server: ScriptedServer, **kw: Any) -> mp.LLM:
    kw.setdefault("cache", "never")
    return mp.LLM("openai-chat:gpt-4o-mini", base_url=server.base_url, api_key="sk-test", **kw)


# -- over real HTTP ----------------------------------------------------------------------------


def test_a_whole_call_is_priced_from_its_usage(server: ScriptedServer, chat: Path) -> None:
    mp.set_price("openai-chat:*", like="openai")  # the scripted server stands in for OpenAI
    server.add(Reply.from_file(chat / "chat-nonstream-cached-tokens.json"))
    events: list[mp.ProgressEvent] = []
    with make(server, on_progress=events.append) as llm:
        r = llm.complete("hi")
    assert r.cost is not None and r.cost.total == MINI_CACHED_TOTAL
    assert r.cost.cache_read == MINI_CACHED["cache_read"]
    assert r.cost_saved is None
    done = [e for e in events if e.kind == "done"]
    assert len(done) == 1 and done[0].detail["cost"] == r.cost


def test_a_streamed_call_is_priced(server: ScriptedServer, chat: Path) -> None:
    mp.set_price("openai-chat:*", like="openai")
    server.add(Reply.from_file(chat / "chat-stream-text-include-usage.sse"))
    with make(server) as llm:
        final = final_of(llm.stream("hi"))
    u = final.usage
    assert u.input_tokens > 0
    expected = (
        (u.input_tokens - u.cached_tokens) * Decimal("0.15")
        + u.cached_tokens * Decimal("0.075")
        + u.output_tokens * Decimal("0.6")
    ) / M
    assert final.cost is not None and final.cost.total == expected


def test_an_unknown_model_is_none_on_every_path(server: ScriptedServer, chat: Path) -> None:
    server.add(Reply.from_file(chat / "chat-nonstream-cached-tokens.json"))
    events: list[mp.ProgressEvent] = []
    with make(server, on_progress=events.append) as llm:
        r = llm.complete("hi")  # 127.0.0.1 is not OpenAI, whatever the model is called
    assert r.usage.input_tokens == 1149 and r.cost is None
    assert [e.detail["cost"] for e in events if e.kind == "done"] == [None]


def test_failed_attempts_are_not_billed(server: ScriptedServer, chat: Path) -> None:
    mp.set_price("openai-chat:*", like="openai")
    server.add(Reply.status(503, {"error": {"message": "busy"}}, headers={"retry-after-ms": "1"}))
    server.add(Reply.from_file(chat / "chat-nonstream-cached-tokens.json"))
    with make(server) as llm:
        r = llm.complete("hi")
    assert r.attempts == 2 and r.cost is not None and r.cost.total == MINI_CACHED_TOTAL


def test_a_retried_attempt_that_reported_usage_is_billed(
    server: ScriptedServer, chat: Path
) -> None:
    """A stream that counted the input (as Claude's ``message_start`` does), then failed
    before any text: retried, and both attempts are in the usage and the cost."""
    counted = {
        "id": "c1",
        "object": "chat.completion.chunk",
        "model": "gpt-4o-mini",
        "choices": [],
        "usage": {"prompt_tokens": 100, "completion_tokens": 0},
    }
    first = Reply.sse([f"data: {json.dumps(counted)}\n\n", "data: {}\n\n"])
    server.add(Fault.reset_mid_stream(first, after_chunks=1))
    server.add(Reply.from_file(chat / "chat-stream-text-include-usage.sse"))
    mp.set_price("openai-chat:*", input=1, output=1)
    with make(server) as llm:
        r = final_of(llm.stream("hi"))
    assert r.attempts == 2
    sse = (chat / "chat-stream-text-include-usage.sse").read_text()
    last = [json.loads(line[6:]) for line in sse.splitlines() if '"usage":{' in line][-1]
    assert r.usage.input_tokens == 100 + last["usage"]["prompt_tokens"]
    assert r.cost is not None
    assert r.cost.total == Decimal(r.usage.input_tokens + r.usage.output_tokens) / M


def test_a_cache_hit_reports_the_cost_saved_not_spent(
    server: ScriptedServer, chat: Path, tmp_path: Path
) -> None:
    mp.set_price("openai-chat:*", like="openai")
    server.add(Reply.from_file(chat / "chat-nonstream-cached-tokens.json"))
    events: list[mp.ProgressEvent] = []
    with make(server, cache="always", on_progress=events.append) as llm:
        first = llm.complete("cost test hit", temperature=0, clear_cache=True)
        second = llm.complete("cost test hit", temperature=0)
        streamed = final_of(llm.stream("cost test hit", temperature=0))
    assert len(server.requests) == 1
    assert first.cache_source == "miss" and first.cost_saved is None
    assert second.cache_source == "l1"
    for hit in (second, streamed):
        assert hit.cost == mp.Cost()  # nothing spent, exactly
        assert hit.cost_saved is not None and hit.cost_saved.total == MINI_CACHED_TOTAL
    hits = [e for e in events if e.kind == "cache_hit"]
    assert [e.detail["cost_saved"] for e in hits] == [second.cost_saved, second.cost_saved]


def get_current_weather(location: str) -> str:
    """The weather.

    Args:
        location: A city.
    """
    return f"sunny in {location}"


@pytest.mark.parametrize("streaming", [False, True])
def test_a_tool_loop_sums_every_turn(server: ScriptedServer, chat: Path, streaming: bool) -> None:
    server.add(Reply.from_file(chat / "chat-nonstream-tool-calls-parallel.json"))  # 70 in, 46 out
    server.add(Reply.from_file(chat / "chat-nonstream-text.json"))  # 15 in, 31 out
    mp.set_price("openai-chat:*", input=1, output=10)
    with make(server) as llm:
        if streaming:
            r = final_of(llm.stream("weather?", tools=[get_current_weather]))
        else:
            r = llm.complete("weather?", tools=[get_current_weather])
    assert len(r.tool_results) == 2 and r.usage.input_tokens == 85
    assert r.cost is not None
    assert r.cost.input == Decimal(85) / M and r.cost.output == Decimal(770) / M


def test_a_tool_loop_with_a_cached_turn_spends_and_saves(
    server: ScriptedServer, chat: Path
) -> None:
    """Turn 1 is already cached (the same request without executing tools), turn 2 is sent:
    ``cost`` is turn 2's, ``cost_saved`` turn 1's."""
    server.add(Reply.from_file(chat / "chat-nonstream-tool-calls-parallel.json"))  # 70 in, 46 out
    server.add(Reply.from_file(chat / "chat-nonstream-text.json"))  # 15 in, 31 out
    mp.set_price("openai-chat:*", input=1, output=10)
    with make(server, cache="always", temperature=0) as llm:
        kw: dict[str, Any] = {"tools": [get_current_weather], "clear_cache": True}
        calls_only = llm.complete("mixed turns", tool_exec=False, **kw)
        r = llm.complete("mixed turns", tools=[get_current_weather])
    assert len(server.requests) == 2 and calls_only.cost is not None
    assert r.cost is not None and r.cost.total == Decimal(15 + 310) / M
    assert r.cost_saved is not None and r.cost_saved.total == Decimal(70 + 460) / M


def test_a_structured_reask_sums_both_answers(server: ScriptedServer, chat: Path) -> None:
    body = json.loads((chat / "chat-structured-json-schema.json").read_text())
    invalid = json.loads(json.dumps(body))
    invalid["choices"][0]["message"]["content"] = '{"joke": "x"}'
    server.add(Reply.json(invalid))
    server.add(Reply.json(body))
    mp.set_price("openai-chat:*", input=1, output=1)

    from pydantic import BaseModel

    class Joke(BaseModel):
        joke: str
        rating: int

    with make(server) as llm:
        r = llm.complete("joke", response_format=Joke, structured_retries=1)
    assert r.attempts == 2 and r.usage.input_tokens == 166
    assert r.cost is not None and r.cost.total == Decimal(2 * (83 + 32)) / M


def test_two_pass_structured_output_sums_both_passes(
    server: ScriptedServer, chat: Path, conformance: Path
) -> None:
    think = conformance / "thinking" / "deepseek-reasoner-nonstream-reasoning-content.json"
    server.add(Reply.from_file(think), Reply.from_file(chat / "chat-structured-json-schema.json"))
    mp.set_price("openai-chat:*", input=1, output=1)

    from pydantic import BaseModel

    class Joke(BaseModel):
        joke: str
        rating: int

    with make(server) as llm:
        r = llm.complete(
            "joke", response_format=Joke, reasoning_effort="high", structured_strategy="two_pass"
        )
    first = json.loads(think.read_text())["usage"]
    assert len(server.requests) == 2 and r.attempts == 2
    assert r.usage.input_tokens == first["prompt_tokens"] + 83
    assert r.cost is not None
    assert r.cost.total == Decimal(r.usage.input_tokens + r.usage.output_tokens) / M


# -- the command line --------------------------------------------------------------------------


def _cli(server: ScriptedServer, *, like: bool) -> subprocess.CompletedProcess[str]:
    argv = ["prompt", "hi", "-m", "openai-chat:gpt-4o-mini", "--base-url", server.base_url]
    argv += ["--api-key", "sk-test", "--usage", "--no-cache"]
    if not like:
        cmd = [sys.executable, "-m", "modelport", *argv]
    else:  # the CLI's own main, with a price for the stand-in server set first
        code = (
            "import sys, modelport as mp; from modelport.cli import main; "
            "mp.set_price('openai-chat:*', like='openai'); sys.exit(main(sys.argv[1:]))"
        )
        cmd = [sys.executable, "-c", code, *argv]
    env = {**os.environ, "NO_COLOR": "1"}
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60, env=env)


def test_the_cli_prints_the_cost_when_known(server: ScriptedServer, chat: Path) -> None:
    sse = chat / "chat-stream-text-include-usage.sse"
    server.route("POST", "/v1/chat/completions", Reply.from_file(sse))
    out = _cli(server, like=True)
    assert out.returncode == 0, out.stderr
    stop = [line for line in out.stderr.splitlines() if line.startswith("[stop]")]
    assert len(stop) == 1 and " cost=$0.0000" in stop[0], out.stderr
    out = _cli(server, like=False)
    assert out.returncode == 0, out.stderr
    stop = [line for line in out.stderr.splitlines() if line.startswith("[stop]")]
    assert len(stop) == 1 and "cost=" not in stop[0], out.stderr


# -- the real llama.cpp server: a local model --------------------------------------------------


@pytest.mark.peers
def test_a_local_model_is_unknown_until_priced(llama_plain: LlamaServer) -> None:
    with mp.LLM(
        "openai-chat:tiny",
        base_url=llama_plain.base_url,
        temperature=0,
        max_tokens=16,
        cache="never",
    ) as llm:
        r = llm.complete("Say hello.")
        assert r.usage.input_tokens > 0 and r.cost is None
        mp.set_price("openai-chat:tiny", input=2, output=8)
        r = llm.complete("Say hello.")
    u = r.usage
    assert r.cost is not None
    assert r.cost.total == (u.input_tokens * 2 + u.output_tokens * 8) / M
