"""The spans of one call: ``chat {model}`` (CLIENT), a child per HTTP attempt (CLIENT, named
by its method, after the HTTP client conventions) and a child per tool execution
(``execute_tool {name}``, INTERNAL).

Children get their parent explicitly, never through the current context: a call's steps run
in a generator that the caller's thread or task drives, and parallel tools run in worker
threads, so attaching and detaching a context across those would cross spans. The call span
takes the caller's current span as its parent when it starts. A child still open when the call
ends (a stream closed mid-attempt, a tool an abort left running) is ended with the call, once.
"""

from __future__ import annotations

import time
from contextlib import AbstractContextManager
from typing import Any

from modelport import LLMError, Response, ToolResult
from modelport.provider import AttemptInfo, CallInfo, ToolCall
from opentelemetry import trace
from opentelemetry.trace import Span, SpanKind, Status, StatusCode

from . import __version__
from ._attributes import (
    error_type,
    input_messages,
    output_messages,
    provider_name,
    request_attributes,
    response_attributes,
    server_of,
    tool_result_text,
)
from ._metrics import instruments
from ._settings import settings

__all__ = ["AttemptSpan", "CallSpan", "ToolSpan"]

_tracers: list[tuple[int, trace.Tracer]] = []


def _tracer() -> trace.Tracer:
    if _tracers and _tracers[0][0] == settings.generation:
        return _tracers[0][1]
    tracer = trace.get_tracer(
        "modelport_otel", __version__, tracer_provider=settings.tracer_provider
    )
    _tracers[:] = [(settings.generation, tracer)]
    return tracer


def _failed(span: Span, error: BaseException) -> None:
    """``error.type`` and status ERROR; the description names the class and the status, never
    the message (messages can quote what a server echoed back)."""
    kind = error_type(error)
    span.set_attribute("error.type", kind)
    status = error.status if isinstance(error, LLMError) else None
    span.set_status(Status(StatusCode.ERROR, kind if status is None else f"{kind} ({status})"))


class CallSpan:
    """The observer of one call (``modelport.provider.CallObserver``)."""

    __slots__ = ("_content", "_metric", "_open", "_span", "_started", "_tracer")

    def __init__(self, span: Span, tracer: trace.Tracer, metric: dict[str, Any], content: bool):
        self._span = span
        self._tracer = tracer
        self._metric = metric  # the attributes the histograms share
        self._content = content
        self._open: set[_Child] = set()
        self._started = time.perf_counter()

    @classmethod
    def start(cls, info: CallInfo) -> CallSpan:
        tracer = _tracer()
        provider = provider_name(info.provider)
        metric: dict[str, Any] = {
            "gen_ai.operation.name": "chat",
            "gen_ai.provider.name": provider,
            "gen_ai.request.model": info.model,
        }
        attributes: dict[str, Any] = {
            **metric,
            "gen_ai.system": provider,  # its name before the conventions renamed it
            "modelport.provider": info.provider,
            "modelport.streaming": info.streaming,
            **request_attributes(info.request),
        }
        if info.tools:
            attributes["modelport.tools"] = list(info.tools)
        content = settings.content_enabled()
        if content:
            instructions, messages = input_messages(info.request)
            if instructions is not None:
                attributes["gen_ai.system_instructions"] = instructions
            attributes["gen_ai.input.messages"] = messages
        span = tracer.start_span(f"chat {info.model}", kind=SpanKind.CLIENT, attributes=attributes)
        return cls(span, tracer, metric, content)

    def _child(self, name: str, kind: SpanKind, attributes: dict[str, Any]) -> Span:
        parent = trace.set_span_in_context(self._span)
        return self._tracer.start_span(name, parent, kind=kind, attributes=attributes)

    def attempt(self, info: AttemptInfo) -> AttemptSpan:
        attributes: dict[str, Any] = {
            "http.request.method": info.method,
            "url.full": info.url,
            "gen_ai.request.model": info.model,
            "modelport.attempt": info.number,
        }
        if info.number > 1:
            attributes["http.request.resend_count"] = info.number - 1
        server = server_of(info.url)
        if server is not None:
            attributes["server.address"], attributes["server.port"] = server
            if "server.address" not in self._metric:
                self._metric["server.address"], self._metric["server.port"] = server
                self._span.set_attribute("server.address", server[0])
                self._span.set_attribute("server.port", server[1])
        child = AttemptSpan(self, self._child(info.method, SpanKind.CLIENT, attributes))
        self._open.add(child)
        return child

    def tool(self, call: ToolCall) -> ToolSpan:
        attributes: dict[str, Any] = {
            "gen_ai.operation.name": "execute_tool",
            "gen_ai.tool.name": call.name,
            "gen_ai.tool.call.id": call.id,
            "gen_ai.tool.type": "function",
        }
        if self._content:
            attributes["gen_ai.tool.call.arguments"] = call.arguments
        span = self._child(f"execute_tool {call.name}", SpanKind.INTERNAL, attributes)
        child = ToolSpan(self, span, self._content)
        self._open.add(child)
        return child

    def closed(self, child: _Child) -> None:
        self._open.discard(child)

    def end(self, response: Response | None, error: BaseException | None) -> None:
        span = self._span
        for child in list(self._open):
            child.end_with(error)
        usage: tuple[int, int] | None = None
        source: str | None = None
        if response is not None:
            attributes = response_attributes(response)
            span.set_attributes(attributes)
            if response.model:
                self._metric["gen_ai.response.model"] = response.model
            if self._content:
                span.set_attribute("gen_ai.output.messages", output_messages(response))
            source = response.cache_source
            if source == "miss":
                usage = (response.usage.input_tokens, response.usage.output_tokens)
        elif isinstance(error, GeneratorExit):
            span.set_attribute("modelport.closed_early", True)  # the caller's choice: no error
        elif error is not None:
            _failed(span, error)
            self._metric["error.type"] = error_type(error)
        seconds = time.perf_counter() - self._started
        span.end()
        if not isinstance(error, GeneratorExit):
            instruments().record(
                self._metric,
                seconds,
                usage[0] if usage else None,
                usage[1] if usage else None,
                source,
            )


class _Child:
    """A span under the call span; ended once, by its own end or else with the call."""

    __slots__ = ("_call", "_ended", "_span")

    def __init__(self, call: CallSpan, span: Span) -> None:
        self._call = call
        self._span = span
        self._ended = False

    def _failed(self, error: BaseException) -> None:
        _failed(self._span, error)

    def end_with(self, error: BaseException | None) -> None:
        """The call ended first (a stream closed mid-attempt, tools an abort left running):
        this span ends with it, marked, and with the call's error if it had one."""
        if self._ended:
            return
        if error is None or isinstance(error, GeneratorExit):
            self._span.set_attribute("modelport.closed_early", True)
        else:
            self._failed(error)
        self._finish()

    def _finish(self) -> None:
        self._ended = True
        self._call.closed(self)
        self._span.end()


class AttemptSpan(_Child):
    """One HTTP attempt (``modelport.provider.AttemptObserver``)."""

    __slots__ = ("_http_error",)

    def __init__(self, call: CallSpan, span: Span) -> None:
        super().__init__(call, span)
        self._http_error = False

    def status(self, status: int) -> None:
        self._span.set_attribute("http.response.status_code", status)
        if status >= 400:
            self._http_error = True  # the HTTP conventions: the status code is the error type
            self._span.set_attribute("error.type", str(status))
            self._span.set_status(Status(StatusCode.ERROR, str(status)))

    def _failed(self, error: BaseException) -> None:
        self._span.set_attribute("modelport.error.type", error_type(error))
        if not self._http_error:
            _failed(self._span, error)

    def end(self, error: BaseException | None) -> None:
        if self._ended:
            return
        if error is not None:
            self._failed(error)
        self._finish()


class ToolSpan(_Child):
    """One tool execution (``modelport.provider.ToolObserver``)."""

    __slots__ = ("_content",)

    def __init__(self, call: CallSpan, span: Span, content: bool) -> None:
        super().__init__(call, span)
        self._content = content

    def active(self) -> AbstractContextManager[Any]:
        """The span is current while the tool runs: spans the tool starts are its children."""
        return trace.use_span(
            self._span, end_on_exit=False, record_exception=False, set_status_on_exception=False
        )

    def end(self, result: ToolResult) -> None:
        if self._ended:  # the call ended while the tool ran (an abort): it was closed then
            return
        span = self._span
        if self._content:
            span.set_attribute("gen_ai.tool.call.result", tool_result_text(result))
        if result.error is not None:
            span.set_attribute("error.type", "ToolExecutionError")
            span.set_status(Status(StatusCode.ERROR, "ToolExecutionError"))
        self._finish()
