"""What both decorators share: the abort signal, the LLM argument, call options, history dicts."""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from typing import Any

from .._engine._abort import AbortSignal
from .._errors import ConfigurationError
from .._messages import ImagePart, Message, TextPart

__all__ = [
    "AbortSignal",
    "call_options",
    "llm_default",
    "message_dict",
    "part_dict",
    "resolve_llm",
    "role_of",
    "to_text",
]


def resolve_llm(model: Any, llm_interface: Any, decorator: str) -> Any:
    """The decorator's LLM: positional (``model``) or SimpleLLMFunc's ``llm_interface=``."""
    if model is not None and llm_interface is not None:
        raise ConfigurationError(
            f"{decorator}: pass the LLM once, either positionally or as llm_interface=, not both"
        )
    chosen = model if model is not None else llm_interface
    if chosen is None:
        raise ConfigurationError(
            f"{decorator} needs an LLM: @{decorator}(llm) or @{decorator}(llm_interface=llm)"
        )
    if isinstance(chosen, str):
        from .._client import LLM

        return LLM(chosen)
    if hasattr(chosen, "complete") and hasattr(chosen, "stream"):
        return chosen
    raise ConfigurationError(
        f"{decorator}: pass an LLM or a 'provider:model' spec, not {type(chosen).__name__}"
    )


def call_options(kwargs: Mapping[str, Any], decorator: str) -> dict[str, Any]:
    """The keyword arguments every call gets: ``toolkit=`` (the seed's name) becomes ``tools=``,
    ``max_tool_calls=None`` (the seed's "no limit") becomes the largest int."""
    out = dict(kwargs)
    if "toolkit" in out:
        if "tools" in out:
            raise ConfigurationError(f"{decorator}: pass tools= or toolkit=, not both")
        out["tools"] = out.pop("toolkit")
    if "max_tool_calls" in out and out["max_tool_calls"] is None:
        out["max_tool_calls"] = sys.maxsize
    return out


def llm_default(llm: Any, name: str, fallback: Any) -> Any:
    """An ``LLM``-wide default (``LLM(spec, verbose=True, max_tool_calls=3, ...)``), so the
    decorator's own bookkeeping sees what the call will use; ``fallback`` is modelport's."""
    defaults = getattr(llm, "_defaults", None)
    if isinstance(defaults, Mapping) and name in defaults:
        return defaults[name]
    opts = getattr(llm, "_base_opts", None)
    if opts is not None and hasattr(opts, name):
        return getattr(opts, name)
    return fallback


def role_of(item: Any) -> str | None:
    if isinstance(item, Message):
        return item.role
    if isinstance(item, Mapping):
        role = item.get("role")
        return role if isinstance(role, str) else None
    return None


def to_text(value: Any) -> str:
    """A value as the text of a message: strings as they are, anything else as JSON."""
    if isinstance(value, str):
        return value
    dump = getattr(value, "model_dump_json", None)
    if callable(dump):
        return str(dump())
    try:
        return json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        return str(value)


def part_dict(part: Any) -> dict[str, Any]:
    if isinstance(part, TextPart):
        return {"type": "text", "text": part.text}
    if isinstance(part, ImagePart):
        image: dict[str, Any] = {"url": part.as_url()}
        if part.detail is not None:
            image["detail"] = part.detail
        return {"type": "image_url", "image_url": image}
    if isinstance(part, Mapping):
        return dict(part)
    dump = getattr(part, "model_dump", None)
    return dict(dump()) if callable(dump) else {"type": "text", "text": str(part)}


def message_dict(m: Message) -> dict[str, Any]:
    """A ``Message`` as the OpenAI-style dict a history holds (and the next call accepts).

    An assistant turn with tool calls also keeps its ``reasoning`` and ``provider_metadata``
    (when set): providers such as Claude must receive them again within a tool loop.
    """
    out: dict[str, Any] = {"role": m.role}
    if isinstance(m.content, list):
        out["content"] = [part_dict(p) for p in m.content]
    else:
        out["content"] = m.content
    if m.tool_calls:
        out["tool_calls"] = [
            {
                "id": c.id,
                "type": "function",
                "function": {"name": c.name, "arguments": c.arguments},
            }
            for c in m.tool_calls
        ]
        if m.reasoning:
            out["reasoning"] = m.reasoning
        if m.provider_metadata:
            out["provider_metadata"] = dict(m.provider_metadata)
    if m.tool_call_id is not None:
        out["tool_call_id"] = m.tool_call_id
    if m.role == "tool" and m.name:
        out["name"] = m.name
    return out
