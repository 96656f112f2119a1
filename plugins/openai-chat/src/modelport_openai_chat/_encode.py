"""modelport ``Request`` -> Chat Completions request body (a plain dict; the core serializes it).

Rules that are not obvious from the API reference, each learned from a server rejecting a
request:

- Parameters left ``None`` are omitted, never sent as ``null``: several compatible servers
  treat an explicit null as a value and reject it, and omitting keeps the cache key stable.
- ``max_completion_tokens`` is what OpenAI wants (reasoning models reject ``max_tokens``), but
  llama.cpp, vLLM and most compatible servers only know ``max_tokens``. The field is chosen from
  the base URL and can be forced with ``options["max_tokens_field"]``.
- ``tool_choice`` and ``parallel_tool_calls`` are sent only together with ``tools``: OpenAI
  answers 400 to either one without tools.
- ``extra_body`` is not merged here: the core puts it on top of every provider's body, after
  shaping hooks, so a caller can always override us.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from modelport.provider import (
    ConfigurationError,
    ImagePart,
    Message,
    ProviderSettings,
    Request,
    TextPart,
    ToolSpec,
)

__all__ = ["encode_messages", "encode_request", "max_tokens_field"]

_OPENAI_HOST = "api.openai.com"
_TOOL_CHOICE_KEYWORDS = frozenset({"auto", "none", "required"})
_SAMPLING = ("temperature", "top_p", "seed", "presence_penalty", "frequency_penalty", "user")


def encode_request(request: Request, settings: ProviderSettings) -> dict[str, Any]:
    """Build the JSON body; keys appear in a fixed order so equal requests serialize equally."""
    body: dict[str, Any] = {
        "model": request.model,
        "messages": encode_messages(request.messages),
    }
    for name in _SAMPLING:
        value = getattr(request, name)
        if value is not None:
            body[name] = value
    if request.stop is not None:
        body["stop"] = list(request.stop)
    if request.max_tokens is not None:
        body[max_tokens_field(settings)] = request.max_tokens
    if request.reasoning_effort is not None:
        body["reasoning_effort"] = request.reasoning_effort
    if request.tools:
        body["tools"] = [_encode_tool(t) for t in request.tools]
        if request.tool_choice is not None:
            body["tool_choice"] = _encode_tool_choice(request.tool_choice)
        if request.parallel_tool_calls is not None:
            body["parallel_tool_calls"] = request.parallel_tool_calls
    if request.response_format is not None:
        fmt = request.response_format
        body["response_format"] = {
            "type": "json_schema",
            "json_schema": {"name": fmt.name, "schema": fmt.json_schema, "strict": fmt.strict},
        }
    if request.stream:
        body["stream"] = True
        if settings.options.get("include_usage", True):
            # Without this, OpenAI streams carry no usage at all.
            body["stream_options"] = {"include_usage": True}
    return body


def max_tokens_field(settings: ProviderSettings) -> str:
    """``max_completion_tokens`` for OpenAI itself, ``max_tokens`` for everything else."""
    forced = settings.options.get("max_tokens_field")
    if forced:
        return str(forced)
    if settings.base_url is None:
        return "max_completion_tokens"
    host = urlsplit(settings.base_url).hostname or ""
    return "max_completion_tokens" if host == _OPENAI_HOST else "max_tokens"


def encode_messages(messages: list[Message]) -> list[dict[str, Any]]:
    """Chat Completions messages. A tool result with images (a tool that returned an
    ``ImagePart``) cannot be one tool message: the API's tool messages take text only. So the
    tool message keeps the text and says where the images are, and the images follow in one
    user message after the turn's tool messages (tool messages must come right after the
    assistant turn that called them), as OpenAI suggests for images produced by tools."""
    out: list[dict[str, Any]] = []
    images: list[dict[str, Any]] = []
    for m in messages:
        if images and m.role != "tool":
            out.append({"role": "user", "content": images})
            images = []
        if m.role == "tool" and _has_image(m.content):
            message, parts = _tool_with_images(m)
            out.append(message)
            images += parts
        else:
            out.append(_encode_message(m))
    if images:
        out.append({"role": "user", "content": images})
    return out


def _has_image(content: str | list[Any] | None) -> bool:
    return isinstance(content, list) and any(isinstance(p, ImagePart) for p in content)


def _tool_with_images(m: Message) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The tool message (its text, and a note naming where the images went) and the user
    message parts that carry the images, introduced by a line naming the call."""
    if not m.tool_call_id:
        raise ConfigurationError("a tool message needs the tool_call_id it answers")
    content = m.content if isinstance(m.content, list) else []
    text = "".join(p.text for p in content if isinstance(p, TextPart))
    count = sum(isinstance(p, ImagePart) for p in content)
    where = "the image is" if count == 1 else f"the {count} images are"
    note = f"[{where} in the next user message]"
    message: dict[str, Any] = {
        "role": "tool",
        "tool_call_id": m.tool_call_id,
        "content": f"{text}\n{note}" if text else note,
    }
    who = f"{m.name} ({m.tool_call_id})" if m.name else m.tool_call_id
    parts = [{"type": "text", "text": f"Image(s) returned by the tool call {who}:"}]
    parts += [_image_url(p) for p in content if isinstance(p, ImagePart)]
    return message, parts


def _image_url(part: ImagePart) -> dict[str, Any]:
    image: dict[str, Any] = {"url": part.as_url()}
    if part.detail is not None:
        image["detail"] = part.detail
    return {"type": "image_url", "image_url": image}


def _encode_message(m: Message) -> dict[str, Any]:
    role = m.role
    if role == "tool":
        if not m.tool_call_id:
            raise ConfigurationError("a tool message needs the tool_call_id it answers")
        return {
            "role": "tool",
            "tool_call_id": m.tool_call_id,
            "content": _text_content(m, "a tool result"),
        }
    out: dict[str, Any] = {"role": role}
    if role == "user":
        out["content"] = _user_content(m.content)
    elif role == "assistant":
        if m.content is None or m.content == "" or m.content == []:
            # OpenAI wants null content when the turn is only tool calls, and a string
            # otherwise ("content is required unless tool_calls is given").
            out["content"] = None if m.tool_calls else ""
        else:
            out["content"] = _text_content(m, "an assistant message")
        if m.tool_calls:
            # Arguments go back exactly as the model produced them, except that an empty
            # string becomes "{}": llama.cpp parses them as JSON when rendering the template.
            out["tool_calls"] = [
                {
                    "id": c.id,
                    "type": "function",
                    "function": {"name": c.name, "arguments": c.arguments or "{}"},
                }
                for c in m.tool_calls
            ]
    else:  # system, developer
        out["content"] = _text_content(m, f"a {role} message")
    if m.name is not None:
        out["name"] = m.name
    return out


def _user_content(content: str | list[Any] | None) -> str | list[dict[str, Any]]:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    parts: list[dict[str, Any]] = []
    for part in content:
        if isinstance(part, TextPart):
            parts.append({"type": "text", "text": part.text})
        elif isinstance(part, ImagePart):
            parts.append(_image_url(part))
        else:
            raise ConfigurationError(
                f"openai-chat cannot send a {type(part).__name__} content part"
            )
    return parts


def _text_content(m: Message, what: str) -> str | list[dict[str, Any]]:
    """System, developer, assistant and tool turns take text only (string or text parts)."""
    content = m.content
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    parts: list[dict[str, Any]] = []
    for part in content:
        if not isinstance(part, TextPart):
            raise ConfigurationError(
                f"openai-chat cannot send a {type(part).__name__} in {what}; only text"
            )
        parts.append({"type": "text", "text": part.text})
    return parts


def _encode_tool(tool: ToolSpec) -> dict[str, Any]:
    function: dict[str, Any] = {"name": tool.name}
    if tool.description:
        function["description"] = tool.description
    function["parameters"] = tool.parameters
    if tool.strict is not None:
        function["strict"] = tool.strict
    return {"type": "function", "function": function}


def _encode_tool_choice(choice: str) -> str | dict[str, Any]:
    if choice in _TOOL_CHOICE_KEYWORDS:
        return choice
    return {"type": "function", "function": {"name": choice}}
