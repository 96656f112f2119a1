"""``@modelport.tools.tool(name=, description=)``: what the model sees, and that the function
stays a function. The wire side is checked against the scripted server, with the decorators."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import modelport as mp
import pytest
from modelport.fn import llm_chat
from modelport.testing import Reply, ScriptedServer
from modelport.tools import tool, tool_from_function


@tool(name="get_weather", description="Today's weather for one city.")
def weather_lookup(city: str, unit: str = "C") -> dict[str, Any]:
    """Look the weather up (this summary is replaced by the description).

    Args:
        city: City name, e.g. "Paris".
        unit: "C" or "F".
    """
    return {"city": city, "temp": 21, "unit": unit}


@tool(name="async-clock")
async def clock(zone: str) -> str:
    """The time in a zone."""
    return f"12:00 {zone}"


@tool
def plain(x: int) -> int:
    """Unchanged by a bare @tool."""
    return x


def test_name_and_description_set_the_schema() -> None:
    t = tool_from_function(weather_lookup)
    assert (t.name, t.description) == ("get_weather", "Today's weather for one city.")
    assert t.parameters["properties"]["city"]["description"] == 'City name, e.g. "Paris".'
    assert t.kind == "sync"
    a = tool_from_function(clock)
    assert (a.name, a.description, a.kind) == ("async-clock", "The time in a zone.", "async")
    p = tool_from_function(plain)
    assert (p.name, p.description) == ("plain", "Unchanged by a bare @tool.")


def test_the_function_is_still_a_function() -> None:
    assert weather_lookup("Rome") == {"city": "Rome", "temp": 21, "unit": "C"}
    assert asyncio.run(clock("UTC")) == "12:00 UTC"
    assert weather_lookup.__name__ == "weather_lookup"


def test_explicit_arguments_win_over_the_decorator() -> None:
    t = tool_from_function(weather_lookup, name="w2", description="other")
    assert (t.name, t.description) == ("w2", "other")


def test_bad_names_fail_at_decoration() -> None:
    with pytest.raises(mp.SchemaConversionError, match="must match"):
        tool(name="has space")
    with pytest.raises(mp.SchemaConversionError, match="str"):
        tool(description=3)  # type: ignore[arg-type]
    with pytest.raises(mp.SchemaConversionError, match="decorates a function"):
        tool(name="x")(42)  # type: ignore[type-var]


def _reply(message: dict[str, Any]) -> Reply:
    finish = "tool_calls" if message.get("tool_calls") else "stop"
    return Reply.json(
        {
            "id": "c",
            "object": "chat.completion",
            "model": "m",
            "choices": [{"index": 0, "message": message, "finish_reason": finish}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1},
        }
    )


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    with ScriptedServer() as s:
        yield s


def test_the_model_calls_the_tool_by_its_given_name(server: ScriptedServer) -> None:
    call = {
        "id": "c1",
        "type": "function",
        "function": {"name": "get_weather", "arguments": json.dumps({"city": "Oslo"})},
    }
    server.add(
        _reply({"role": "assistant", "content": None, "tool_calls": [call]}),
        _reply({"role": "assistant", "content": "Cold."}),
    )
    with mp.LLM("openai-chat:m", base_url=server.base_url, api_key="k", cache="never") as llm:

        @llm_chat(llm, stream=False, toolkit=[weather_lookup, clock])
        def chat(message: str, history: list[Any] | None = None) -> None:
            """Weather bot."""

        text, history = chat("Oslo?")
    sent_tools = server.requests[0].json()["tools"]
    assert [t["function"]["name"] for t in sent_tools] == ["get_weather", "async-clock"]
    assert sent_tools[0]["function"]["description"] == "Today's weather for one city."
    assert text == "Cold."
    assert history[2]["name"] == "get_weather"
    assert json.loads(history[2]["content"]) == {"city": "Oslo", "temp": 21, "unit": "C"}
