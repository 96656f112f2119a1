"""The decorators end to end against the real llama.cpp server (tiny deterministic models,
see ../shared/peers/README.md), and the example that shows them."""

from __future__ import annotations

import asyncio
import enum
import subprocess
import sys
from pathlib import Path
from typing import Any, Literal

import modelport as mp
import pytest
from llama_peer import LlamaServer
from modelport.fn import LoopEnd, ModelCallEnd, ToolCallEnd, llm_chat, llm_function
from modelport.tools import tool

pytestmark = pytest.mark.peers
ROOT = Path(__file__).resolve().parents[2]
ANSWER = "Hello from tiny model."
NO_THINK = {"chat_template_kwargs": {"enable_thinking": False}}


def make(server: LlamaServer) -> mp.LLM:
    return mp.LLM(
        "openai-chat:tiny", base_url=server.base_url, temperature=0, max_tokens=64, cache="never"
    )


@tool(name="lookup_weather", description="Weather forecast for a city.")
def forecast(city: str, days: int = 1) -> str:
    """Look it up.

    Args:
        city: City name.
        days: Number of days.
    """
    return f"sunny in {city} for {days} day(s)"


class Level(enum.Enum):
    LOW = "low"
    HIGH = "high"


def test_llm_function_primitives_against_llama(llama_plain: LlamaServer) -> None:
    with make(llama_plain) as llm:

        @llm_function(llm, extra_body=NO_THINK)
        def number(text: str) -> int:
            """How many words: {text}"""

        @llm_function(llm, extra_body=NO_THINK)
        def flag(text: str) -> bool:
            """Is it true: {text}"""

        @llm_function(llm, extra_body=NO_THINK)
        def words(text: str) -> list[str]:
            """The words of: {text}"""

        @llm_function(llm, extra_body=NO_THINK)
        def choice(text: str) -> Literal["yes", "no"]:
            """Yes or no: {text}"""

        @llm_function(llm, extra_body=NO_THINK)
        def level(text: str) -> Level:
            """The level of: {text}"""

        assert isinstance(number("a b"), int) and not isinstance(number("a b"), bool)
        assert isinstance(flag("x"), bool)
        got = words("a b")
        assert isinstance(got, list) and all(isinstance(w, str) for w in got)
        assert choice("x") in ("yes", "no")
        assert isinstance(level("x"), Level)


def test_whole_chat_with_a_tool_and_a_second_turn(llama_plain: LlamaServer) -> None:
    with make(llama_plain) as llm:

        @llm_chat(llm, stream=False, toolkit=[forecast], max_tool_calls=None)
        def chat(message: str, history: list[dict[str, Any]] | None = None) -> None:
            """You are a weather assistant."""

        text, history = chat("Weather?")
        assert text == ANSWER
        assert [m["role"] for m in history] == ["user", "assistant", "tool", "assistant"]
        assert history[1]["tool_calls"][0]["function"]["name"] == "lookup_weather"
        assert history[2]["content"].startswith("sunny in ")
        # llama.cpp accepts the returned history as the next turn's input.
        text, history = chat("Thanks!", history)
        assert text == ANSWER and len(history) == 6


def test_streamed_events_with_reasoning_async(llama_think: LlamaServer) -> None:
    with make(llama_think) as llm:

        @llm_chat(llm, events=True, toolkit=[forecast])
        async def chat(history: list[Any], message: str) -> None:
            """You are a weather assistant."""

        async def main() -> list[Any]:
            out = [ev async for ev in chat([], "Weather?")]
            await llm.aclose()
            return out

        events = asyncio.run(main())
    ends = [e for e in events if isinstance(e, ModelCallEnd)]
    assert len(ends) == 2
    assert all(e.reasoning and "Thinking quietly" in e.reasoning for e in ends)
    assert all(e.usage.output_tokens > 0 and (e.elapsed_s or 0) > 0 for e in ends)
    (tool_end,) = [e for e in events if isinstance(e, ToolCallEnd)]
    assert tool_end.result.startswith("sunny in ")
    (end,) = [e for e in events if isinstance(e, LoopEnd)]
    assert end.text == ANSWER and end.usage.output_tokens == sum(
        e.usage.output_tokens for e in ends
    )
    assert end.history[-1] == {"role": "assistant", "content": ANSWER}


def test_the_fn_decorators_example(llama_plain: LlamaServer) -> None:
    out = subprocess.run(
        [
            sys.executable,
            str(ROOT / "examples" / "fn_decorators.py"),
            "--base-url",
            llama_plain.base_url,
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[:4] == [
        "count_words: int",
        "is_question: bool",
        "summarize: Summary",
        f"whole: {ANSWER}",
    ]
    assert "history: ['user', 'assistant', 'tool', 'assistant']" in lines
    assert any(line.startswith("model call 2: ") for line in lines)
    assert "tool start: lookup_weather" in lines
    assert "loop end: 2 model calls, 1 tool call(s)" in lines
    assert lines[-1] == f"async stream: {ANSWER}"
