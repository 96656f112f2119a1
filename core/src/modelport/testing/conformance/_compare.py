"""Comparing responses field by field, with messages a plugin author can act on.

A bare ``assert a == b`` on two ``Response`` objects prints two walls of fields; these helpers
name the field that differs and show both values, and they compare only what a user sees
(timings, ``raw`` and cache fields differ between any two calls by design).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ...provider import Response, ToolCall, Usage

__all__ = [
    "NORMALIZED_STOPS",
    "answer_of",
    "calls_of",
    "differences",
    "usage_problems",
    "whole_of",
]

# The stop reasons a user's code branches on (DESIGN: Response.stop_reason).
NORMALIZED_STOPS = frozenset({"stop", "length", "tool_calls", "content_filter", "refusal"})


def _arguments(call: ToolCall) -> Any:
    try:
        return call.parsed_arguments()
    except ValueError:
        return call.arguments  # compared as text; other checks report that it is not JSON


def calls_of(response: Response, *, ids: bool = True) -> list[tuple[Any, ...]]:
    return [
        ((call.id,) if ids else ()) + (call.name, _arguments(call)) for call in response.tool_calls
    ]


def answer_of(response: Response) -> dict[str, Any]:
    """What a caller reads as the answer: a cut-short stream must not reproduce all of it."""
    return {
        "text": response.text,
        "reasoning": response.reasoning or "",
        "refusal": response.refusal or "",
        "tool_calls": [(c.id, c.name, c.arguments) for c in response.tool_calls],
        "stop_reason": response.stop_reason,
    }


def whole_of(response: Response) -> dict[str, Any]:
    """The answer and what it cost: usage counts too (users bill and budget on them)."""
    return {**answer_of(response), "usage": _usage(response.usage)}


def _usage(usage: Usage) -> tuple[int, int, int, int]:
    return (usage.input_tokens, usage.output_tokens, usage.reasoning_tokens, usage.cached_tokens)


def differences(streamed: Response, whole: Response, ignore: Iterable[str] = ()) -> list[str]:
    """Fields where the streamed and non-streamed answers disagree (``ignore``: see
    ``IGNORABLE``); empty when they are the same answer."""
    skip = set(ignore)
    ids = "ids" not in skip
    pairs: list[tuple[str, Any, Any]] = [
        ("text", streamed.text, whole.text),
        ("refusal", streamed.refusal, whole.refusal),
        ("tool_calls", calls_of(streamed, ids=ids), calls_of(whole, ids=ids)),
        ("stop_reason", streamed.stop_reason, whole.stop_reason),
    ]
    if "reasoning" not in skip:
        pairs.append(("reasoning", streamed.reasoning or None, whole.reasoning or None))
    if "raw_stop_reason" not in skip:
        pairs.append(("raw_stop_reason", streamed.raw_stop_reason, whole.raw_stop_reason))
    if "usage" not in skip:
        pairs.append(("usage", _usage(streamed.usage), _usage(whole.usage)))
    if "model" not in skip:
        pairs.append(("model", streamed.model, whole.model))
    if "metadata" not in skip:
        meta_a, meta_b = dict(streamed.provider_metadata), dict(whole.provider_metadata)
        if not ids:
            meta_a.pop("response_id", None)
            meta_b.pop("response_id", None)
        pairs.append(("provider_metadata", meta_a, meta_b))
    return [f"{name}: streamed {a!r} != non-streamed {b!r}" for name, a, b in pairs if a != b]


def usage_problems(usage: Usage) -> list[str]:
    """Violations of the usage contract: counts are non-negative, ``cached_tokens`` are part
    of ``input_tokens`` and ``reasoning_tokens`` part of ``output_tokens``."""
    problems = [
        f"{name} is negative ({value})"
        for name, value in zip(
            ("input_tokens", "output_tokens", "reasoning_tokens", "cached_tokens"),
            _usage(usage),
            strict=True,
        )
        if value < 0
    ]
    if usage.cached_tokens > usage.input_tokens:
        problems.append(
            f"cached_tokens ({usage.cached_tokens}) > input_tokens ({usage.input_tokens}): "
            "cached tokens are counted inside input_tokens"
        )
    if usage.reasoning_tokens > usage.output_tokens:
        problems.append(
            f"reasoning_tokens ({usage.reasoning_tokens}) > output_tokens "
            f"({usage.output_tokens}): reasoning tokens are counted inside output_tokens"
        )
    return problems
