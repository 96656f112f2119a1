"""``llm_chat``: the docstring is the system prompt; history and message are bound by name.

The history parameter is the one named ``history`` or ``chat_history``; every other parameter
makes the user message (one parameter: its value; several: ``name: value`` lines). A parameter
named ``abort`` receives the ``AbortSignal`` (otherwise ``abort=`` is an extra keyword of the
decorated function). Four ways to run, by the function's kind and ``stream=``: sync or async,
streamed (a generator of ``(chunk, history)`` pairs, or of events with ``events=True``) or whole
(``(text, history)``).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Generator, Iterator
from typing import Any

from .._errors import ConfigurationError
from .._messages import Message
from ._common import (
    AbortSignal,
    call_options,
    llm_default,
    message_dict,
    resolve_llm,
    role_of,
    to_text,
)
from ._tracker import Tracker, final_history

__all__ = ["ChatReply", "llm_chat"]

HISTORY_NAMES = ("history", "chat_history")
_DEFAULT_LIMIT = 10  # the core's max_tool_calls default, for the "not executed" note


class _Binding:
    """How a call of the decorated function maps to (history, user message, abort signal)."""

    def __init__(self, fn: Callable[..., Any]) -> None:
        self.name = fn.__qualname__
        self.signature = inspect.signature(fn)
        params = self.signature.parameters
        found = [n for n in HISTORY_NAMES if n in params]
        if not found:
            raise ConfigurationError(
                f"llm_chat: {self.name} needs a parameter named 'history' or 'chat_history'"
            )
        if len(found) > 1:
            raise ConfigurationError(
                f"llm_chat: {self.name} has both 'history' and 'chat_history'; keep one"
            )
        self.history = found[0]
        self.abort = "abort" if "abort" in params else None
        if any(p.kind is inspect.Parameter.VAR_POSITIONAL for p in params.values()):
            raise ConfigurationError(f"llm_chat: {self.name} cannot take *args")
        self.message = [n for n in params if n not in (self.history, self.abort)]
        if not self.message:
            raise ConfigurationError(
                f"llm_chat: {self.name} needs a parameter for the user's message besides "
                f"{self.history!r}"
            )
        self.system = inspect.getdoc(fn)

    def bind(self, args: tuple[Any, ...], kw: dict[str, Any]) -> tuple[list[Any], Any, Any]:
        signal = kw.pop("abort", None) if self.abort is None else None
        bound = self.signature.bind(*args, **kw)
        bound.apply_defaults()
        values = bound.arguments
        if self.abort is not None:
            signal = values.get(self.abort)
        if signal is not None and not isinstance(signal, AbortSignal):
            raise ConfigurationError(f"abort must be a modelport.AbortSignal, not {signal!r}")
        history = values.get(self.history)
        if history is None:
            past: list[Any] = []
        elif isinstance(history, list | tuple):
            past = list(history)  # the caller's list is never mutated
        else:
            raise ConfigurationError(
                f"{self.history} must be a list of messages, not {type(history).__name__}"
            )
        fields: list[tuple[str, Any]] = []
        for name in self.message:
            param = self.signature.parameters[name]
            if param.kind is inspect.Parameter.VAR_KEYWORD:
                fields.extend(values.get(name, {}).items())
            elif name in values:
                fields.append((name, values[name]))
        if len(fields) == 1:
            value = fields[0][1]
            content: Any = "" if value is None else to_text(value)
        else:
            content = "\n".join(f"{n}: {to_text(v)}" for n, v in fields if v is not None)
        return past, content, signal


def _as_dict(item: Any) -> Any:
    return message_dict(item) if isinstance(item, Message) else dict(item)


class _Plan:
    """One call's messages, history head, options and tracker."""

    def __init__(self, binding: _Binding, base: dict[str, Any], llm: Any, lifecycle: bool):
        self.binding = binding
        self.base = base
        self.llm = llm
        self.lifecycle = lifecycle

    def start(self, args: tuple[Any, ...], kw: dict[str, Any]) -> tuple[Any, ...]:
        past, content, signal = self.binding.bind(args, dict(kw))
        user = {"role": "user", "content": content}
        system = self.binding.system
        items: list[Any] = list(past)
        if system and not any(role_of(m) == "system" for m in past):
            items.insert(0, {"role": "system", "content": system})  # else the history's wins
        items.append(user)
        kwargs = dict(self.base)
        if signal is not None:
            kwargs["abort"] = signal  # the core stops at once: a blocked read, running tools
        llm = self.llm
        show_verbose = bool(kwargs.get("verbose", llm_default(llm, "verbose", False)))
        tools: list[dict[str, Any]] = []
        if self.lifecycle:
            kwargs["verbose"] = True  # each model call's usage and latency
            tools = _tool_dicts(
                kwargs.get("tools", llm_default(llm, "tools", None)),
                kwargs.get("deps", llm_default(llm, "deps", None)) or {},
            )
        limit = kwargs.get("max_tool_calls", llm_default(llm, "max_tool_calls", _DEFAULT_LIMIT))
        tracker = Tracker(
            sent=[_as_dict(m) for m in items],
            head=[*past, user],
            tools=tools,
            lifecycle=self.lifecycle,
            show_verbose=show_verbose,
            limit=limit if isinstance(limit, int) else _DEFAULT_LIMIT,
        )
        return items, kwargs, tracker, signal


def _tool_dicts(tools: Any, deps: Any) -> list[dict[str, Any]]:
    if not tools:
        return []
    from .._tools._schema import coerce_tools

    out = []
    for t in coerce_tools(tools, deps=list(deps)):
        spec = t.to_spec()
        out.append(
            {
                "type": "function",
                "function": {
                    "name": spec.name,
                    "description": spec.description,
                    "parameters": spec.parameters,
                },
            }
        )
    return out


# -- the four ways to run --------------------------------------------------------------------


Started = tuple[Any, ...]  # what _Plan.start returns: (items, kwargs, tracker, signal)


def _events_sync(plan: _Plan, started: Started) -> Generator[Any, Any, None]:
    items, kwargs, tracker, _ = started
    stream = plan.llm.stream(items, **kwargs)
    try:
        decision: Any = None
        for out in tracker.begin():
            yield out
        while True:
            tracker.before_pull()
            try:
                ev = stream.send(decision)
            except StopIteration:
                return
            decision = None
            for out in tracker.feed(ev):
                sent = yield out
                if sent is not None:
                    decision = sent  # a review_request's answer goes to the core's stream
    finally:
        stream.close()  # closes the HTTP response: an aborted stream stops downloading


def _pairs_sync(plan: _Plan, started: Started) -> Iterator[Any]:
    items, kwargs, tracker, signal = started
    stream = plan.llm.stream(items, **kwargs)
    last: list[Any] | None = None
    try:
        for ev in stream:
            if signal is not None and signal.aborted:
                tracker.abort(signal.reason)
                yield "", tracker.history()
                return
            for out in tracker.feed(ev):
                if out is ev and ev.type == "answer":
                    last = tracker.history()
                    yield ev.content, last
    finally:
        stream.close()
    if tracker.final_history is not None and tracker.final_history != last:
        yield "", tracker.history()


async def _events_async(plan: _Plan, started: Started) -> AsyncGenerator[Any, Any]:
    items, kwargs, tracker, _ = started
    stream = plan.llm.astream(items, **kwargs)
    try:
        decision: Any = None
        for out in tracker.begin():
            yield out
        while True:
            tracker.before_pull()
            try:
                ev = await stream.asend(decision)
            except StopAsyncIteration:
                return
            decision = None
            for out in tracker.feed(ev):
                sent = yield out
                if sent is not None:
                    decision = sent
    finally:
        await stream.aclose()


async def _pairs_async(plan: _Plan, started: Started) -> AsyncIterator[Any]:
    items, kwargs, tracker, signal = started
    stream = plan.llm.astream(items, **kwargs)
    last: list[Any] | None = None
    try:
        async for ev in stream:
            if signal is not None and signal.aborted:
                tracker.abort(signal.reason)
                yield "", tracker.history()
                return
            for out in tracker.feed(ev):
                if out is ev and ev.type == "answer":
                    last = tracker.history()
                    yield ev.content, last
    finally:
        await stream.aclose()
    if tracker.final_history is not None and tracker.final_history != last:
        yield "", tracker.history()


def _whole(response: Any, tracker: Tracker) -> tuple[str, list[Any]]:
    return response.text, final_history(tracker.head, response)


class ChatReply:
    """What an ``async def`` chat with ``stream=False`` returns: ``await`` it for
    ``(text, history)``, or ``async for text, history in ...`` it (one pair), as the seed's
    non-streaming chats are consumed."""

    __slots__ = ("_run",)

    def __init__(self, run: Callable[[], Awaitable[tuple[str, list[Any]]]]) -> None:
        self._run = run

    def __await__(self) -> Generator[Any, None, tuple[str, list[Any]]]:
        return self._run().__await__()

    async def __aiter__(self) -> AsyncIterator[tuple[str, list[Any]]]:
        yield await self._run()


def llm_chat(
    model: Any = None,
    *,
    llm_interface: Any = None,
    stream: bool = True,
    events: bool = False,
    enable_event: bool | None = None,
    **call_kwargs: Any,
) -> Callable[..., Any]:
    """``@llm_chat(llm_or_spec, stream=True, events=False, tools=[...])`` (see docs/fn.md)."""
    llm = resolve_llm(model, llm_interface, "llm_chat")
    if enable_event is not None:
        events = enable_event  # SimpleLLMFunc's spelling
    if not isinstance(stream, bool) or not isinstance(events, bool):
        raise ConfigurationError("llm_chat: stream= and events= are True or False")
    if events and not stream:
        raise ConfigurationError(
            "llm_chat: events=True needs stream=True (stream=False returns (text, history))"
        )
    base = call_options(call_kwargs, "llm_chat")

    def decorate(fn: Callable[..., Any]) -> Any:
        plan = _Plan(_Binding(fn), base, llm, lifecycle=events)
        is_async = inspect.iscoroutinefunction(fn) or inspect.isasyncgenfunction(fn)
        wrapper: Callable[..., Any]
        if is_async and stream:
            run_async = _events_async if events else _pairs_async

            def achat(*args: Any, **kw: Any) -> AsyncIterator[Any]:
                return run_async(plan, plan.start(args, kw))

            wrapper = achat
        elif is_async:

            def achat_whole(*args: Any, **kw: Any) -> ChatReply:
                items, kwargs, tracker, _ = plan.start(args, kw)

                async def run() -> tuple[str, list[Any]]:
                    return _whole(await llm.acomplete(items, **kwargs), tracker)

                return ChatReply(run)

            wrapper = achat_whole
        elif stream:
            run_sync = _events_sync if events else _pairs_sync

            def chat(*args: Any, **kw: Any) -> Iterator[Any]:
                return run_sync(plan, plan.start(args, kw))

            wrapper = chat
        else:

            def chat_whole(*args: Any, **kw: Any) -> tuple[str, list[Any]]:
                items, kwargs, tracker, _ = plan.start(args, kw)
                return _whole(llm.complete(items, **kwargs), tracker)

            wrapper = chat_whole
        out = functools.wraps(fn)(wrapper)
        out.llm = llm  # type: ignore[attr-defined]
        return out

    return decorate
