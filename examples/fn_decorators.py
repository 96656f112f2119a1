"""Runnable example: SimpleLLMFunc-style decorators on modelport.

    python examples/fn_decorators.py --base-url http://127.0.0.1:8080/v1 --model tiny

Without --base-url it starts the local llama.cpp peer from ../shared/peers. It shows a named
tool (``@tool``), ``llm_function`` returning an ``int``, a ``bool`` and a pydantic model,
``llm_chat`` in its three forms (whole, streamed pairs, events with lifecycle events) and a
second turn fed with the returned history.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

import modelport as mp
from modelport.fn import LoopEnd, ModelCallEnd, ToolCallEnd, ToolCallStart, llm_chat, llm_function
from modelport.tools import tool
from pydantic import BaseModel

# The tiny test model answers structured output only with thinking turned off.
NO_THINK = {"chat_template_kwargs": {"enable_thinking": False}}


@tool(name="lookup_weather", description="Weather forecast for a city.")
def forecast(city: str, days: int = 1) -> str:
    """Look the forecast up.

    Args:
        city: City name.
        days: Number of days.
    """
    return f"sunny in {city} for {days} day(s)"


class Summary(BaseModel):
    answer: str
    n: int


def run(base_url: str, model: str) -> None:
    llm = mp.LLM(f"openai-chat:{model}", base_url=base_url, temperature=0, max_tokens=64)

    # -- llm_function: the docstring is the prompt, the return annotation the output type ----
    @llm_function(llm_interface=llm, extra_body=NO_THINK)
    def count_words(text: str) -> int:
        """Count the words in: {text}"""

    @llm_function(llm, extra_body=NO_THINK)
    def is_question(text: str) -> bool:
        """Is this a question? {text}"""

    @llm_function(llm, extra_body=NO_THINK)
    def summarize(text: str) -> Summary:
        """Summarize: {text}"""

    print("count_words:", type(count_words("one two three")).__name__)
    print("is_question:", type(is_question("Is it?")).__name__)
    print("summarize:", type(summarize("modelport")).__name__)

    # -- llm_chat, whole: (text, history) --------------------------------------------------
    @llm_chat(llm, stream=False, toolkit=[forecast], max_tool_calls=None)
    def chat(message: str, history: list[dict[str, Any]] | None = None) -> None:
        """You are a weather assistant."""

    text, history = chat("What's the weather in Paris?")
    print("whole:", text)
    print("history:", [m["role"] for m in history])

    # -- the next turn takes the history back ------------------------------------------------
    text, history = chat("Thanks!", history)
    print("second turn:", [m["role"] for m in history])

    # -- llm_chat, streamed with events: the core's events and the lifecycle events ----------
    @llm_chat(llm, events=True, toolkit=[forecast])
    def chat_events(message: str, history: list[dict[str, Any]] | None = None) -> None:
        """You are a weather assistant."""

    for ev in chat_events("What's the weather in Paris?"):
        if isinstance(ev, ModelCallEnd):
            u = ev.usage
            print(f"model call {ev.iteration}: {u.input_tokens} in, {u.output_tokens} out")
        elif isinstance(ev, ToolCallStart):
            print(f"tool start: {ev.name}")
        elif isinstance(ev, ToolCallEnd):
            print(f"tool end: {ev.name} -> {ev.result}")
        elif isinstance(ev, LoopEnd):
            print(f"loop end: {ev.model_calls} model calls, {ev.tool_calls} tool call(s)")

    # -- async, streamed (chunk, history) pairs ----------------------------------------------
    @llm_chat(llm)
    async def achat(history: list[dict[str, Any]], message: str) -> None:
        """You are a weather assistant."""

    async def main() -> str:
        chunks = []
        async for chunk, _history in achat([], "Hi!"):
            chunks.append(chunk)
        await llm.aclose()
        return "".join(chunks)

    print("async stream:", asyncio.run(main()))
    llm.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--base-url")
    parser.add_argument("--model", default="tiny")
    args = parser.parse_args()
    if args.base_url:
        run(args.base_url, args.model)
    else:
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))
        from llama_peer import LlamaServer

        with LlamaServer("plain") as server:
            run(server.base_url, args.model)
