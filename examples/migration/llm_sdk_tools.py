"""better-llm-sdk's tools: callables and dict schemas, tool_exec=False, interceptors, generators.

    python examples/migration/llm_sdk_tools.py --base-url http://127.0.0.1:8080/v1

Guide: docs/migration/llm-sdk.md, "Tools". ``tool_interceptor("delete_file")`` is
``interceptor=["delete_file"]``; a ``review_request`` is answered with ``send()`` as in the
seed; generator tools stream ``tool_stream`` events and their return value is the result.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import AsyncIterator, Generator
from typing import Any

import modelport as mp
from modelport.tools import Return


def get_weather(city: str, unit: str = "celsius") -> dict[str, Any]:
    """Get the current weather for a city.

    Args:
        city: The name of the city
        unit: Temperature unit (celsius or fahrenheit)
    """
    return {"temperature": 22, "condition": "sunny", "unit": unit}


search_tool_schema = {
    "type": "function",
    "function": {
        "name": "search_internet",
        "description": "Search the internet for information",
        "parameters": {
            "type": "object",
            "properties": {"query": {"type": "string", "description": "The search query"}},
            "required": ["query"],
        },
    },
}


def delete_file(path: str) -> str:
    """Delete a file at the given path.

    Args:
        path: File path to delete
    """
    return f"Deleted {path}"


def search_database(query: str) -> Generator[dict[str, Any], None, dict[str, int]]:
    """Search database with streaming results.

    Args:
        query: What to search for.
    """
    results = []
    for i in range(3):
        result = f"Record {i + 1} matching '{query}'"
        results.append(result)
        yield {"type": "answer", "content": result}
    return {"total": len(results)}  # the return value is the tool's result


async def async_streaming_tool(query: str) -> AsyncIterator[Any]:
    """Async generator tool.

    Args:
        query: What to search for.
    """
    for i in range(2):
        yield {"type": "answer", "content": f"Result {i + 1}"}
    yield Return("Done")  # async generators cannot `return` a value


def guarded_cleanup(path: str) -> Generator[Any, Any, str]:
    """Clean up a path, after a nested review.

    Args:
        path: What to clean up.
    """
    decision = yield {"type": "review_request", "content": {"name": "rm", "path": path}}
    return f"cleaned {path}" if decision == "approve" else f"kept {path}"


def run(base_url: str) -> None:
    llm = mp.LLM("openai-chat:tiny", base_url=base_url, temperature=0, max_tokens=200)
    messages = [{"role": "user", "content": "What's the weather in Paris?"}]

    # callables run automatically; results are in tool_results
    r = llm.complete(messages, tools=[get_weather])
    print("tool_results:", [(t.name, t.content["condition"]) for t in r.tool_results])

    # a dict schema is offered but not run: the call comes back in tool_calls
    r = llm.complete(messages, tools=[search_tool_schema])
    print("dict schema:", [c.name for c in r.tool_calls], r.stop_reason)

    # tool_exec=False: the calls, not executed (on the LLM or per call)
    r = llm.complete(messages, tools=[get_weather], tool_exec=False)
    print("tool_exec=False:", [c.name for c in r.tool_calls], r.tool_results)

    # tool_interceptor("delete_file") + send("approve")
    stream = llm.stream("Delete /tmp/test.txt", tools=[delete_file], interceptor=["delete_file"])
    for event in stream:
        if event.type == "review_request":
            print("review_request:", event.data["name"], event.data["arguments"])
            event = stream.send("approve")  # True, False, a reason, or edited arguments
        if event.type == "tool_result":
            print("approved result:", event.content)

    # a custom interceptor function (sync or async); non-streamed with no approver: rejected
    def my_interceptor(tool_name: str, arguments: dict[str, Any]) -> bool:
        return tool_name == "delete_file"

    r = llm.complete("Delete /tmp/x", tools=[delete_file], interceptor=my_interceptor)
    print("non-streamed review:", r.tool_results[0].error is not None)

    # generator tools: tool_stream events, then the return value as the result
    for event in llm.stream("Search for 'python'", tools=[search_database]):
        if event.type == "tool_stream":
            print(f"tool_stream depth={event.depth}:", event.content["content"])
        elif event.type == "tool_result":
            print("generator result:", event.content)

    # a generator tool's own review_request: a tool_stream event, answered with send()
    stream = llm.stream("Clean up /tmp", tools=[guarded_cleanup])
    for event in stream:
        if event.type == "tool_stream" and event.content["type"] == "review_request":
            print("nested review:", event.content["content"]["name"], event.depth)
            event = stream.send("approve")  # sent into the generator
        if event.type == "tool_result":
            print("nested result:", event.content.startswith("cleaned "))

    async def run_async() -> None:
        async for event in llm.astream("Search", tools=[async_streaming_tool]):
            if event.type == "tool_result":
                print("async generator result:", event.content)
        await llm.aclose()

    asyncio.run(run_async())
    llm.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--base-url", default="http://127.0.0.1:1234/v1")
    run(parser.parse_args().base_url)
