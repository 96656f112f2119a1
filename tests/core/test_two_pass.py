"""Two-pass structured output (``_tools/_two_pass``): think freely, then structure without
thinking, for models whose profile says thinking and a forced schema do not combine.

The provider here is openai-chat with a ``model_profile`` hook saying
``thinking_with_forced_tools=False``, so nothing depends on a Bedrock profile. The scripted
server replays real recordings (a DeepSeek reasoner's answer for pass 1, an OpenAI
structured answer for pass 2) to pin the exact bodies of both passes; the real llama.cpp
think model runs both passes end to end.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import modelport as mp
import pytest
from llama_peer import LlamaServer
from modelport._host._plugins import PluginHost
from modelport.testing import MemoryCache, Reply, ScriptedServer
from pydantic import BaseModel

INSTRUCTION = (
    "Now give the answer you just wrote as one JSON value that follows the requested schema. "
    "Use only what that answer says, and write nothing else."
)


class Joke(BaseModel):
    joke: str
    rating: int


class Tagged(BaseModel):
    joke: str
    tags: list[str]


class Answer(BaseModel):
    answer: str
    n: int


class NoThinkingWithForcedSchema:
    """A plugin's correction: this model cannot think and be forced into a schema at once."""

    def __init__(self, strategy: str | None = None) -> None:
        self.strategy = strategy

    @mp.hookimpl
    def model_profile(self, provider: str, model: str, profile: Any) -> Any:
        return profile.merged(thinking_with_forced_tools=False, structured_output=self.strategy)


class CachePlugin:
    def __init__(self) -> None:
        self.backend = MemoryCache()

    @mp.hookimpl
    def register_caches(self, register: Any) -> None:
        register(self.backend, level=1)


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    with ScriptedServer() as s:
        yield s


@pytest.fixture
def files(conformance: Path) -> dict[str, Path]:
    return {
        "think": conformance / "thinking" / "deepseek-reasoner-nonstream-reasoning-content.json",
        "think_sse": conformance / "thinking" / "deepseek-reasoner-stream-reasoning-content.sse",
        "structured": conformance / "openai-chat" / "chat-structured-json-schema.json",
    }


def host_with(*plugins: object) -> PluginHost:
    host = PluginHost()
    for i, plugin in enumerate(plugins):
        host.register(plugin, name=f"test-plugin-{i}")
    return host


def llm(server: ScriptedServer, host: PluginHost, **kw: Any) -> mp.LLM:
    return mp.LLM(
        "openai-chat:reasoner", base_url=server.base_url, api_key="sk-test", plugins=host, **kw
    )


def _json(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def test_two_passes_send_exact_bodies_and_keep_pass_one_thinking(
    server: ScriptedServer, files: dict[str, Path]
) -> None:
    server.add(Reply.from_file(files["think"]), Reply.from_file(files["structured"]))
    with llm(server, host_with(NoThinkingWithForcedSchema())) as model:
        r = model.complete(
            "How do I cross the street?",
            response_format=Joke,
            reasoning_effort="high",
            temperature=0,
            max_tokens=900,
        )
    first, second = (q.json() for q in server.requests)
    think = _json(files["think"])["choices"][0]["message"]
    user = {"role": "user", "content": "How do I cross the street?"}
    assert "response_format" not in first and "tools" not in first
    assert first["reasoning_effort"] == "high" and first["messages"] == [user]
    assert second["reasoning_effort"] == "none"
    assert second["response_format"]["type"] == "json_schema"
    assert second["response_format"]["json_schema"]["name"] == "Joke"
    assert second["messages"] == [
        user,
        {"role": "assistant", "content": think["content"]},
        {"role": "user", "content": INSTRUCTION},
    ]
    assert first["temperature"] == second["temperature"] == 0
    assert first["max_tokens"] == second["max_tokens"] == 900
    # pass 1's thinking, pass 2's object, usage of both
    assert r.reasoning == think["reasoning_content"]
    assert isinstance(r.structured, Joke) and r.structured.rating == 7
    u1, u2 = _json(files["think"])["usage"], _json(files["structured"])["usage"]
    assert r.usage.input_tokens == u1["prompt_tokens"] + u2["prompt_tokens"]
    assert r.usage.output_tokens == u1["completion_tokens"] + u2["completion_tokens"]
    assert r.usage.reasoning_tokens == 415
    assert r.attempts == 2
    # the history keeps the model's own turn: its thinking and its free answer
    assert r.messages[-1].reasoning == think["reasoning_content"]
    assert r.messages[-1].content == think["content"]


def test_one_cache_entry_a_hit_skips_both_passes_streamed_or_not(
    server: ScriptedServer, files: dict[str, Path]
) -> None:
    cache = CachePlugin()
    server.add(Reply.from_file(files["think"]), Reply.from_file(files["structured"]))
    kw: dict[str, Any] = {"response_format": Joke, "reasoning_effort": "high"}
    with llm(server, host_with(NoThinkingWithForcedSchema(), cache)) as model:
        miss = model.complete("joke", **kw)
        hit = model.complete("joke", **kw)
        events = list(model.stream("joke", **kw))
        hidden = model.complete("joke", hide_thinking=True, **kw)
    assert len(server.requests) == 2 and len(cache.backend.data) == 1
    assert (miss.cache_source, hit.cache_source) == ("miss", "l1")
    assert hit.cache_key == miss.cache_key
    assert hit.structured == miss.structured and hit.reasoning == miss.reasoning
    assert hit.usage == miss.usage
    assert [e.type for e in events] == ["reasoning", "answer", "structured", "final", "done"]
    assert events[2].content == miss.structured and events[3].content.cache_source == "l1"
    assert hidden.reasoning is None and hidden.structured == miss.structured
    assert miss.reasoning is not None
    assert all(e["reasoning"] for e in cache.backend.data.values())  # stored whole


def test_streamed_reasoning_of_pass_one_then_the_structured_answer(
    server: ScriptedServer, files: dict[str, Path]
) -> None:
    server.add(Reply.from_file(files["think_sse"]), Reply.from_file(files["structured"]))
    with llm(server, host_with(NoThinkingWithForcedSchema())) as model:
        events = list(model.stream("joke", response_format=Joke, reasoning_effort="high"))
    first, second = (q.json() for q in server.requests)
    assert first["stream"] is True and second["stream"] is True
    assert second["reasoning_effort"] == "none"
    kinds = [e.type for e in events]
    last_reasoning = max(i for i, k in enumerate(kinds) if k == "reasoning")
    assert kinds[last_reasoning + 1 :] == ["answer", "structured", "final", "done"]
    assert set(kinds[: last_reasoning + 1]) == {"reasoning"}  # pass 1's free answer is not shown
    reasoning = "".join(e.content for e in events if e.type == "reasoning")
    final = events[-2].content
    assert final.reasoning == reasoning and reasoning.startswith("Hmm")
    assert events[-3].content == final.structured and final.structured.rating == 7
    assert events[kinds.index("answer")].content == final.text
    assert final.usage.reasoning_tokens == 198


def test_json_encoded_list_fields_are_repaired(
    server: ScriptedServer, files: dict[str, Path]
) -> None:
    structured = _json(files["structured"])
    structured["choices"][0]["message"]["content"] = json.dumps(
        {"joke": "A trace walks into a bar.", "tags": json.dumps(["otel", "bar"])}
    )
    server.add(Reply.from_file(files["think"]), Reply.json(structured))
    with llm(server, host_with(NoThinkingWithForcedSchema())) as model:
        r = model.complete("joke", response_format=Tagged, reasoning_effort="medium")
    assert r.structured == Tagged(joke="A trace walks into a bar.", tags=["otel", "bar"])


def test_tool_strategy_pass_two_forces_the_schema_tool(
    server: ScriptedServer, files: dict[str, Path]
) -> None:
    structured = _json(files["structured"])
    message = structured["choices"][0]["message"]
    arguments = message.pop("content")
    message["tool_calls"] = [
        {"id": "call_1", "type": "function", "function": {"name": "Joke", "arguments": arguments}}
    ]
    structured["choices"][0]["finish_reason"] = "tool_calls"
    server.add(Reply.from_file(files["think"]), Reply.json(structured))
    with llm(server, host_with(NoThinkingWithForcedSchema("tool"))) as model:
        r = model.complete("joke", response_format=Joke, reasoning_effort="high")
    first, second = (q.json() for q in server.requests)
    assert "tools" not in first and "tool_choice" not in first
    assert [t["function"]["name"] for t in second["tools"]] == ["Joke"]
    assert second["tool_choice"] == {"type": "function", "function": {"name": "Joke"}}
    assert r.structured.rating == 7 and r.reasoning


def test_one_pass_without_thinking_or_with_an_explicit_strategy(
    server: ScriptedServer, files: dict[str, Path]
) -> None:
    for _ in range(3):
        server.add(Reply.from_file(files["structured"]))
    host = host_with(NoThinkingWithForcedSchema())
    with llm(server, host) as model:
        plain = model.complete("joke", response_format=Joke)
        off = model.complete("joke", response_format=Joke, reasoning_effort="none")
        chosen = model.complete(
            "joke", response_format=Joke, reasoning_effort="high", structured_strategy="json_schema"
        )
    assert len(server.requests) == 3
    assert all("response_format" in q.json() for q in server.requests)
    assert plain.structured == off.structured == chosen.structured


def test_two_pass_on_request_and_profiles_that_combine(
    server: ScriptedServer, files: dict[str, Path]
) -> None:
    """A model that combines them gets one pass; ``structured_strategy="two_pass"`` asks."""
    server.add(
        Reply.from_file(files["structured"]),
        Reply.from_file(files["think"]),
        Reply.from_file(files["structured"]),
    )
    with llm(server, PluginHost()) as model:
        one = model.complete("joke", response_format=Joke, reasoning_effort="high")
        two = model.complete(
            "joke", response_format=Joke, reasoning_effort="high", structured_strategy="two_pass"
        )
    assert len(server.requests) == 3 and one.attempts == 1 and two.attempts == 2
    assert two.reasoning and one.reasoning is None


def test_pass_one_cut_off_is_truncation_and_pass_two_is_not_sent(
    server: ScriptedServer, conformance: Path
) -> None:
    server.add(
        Reply.from_file(
            conformance / "thinking" / "llamacpp-deepseek-r1-distill-length-mid-reasoning.json"
        )
    )
    with llm(server, host_with(NoThinkingWithForcedSchema())) as model:
        with pytest.raises(mp.TruncatedOutputError, match="first \\(thinking\\) pass"):
            model.complete("joke", response_format=Joke, reasoning_effort="high", max_tokens=50)
    assert len(server.requests) == 1


def test_structured_retries_re_ask_pass_two_only(
    server: ScriptedServer, files: dict[str, Path]
) -> None:
    bad = _json(files["structured"])
    bad["choices"][0]["message"]["content"] = '{"joke": "no rating"}'
    server.add(
        Reply.from_file(files["think"]), Reply.json(bad), Reply.from_file(files["structured"])
    )
    with llm(server, host_with(NoThinkingWithForcedSchema())) as model:
        r = model.complete(
            "joke", response_format=Joke, reasoning_effort="high", structured_retries=1
        )
    third = server.requests[2].json()
    assert third["reasoning_effort"] == "none" and "rating" in third["messages"][-1]["content"]
    assert third["messages"][-2] == {"role": "assistant", "content": '{"joke": "no rating"}'}
    assert r.structured.rating == 7 and r.attempts == 3


def test_async_runs_the_same_program(server: ScriptedServer, files: dict[str, Path]) -> None:
    server.add(Reply.from_file(files["think"]), Reply.from_file(files["structured"]))
    server.add(Reply.from_file(files["think_sse"]), Reply.from_file(files["structured"]))

    async def main() -> tuple[mp.Response, list[str]]:
        async with llm(server, host_with(NoThinkingWithForcedSchema())) as model:
            r = await model.acomplete("joke", response_format=Joke, reasoning_effort="high")
            kinds = [
                e.type
                async for e in model.astream("joke", response_format=Joke, reasoning_effort="low")
            ]
        return r, kinds

    r, kinds = asyncio.run(main())
    assert r.structured.rating == 7 and r.reasoning
    assert kinds[-4:] == ["answer", "structured", "final", "done"]
    assert len(server.requests) == 4


# -- the real llama.cpp think model ----------------------------------------------------------


def test_llama_think_model_two_passes_streamed_and_not_with_the_cache(
    llama_think: LlamaServer,
) -> None:
    """Pass 1 thinks (``reasoning_content``); pass 2 is grammar-constrained JSON with
    ``reasoning_effort: "none"``, which llama.cpp honours by turning the template's thinking off."""
    cache = CachePlugin()
    kw: dict[str, Any] = {
        "response_format": Answer,
        "reasoning_effort": "high",
        "temperature": 0,
        "max_tokens": 200,
    }
    host = host_with(NoThinkingWithForcedSchema(), cache)
    with mp.LLM("openai-chat:tiny", base_url=llama_think.base_url, plugins=host) as model:
        whole = model.complete("hi", **kw)
        streamed = list(model.stream("hi", cache="never", **kw))
        hit = model.complete("hi", **kw)
    assert whole.reasoning is not None and "Thinking quietly" in whole.reasoning
    assert isinstance(whole.structured, Answer)
    assert whole.attempts == 2 and whole.usage.input_tokens > 0
    assert whole.messages[-1].content == "Hello from tiny model."
    kinds = [e.type for e in streamed]
    assert kinds[0] == "reasoning" and kinds[-3:] == ["structured", "final", "done"]
    assert "answer" in kinds and streamed[-2].content.structured == whole.structured
    assert "Hello from tiny model." not in "".join(
        e.content for e in streamed if e.type == "answer"
    )
    assert hit.cache_source == "l1" and hit.structured == whole.structured
    assert len(cache.backend.data) == 1


def test_a_model_that_cannot_think_gets_one_pass(
    server: ScriptedServer, files: dict[str, Path]
) -> None:
    class CannotThink(NoThinkingWithForcedSchema):
        @mp.hookimpl
        def model_profile(self, provider: str, model: str, profile: Any) -> Any:
            return profile.merged(thinking="none", thinking_with_forced_tools=False)

    server.add(Reply.from_file(files["structured"]))
    with llm(server, host_with(CannotThink())) as model:
        r = model.complete("joke", response_format=Joke, reasoning_effort="high")
    assert len(server.requests) == 1 and r.structured.rating == 7


def test_budget_tokens_asks_for_thinking_too(
    server: ScriptedServer, files: dict[str, Path]
) -> None:
    server.add(Reply.from_file(files["think"]), Reply.from_file(files["structured"]))
    with llm(server, host_with(NoThinkingWithForcedSchema())) as model:
        r = model.complete("joke", response_format=Joke, budget_tokens=2048, max_tokens=900)
    first, second = (q.json() for q in server.requests)
    think = _json(files["think"])["choices"][0]["message"]
    user = {"role": "user", "content": "joke"}
    # openai-chat has no budget on its wire: pass 1 is the free request, pass 2 thinks "none"
    assert first == {"model": "reasoner", "messages": [user], "max_tokens": 900}
    assert second == {
        "model": "reasoner",
        "messages": [
            user,
            {"role": "assistant", "content": think["content"]},
            {"role": "user", "content": INSTRUCTION},
        ],
        "max_tokens": 900,
        "reasoning_effort": "none",
        "response_format": {
            "type": "json_schema",
            "json_schema": {
                "name": "Joke",
                "schema": {
                    "properties": {"joke": {"type": "string"}, "rating": {"type": "integer"}},
                    "required": ["joke", "rating"],
                    "type": "object",
                    "additionalProperties": False,
                },
                "strict": True,
            },
        },
    }
    assert r.reasoning == think["reasoning_content"] and r.structured.rating == 7


def test_an_effort_that_says_off_wins_over_a_budget(
    server: ScriptedServer, files: dict[str, Path]
) -> None:
    server.add(Reply.from_file(files["structured"]))
    with llm(server, host_with(NoThinkingWithForcedSchema())) as model:
        r = model.complete(
            "joke", response_format=Joke, budget_tokens=2048, reasoning_effort="none"
        )
    [only] = (q.json() for q in server.requests)
    assert only["response_format"]["json_schema"]["name"] == "Joke"
    assert r.structured.rating == 7 and r.attempts == 1


def test_identical_concurrent_two_pass_calls_share_one_execution(
    server: ScriptedServer, files: dict[str, Path]
) -> None:
    from modelport.testing import Fault

    cache = CachePlugin()
    # pass 1 is slow, so every other call arrives while the first is in flight
    slow = Fault.slow_first_byte(Reply.from_file(files["think"]), delay=0.3)
    server.add(slow, Reply.from_file(files["structured"]))
    kw: dict[str, Any] = {"response_format": Joke, "reasoning_effort": "high"}

    async def run() -> list[mp.Response]:
        async with llm(server, host_with(NoThinkingWithForcedSchema(), cache)) as model:
            return await asyncio.gather(*(model.acomplete("joke", **kw) for _ in range(5)))

    results = asyncio.run(run())
    assert len(server.requests) == 2  # one pass 1 and one pass 2 for all five calls
    assert sorted(r.cache_source for r in results) == ["l1"] * 4 + ["miss"]
    assert all(r.structured == results[0].structured and r.reasoning for r in results)
    assert len(cache.backend.data) == 1


def test_a_two_pass_follower_waits_no_longer_than_its_own_deadline(
    server: ScriptedServer, files: dict[str, Path]
) -> None:
    from modelport.testing import Fault

    cache = CachePlugin()
    slow = Fault.slow_first_byte(Reply.from_file(files["think"]), delay=1.5)
    server.add(slow, Reply.from_file(files["structured"]))
    kw: dict[str, Any] = {"response_format": Joke, "reasoning_effort": "high"}
    with llm(server, host_with(NoThinkingWithForcedSchema(), cache)) as model:
        lead = threading.Thread(target=model.complete, args=("joke",), kwargs=kw)
        lead.start()
        server.wait_for_requests(1, timeout=5)
        with pytest.raises(mp.LLMTimeoutError) as info:
            model.complete("joke", timeout=mp.Timeouts(total=0.3), **kw)
        lead.join(timeout=10)
    assert info.value.phase == "queued"
    assert len(server.requests) == 2  # the leader's two passes; the follower sent nothing
    assert len(cache.backend.data) == 1
