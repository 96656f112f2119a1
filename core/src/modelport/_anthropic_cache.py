"""Prompt caching for Anthropic-shaped bodies (Claude on Bedrock, the Messages API), shared.

Claude caches a prompt prefix only where the body marks a breakpoint: a ``cache_control``
object on a tool definition, a system block or a content block. Every provider that speaks
Claude's body places them the same way, so the rule lives here once, and so does reading the
usage that comes back (cache reads and cache writes are billed at different rates).

Placement for ``prompt_cache=True`` (or ``"5m"`` / ``"1h"``), at most three of Claude's four
breakpoints, in the order Claude builds its prefix:

1. the last tool definition (caches every tool);
2. the last system block (the system string becomes one text block to carry it);
3. the last cacheable block of the last message (caches the conversation so far; the next turn
   reads it back). Thinking blocks cannot carry a breakpoint and are skipped.

A block that already carries ``cache_control`` keeps it, and no breakpoint is added past
Claude's limit of four.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._errors import ConfigurationError
from ._wire import UsageDelta

__all__ = ["MAX_BREAKPOINTS", "add_cache_breakpoints", "anthropic_usage", "cache_control"]

MAX_BREAKPOINTS = 4
_TTLS = ("5m", "1h")
_UNCACHEABLE = frozenset({"thinking", "redacted_thinking"})


def cache_control(setting: bool | str | None) -> dict[str, str] | None:
    """The ``cache_control`` object for a ``prompt_cache=`` value; ``None``: no caching.

    ``True`` and ``"5m"`` are Claude's default five-minute cache (sent without a ``ttl``, which
    every Claude version accepts); ``"1h"`` asks for the one-hour cache."""
    if setting is None or setting is False:
        return None
    if setting is True or setting == "5m":
        return {"type": "ephemeral"}
    if setting == "1h":
        return {"type": "ephemeral", "ttl": "1h"}
    raise ConfigurationError(f'prompt_cache must be True, False, "5m" or "1h", not {setting!r}')


def add_cache_breakpoints(body: dict[str, Any], setting: bool | str | None) -> int:
    """Mark ``body`` (an Anthropic Messages body) for prompt caching; returns how many
    breakpoints were added. Leaves the body as it was when ``setting`` is off."""
    control = cache_control(setting)
    if control is None:
        return 0
    budget = MAX_BREAKPOINTS - _count(body)
    added = 0
    for find in (_last_tool, _last_system_block, _last_message_block):
        if added >= budget:
            break
        target = find(body)  # only when a breakpoint is left: finding may reshape the body
        if target is not None and "cache_control" not in target:
            target["cache_control"] = dict(control)
            added += 1
    return added


def _count(value: Any) -> int:
    if isinstance(value, dict):
        own = 1 if isinstance(value.get("cache_control"), dict) else 0
        return own + sum(_count(v) for k, v in value.items() if k != "cache_control")
    if isinstance(value, list):
        return sum(_count(v) for v in value)
    return 0


def _last_tool(body: dict[str, Any]) -> dict[str, Any] | None:
    tools = body.get("tools")
    if isinstance(tools, list) and tools and isinstance(tools[-1], dict):
        return tools[-1]
    return None


def _last_system_block(body: dict[str, Any]) -> dict[str, Any] | None:
    system = body.get("system")
    if isinstance(system, str):
        if not system:
            return None
        block: dict[str, Any] = {"type": "text", "text": system}
        body["system"] = [block]
        return block
    if isinstance(system, list) and system and isinstance(system[-1], dict):
        return system[-1]
    return None


def _last_message_block(body: dict[str, Any]) -> dict[str, Any] | None:
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages or not isinstance(messages[-1], dict):
        return None
    last = messages[-1]
    content = last.get("content")
    if isinstance(content, str):
        if not content:
            return None
        block: dict[str, Any] = {"type": "text", "text": content}
        last["content"] = [block]
        return block
    if isinstance(content, list):
        for item in reversed(content):
            if not isinstance(item, dict) or item.get("type") in _UNCACHEABLE:
                continue
            if item.get("type") == "text" and not item.get("text"):
                continue  # Claude rejects a breakpoint on an empty text block
            return item
    return None


def _int(value: Any) -> int:
    if isinstance(value, bool):
        return 0
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value)
    return 0


def anthropic_usage(usage: Any) -> UsageDelta | None:
    """An Anthropic ``usage`` object in modelport's convention, or ``None`` when it is not one.

    Claude's ``input_tokens`` counts only the prompt after the last cache breakpoint; modelport's
    ``input_tokens`` is the whole prompt, so it is that plus the cache reads
    (``cache_read_input_tokens``, reported as ``cached_tokens``) and the cache writes
    (``cache_creation_input_tokens``, reported as ``cache_write_tokens``). Newer models also
    break writes down by TTL (``cache_creation.ephemeral_5m_input_tokens`` / ``_1h_``); their
    sum is used when the total is missing. Thinking tokens, where reported
    (``output_tokens_details.thinking_tokens``), are ``reasoning_tokens``."""
    if not isinstance(usage, Mapping):
        return None
    read = _int(usage.get("cache_read_input_tokens"))
    written = _int(usage.get("cache_creation_input_tokens"))
    by_ttl = usage.get("cache_creation")
    if not written and isinstance(by_ttl, Mapping):
        written = sum(_int(v) for v in by_ttl.values())
    details = usage.get("output_tokens_details")
    reasoning = _int(details.get("thinking_tokens")) if isinstance(details, Mapping) else 0
    uncached = _int(usage.get("input_tokens"))
    return UsageDelta(
        input_tokens=uncached + read + written,
        output_tokens=_int(usage.get("output_tokens")),
        reasoning_tokens=reasoning,
        cached_tokens=read,
        cache_write_tokens=written,
    )
