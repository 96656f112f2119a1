"""Decorators that turn a Python signature into a model call.

``@llm_function``: the docstring is the prompt (``{name}`` placeholders are filled from the
arguments), the return annotation is the output type (``str`` gives the text; anything else is
used as ``response_format`` and the validated object is returned).

``@llm_chat``: the docstring is the system prompt; calling the function with a history and a
message streams ``(chunk, history)`` pairs (or ``StreamEvent``s with ``events=True``). An
``AbortSignal`` stops a running stream between chunks; the partial answer is kept in the
history, marked as interrupted in the event data.

Both work on ``def`` and ``async def`` functions (the async form uses ``acomplete`` /
``astream``). The function body is never executed: the signature and docstring are the spec.
"""

from __future__ import annotations

import functools
import inspect
import json
import string
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any, get_type_hints

from ._errors import ConfigurationError

__all__ = ["AbortSignal", "llm_chat", "llm_function"]


class AbortSignal:
    """Thread-safe flag a UI sets to stop a streaming chat (``signal.abort()``)."""

    __slots__ = ("_event",)

    def __init__(self) -> None:
        self._event = threading.Event()

    def abort(self) -> None:
        self._event.set()

    @property
    def aborted(self) -> bool:
        return self._event.is_set()

    def reset(self) -> None:
        self._event.clear()


def _resolve_llm(model: Any) -> Any:
    if isinstance(model, str):
        from ._client import LLM

        return LLM(model)
    if hasattr(model, "complete") and hasattr(model, "stream"):
        return model
    raise ConfigurationError("pass an LLM or a 'provider:model' spec to the decorator")


def _prompt(fn: Callable[..., Any], bound: inspect.BoundArguments) -> str:
    doc = inspect.getdoc(fn)
    if not doc:
        raise ConfigurationError(f"{fn.__qualname__} needs a docstring: it is the prompt")
    args = dict(bound.arguments)
    fields = {name for _, name, _, _ in string.Formatter().parse(doc) if name}
    missing = fields - set(args)
    if missing:
        raise ConfigurationError(
            f"the docstring of {fn.__qualname__} refers to {sorted(missing)}, which are not "
            "parameters"
        )
    if fields:
        return doc.format(**args)
    if not args:
        return doc
    rendered = json.dumps(args, ensure_ascii=False, default=str, indent=1)
    return f"{doc}\n\nInput:\n{rendered}"


def llm_function(model: Any, **call_kwargs: Any) -> Callable[[Callable[..., Any]], Any]:
    """``@llm_function(llm_or_spec, temperature=0, tools=[...])``."""
    llm = _resolve_llm(model)

    def decorate(fn: Callable[..., Any]) -> Any:
        signature = inspect.signature(fn)
        hints = get_type_hints(fn, include_extras=True)
        output = hints.get("return", str)
        kwargs = dict(call_kwargs)
        if output is not str and output is not type(None):
            kwargs.setdefault("response_format", output)

        def result(response: Any) -> Any:
            return response.text if output is str else response.structured

        if inspect.iscoroutinefunction(fn):

            @functools.wraps(fn)
            async def acall(*args: Any, **kw: Any) -> Any:
                bound = signature.bind(*args, **kw)
                bound.apply_defaults()
                return result(await llm.acomplete(_prompt(fn, bound), **kwargs))

            acall.llm = llm  # type: ignore[attr-defined]
            return acall

        @functools.wraps(fn)
        def call(*args: Any, **kw: Any) -> Any:
            bound = signature.bind(*args, **kw)
            bound.apply_defaults()
            return result(llm.complete(_prompt(fn, bound), **kwargs))

        call.llm = llm  # type: ignore[attr-defined]
        return call

    return decorate


def _chat_messages(system: str | None, history: list[Any], message: str) -> list[Any]:
    messages: list[Any] = []
    if system:
        messages.append({"role": "system", "content": system})
    messages.extend(history)
    messages.append({"role": "user", "content": message})
    return messages


def llm_chat(model: Any, *, events: bool = False, **call_kwargs: Any) -> Callable[..., Any]:
    """``@llm_chat(llm_or_spec)`` on ``def chat(history, message): "system prompt"``.

    Calling ``chat(history, message, abort=signal)`` yields ``(chunk, history)``: each answer
    chunk with the history so far (the last item is the assistant message being written). With
    ``events=True`` it yields every ``StreamEvent`` instead (reasoning, tool events, final, ...)
    and the caller reads the history from ``final``.
    """
    llm = _resolve_llm(model)

    def decorate(fn: Callable[..., Any]) -> Any:
        system = inspect.getdoc(fn)

        def start(history: list[Any] | None, message: str) -> tuple[list[Any], list[Any]]:
            past = list(history or [])
            return past, _chat_messages(system, past, message)

        if inspect.iscoroutinefunction(fn) or inspect.isasyncgenfunction(fn):

            @functools.wraps(fn)
            async def achat(
                history: list[Any] | None, message: str, *, abort: AbortSignal | None = None
            ) -> AsyncIterator[Any]:
                past, messages = start(history, message)
                state = _ChatState(past, message)
                stream = llm.astream(messages, **call_kwargs)
                try:
                    async for ev in stream:
                        if abort is not None and abort.aborted:
                            state.interrupted = True
                            break
                        out = state.on_event(ev, events)
                        if out is not None:
                            yield out
                finally:
                    await stream.aclose()
                if state.interrupted and not events:
                    yield "", state.history()

            achat.llm = llm  # type: ignore[attr-defined]
            return achat

        @functools.wraps(fn)
        def chat(
            history: list[Any] | None, message: str, *, abort: AbortSignal | None = None
        ) -> Iterator[Any]:
            past, messages = start(history, message)
            state = _ChatState(past, message)
            stream = llm.stream(messages, **call_kwargs)
            try:
                for ev in stream:
                    if abort is not None and abort.aborted:
                        state.interrupted = True
                        break
                    out = state.on_event(ev, events)
                    if out is not None:
                        yield out
            finally:
                stream.close()  # closes the HTTP response: an aborted stream stops downloading
            if state.interrupted and not events:
                yield "", state.history()

        chat.llm = llm  # type: ignore[attr-defined]
        return chat

    return decorate


class _ChatState:
    __slots__ = ("answer", "interrupted", "message", "past")

    def __init__(self, past: list[Any], message: str) -> None:
        self.past = past
        self.message = message
        self.answer: list[str] = []
        self.interrupted = False

    def history(self) -> list[Any]:
        assistant: dict[str, Any] = {"role": "assistant", "content": "".join(self.answer)}
        if self.interrupted:
            assistant["interrupted"] = True
        return [*self.past, {"role": "user", "content": self.message}, assistant]

    def on_event(self, ev: Any, events: bool) -> Any:
        if ev.type == "answer":
            self.answer.append(ev.content)
        if events:
            if ev.type == "final":
                ev.data = {**(ev.data or {}), "history": self.history()}
            return ev
        if ev.type == "answer":
            return ev.content, self.history()
        return None
