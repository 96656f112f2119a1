"""Two-pass structured output: think freely first, then structure the answer without thinking.

Some models cannot think and be forced into a schema in the same call (Claude: extended
thinking and a forced tool choice exclude each other, so the one-call strategy silently loses
the thinking). Their profile says ``thinking_with_forced_tools=False``, and a call that asks
for both (``response_format=`` and a ``reasoning_effort`` that is not "none", or
``budget_tokens=``) runs two passes:

1. the request as the caller wrote it, without the schema: the model thinks and answers;
2. the conversation, that answer, and one user turn asking for it as JSON, with the
   provider's structured strategy, ``reasoning_effort="none"`` and no ``budget_tokens``
   (no thinking).

The result is one ``Response``: pass 1's reasoning (and its history messages), pass 2's
structured answer, usage and attempts summed. It is cached as one entry, keyed by pass 1's
wire request plus the schema, so a hit skips both passes, and identical whole calls in flight
at once share one execution (single flight on that key, as for one call). Streamed, pass 1's
reasoning arrives as ``reasoning`` events, then pass 2's JSON as ``answer`` events, one
``structured`` event, ``final`` and ``done``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from functools import partial
from typing import TYPE_CHECKING, Any

from .._contract import ModelProfile
from .._engine._abort import Aborted
from .._engine._actions import Blocking, JoinFlight, LeaveFlight
from .._engine._call import Call
from .._engine._fetch_images import imaged_call
from .._engine._relay import relay
from .._engine._response_events import replay_events, verbose_metrics
from .._errors import RefusalError, StructuredOutputError, TruncatedOutputError
from .._events import StreamEvent
from .._messages import Message
from .._request import Request
from .._response import Response
from ._structured import Structured, parse_structured, retry_messages
from ._structured_calls import retryable

if TYPE_CHECKING:
    from .._engine._engine import Engine
    from .._engine._program import Program
    from .._prepare import Prepared

__all__ = ["PASS_TWO_EFFORT", "plan", "thinking_requested", "two_pass_program"]

# How pass 2 says "no thinking": providers map it to their off switch (Claude: no thinking
# block; llama.cpp: the template's thinking turned off).
PASS_TWO_EFFORT = "none"
_OFF = frozenset({"none", "off", "disabled", "0", ""})
_KEY_VERSION = 1
INSTRUCTION = (
    "Now give the answer you just wrote as one JSON value that follows the requested schema. "
    "Use only what that answer says, and write nothing else."
)
# Events of each pass that reach the caller (the two-pass program ends the stream itself).
_FIRST_KEEP = frozenset({"reasoning", "tool_call", "tool_result", "tool_error", "tool_stream"})
_SECOND_KEEP = frozenset({"answer", "tool_call"})


def thinking_requested(params: Mapping[str, Any]) -> bool:
    """A ``reasoning_effort`` that is not "none", or an explicit ``budget_tokens``.

    A budget alone asks for thinking as an effort does (providers map one to the other); an
    effort that says "off" wins over a budget, as it does in the providers' shaping."""
    effort = params.get("reasoning_effort")
    if effort is not None and str(effort).strip().lower() in _OFF:
        return False
    return effort is not None or params.get("budget_tokens") is not None


def plan(
    profile: Callable[[], ModelProfile], strategy: str | None, params: Mapping[str, Any]
) -> tuple[str, bool]:
    """(the structured strategy, whether two passes run) for a call with ``response_format``.

    ``structured_strategy="two_pass"`` asks for two passes on any model; another explicit
    strategy is one pass, as asked. Otherwise the profile decides."""
    if strategy == "two_pass":
        return profile().structured_output, True
    if strategy is not None:
        return strategy, False
    known = profile()
    return known.structured_output, (
        known.thinking_with_forced_tools is False
        and known.thinking != "none"
        and thinking_requested(params)
    )


def two_pass_program(engine: Engine, p: Prepared, streaming: bool) -> Program:
    structured = p.structured
    assert structured is not None and structured.two_pass
    opts = p.opts
    marker = {
        "two_pass": _KEY_VERSION,
        "name": structured.spec.name,
        "schema": structured.spec.schema,
        "strategy": structured.strategy,
    }
    # The call as a whole: its cache entry, its progress and its presentation. With function
    # tools it is never cached (a hit would skip the tools' side effects).
    keyed = yield from imaged_call(
        engine.setup,
        p.request,
        opts.replaced(
            key_parts={**opts.key_parts, **marker},
            cache="never" if p.loop is not None else opts.cache,
        ),
        {},
    )
    p = p.replaced(request=keyed.request)  # remote images fetched once, for both passes
    if keyed.cache_levels is not None:
        hit = keyed.take_hit((yield Blocking(keyed.read_cache)))
        if hit is not None:
            parse_structured(hit, structured)
            if streaming:
                events = replay_events(hit, opts.hide_thinking, opts.verbose, ending=False)
                yield events + _ending(hit)
            return hit
    if streaming or keyed.cache_levels is None or keyed.key is None:
        return (yield from _passes(engine, p, streaming, keyed))
    # Single flight, as for one call: an identical whole two-pass call in progress will put
    # the combined answer in the cache under the same key, so this one waits and reads it.
    try:
        follower = yield JoinFlight(keyed.key, keyed.queue_deadline())
    except Aborted as stop:  # cancelled while waiting for the leader: nothing was sent
        stopped = Response(stop_reason="aborted", abort_reason=stop.reason)
        return keyed.deliver(keyed.finalize(stopped, {}, None))
    if follower:
        hit = keyed.take_hit((yield Blocking(keyed.read_cache)))
        if hit is not None:
            return parse_structured(hit, structured)
        return (yield from _passes(engine, p, streaming, keyed))
    try:
        return (yield from _passes(engine, p, streaming, keyed))
    finally:
        yield LeaveFlight(keyed.key)


def _passes(engine: Engine, p: Prepared, streaming: bool, keyed: Call) -> Program:
    """Pass 1, then pass 2 (re-asked on invalid output), stored as one cache entry."""
    structured = p.structured
    assert structured is not None
    opts = p.opts
    # Each pass: not cached on its own, reasoning kept until the whole is stored.
    sub = opts.replaced(cache="never", clear_cache=False, hide_thinking=False, verbose=False)
    sub.accept_cached = None
    hide = opts.hide_thinking
    first: Response = yield from relay(
        engine.program(p.request, sub, streaming, p.loop),
        partial(_kept, _FIRST_KEEP - ({"reasoning"} if hide else set())),
    )
    if first.abort_reason is not None or first.stop_reason == "tool_calls":
        # Cancelled, or a call for the caller to handle (tool_exec=False, a schema-only tool):
        # there is no answer to structure yet.
        response = keyed.deliver(first)
        if streaming:
            yield _ending(response, structured=False)
        return response
    _check_first(first)
    second_request = _second_request(p.request, first, structured, streaming)
    spent = first.usage
    bill = first._bill  # the cost, summed as ``spent`` sums the tokens
    attempts = first.attempts
    retries = 0 if streaming else p.retries
    for attempt in range(retries + 1):
        second: Response = yield from relay(
            engine.program(second_request, sub, streaming, None), partial(_kept, _SECOND_KEEP)
        )
        combined = _combined(first, second, spent, attempts, keyed.started)
        combined._bill = bill + second._bill
        try:
            parse_structured(combined, structured)
            break
        except StructuredOutputError as exc:
            if attempt == retries or not retryable(exc):
                raise
            spent, attempts = spent + second.usage, attempts + second.attempts
            bill = bill + second._bill
            second_request = second_request.model_copy(
                update={
                    "messages": [
                        *second_request.messages,
                        *retry_messages(second, exc, structured),
                    ]
                }
            )
    combined.cache_key = keyed.key
    if keyed.cache_levels is not None:
        yield Blocking(partial(keyed.write_cache, combined))
    combined = keyed.deliver(combined)
    if streaming:
        extra = [StreamEvent("verbose", verbose_metrics(combined))] if opts.verbose else []
        yield extra + _ending(combined)
    return combined


def _kept(types: frozenset[str], events: list[StreamEvent]) -> list[StreamEvent]:
    return [ev for ev in events if ev.type in types]


def _ending(response: Response, *, structured: bool = True) -> list[StreamEvent]:
    end: dict[str, Any] = {"stop_reason": response.stop_reason}
    if response.abort_reason is not None:
        end.update(aborted=True, reason=response.abort_reason)
    head = [StreamEvent("structured", response.structured)] if structured else []
    return [
        *head,
        StreamEvent("final", response, data=dict(end)),
        StreamEvent("done", None, data=end),
    ]


def _check_first(first: Response) -> None:
    """Pass 1 must have answered: a refusal, a cut-off or an empty answer is final."""
    common: dict[str, Any] = {
        "raw_text": first.text,
        "provider": first.provider,
        "model": first.model,
    }
    if first.refusal:
        raise RefusalError(f"the model refused: {first.refusal}", refusal=first.refusal, **common)
    if first.stop_reason == "length":
        raise TruncatedOutputError(
            "the first (thinking) pass was cut off by the token limit (stop_reason='length') "
            "before its answer was complete; raise max_tokens",
            **common,
        )
    if not first.text.strip():
        raise StructuredOutputError(
            "the first (thinking) pass gave no answer to structure", **common
        )


def _second_request(
    request: Request, first: Response, structured: Structured, streaming: bool
) -> Request:
    """The conversation, pass 1's final answer (without its reasoning), the instruction."""
    messages = list(request.messages)
    prompt = structured.strategy_prompt()
    if prompt:
        messages.insert(0, Message(role="system", content=prompt))
    messages += [
        Message(role="assistant", content=first.text),
        Message(role="user", content=INSTRUCTION),
    ]
    fields = structured.strategy_fields()
    off: dict[str, Any] = {"reasoning_effort": PASS_TWO_EFFORT, "budget_tokens": None}
    return request.model_copy(
        update={
            **off,
            "messages": messages,
            "tools": fields.get("tools", []),
            "tool_choice": fields.get("tool_choice"),
            "parallel_tool_calls": None,
            "response_format": fields.get("response_format"),
            "stream": streaming,
        }
    )


def _combined(
    first: Response, second: Response, spent: Any, attempts: int, started: float
) -> Response:
    out = second.model_copy()
    out.reasoning = first.reasoning
    out.usage = spent + second.usage
    out.attempts = attempts + second.attempts
    out.tool_calls = [*first.tool_calls, *second.tool_calls]
    out.tool_results = list(first.tool_results)
    out.messages = list(first.messages)  # the model's own turn: its thinking and its answer
    out.provider_metadata = {**second.provider_metadata, **first.provider_metadata}
    out.time_to_first_token_s = first.time_to_first_token_s
    out.latency_s = time.perf_counter() - started
    out.tokens_per_second = (
        out.usage.output_tokens / out.latency_s
        if out.latency_s and out.usage.output_tokens
        else None
    )
    out.structured = None
    return out
