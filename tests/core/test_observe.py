"""The ``observe_call`` hook: an observer per call is told of each attempt, each tool
execution and the end, in order, over real HTTP; one that raises never fails the call."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import modelport as mp
import pytest
from modelport.plugins import register
from modelport.provider import CallInfo
from modelport.testing import Reply, ScriptedServer


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    with ScriptedServer() as s:
        yield s


def reply(text: str = "ok") -> Reply:
    message = {"role": "assistant", "content": text}
    return Reply.json(
        {
            "id": "c",
            "object": "chat.completion",
            "model": "m",
            "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
        }
    )


def tool_reply() -> Reply:
    call = {"id": "t1", "type": "function", "function": {"name": "add", "arguments": '{"a": 1}'}}
    message = {"role": "assistant", "content": None, "tool_calls": [call]}
    return Reply.json(
        {
            "id": "c",
            "object": "chat.completion",
            "model": "m",
            "choices": [{"index": 0, "message": message, "finish_reason": "tool_calls"}],
        }
    )


def add(a: int) -> int:
    """Adds one."""
    return a + 1


ROOT = Path(__file__).resolve().parents[2]


def documented_recorder() -> Any:
    """The observer docs/hooks.md shows, run as written (it registers itself)."""
    text = (ROOT / "docs" / "hooks.md").read_text()
    section = text.split("## observe_call(call)", 1)[1]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    namespace: dict[str, Any] = {}
    exec(compile(code, "docs/hooks.md", "exec"), namespace)
    return namespace["recorder"]


@pytest.fixture
def recorder() -> Any:
    return documented_recorder()


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_attempts_retries_and_the_end(recorder: Any, server: ScriptedServer, mode: str) -> None:
    server.add(Reply.status(503, {"error": "busy"}, headers={"retry-after-ms": "5"}), reply())
    with mp.LLM("openai-chat:m", base_url=server.base_url, api_key="k", temperature=0) as llm:
        if mode == "sync":
            llm.complete("hi")
            llm.complete("hi")  # a cache hit: no attempt
        else:
            asyncio.run(llm.acomplete("hi"))
            asyncio.run(llm.acomplete("hi"))
    assert recorder.log == [
        "start openai-chat m stream=False",
        "attempt 1 POST",
        "  status 503",
        "  attempt end ProviderServerError",
        "attempt 2 POST",
        "  status 200",
        "  attempt end ok",
        "end miss",
        "start openai-chat m stream=False",
        "end l1",
    ]


def test_a_tool_loop_is_one_call(recorder: Any, server: ScriptedServer) -> None:
    server.add(tool_reply(), reply("two"))
    with mp.LLM("openai-chat:m", base_url=server.base_url, api_key="k") as llm:
        assert llm.complete("hi", tools=[add]).text == "two"
    assert recorder.log == [
        "start openai-chat m stream=False",
        "attempt 1 POST",
        "  status 200",
        "  attempt end ok",
        "tool add t1",
        "  tool end 2",
        "attempt 1 POST",
        "  status 200",
        "  attempt end ok",
        "end miss",
    ]


def test_a_stream_closed_early_ends_with_generator_exit(
    recorder: Any, server: ScriptedServer
) -> None:
    chunk = b'data: {"choices":[{"index":0,"delta":{"content":"w "}}]}\n\n'
    server.add(Reply.sse([chunk] * 50, chunk_delay=0.01))
    with mp.LLM("openai-chat:m", base_url=server.base_url, api_key="k") as llm:
        events = llm.stream("hi")
        assert recorder.log == []  # a stream not yet iterated is not observed yet
        next(e for e in events if e.type == "answer")
        events.close()
    assert recorder.log[0] == "start openai-chat m stream=True"
    assert recorder.log[-1] == "end GeneratorExit"


def test_an_async_stream_is_prepared_and_observed_on_its_first_step(
    recorder: Any, server: ScriptedServer
) -> None:
    """``astream`` returns the driver itself: nothing is prepared, checked or observed until
    it is iterated, and then the bad argument is the first step's error."""
    server.add(reply("streamed"))

    async def main() -> None:
        async with mp.LLM("openai-chat:m", base_url=server.base_url, api_key="k") as llm:
            bad = llm.astream("hi", temperature="hot")  # no error yet: not prepared
            events = llm.astream("hi")
            assert recorder.log == []
            with pytest.raises(mp.ConfigurationError, match="temperature"):
                await bad.__anext__()
            texts = [e.content async for e in events if e.type == "answer"]
            assert "".join(texts) == "streamed"

    asyncio.run(main())
    assert recorder.log[0] == "start openai-chat m stream=True"
    assert recorder.log[-1] == "end miss"


def test_a_raising_observer_never_fails_the_call(server: ScriptedServer) -> None:
    class Broken:
        @mp.hookimpl
        def observe_call(self, call: CallInfo) -> Any:
            raise RuntimeError("observer bug")

    register(Broken(), name="broken")
    server.add(reply())
    with mp.LLM("openai-chat:m", base_url=server.base_url, api_key="k") as llm:
        with pytest.warns(RuntimeWarning, match="observer bug"):
            assert llm.complete("hi").text == "ok"


def test_a_raising_plugin_leaves_the_call_to_the_other_observers(
    recorder: Any, server: ScriptedServer
) -> None:
    class Broken:
        @mp.hookimpl
        def observe_call(self, call: CallInfo) -> Any:
            raise RuntimeError("observer bug")

    register(Broken(), name="broken")
    server.add(reply())
    with mp.LLM("openai-chat:m", base_url=server.base_url, api_key="k") as llm:
        with pytest.warns(RuntimeWarning, match="observer bug"):
            assert llm.complete("hi").text == "ok"
    assert recorder.log[0] == "start openai-chat m stream=False"
    assert recorder.log[-1] == "end miss"


def test_a_declining_plugin_observes_nothing(server: ScriptedServer) -> None:
    class Declines:
        calls = 0

        @mp.hookimpl
        def observe_call(self, call: CallInfo) -> None:
            Declines.calls += 1

    register(Declines(), name="declines")
    server.add(reply())
    with mp.LLM("openai-chat:m", base_url=server.base_url, api_key="k") as llm:
        assert llm.complete("hi").text == "ok"
    assert Declines.calls == 1


def test_a_tool_observer_that_raises_never_fails_the_tool(server: ScriptedServer) -> None:
    class BadExit:
        def __enter__(self) -> None:
            return None

        def __exit__(self, *exc: object) -> bool:
            raise RuntimeError("exit bug")

    ended: list[Any] = []

    class ToolWatcher:
        def active(self) -> BadExit:
            return BadExit()

        def end(self, result: mp.ToolResult) -> None:
            ended.append(result.content)

    class CallWatcher:
        def attempt(self, info: Any) -> None:
            return None

        def tool(self, call: Any) -> ToolWatcher:
            return ToolWatcher()

        def end(self, response: Any, error: Any) -> None:
            return None

    class Plugin:
        @mp.hookimpl
        def observe_call(self, call: CallInfo) -> CallWatcher:
            return CallWatcher()

    register(Plugin(), name="tool-watcher")
    server.add(tool_reply(), reply("two"))
    with mp.LLM("openai-chat:m", base_url=server.base_url, api_key="k") as llm:
        with pytest.warns(RuntimeWarning, match="exit bug"):
            r = llm.complete("hi", tools=[add])
    assert r.text == "two" and r.tool_results[0].content == 2
    assert ended == [2]
