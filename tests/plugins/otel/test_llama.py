"""End to end with the real llama.cpp server: a tool loop traced the same way whether it runs
sync, async or streamed."""

from __future__ import annotations

import asyncio

import modelport as mp
import pytest
from llama_peer import LlamaServer

from .conftest import Otel

pytestmark = pytest.mark.peers


def lookup_weather(city: str) -> str:
    """Weather for a city.

    Args:
        city: City name.
    """
    return f"sunny in {city}"


@pytest.mark.parametrize("mode", ["sync", "async", "stream"])
def test_a_traced_tool_loop(otel: Otel, llama_plain: LlamaServer, mode: str) -> None:
    with mp.LLM(
        "openai-chat:tiny", base_url=llama_plain.base_url, temperature=0, max_tokens=64
    ) as llm:
        if mode == "sync":
            r = llm.complete("Weather?", tools=[lookup_weather], cache="never")
        elif mode == "async":
            r = asyncio.run(llm.acomplete("Weather?", tools=[lookup_weather], cache="never"))
        else:
            events = list(llm.stream("Weather?", tools=[lookup_weather], cache="never"))
            r = events[-2].content
    assert r.text == "Hello from tiny model."
    (call,) = otel.named("chat ")
    attrs = dict(call.attributes or {})
    assert attrs["gen_ai.usage.input_tokens"] == r.usage.input_tokens > 0
    assert attrs["gen_ai.usage.output_tokens"] == r.usage.output_tokens > 0
    assert attrs["gen_ai.response.finish_reasons"] == ("stop",)
    assert attrs["gen_ai.response.model"] == r.model
    assert attrs["server.port"] == int(llama_plain.base_url.rsplit(":", 1)[1].split("/")[0])
    children = otel.children(call)
    assert sorted({c.name for c in children}) == ["POST", "execute_tool lookup_weather"]
    # Two model turns answered 200. llama.cpp closes the connection after every stream, so a
    # turn may first fail on the reused connection and be retried: that attempt has its span
    # too, marked with its error.
    posts = [dict(c.attributes or {}) for c in children if c.name == "POST"]
    answered = [a for a in posts if a.get("http.response.status_code") == 200]
    assert len(answered) == 2
    assert all("error.type" in a or "modelport.error.type" in a for a in posts if a not in answered)
    (tool,) = otel.named("execute_tool ")
    assert dict(tool.attributes or {})["gen_ai.tool.call.id"] == r.tool_calls[0].id
    (usage,) = [
        p
        for p in otel.points("gen_ai.client.token.usage")
        if p.attributes["gen_ai.token.type"] == "output"
    ]
    assert usage.sum == r.usage.output_tokens
