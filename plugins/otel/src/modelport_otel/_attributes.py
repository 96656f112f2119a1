"""Attribute values after the GenAI semantic conventions, from modelport's types.

Kept free of OpenTelemetry imports: plain dicts and strings, so the mapping is tested on its
own and the span code stays about spans.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from modelport import Response, ToolResult
from modelport.provider import ImagePart, Message, Request, TextPart

__all__ = [
    "error_type",
    "input_messages",
    "output_messages",
    "provider_name",
    "request_attributes",
    "response_attributes",
    "server_of",
    "tool_result_text",
]

# modelport's provider names -> the semantic conventions' well-known values; a provider
# without one keeps its modelport name (the conventions allow a custom value).
_WELL_KNOWN = {
    "openai-chat": "openai",
    "openai-responses": "openai",
    "bedrock-claude": "aws.bedrock",
    "anthropic-messages": "anthropic",
}


def provider_name(provider: str) -> str:
    return _WELL_KNOWN.get(provider, provider)


def request_attributes(request: Request) -> dict[str, Any]:
    """The request parameters that were set (unset ones are left out, not sent as defaults)."""
    out: dict[str, Any] = {}
    for name, key in (
        ("max_tokens", "gen_ai.request.max_tokens"),
        ("temperature", "gen_ai.request.temperature"),
        ("top_p", "gen_ai.request.top_p"),
        ("seed", "gen_ai.request.seed"),
        ("presence_penalty", "gen_ai.request.presence_penalty"),
        ("frequency_penalty", "gen_ai.request.frequency_penalty"),
    ):
        value = getattr(request, name)
        if value is not None:
            out[key] = value
    if request.stop:
        out["gen_ai.request.stop_sequences"] = list(request.stop)
    if request.response_format is not None:
        out["gen_ai.output.type"] = "json"
    if request.reasoning_effort is not None:
        out["modelport.request.reasoning_effort"] = request.reasoning_effort
    return out


def response_attributes(response: Response) -> dict[str, Any]:
    usage = response.usage
    out: dict[str, Any] = {
        "gen_ai.usage.input_tokens": usage.input_tokens,
        "gen_ai.usage.output_tokens": usage.output_tokens,
        "modelport.cache.source": response.cache_source,
        "modelport.attempts": response.attempts,
    }
    if response.model:
        out["gen_ai.response.model"] = response.model
    if response.stop_reason is not None:
        out["gen_ai.response.finish_reasons"] = [response.stop_reason]
    response_id = response.provider_metadata.get("response_id")  # streamed or not
    if isinstance(response_id, str) and response_id:
        out["gen_ai.response.id"] = response_id
    if usage.cached_tokens:
        out["gen_ai.usage.cache_read.input_tokens"] = usage.cached_tokens
    if usage.reasoning_tokens:
        out["modelport.usage.reasoning_tokens"] = usage.reasoning_tokens
    if response.request_id:
        out["modelport.request_id"] = response.request_id
    out.update(_costs(response))
    return out


def _costs(response: Response) -> dict[str, float]:
    """``Response.cost`` (and ``cost_saved`` for cache hits) in USD, where known."""
    try:
        cost, saved = response.cost, response.cost_saved
    except Exception:  # pricing belongs to the core's price list: a trace goes on without it
        return {}
    out: dict[str, float] = {}
    if cost is not None:
        out["modelport.cost.usd"] = float(cost.total)
    if saved is not None:
        out["modelport.cost_saved.usd"] = float(saved.total)
    return out


def server_of(url: str) -> tuple[str, int] | None:
    """``server.address`` and ``server.port`` of a URL (the port the scheme implies if none)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if not parts.hostname:
        return None
    if port is None:
        port = 443 if parts.scheme == "https" else 80
    return parts.hostname, port


def error_type(error: BaseException) -> str:
    """Low cardinality, as the conventions ask: the class name (modelport's error classes are
    importable from ``modelport`` under that name)."""
    return type(error).__name__


def _parts(message: Message) -> list[dict[str, Any]]:
    parts: list[dict[str, Any]] = []
    content = message.content
    if isinstance(content, str):
        if content:
            parts.append({"type": "text", "content": content})
    elif content is not None:
        for part in content:
            if isinstance(part, TextPart):
                parts.append({"type": "text", "content": part.text})
            elif isinstance(part, ImagePart):  # its bytes or URL are not recorded
                parts.append({"type": "blob", "modality": "image"})
    for call in message.tool_calls:
        parts.append(
            {"type": "tool_call", "id": call.id, "name": call.name, "arguments": call.arguments}
        )
    if message.role == "tool":  # its text parts (an image a tool returned stays out)
        text = "".join(p["content"] for p in parts if p["type"] == "text")
        parts = [{"type": "tool_call_response", "id": message.tool_call_id, "response": text}]
    return parts


def input_messages(request: Request) -> tuple[str | None, str]:
    """``gen_ai.system_instructions`` (or ``None``) and ``gen_ai.input.messages``, as JSON."""
    system: list[dict[str, Any]] = []
    messages: list[dict[str, Any]] = []
    for message in request.messages:
        if message.role == "system":
            system += _parts(message)
        else:
            messages.append({"role": message.role, "parts": _parts(message)})
    instructions = json.dumps(system, ensure_ascii=False) if system else None
    return instructions, json.dumps(messages, ensure_ascii=False)


def output_messages(response: Response) -> str:
    """``gen_ai.output.messages``, as JSON: the messages the call added (a tool loop's turns,
    tool results included), the last one with the finish reason."""
    out: list[dict[str, Any]] = []
    for message in response.messages or [response.assistant_message()]:
        entry: dict[str, Any] = {"role": message.role, "parts": _parts(message)}
        if message.reasoning:
            entry["parts"].insert(0, {"type": "reasoning", "content": message.reasoning})
        out.append(entry)
    if out:
        out[-1]["finish_reason"] = response.stop_reason or ""
    return json.dumps(out, ensure_ascii=False)


def tool_result_text(result: ToolResult) -> str:
    if result.error is not None:
        return result.error
    content = result.content
    if isinstance(content, str):
        return content
    try:
        return json.dumps(content, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        return repr(content)
