"""The tool loop, identical for every provider: model -> tool calls -> execute -> results ->
model again, until the model answers without tool calls or ``max_tool_calls`` is reached.

Written once, as an async generator of ``StreamEvent``s that also receives review decisions
through ``asend``. ``acomplete`` drains it; ``stream``/``complete`` drive it from the background
loop (``_bgloop``), so sync and async, streamed or not, share every rule.

When the limit is reached, the calls of that turn are not executed: each gets a tool message
saying so, and one last model call is made with ``tool_choice="none"`` so the model answers with
what it has. A call to a schema-only tool (a dict schema, not a function) ends the loop and
returns the response with that call, for the caller to handle.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ._call import CallOptions
from ._events import StreamEvent
from ._messages import Message, ToolCall
from ._request import Request
from ._response import Response, ToolResult, Usage
from ._tool_exec import (
    NO_DECISION,
    Decision,
    ToolRunner,
    coerce_decision,
    maybe_await,
    result_text,
    review_predicate,
)

if TYPE_CHECKING:
    from ._engine import Engine

__all__ = ["LoopSettings", "run_tool_loop"]


@dataclass(slots=True)
class LoopSettings:
    tools: Sequence[Any]
    tool_exec: bool = True
    max_tool_calls: int = 10
    deps: Mapping[str, Any] = field(default_factory=dict)
    interceptor: Any = None
    approve: Callable[..., Any] | None = None
    streaming: bool = True


def _tool_message(call: ToolCall, result: ToolResult) -> Message:
    text = f"Error: {result.error}" if result.error is not None else result_text(result.content)
    return Message(role="tool", tool_call_id=call.id, name=call.name, content=text)


async def run_tool_loop(
    engine: Engine, request: Request, opts: CallOptions, settings: LoopSettings
) -> AsyncGenerator[StreamEvent, Any]:
    messages = list(request.messages)
    new_messages: list[Message] = []
    all_calls: list[ToolCall] = []
    all_results: list[ToolResult] = []
    usage = Usage()
    executed = 0
    needs_review = review_predicate(settings.interceptor)
    events: asyncio.Queue[StreamEvent] = asyncio.Queue()
    runner = ToolRunner(settings.tools, deps=settings.deps, emit=events.put_nowait)
    specs = [tool.to_spec() for tool in settings.tools]
    last_turn = False

    while True:
        turn = request.model_copy(
            update={
                "messages": messages,
                "tools": specs,
                "tool_choice": "none" if last_turn else request.tool_choice,
                "stream": settings.streaming,
            }
        )
        response: Response | None = None
        if settings.streaming:
            async for ev in engine.astream(turn, opts):
                if ev.type == "final":
                    response = ev.content
                elif ev.type != "done":
                    yield ev
        else:
            response = await engine.acomplete(turn, opts)
        assert response is not None  # the engine always ends a stream with "final"
        usage = usage + response.usage
        calls = response.tool_calls
        all_calls.extend(calls)
        if (
            last_turn
            or not calls
            or not settings.tool_exec
            or not all(runner.executable(c) for c in calls)
        ):
            break
        turn_messages = list(response.messages)
        if executed + len(calls) > settings.max_tool_calls:
            note = (
                f"not executed: the limit of {settings.max_tool_calls} tool calls per request "
                "was reached; answer with the information you have"
            )
            results = [ToolResult(tool_call_id=c.id, name=c.name, error=note) for c in calls]
            last_turn = True
        else:
            decisions: dict[str, Decision] = {}
            for call in calls:
                if needs_review is None:
                    continue
                try:
                    arguments = call.parsed_arguments()
                except ValueError:
                    continue  # invalid JSON never runs; the model hears about it anyway
                if not await maybe_await(needs_review(call.name, arguments)):
                    continue
                if settings.streaming and settings.approve is None:
                    answer = yield StreamEvent(
                        "review_request",
                        call,
                        tool_id=call.id,
                        data={"name": call.name, "arguments": arguments},
                    )
                    decisions[call.id] = coerce_decision(answer)
                elif settings.approve is not None:
                    answer = await maybe_await(settings.approve(call.name, arguments))
                    decisions[call.id] = coerce_decision(answer)
                else:
                    decisions[call.id] = Decision.reject(NO_DECISION)
            tasks = [
                asyncio.ensure_future(runner.run(call, decisions.get(call.id))) for call in calls
            ]
            pending: set[asyncio.Future[ToolResult]] = set(tasks)
            while pending:
                getter = asyncio.ensure_future(events.get())
                waiting: set[asyncio.Future[Any]] = {getter, *pending}
                done, _ = await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
                if getter in done:
                    yield getter.result()
                else:
                    getter.cancel()
                pending -= done
            while not events.empty():
                yield events.get_nowait()
            results = [task.result() for task in tasks]
            executed += len(calls)
        all_results.extend(results)
        turn_messages += [_tool_message(c, r) for c, r in zip(calls, results, strict=True)]
        messages += turn_messages
        new_messages += turn_messages

    new_messages += response.messages
    response.usage = usage
    response.tool_calls = all_calls
    response.tool_results = all_results
    response.messages = new_messages
    yield StreamEvent("final", response)
    yield StreamEvent("done", None, data={"stop_reason": response.stop_reason})
