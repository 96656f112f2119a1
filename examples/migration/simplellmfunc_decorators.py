"""SimpleLLMFunc's ``@llm_function``, ``@llm_chat`` and ``@tool``, on modelport.

    python examples/migration/simplellmfunc_decorators.py --base-url http://127.0.0.1:8080/v1

Guide: docs/migration/simplellmfunc.md, "Decorators" and "Events". The decorated functions are
written as in the seed's README (``async def``, docstring prompt, ``toolkit=``,
``max_tool_calls=None``, ``@tool(name=, description=)``); the differences are in the guide.
"""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

import modelport as mp
from modelport.fn import (
    LoopEnd,
    ModelCallEnd,
    ToolCallEnd,
    ToolCallError,
    ToolCallStart,
    llm_chat,
    llm_function,
)
from modelport.tools import tool
from pydantic import BaseModel, Field

# The tiny test model answers structured output only with its thinking turned off.
NO_THINK = {"chat_template_kwargs": {"enable_thinking": False}}


class ProductReview(BaseModel):
    rating: int = Field(..., description="Product rating, 1-5 points")
    summary: str = Field(..., description="Review summary")


class Location(BaseModel):
    latitude: float = Field(..., description="Latitude")
    longitude: float = Field(..., description="Longitude")


@tool(name="get_weather", description="Get weather information for specified location")
async def get_weather(location: Location, days: int = 1) -> dict[str, Any]:
    """Get weather forecast for specified location.

    Args:
        location: Location information, including latitude and longitude
        days: Forecast days, default is 1 day
    """
    return {"location": f"{location.latitude},{location.longitude}", "temp": 25, "days": days}


def run(base_url: str) -> None:
    llm = mp.LLM("openai-chat:tiny", base_url=base_url, temperature=0, max_tokens=300)

    # -- @llm_function: docstring prompt, return annotation as the output type ---------------
    @llm_function(llm_interface=llm, extra_body=NO_THINK)
    async def analyze_product_review(product_name: str, review_text: str) -> ProductReview:
        """Analyze the review of {product_name} and rate it: {review_text}"""

    @llm_function(llm_interface=llm, extra_body=NO_THINK)
    async def extract_entities(text: str) -> dict[str, list[str]]:
        """Extract named entities (people, places, organizations) from: {text}"""

    async def functions() -> None:
        review = await analyze_product_review("XYZ Headphones", "Great sound, weak battery.")
        print("llm_function pydantic:", type(review).__name__, type(review.rating).__name__)
        entities = await extract_entities("John works at Apple in Beijing")
        print("llm_function dict:", type(entities).__name__)

    asyncio.run(functions())

    # -- @llm_chat, streamed: async for (chunk, history) ---------------------------------------
    @llm_chat(llm_interface=llm, toolkit=[get_weather], stream=True, max_tool_calls=None)
    async def agent(message: str, history: list[dict[str, Any]] | None = None) -> None:
        """You are a weather assistant."""

    async def chat() -> list[dict[str, Any]]:
        history: list[dict[str, Any]] = []
        text = ""
        async for chunk, updated_history in agent("What's the weather at 48.8, 2.3?", []):
            text += chunk
            history = updated_history
        print("llm_chat stream:", text)
        return history

    history = asyncio.run(chat())
    print("history roles:", [m["role"] for m in history])

    # -- stream=False: (text, history) ---------------------------------------------------------
    @llm_chat(llm_interface=llm, stream=False)
    async def whole(message: str, history: list[dict[str, Any]] | None = None) -> None:
        """You are a weather assistant."""

    async def once(past: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
        return await whole("Thanks!", past)

    text, history = asyncio.run(once(history))
    print("llm_chat whole:", text, [m["role"] for m in history][-2:])

    # -- enable_event=True: the ReAct loop's events in the same stream --------------------------
    @llm_chat(llm_interface=llm, toolkit=[get_weather], stream=True, enable_event=True)
    async def observed(message: str, history: list[dict[str, Any]] | None = None) -> None:
        """You are a weather assistant."""

    async def events() -> None:
        async for ev in observed("Weather at 1.0, 2.0?"):
            if isinstance(ev, ToolCallStart):
                print("event: tool_call_start", ev.name)
            elif isinstance(ev, ToolCallEnd):
                print("event: tool_call_end", ev.name, f"{ev.elapsed_s >= 0}")
            elif isinstance(ev, ToolCallError):
                print("event: tool_call_error", ev.name, ev.error)
            elif isinstance(ev, ModelCallEnd):
                print("event: model_call_end", ev.iteration)
            elif isinstance(ev, LoopEnd):
                print("event: loop_end", ev.model_calls, ev.tool_calls, ev.usage.output_tokens > 0)
        await llm.aclose()

    asyncio.run(events())
    llm.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--base-url", default="http://127.0.0.1:8080/v1")
    run(parser.parse_args().base_url)
