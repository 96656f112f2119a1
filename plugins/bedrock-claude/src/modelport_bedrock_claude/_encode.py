"""Request bodies: a modelport ``Request`` as an Anthropic Messages body for Bedrock InvokeModel.

What goes where (see ``docs/providers/bedrock-claude.md``):

- system and developer messages are joined into ``system``;
- user and assistant turns become ``messages``; consecutive turns of one role are merged
  (Claude wants user/assistant alternation), tool results become ``tool_result`` blocks in a
  user turn, assistant tool calls ``tool_use`` blocks whose ``input`` is the parsed arguments;
- thinking blocks of earlier assistant turns are sent back first and unchanged (with their
  signatures), from ``provider_metadata[THINKING_BLOCKS_KEY]``: Claude rejects a tool loop
  whose assistant turn lost its signed thinking block;
- sampling parameters and thinking are shaped by the model's profile (``_shape``);
- ``prompt_cache=`` places ``cache_control`` breakpoints (``modelport.provider``'s
  ``add_cache_breakpoints``, shared by every Anthropic-shaped provider).
"""

from __future__ import annotations

import json
from typing import Any

from modelport.provider import (
    ConfigurationError,
    ImagePart,
    Message,
    ModelProfile,
    ProviderSettings,
    Request,
    TextPart,
    ToolCall,
    add_cache_breakpoints,
)

from ._generations import profile_for
from ._shape import Drops, shape_body

__all__ = [
    "ANTHROPIC_VERSION",
    "DEFAULT_MAX_TOKENS",
    "THINKING_BLOCKS_KEY",
    "encode_messages",
    "encode_request",
]

ANTHROPIC_VERSION = "bedrock-2023-05-31"
DEFAULT_MAX_TOKENS = 4096
THINKING_BLOCKS_KEY = "thinking_blocks"
_THINKING_TYPES = frozenset({"thinking", "redacted_thinking"})
_CLAUDE_MEDIA_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})


def encode_request(
    request: Request,
    settings: ProviderSettings,
    profile: ModelProfile | None = None,
    drops: Drops | None = None,
) -> dict[str, Any]:
    """The body for ``request``, shaped for what ``profile`` says the model accepts (its own
    table row when not given), then marked for prompt caching when the call asks."""
    if request.response_format is not None:
        raise ConfigurationError(
            "bedrock-claude returns structured output through a forced tool call; use the "
            "'tool' structured-output strategy (the default for this provider)"
        )
    options = settings.options
    system, messages = encode_messages(request.messages)
    default_max = int(options.get("default_max_tokens", DEFAULT_MAX_TOKENS))
    body: dict[str, Any] = {
        "anthropic_version": str(options.get("anthropic_version", ANTHROPIC_VERSION)),
        "max_tokens": request.max_tokens if request.max_tokens is not None else default_max,
        "messages": messages,
    }
    if system:
        body["system"] = system
    if request.temperature is not None:
        body["temperature"] = request.temperature
    if request.top_p is not None:
        body["top_p"] = request.top_p
    if request.top_k is not None:
        body["top_k"] = request.top_k
    if request.stop:
        body["stop_sequences"] = list(request.stop)
    if request.tools:
        body["tools"] = [_tool(t.name, t.description, t.parameters) for t in request.tools]
        choice = _tool_choice(request.tool_choice, request.parallel_tool_calls)
        if choice is not None:
            body["tool_choice"] = choice
    if profile is None:
        profile = profile_for(request.model or settings.model)
    if drops is None:
        drops = Drops(strict=settings.strict)
    shape_body(body, request, profile, drops, default_max=default_max)
    add_cache_breakpoints(body, request.prompt_cache)
    return body  # the core merges ``extra_body`` on top, after every shaping hook


def _tool(name: str, description: str, parameters: dict[str, Any]) -> dict[str, Any]:
    tool: dict[str, Any] = {"name": name}
    if description:
        tool["description"] = description
    tool["input_schema"] = parameters or {"type": "object", "properties": {}}
    return tool


def _tool_choice(choice: str | None, parallel: bool | None) -> dict[str, Any] | None:
    out: dict[str, Any]
    if choice is None:
        if parallel is not False:
            return None
        out = {"type": "auto"}
    elif choice == "auto":
        out = {"type": "auto"}
    elif choice == "required":
        out = {"type": "any"}
    elif choice == "none":
        return {"type": "none"}
    else:
        out = {"type": "tool", "name": choice}
    if parallel is False:
        out["disable_parallel_tool_use"] = True
    return out


# -- messages ----------------------------------------------------------------------------------


def encode_messages(messages: list[Message]) -> tuple[str, list[dict[str, Any]]]:
    """``(system, messages)``: system text joined by blank lines, turns merged per role."""
    system: list[str] = []
    turns: list[tuple[str, list[dict[str, Any]]]] = []

    def push(role: str, blocks: list[dict[str, Any]]) -> None:
        if not blocks:
            return
        if turns and turns[-1][0] == role:
            turns[-1][1].extend(blocks)
        else:
            turns.append((role, blocks))

    for m in messages:
        if m.role in ("system", "developer"):
            if m.text:
                system.append(m.text)
        elif m.role == "user":
            push("user", _content_blocks(m))
        elif m.role == "assistant":
            push("assistant", _assistant_blocks(m))
        elif m.role == "tool":
            push("user", [_tool_result(m)])
    out: list[dict[str, Any]] = []
    for role, blocks in turns:
        if len(blocks) == 1 and blocks[0]["type"] == "text":
            out.append({"role": role, "content": blocks[0]["text"]})
        else:
            out.append({"role": role, "content": blocks})
    return "\n\n".join(system), out


def _content_blocks(m: Message) -> list[dict[str, Any]]:
    content = m.content
    if content is None:
        return []
    if isinstance(content, str):
        return [{"type": "text", "text": content}] if content else []
    blocks: list[dict[str, Any]] = []
    for part in content:
        if isinstance(part, TextPart):
            if part.text:
                blocks.append({"type": "text", "text": part.text})
        elif isinstance(part, ImagePart):
            blocks.append(_image(part))
    return blocks


def _image(part: ImagePart) -> dict[str, Any]:
    """A base64 ``image`` block. ``ImagePart`` has already read, sniffed and bounded the data."""
    if part.data is not None:
        media, data = part.media_type or "image/png", part.data
    elif part.url is not None and part.url.startswith("data:"):
        header, _, data = part.url[5:].partition(",")
        media = header.split(";")[0] or "image/png"
        if ";base64" not in header:
            raise ConfigurationError("bedrock-claude needs base64 data: URLs for images")
    else:
        # The core downloads URL images first (the profile says image_urls=False); a URL gets
        # here only when a profile override claims URL support or the provider is used alone.
        raise ConfigurationError(
            f"bedrock-claude cannot send the image URL {str(part.url)[:80]!r}: Bedrock's "
            "InvokeModel takes images as base64 data only; leave the profile's image_urls "
            "False so that modelport downloads it, or pass ImagePart.from_bytes / from_path"
        )
    if media not in _CLAUDE_MEDIA_TYPES:
        raise ConfigurationError(
            f"bedrock-claude: Claude takes {', '.join(sorted(_CLAUDE_MEDIA_TYPES))} images, "
            f"not {media!r}"
        )
    return {"type": "image", "source": {"type": "base64", "media_type": media, "data": data}}


def _assistant_blocks(m: Message) -> list[dict[str, Any]]:
    blocks = _thinking_blocks(m)
    blocks.extend(_content_blocks(m))
    blocks.extend(_tool_use(c) for c in m.tool_calls)
    return blocks


def _thinking_blocks(m: Message) -> list[dict[str, Any]]:
    """Thinking blocks exactly as Claude sent them, else rebuilt from one signature."""
    kept = m.provider_metadata.get(THINKING_BLOCKS_KEY)
    if isinstance(kept, list):
        return [dict(b) for b in kept if isinstance(b, dict) and b.get("type") in _THINKING_TYPES]
    signatures = m.provider_metadata.get("reasoning_signatures")
    if m.reasoning and isinstance(signatures, list) and len(signatures) == 1:
        return [{"type": "thinking", "thinking": m.reasoning, "signature": signatures[0]}]
    return []


def _tool_use(call: ToolCall) -> dict[str, Any]:
    try:
        arguments = call.parsed_arguments()
    except ValueError:
        arguments = {}  # Claude only takes an object; invalid JSON was reported to it already
    return {"type": "tool_use", "id": call.id, "name": call.name, "input": arguments}


def _tool_result(m: Message) -> dict[str, Any]:
    if not m.tool_call_id:
        raise ConfigurationError("a tool message needs tool_call_id for bedrock-claude")
    content: Any
    if isinstance(m.content, list):
        content = _content_blocks(m)
    else:
        content = m.content if m.content is not None else ""
        if not isinstance(content, str):
            content = json.dumps(content)
    block: dict[str, Any] = {"type": "tool_result", "tool_use_id": m.tool_call_id}
    if content:
        block["content"] = content
    return block
