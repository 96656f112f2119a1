"""modelport ``Request`` -> Responses API request body (a plain dict; the core serializes it).

Choices that are not obvious from the API reference:

- Every message is a typed item, ``{"type": "message", "role", "content"}``: servers that
  check the item list (llama.cpp answers 400 "Cannot determine type of 'item'" for an untyped
  assistant turn) need the ``type``. User, system and developer content is a list of
  ``input_text`` / ``input_image`` parts. An assistant turn without a recorded output item is
  ``{"type": "message", "role": "assistant", "content": "<text>"}``: a string, because the
  openai types allow ``output_text`` parts only in an output message that has the server's
  ``id`` and ``status``, and OpenAI rejects ``input_text`` parts in an assistant message.
- Leading system messages become ``instructions`` (the Responses-native place for them);
  system messages later in the conversation, and developer messages, become ``developer`` /
  ``system`` message items where they stand. ``options["instructions"] = False`` sends every
  system message as an item instead.
- An assistant turn that carries ``provider_metadata[ITEMS_KEY]`` (set by the decoder when the
  answer had reasoning items) is sent back as those output items, unchanged and in order, so
  reasoning items keep their encrypted content and are followed by the items they produced.
  Text and tool calls are taken from the message itself: a message whose text was edited is
  sent as a plain assistant message instead of the stale recorded one.
- Tools always carry ``strict``: the openai type requires the key, and the API's default for
  a missing key is ``true``, which rejects the optional parameters of ordinary Python
  functions. A tool whose ``strict`` is unset is therefore sent with ``strict: false``.
- ``stop``, ``seed`` and the penalties do not exist in the Responses API; they raise a
  ``ConfigurationError`` instead of vanishing (``extra_body`` still reaches a server that has
  them).
- Parameters left ``None`` are omitted; the core merges ``extra_body`` on top, so the caller
  wins.
"""

from __future__ import annotations

from typing import Any

from modelport.provider import (
    ConfigurationError,
    ImagePart,
    Message,
    ProviderSettings,
    Request,
    TextPart,
    ToolCall,
    ToolSpec,
)

from ._decode import ITEMS_KEY, join_by_item

__all__ = ["encode_input", "encode_request"]

_TOOL_CHOICE_KEYWORDS = frozenset({"auto", "none", "required"})
_UNSUPPORTED = ("stop", "seed", "presence_penalty", "frequency_penalty")
_ENCRYPTED = "reasoning.encrypted_content"


def encode_request(request: Request, settings: ProviderSettings) -> dict[str, Any]:
    """Build the JSON body; keys appear in a fixed order so equal requests serialize equally."""
    for name in _UNSUPPORTED:
        if getattr(request, name) is not None:
            raise ConfigurationError(
                f"openai-responses: the Responses API has no {name!r} parameter "
                "(pass it in extra_body if your server accepts it)"
            )
    options = settings.options
    instructions, items = encode_input(
        request.messages, use_instructions=bool(options.get("instructions", True))
    )
    body: dict[str, Any] = {"model": request.model}
    if instructions is not None:
        body["instructions"] = instructions
    body["input"] = items
    if request.temperature is not None:
        body["temperature"] = request.temperature
    if request.top_p is not None:
        body["top_p"] = request.top_p
    if request.max_tokens is not None:
        body["max_output_tokens"] = request.max_tokens
    reasoning: dict[str, Any] = {}
    if request.reasoning_effort is not None:
        reasoning["effort"] = request.reasoning_effort
    summary = options.get("reasoning_summary")
    if summary:
        reasoning["summary"] = summary
    if reasoning:
        body["reasoning"] = reasoning
    if options.get("include_encrypted_reasoning"):
        body["include"] = [_ENCRYPTED]
    if "store" in options:
        body["store"] = bool(options["store"])
    if request.user is not None:
        body["user"] = request.user
    if request.tools:
        body["tools"] = [_encode_tool(t) for t in request.tools]
        # Only together with tools: without them OpenAI rejects both.
        if request.tool_choice is not None:
            body["tool_choice"] = _encode_tool_choice(request.tool_choice)
        if request.parallel_tool_calls is not None:
            body["parallel_tool_calls"] = request.parallel_tool_calls
    if request.response_format is not None:
        fmt = request.response_format
        body["text"] = {
            "format": {
                "type": "json_schema",
                "name": fmt.name,
                "schema": fmt.json_schema,
                "strict": fmt.strict,
            }
        }
    if request.stream:
        body["stream"] = True
    return body


def encode_input(
    messages: list[Message], *, use_instructions: bool = True
) -> tuple[str | None, list[dict[str, Any]]]:
    """(instructions, input items) for a conversation."""
    instructions: list[str] = []
    items: list[dict[str, Any]] = []
    leading = use_instructions
    for m in messages:
        if leading and m.role == "system":
            instructions.append(_plain_text(m, "a system message"))
            continue
        leading = False
        items.extend(_encode_message(m))
    return ("\n\n".join(instructions) if instructions else None), items


def _encode_message(m: Message) -> list[dict[str, Any]]:
    role = m.role
    if role == "tool":
        if not m.tool_call_id:
            raise ConfigurationError("a tool message needs the tool_call_id it answers")
        return [
            {
                "type": "function_call_output",
                "call_id": m.tool_call_id,
                "output": _tool_output(m.content),
            }
        ]
    if role == "assistant":
        return _encode_assistant(m)
    if role == "user":
        return [_input_message("user", _input_parts(m.content, "a user message"))]
    text = _plain_text(m, f"a {role} message")
    return [_input_message(role, [{"type": "input_text", "text": text}])]


def _input_message(role: str, parts: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "message", "role": role, "content": parts}


def _assistant_message(text: str) -> dict[str, Any]:
    return {"type": "message", "role": "assistant", "content": text}


def _encode_assistant(m: Message) -> list[dict[str, Any]]:
    text = _plain_text(m, "an assistant message")
    recorded = m.provider_metadata.get(ITEMS_KEY)
    if not isinstance(recorded, list) or not recorded:
        plain: list[dict[str, Any]] = [_assistant_message(text)] if text else []
        plain.extend(_function_call(c) for c in m.tool_calls)
        return plain
    recorded_items = [i for i in recorded if isinstance(i, dict)]
    message_parts = [
        ((str(item.get("id")), n), part.get("text"))
        for item in recorded_items
        if item.get("type") == "message"
        for n, part in enumerate(item.get("content") or [])
        if isinstance(part, dict) and isinstance(part.get("text"), str)
    ]
    text_unchanged = join_by_item(message_parts) == text  # type: ignore[arg-type]
    calls = {c.id: c for c in m.tool_calls}
    out: list[dict[str, Any]] = []
    text_sent = False
    for item in recorded_items:
        kind = item.get("type")
        if kind == "message":
            if text_unchanged:
                out.append(item)
            elif not text_sent and text:
                out.append(_assistant_message(text))
            text_sent = True
        elif kind == "function_call":
            call = calls.pop(str(item.get("call_id") or item.get("id")), None)
            if call is not None:
                sent = _function_call(call)
                if isinstance(item.get("id"), str):
                    sent["id"] = item["id"]
                out.append(sent)
        else:
            # Reasoning items (encrypted content, ids) and server-side tool items go back as
            # the server sent them.
            out.append(item)
    if text and not text_sent:
        out.append(_assistant_message(text))
    out.extend(_function_call(c) for c in calls.values())
    return out


def _function_call(call: ToolCall) -> dict[str, Any]:
    return {
        "type": "function_call",
        "call_id": call.id,
        "name": call.name,
        # An empty string is not JSON; servers that parse the replayed arguments reject it.
        "arguments": call.arguments or "{}",
    }


def _input_parts(content: str | list[Any] | None, what: str) -> list[dict[str, Any]]:
    """``input_text`` / ``input_image`` parts; an empty message is one empty text part."""
    if content is None or isinstance(content, str):
        return [{"type": "input_text", "text": content or ""}]
    parts: list[dict[str, Any]] = []
    for part in content:
        if isinstance(part, TextPart):
            parts.append({"type": "input_text", "text": part.text})
        elif isinstance(part, ImagePart):
            # ``detail`` is required by the API's type; "auto" is its documented default.
            parts.append(
                {"type": "input_image", "image_url": part.as_url(), "detail": part.detail or "auto"}
            )
        else:
            raise ConfigurationError(
                f"openai-responses cannot send a {type(part).__name__} content part in {what}"
            )
    return parts or [{"type": "input_text", "text": ""}]


def _tool_output(content: str | list[Any] | None) -> str | list[dict[str, Any]]:
    """A tool result: its text, or ``input_text`` / ``input_image`` parts when it has images."""
    if content is None or isinstance(content, str):
        return content or ""
    if all(isinstance(p, TextPart) for p in content):
        return "".join(p.text for p in content if isinstance(p, TextPart))
    return _input_parts(content, "a tool result")


def _plain_text(m: Message, what: str) -> str:
    """System, developer, assistant and tool turns take text only."""
    content = m.content
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    for part in content:
        if not isinstance(part, TextPart):
            raise ConfigurationError(
                f"openai-responses cannot send a {type(part).__name__} in {what}; only text"
            )
    return "".join(p.text for p in content if isinstance(p, TextPart))


def _encode_tool(tool: ToolSpec) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "function", "name": tool.name}
    if tool.description:
        out["description"] = tool.description
    out["parameters"] = tool.parameters
    out["strict"] = bool(tool.strict)
    return out


def _encode_tool_choice(choice: str) -> str | dict[str, Any]:
    if choice in _TOOL_CHOICE_KEYWORDS:
        return choice
    return {"type": "function", "name": choice}
