"""The tool loop, identical for every provider: model -> tool calls -> execute -> results ->
model again, until the model answers without tool calls or ``max_tool_calls`` is reached.

Written once, as a call program (see ``_program``): it runs each model turn as a nested call
program and asks its driver to execute the calls (``RunTools``), to resolve user callbacks
(``Resolve``) and to hand a ``review_request`` to the caller (``Ask``). The sync driver runs it
on the sync transport with sync tools called directly, the async driver on the caller's loop, so
sync and async, streamed or not, share every rule.

When the limit is reached, the calls of that turn are not executed: each gets a tool message
saying so, and one last model call is made with ``tool_choice="none"`` so the model answers with
what it has. A call to a schema-only tool (a dict schema, not a function) ends the loop and
returns the response with that call, for the caller to handle.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .._cost import Bill
from .._engine._abort import Aborted
from .._engine._actions import Ask, Resolve, RunTools
from .._engine._call import CallOptions
from .._engine._fetch_images import imaged_call
from .._engine._program import Program, call_program
from .._events import StreamEvent
from .._messages import Message, ToolCall
from .._parts import ImagePart
from .._request import Request
from .._response import ToolResult, Usage
from ._content import tool_content
from ._exec import (
    NO_DECISION,
    Decision,
    ToolRunner,
    coerce_decision,
    review_predicate,
)

if TYPE_CHECKING:
    from .._engine._engine import Engine

__all__ = ["LoopSettings", "tool_loop_program"]


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
    """The result as the model reads it: text, or text and image parts (``_content``)."""
    error = result.error
    content = f"Error: {error}" if error is not None else tool_content(result.content)
    return Message(role="tool", tool_call_id=call.id, name=call.name, content=content)


def tool_loop_program(
    engine: Engine, request: Request, opts: CallOptions, settings: LoopSettings
) -> Program:
    messages = list(request.messages)
    new_messages: list[Message] = []
    all_calls: list[ToolCall] = []
    all_results: list[ToolResult] = []
    usage = Usage()
    bill = Bill()  # the cost of every turn, as ``usage`` sums their tokens
    executed = 0
    needs_review = review_predicate(settings.interceptor)
    runner = ToolRunner(settings.tools, deps=settings.deps, emit=_unbound, watch=opts.watch)
    specs = [tool.to_spec() for tool in settings.tools]
    last_turn = False
    aborted: str | None = None
    fetched: dict[str, ImagePart] = {}  # remote images, fetched once for every turn

    while True:
        turn = request.model_copy(
            update={
                "messages": messages,
                "tools": specs,
                "tool_choice": "none" if last_turn else request.tool_choice,
                "stream": settings.streaming,
            }
        )
        call = yield from imaged_call(engine.setup, turn, opts, fetched)
        response = yield from call_program(call, settings.streaming, ending=False)
        usage = usage + response.usage
        bill = bill + response._bill
        calls = response.tool_calls
        all_calls.extend(calls)
        if response.abort_reason is not None:
            aborted = response.abort_reason
            break
        if (
            last_turn
            or not calls
            or not settings.tool_exec
            or not all(runner.executable(c) for c in calls)
        ):
            break
        turn_messages = [_replayable(m) for m in response.messages]
        if executed + len(calls) > settings.max_tool_calls:
            note = (
                f"not executed: the limit of {settings.max_tool_calls} tool calls per request "
                "was reached; answer with the information you have"
            )
            results = [ToolResult(tool_call_id=c.id, name=c.name, error=note) for c in calls]
            last_turn = True
        else:
            try:
                results = yield from _run_turn(runner, calls, needs_review, settings)
            except Aborted as stop:
                # Every call gets a result, so the history stays valid for the next turn.
                aborted = stop.reason
                note = f"cancelled: {stop.reason}"
                results = [ToolResult(tool_call_id=c.id, name=c.name, error=note) for c in calls]
            executed += len(calls)
        all_results.extend(results)
        turn_messages += [_tool_message(c, r) for c, r in zip(calls, results, strict=True)]
        messages += turn_messages
        new_messages += turn_messages
        if aborted is not None:
            break

    new_messages += response.messages if aborted is None or not calls else []
    response.usage = usage
    response._bill = bill
    response.tool_calls = all_calls
    response.tool_results = all_results
    response.messages = new_messages
    if aborted is not None:
        response.stop_reason = "aborted"
        response.abort_reason = aborted
    if settings.streaming:
        end: dict[str, Any] = {"stop_reason": response.stop_reason}
        if aborted is not None:
            end.update(aborted=True, reason=aborted)
        yield [
            StreamEvent("final", response, data=dict(end)),
            StreamEvent("done", None, data=end),
        ]
    return response


def _run_turn(
    runner: ToolRunner,
    calls: list[ToolCall],
    needs_review: Any,
    settings: LoopSettings,
) -> Generator[Any, Any, list[ToolResult]]:
    """Review (when an interceptor asks for it), then execute one turn's calls."""
    decisions: dict[str, Decision] = {}
    for tool_call in calls:
        if needs_review is None:
            continue
        try:
            arguments = tool_call.parsed_arguments()
        except ValueError:
            continue  # invalid JSON never runs; the model hears about it anyway
        if not (yield Resolve(needs_review, (tool_call.name, arguments))):
            continue
        if settings.streaming and settings.approve is None:
            answer = yield Ask(
                StreamEvent(
                    "review_request",
                    tool_call,
                    tool_id=tool_call.id,
                    data={"name": tool_call.name, "arguments": arguments},
                )
            )
            decisions[tool_call.id] = coerce_decision(answer)
        elif settings.approve is not None:
            answer = yield Resolve(settings.approve, (tool_call.name, arguments))
            decisions[tool_call.id] = coerce_decision(answer)
        else:
            decisions[tool_call.id] = Decision.reject(NO_DECISION)
    results: list[ToolResult] = yield RunTools(runner, list(calls), decisions)
    return results


def _replayable(message: Message) -> Message:
    """The assistant turn as it is sent back: a call whose arguments are not a JSON object (cut
    off by ``max_tokens``, or malformed) is replayed with ``{}``. Its tool result already tells
    the model what was wrong; replaying the broken text makes servers reject the whole request
    (llama.cpp answers 500). ``Response.tool_calls`` keeps the arguments as they came."""
    if not message.tool_calls:
        return message
    fixed = []
    changed = False
    for call in message.tool_calls:
        try:
            call.parsed_arguments()
        except ValueError:
            call = call.model_copy(update={"arguments": "{}"})
            changed = True
        fixed.append(call)
    return message.model_copy(update={"tool_calls": fixed}) if changed else message


def _unbound(event: StreamEvent) -> None:
    raise RuntimeError("tool events are routed by the driver running the turn")
