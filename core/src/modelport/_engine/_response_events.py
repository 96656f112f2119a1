"""A finished ``Response`` told as stream events: the tail of a live stream, a cached answer
replayed, a whole JSON body that came where a stream was expected.

Each way ends the same (``tool_call`` events, ``final``, ``done``), so a consumer of
``stream()`` cannot tell a replay from a live answer except by ``data["cached"]``.
"""

from __future__ import annotations

from typing import Any

from .._events import StreamEvent
from .._response import Response

__all__ = ["replay_events", "tail_events", "verbose_metrics", "whole_events"]


def tail_events(
    response: Response, verbose: bool, ending: bool = True, aborted: str | None = None
) -> list[StreamEvent]:
    events: list[StreamEvent] = []
    if verbose:
        events.append(StreamEvent("verbose", verbose_metrics(response)))
    events.extend(StreamEvent("tool_call", call, tool_id=call.id) for call in response.tool_calls)
    if ending:
        end: dict[str, Any] = {"stop_reason": response.stop_reason}
        if aborted is not None:
            end.update(aborted=True, reason=aborted)
        events.append(StreamEvent("final", response, data=dict(end)))
        events.append(StreamEvent("done", None, data=end))
    return events


def replay_events(
    response: Response, hide_thinking: bool, verbose: bool, ending: bool = True
) -> list[StreamEvent]:
    """A cached answer as the events its stream produced (marked ``cached``)."""
    events: list[StreamEvent] = []
    if response.reasoning and not hide_thinking:
        events.append(StreamEvent("reasoning", response.reasoning, data={"cached": True}))
    if response.text:
        events.append(StreamEvent("answer", response.text, data={"cached": True}))
    return events + tail_events(response, verbose, ending)


def whole_events(response: Response, verbose: bool, ending: bool = True) -> list[StreamEvent]:
    """A whole (non-streamed) answer as stream events; hidden reasoning is already gone."""
    events: list[StreamEvent] = []
    if response.reasoning:
        events.append(StreamEvent("reasoning", response.reasoning))
    if response.text:
        events.append(StreamEvent("answer", response.text))
    return events + tail_events(response, verbose, ending)


def verbose_metrics(response: Response) -> dict[str, Any]:
    """What ``verbose`` reports of one model call; its cost is priced here, for the observer
    who asked (``llm_chat``'s ``ModelCallEnd`` reads it)."""
    return {
        "input_tokens": response.usage.input_tokens,
        "output_tokens": response.usage.output_tokens,
        "reasoning_tokens": response.usage.reasoning_tokens,
        "cached_tokens": response.usage.cached_tokens,
        "cache_write_tokens": response.usage.cache_write_tokens,
        "latency_s": response.latency_s,
        "time_to_first_token_s": response.time_to_first_token_s,
        "tokens_per_second": response.tokens_per_second,
        "attempts": response.attempts,
        "cache_source": response.cache_source,
        "cost": response.cost,
        "cost_saved": response.cost_saved,
    }
