"""Non-streamed bodies: an Anthropic Messages object (InvokeModel's answer) as a ``Response``.

Usage follows modelport's convention (cache reads and writes are part of ``input_tokens``):
Claude's ``input_tokens`` counts only the uncached tail of the prompt, so ``input_tokens`` here
is ``input_tokens + cache_read_input_tokens + cache_creation_input_tokens``, with the reads as
``cached_tokens`` and the writes as ``cache_write_tokens``; the raw numbers are kept in
``provider_metadata`` (``cache_creation_input_tokens``, ``uncached_input_tokens``).
"""

from __future__ import annotations

import json
from typing import Any

from modelport.provider import (
    Message,
    Request,
    Response,
    ToolCall,
    Usage,
    anthropic_usage,
    normalize_stop_reason,
    protocol_error,
)

from ._encode import THINKING_BLOCKS_KEY
from ._errors import PROVIDER

__all__ = ["decode_response", "usage_counts", "usage_metadata"]


def usage_counts(usage: Any) -> tuple[int, int, int, int, int]:
    """(input incl. cache, output, reasoning, cache read, cache write) from an Anthropic
    ``usage`` object (``modelport.provider.anthropic_usage``, shared with every
    Anthropic-shaped provider)."""
    delta = anthropic_usage(usage)
    if delta is None:
        return 0, 0, 0, 0, 0
    return (
        delta.input_tokens,
        delta.output_tokens,
        delta.reasoning_tokens,
        delta.cached_tokens,
        delta.cache_write_tokens,
    )


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def usage_metadata(usage: Any) -> dict[str, Any]:
    """Raw counts worth keeping: cache writes and Claude's own (uncached) input count."""
    if not isinstance(usage, dict):
        return {}
    out: dict[str, Any] = {}
    created = _int(usage.get("cache_creation_input_tokens"))
    if created:
        out["cache_creation_input_tokens"] = created
    if "input_tokens" in usage and (created or _int(usage.get("cache_read_input_tokens"))):
        out["uncached_input_tokens"] = _int(usage.get("input_tokens"))
    return out


def decode_response(body: bytes, request: Request | None, *, model: str) -> Response:
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise protocol_error(
            "response is not JSON", provider=PROVIDER, model=model, body=body
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get("content"), list):
        raise protocol_error(
            "response is not an Anthropic message", provider=PROVIDER, model=model, body=body
        )
    text: list[str] = []
    reasoning: list[str] = []
    signatures: list[str] = []
    thinking_blocks: list[dict[str, Any]] = []
    calls: list[ToolCall] = []
    for block in data["content"]:
        if not isinstance(block, dict):
            continue
        kind = block.get("type")
        if kind == "text":
            text.append(str(block.get("text") or ""))
        elif kind == "thinking":
            thinking_blocks.append(block)
            reasoning.append(str(block.get("thinking") or ""))
            if block.get("signature"):
                signatures.append(str(block["signature"]))
        elif kind == "redacted_thinking":
            thinking_blocks.append(block)
        elif kind == "tool_use":
            arguments = block.get("input")
            calls.append(
                ToolCall(
                    id=str(block.get("id") or ""),
                    name=str(block.get("name") or ""),
                    arguments=json.dumps(arguments if arguments is not None else {}),
                )
            )
    raw_stop = data.get("stop_reason")
    raw_stop = raw_stop if isinstance(raw_stop, str) else None
    metadata: dict[str, Any] = {}
    if isinstance(data.get("id"), str):
        metadata["response_id"] = data["id"]
    if thinking_blocks:
        metadata[THINKING_BLOCKS_KEY] = thinking_blocks
    if signatures:
        metadata["reasoning_signatures"] = signatures
    if isinstance(data.get("stop_sequence"), str):
        metadata["stop_sequence"] = data["stop_sequence"]
    metadata.update(usage_metadata(data.get("usage")))
    i, o, r, c, w = usage_counts(data.get("usage"))
    answer = "".join(text)
    thought = "".join(reasoning) or None
    response = Response(
        text=answer,
        reasoning=thought,
        tool_calls=calls,
        usage=Usage(
            input_tokens=i,
            output_tokens=o,
            reasoning_tokens=r,
            cached_tokens=c,
            cache_write_tokens=w,
        ),
        stop_reason=normalize_stop_reason(raw_stop),
        raw_stop_reason=raw_stop,
        model=str(data.get("model") or (request.model if request is not None else model) or ""),
        provider=PROVIDER,
        provider_metadata=metadata,
        raw=data,
    )
    response.messages = [
        Message(
            role="assistant",
            content=answer or None,
            tool_calls=calls,
            reasoning=thought,
            provider_metadata=metadata,
        )
    ]
    return response
