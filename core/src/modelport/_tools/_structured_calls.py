"""Structured output around a call program: validation, re-asking, the streamed object.

A whole call is validated once it returns; ``structured_retries`` re-asks with the validation
errors (one program, so sync and async share it). A stream is validated at its ``final``
event, which is preceded by one ``structured`` event holding the object.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from .._engine._relay import relay
from .._errors import RefusalError, StructuredOutputError, TruncatedOutputError
from .._events import StreamEvent
from .._request import Request
from .._response import Response
from ._structured import Structured, parse_structured, retry_messages

if TYPE_CHECKING:
    from .._engine._engine import Engine
    from .._engine._program import Program
    from .._prepare import Prepared

__all__ = ["retryable", "streamed_structured", "summed", "whole_structured"]


def whole_structured(engine: Engine, p: Prepared) -> Program:
    """A whole call, then structured validation, re-asked up to ``p.retries`` times."""
    response: Response = yield from engine.program(p.request, p.opts, False, p.loop)
    for attempt in range(p.retries + 1):
        try:
            return parse_structured(response, p.structured)
        except StructuredOutputError as exc:
            if attempt == p.retries or not retryable(exc):
                raise
            again = yield from engine.program(_retry_request(p, response, exc), p.opts, False, None)
            response = summed(response, again)
    raise AssertionError("unreachable")


def streamed_structured(engine: Engine, p: Prepared) -> Program:
    program = engine.program(p.request, p.opts, True, p.loop)
    if p.structured is None:
        return program
    return relay(program, partial(_structured_events, p.structured))


def _structured_events(structured: Structured, events: list[StreamEvent]) -> list[StreamEvent]:
    """``final`` validated: one ``structured`` event with the object, then ``final``."""
    out: list[StreamEvent] = []
    for ev in events:
        if ev.type == "final":
            done = parse_structured(ev.content, structured)
            out.append(StreamEvent("structured", done.structured))
        out.append(ev)
    return out


def retryable(exc: StructuredOutputError) -> bool:
    """Re-asking helps an invalid answer, not a refusal or a token limit."""
    return not isinstance(exc, RefusalError | TruncatedOutputError)


def _retry_request(p: Prepared, response: Response, exc: StructuredOutputError) -> Request:
    assert p.structured is not None
    return p.request.model_copy(
        update={"messages": [*p.request.messages, *retry_messages(response, exc, p.structured)]}
    )


def summed(previous: Response, response: Response) -> Response:
    response.usage = previous.usage + response.usage
    response._bill = previous._bill + response._bill
    response.attempts += previous.attempts
    return response
