"""Executing the tool calls of one model turn: review, bind, run concurrently, report.

Async tools run as tasks, sync tools and sync generators in worker threads, so a slow tool never
blocks the event loop and the calls of one turn overlap. Every failure (unknown tool, invalid
JSON, arguments that fail validation, a rejection, an exception in the tool) becomes a
``ToolResult`` with ``error`` set, which the loop sends back to the model: a tool problem is
information for the model, not a crash of the call.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .._errors import ConfigurationError, ToolExecutionError
from .._events import StreamEvent
from .._logs import tools_log
from .._messages import ToolCall
from .._response import ToolResult
from ._review import is_review

if TYPE_CHECKING:
    from .._engine._observe import Watch

__all__ = [
    "NO_DECISION",
    "Decision",
    "Return",
    "ToolRunner",
    "coerce_decision",
    "review_predicate",
    "result_text",
]


@dataclass(frozen=True, slots=True)
class Return:
    """Yield ``Return(value)`` from an async generator tool to set its result explicitly
    (async generators cannot ``return`` a value). Otherwise the last yielded item is the result."""

    value: Any


@dataclass(frozen=True, slots=True)
class Decision:
    """A reviewer's answer to a ``review_request``: approve (optionally with edited arguments)
    or reject with a reason the model will read."""

    approved: bool
    reason: str | None = None
    arguments: dict[str, Any] | None = None

    @classmethod
    def approve(cls, arguments: dict[str, Any] | None = None) -> Decision:
        return cls(True, None, arguments)

    @classmethod
    def reject(cls, reason: str = "rejected by the reviewer") -> Decision:
        return cls(False, reason, None)


NO_DECISION = "no approval was given (pass approve=... or answer the review_request with send())"


def coerce_decision(value: Any) -> Decision:
    """What users naturally answer: True/False, a rejection reason, edited arguments."""
    if isinstance(value, Decision):
        return value
    if value is True or value == "approve":
        return Decision.approve()
    if value is None:
        return Decision.reject(NO_DECISION)
    if value is False:
        return Decision.reject()
    if isinstance(value, str):
        return Decision.reject(value)
    if isinstance(value, Mapping):
        return Decision.approve(dict(value))
    raise ConfigurationError(
        f"a review decision is True, False, a rejection reason, edited arguments or a "
        f"Decision, not {value!r}"
    )


Predicate = Callable[[str, dict[str, Any]], "bool | Awaitable[bool]"]


def review_predicate(interceptor: Any) -> Predicate | None:
    """``interceptor=``: True (review all), tool names and/or tool functions, or a callable
    ``(name, arguments) -> bool`` (sync or async)."""
    if interceptor is None or interceptor is False:
        return None
    if interceptor is True:
        return lambda name, args: True
    if isinstance(interceptor, (list, tuple, set, frozenset)):
        names = {item if isinstance(item, str) else _tool_name(item) for item in interceptor}
        return lambda name, args: name in names
    if callable(interceptor):
        fn: Predicate = interceptor
        return fn
    raise ConfigurationError(
        f"interceptor must be True, a list of tools, or a callable, not {interceptor!r}"
    )


def _tool_name(fn: Any) -> str:
    """The name the model sees: ``@tool(name=...)`` when set, else the function's."""
    from ._schema._tool_decorator import tool_meta

    meta = tool_meta(fn)
    if meta is not None and meta.name:
        return meta.name
    return str(getattr(fn, "__name__", ""))


def _safe_str(value: object) -> str:
    """``str(value)``, or a placeholder when its ``__str__`` itself raises."""
    try:
        return str(value)
    except Exception:
        return f"<{type(value).__name__} whose str() failed>"


def result_text(value: Any) -> str:
    """How a tool's return value is shown to the model."""
    if isinstance(value, str):
        return value
    dump = getattr(value, "model_dump_json", None)
    if callable(dump):
        return str(dump())
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = dataclasses.asdict(value)
    try:
        return json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        return repr(value)


class ToolRunner:
    """Runs one turn's calls; events go to ``emit`` (an asyncio queue's put_nowait)."""

    def __init__(
        self,
        tools: Sequence[Any],
        *,
        deps: Mapping[str, Any] | None,
        emit: Callable[[StreamEvent], None],
        watch: Watch | None = None,
    ) -> None:
        self.tools = {t.name: t for t in tools}
        self.deps = dict(deps or {})
        self.emit = emit
        self.watch = watch  # the call's observe_call observers: told of each execution
        # How a generator tool's review_request waits for the caller (set by ``_turns``);
        # without a driver it is shown and answered with None.
        self.ask: Callable[[StreamEvent], Any] = self._unanswered
        self.aask: Callable[[StreamEvent], Awaitable[Any]] = self._aunanswered

    def executable(self, call: ToolCall) -> bool:
        tool = self.tools.get(call.name)
        return tool is None or tool.fn is not None

    def _prepare(
        self, call: ToolCall, decision: Decision | None
    ) -> tuple[Any, tuple[Any, ...], dict[str, Any]]:
        """The tool and its bound arguments, or a ``_ToolFailure`` saying why it cannot run."""
        tool = self.tools.get(call.name)
        if tool is None:
            known = ", ".join(sorted(self.tools)) or "none"
            raise _ToolFailure(f"unknown tool {call.name!r}; available tools: {known}")
        if decision is not None and not decision.approved:
            raise _ToolFailure(f"the call was not executed: {decision.reason}")
        if decision is not None and decision.arguments is not None:
            arguments = decision.arguments
        else:
            try:
                arguments = call.parsed_arguments()
            except ValueError as exc:
                raise _ToolFailure(
                    f"invalid JSON arguments ({exc}); the arguments received were: "
                    f"{call.arguments!r}"
                ) from None
        try:
            args, kwargs = tool.bind(arguments, self.deps)
        except ToolExecutionError as exc:
            raise _ToolFailure(exc.message) from None
        return tool, args, kwargs

    def _report(self, call: ToolCall, job: str, value: Any, exc: Exception | None) -> ToolResult:
        """The result (or the failure) as a ``ToolResult`` plus its event; only a
        ``ConfigurationError`` (the caller's own setup is wrong) escapes."""
        if exc is not None:
            if isinstance(exc, ConfigurationError):
                raise exc
            error = (
                str(exc)
                if isinstance(exc, _ToolFailure)
                else f"{call.name} raised {type(exc).__name__}: {_safe_str(exc)}"
            )
            return self._error(call, job, error)
        try:
            result_text(value)  # rendered now, so a result that cannot be shown is the tool's error
        except Exception as render:
            return self._error(
                call,
                job,
                f"{call.name} returned a {type(value).__name__} that cannot be shown as text "
                f"({type(render).__name__}: {_safe_str(render)})",
            )
        tools_log.debug("tool %s (%s) returned a %s", call.name, call.id, type(value).__name__)
        self.emit(StreamEvent("tool_result", value, source=call.name, tool_id=call.id, job=job))
        return ToolResult(tool_call_id=call.id, name=call.name, content=value)

    def _error(self, call: ToolCall, job: str, error: str) -> ToolResult:
        tools_log.debug("tool %s (%s) failed: %s", call.name, call.id, error[:200])
        self.emit(StreamEvent("tool_error", error, source=call.name, tool_id=call.id, job=job))
        return ToolResult(tool_call_id=call.id, name=call.name, error=error)

    async def run(self, call: ToolCall, decision: Decision | None) -> ToolResult:
        """Async execution: async tools on the loop, sync ones in worker threads."""
        if self.watch is None:
            return await self._run(call, decision)
        seen = self.watch.tool(call)
        with seen.active():
            result = await self._run(call, decision)
        seen.end(result)
        return result

    async def _run(self, call: ToolCall, decision: Decision | None) -> ToolResult:
        job = _new_job()
        try:
            tool, args, kwargs = self._prepare(call, decision)
            value = await self._execute(tool, call, job, args, kwargs)
        except Exception as exc:
            return self._report(call, job, None, exc)
        return self._report(call, job, value, None)

    def run_blocking(self, call: ToolCall, decision: Decision | None) -> ToolResult:
        """Sync execution: sync tools and generators are called directly in this thread; async
        ones go through the bridge (``_bgloop``), the one place a sync call meets a loop."""
        if self.watch is None:
            return self._run_blocking(call, decision)
        seen = self.watch.tool(call)
        with seen.active():
            result = self._run_blocking(call, decision)
        seen.end(result)
        return result

    def _run_blocking(self, call: ToolCall, decision: Decision | None) -> ToolResult:
        job = _new_job()
        try:
            tool, args, kwargs = self._prepare(call, decision)
            if tool.kind == "sync":
                value = tool.fn(*args, **kwargs)
            elif tool.kind == "gen":
                value = self._drain_gen_here(tool.fn(*args, **kwargs), call, job)
            else:
                from .._bgloop import run_sync

                value = run_sync(self._execute(tool, call, job, args, kwargs))
        except Exception as exc:
            return self._report(call, job, None, exc)
        return self._report(call, job, value, None)

    def _drain_gen_here(self, gen: Any, call: ToolCall, job: str) -> Any:
        last: Any = None
        reply: Any = None  # the caller's answer to a review_request the tool yielded
        while True:
            try:
                value = gen.send(reply)
            except StopIteration as stop:
                return stop.value if stop.value is not None else last
            if isinstance(value, Return):
                gen.close()
                return value.value
            reply = self._stream(value, call, job)
            last = value

    async def _execute(
        self, tool: Any, call: ToolCall, job: str, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        kind = tool.kind
        fn = tool.fn
        if kind == "async":
            return await fn(*args, **kwargs)
        if kind == "sync":
            return await asyncio.to_thread(fn, *args, **kwargs)
        if kind == "gen":
            return await self._drain_sync_gen(fn(*args, **kwargs), call, job)
        if kind == "async_gen":
            agen, last, reply = fn(*args, **kwargs), None, None
            while True:
                try:
                    item = await agen.asend(reply)
                except StopAsyncIteration:
                    return last
                if isinstance(item, Return):
                    await agen.aclose()
                    return item.value
                reply = await self._astream(item, call, job)
                last = item
        raise _ToolFailure(f"tool {call.name!r} has no implementation (a schema-only tool)")

    async def _drain_sync_gen(self, gen: Any, call: ToolCall, job: str) -> Any:
        """Step a sync generator in a worker thread per item; its return value (or else the
        last item) is the result. It always runs to completion, off the event loop."""
        last: Any = None

        def step(reply: Any) -> tuple[bool, Any]:
            try:
                return False, gen.send(reply)
            except StopIteration as stop:
                return True, stop.value

        reply: Any = None
        while True:
            finished, value = await asyncio.to_thread(step, reply)
            if finished:
                return value if value is not None else last
            if isinstance(value, Return):
                gen.close()
                return value.value
            reply = await self._astream(value, call, job)
            last = value

    def _event(self, item: Any, call: ToolCall, job: str) -> StreamEvent:
        if isinstance(item, StreamEvent):
            depth = item.depth + 1
        elif isinstance(item, Mapping) and isinstance(item.get("depth"), int):
            depth = item["depth"] + 1  # an event dict forwarded from a nested stream
        else:
            depth = 1
        return StreamEvent(
            "tool_stream", item, source=call.name, tool_id=call.id, job=job, depth=depth
        )

    def _stream(self, item: Any, call: ToolCall, job: str) -> Any:
        """Show one yielded item; for a review_request, wait for the caller's answer."""
        event = self._event(item, call, job)
        if is_review(item):
            return self.ask(event)
        self.emit(event)
        return None

    async def _astream(self, item: Any, call: ToolCall, job: str) -> Any:
        event = self._event(item, call, job)
        if is_review(item):
            return await self.aask(event)
        self.emit(event)
        return None

    def _unanswered(self, event: StreamEvent) -> Any:
        self.emit(event)
        return None

    async def _aunanswered(self, event: StreamEvent) -> Any:
        self.emit(event)
        return None


def _new_job() -> str:
    return "job_" + os.urandom(4).hex()


class _ToolFailure(Exception):
    """Internal: a failure to report to the model as a tool error."""
