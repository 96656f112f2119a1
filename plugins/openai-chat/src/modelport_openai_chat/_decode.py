"""A non-streamed Chat Completions body -> modelport ``Response``.

Compatible servers agree on ``choices[0].message`` and little else, so every field is read
defensively: anything may be missing or ``null``, unknown fields are ignored, and a body that
is not a completion at all becomes a ``ProviderProtocolError`` (never a ``KeyError``) or, when
it carries an error object, the same typed error an HTTP error status would have produced.

Reasoning arrives under three names depending on the server: ``reasoning_content`` (DeepSeek,
llama.cpp, vLLM, Z.ai, LM Studio), ``reasoning`` (Groq, Cerebras, OpenRouter, Ollama's
OpenAI-compatible endpoint) and ``reasoning_details`` (OpenRouter, structured). Inline
``<think>`` tags are left in the text: the core's thinking parser owns them.
"""

from __future__ import annotations

import json
from typing import Any

from modelport.provider import Request, Response, ToolCall, Usage, normalize_stop_reason

from ._errors import PROVIDER, error_from_payload, error_object, excerpt, protocol_error
from ._json import body_loads

__all__ = [
    "content_text",
    "decode_response",
    "reasoning_from_details",
    "tool_arguments",
    "usage_counts",
]


def decode_response(body: bytes, request: Request | None, *, model: str | None) -> Response:
    try:
        data = body_loads(body)
    except (ValueError, UnicodeDecodeError):
        raise protocol_error(f"response body is not JSON: {excerpt(body)}", model=model) from None
    err = error_object(data)
    if err is not None:
        # A 200 that is really an error (some proxies and gateways): same classification
        # as a mid-stream error, with the status taken from a numeric ``code`` when present.
        raise error_from_payload(err, status=None, model=model)
    if not isinstance(data, dict):
        raise protocol_error(f"response body is not a JSON object: {excerpt(body)}", model=model)
    choices = data.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        raise protocol_error(
            f"response has no choices (not a chat completion?): {excerpt(body)}", model=model
        )
    choice = choices[0]
    message = choice.get("message")
    if not isinstance(message, dict):
        raise protocol_error(f"choices[0] has no message: {excerpt(body)}", model=model)

    content = message.get("content")
    text, inline_reasoning = (content, None) if type(content) is str else content_text(content)
    details = message.get("reasoning_details")
    detail_text, signature = reasoning_from_details(details) if details else ("", None)
    reasoning = _reasoning(message) or detail_text or inline_reasoning
    refusal = message.get("refusal")
    refusal = refusal if isinstance(refusal, str) else None
    raw_stop = choice.get("finish_reason")
    raw_stop = raw_stop if isinstance(raw_stop, str) else None
    stop_reason = normalize_stop_reason(raw_stop)
    if refusal and content is None:
        stop_reason = "refusal"

    metadata: dict[str, Any] = {}
    if isinstance(data.get("id"), str):
        metadata["response_id"] = data["id"]
    if signature:
        # Same key the core's stream assembly uses, so streamed and non-streamed responses
        # carry the (OpenRouter / Claude) thinking signature the same way.
        metadata["reasoning_signatures"] = [signature]

    try:
        inputs, outputs, thought, cached = usage_counts(data.get("usage"))
    except (ValueError, OverflowError):  # a NaN or infinite token count: no count at all
        raise protocol_error(f"usage has a non-finite token count: {excerpt(body)}", model=model)
    served = data.get("model")
    if not served or type(served) is not str:
        served = str(served or (request.model if request is not None else model) or "")
    return Response(
        text=text,
        reasoning=reasoning or None,
        tool_calls=_tool_calls(calls) if (calls := message.get("tool_calls")) else None,
        refusal=refusal or None,
        usage=Usage(
            input_tokens=inputs,
            output_tokens=outputs,
            reasoning_tokens=thought,
            cached_tokens=cached,
        ),
        stop_reason=stop_reason,
        raw_stop_reason=raw_stop,
        model=served,
        provider=PROVIDER,
        provider_metadata=metadata,
        raw=data,
    )


def content_text(content: Any) -> tuple[str, str | None]:
    """``message.content`` as (text, reasoning).

    Usually a string or null. Some servers (Mistral's reasoning models) send a list of typed
    parts where ``thinking`` parts hold the reasoning; text parts are joined in order.
    """
    if content is None:
        return "", None
    if isinstance(content, str):
        return content, None
    if not isinstance(content, list):
        return str(content), None
    texts: list[str] = []
    thoughts: list[str] = []
    for part in content:
        if isinstance(part, str):
            texts.append(part)
        elif isinstance(part, dict):
            kind = part.get("type")
            if kind == "text" and isinstance(part.get("text"), str):
                texts.append(part["text"])
            elif kind in ("thinking", "reasoning"):
                thoughts.append(_nested_text(part.get(kind) or part.get("text")))
    return "".join(texts), ("".join(thoughts) or None)


def reasoning_from_details(details: Any) -> tuple[str, str | None]:
    """OpenRouter ``reasoning_details`` as (text, signature)."""
    if not isinstance(details, list):
        return "", None
    texts: list[str] = []
    signature: str | None = None
    for item in details:
        if not isinstance(item, dict):
            continue
        kind = item.get("type")
        if kind == "reasoning.text":
            text = item.get("text")
            if isinstance(text, str):
                texts.append(text)
        elif kind == "reasoning.summary":
            summary = item.get("summary")
            if isinstance(summary, str):
                texts.append(summary)
        sig = item.get("signature")
        if isinstance(sig, str) and sig:
            signature = sig
    return "".join(texts), signature


def usage_counts(usage: Any) -> tuple[int, int, int, int]:
    """(input, output, reasoning, cached) tokens; any of them may be missing or null.

    Cached tokens live in a different place on almost every server: OpenAI and vLLM under
    ``prompt_tokens_details``, Together at the top of ``usage``, DeepSeek as
    ``prompt_cache_hit_tokens``.
    """
    if not isinstance(usage, dict):
        return 0, 0, 0, 0
    # Each count is nearly always an int or absent: checked inline, ``_int`` for the rest.
    get = usage.get
    prompt = get("prompt_tokens_details")
    cached = prompt.get("cached_tokens") if isinstance(prompt, dict) else 0
    if type(cached) is not int:
        cached = _int(cached)
    if not cached:
        cached = _int(get("cached_tokens")) or _int(get("prompt_cache_hit_tokens"))
    completion = get("completion_tokens_details")
    reasoning = completion.get("reasoning_tokens") if isinstance(completion, dict) else 0
    inputs, outputs = get("prompt_tokens"), get("completion_tokens")
    return (
        inputs if type(inputs) is int else _int(inputs),
        outputs if type(outputs) is int else _int(outputs),
        reasoning if type(reasoning) is int else _int(reasoning),
        cached,
    )


def tool_arguments(value: Any) -> str:
    """Arguments as raw JSON text; a few servers send an already-decoded object instead."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def _tool_calls(calls: Any) -> list[ToolCall]:
    if not isinstance(calls, list):
        return []
    out: list[ToolCall] = []
    for i, call in enumerate(calls):
        if not isinstance(call, dict):
            continue
        fn = call.get("function")
        if isinstance(fn, dict):
            name, args = fn.get("name"), tool_arguments(fn.get("arguments"))
        elif isinstance(call.get("custom"), dict):  # OpenAI custom tools: free-form input
            name, args = call["custom"].get("name"), tool_arguments(call["custom"].get("input"))
        else:
            continue
        call_id = call.get("id")
        out.append(
            ToolCall(
                # Some servers omit ids; a deterministic one keeps caching and replay stable.
                id=call_id if isinstance(call_id, str) and call_id else f"call_{i}",
                name=name if isinstance(name, str) else "",
                arguments=args,
            )
        )
    return out


def _reasoning(message: dict[str, Any]) -> str | None:
    """The reasoning string under either of its names (``reasoning_details``: the caller's)."""
    value = message.get("reasoning_content")
    if isinstance(value, str) and value:
        return value
    value = message.get("reasoning")
    if isinstance(value, str) and value:
        return value
    return None


def _nested_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "".join(_nested_text(v.get("text") if isinstance(v, dict) else v) for v in value)
    return ""


def _int(value: Any) -> int:
    if type(value) is int:  # nearly always: one check
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float):
        return int(value)
    return 0
