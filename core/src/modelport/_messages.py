"""Conversation messages and their content parts (boundary records, see ``_record``).

A message is provider-neutral: each provider plugin translates it to its wire format. Fields a
provider needs to see again on the next turn (Claude thinking signatures, encrypted reasoning)
live in ``provider_metadata`` so a multi-turn loop can hand them back unchanged.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any, Literal

from ._errors import ConfigurationError
from ._parts import ContentPart, ImagePart, TextPart, content_part
from ._record import Record, check_choice, check_dict, check_str, check_text, invalid

__all__ = [
    "ContentPart",
    "ImagePart",
    "Message",
    "Role",
    "TextPart",
    "ToolCall",
    "coerce_messages",
    "messages_have_images",
    "tool_calls_of",
]

Role = Literal["system", "developer", "user", "assistant", "tool"]
_ROLES = frozenset({"system", "developer", "user", "assistant", "tool"})


class ToolCall(Record):
    """One call the model asked for. ``arguments`` is the raw JSON text the model produced.

    The raw text is kept (not only a parsed dict) because invalid JSON must be reported back to
    the model verbatim, and because a round trip must send the provider exactly what it sent us.
    """

    _fields = ("id", "name", "arguments", "provider_metadata")
    __slots__ = _fields
    id: str
    name: str
    arguments: str
    provider_metadata: dict[str, Any]

    def __init__(
        self,
        *,
        id: str,
        name: str,
        arguments: str = "",
        provider_metadata: Mapping[str, Any] | None = None,
    ) -> None:
        self.id = check_str("ToolCall", "id", id)
        self.name = check_str("ToolCall", "name", name)
        self.arguments = check_str("ToolCall", "arguments", arguments)
        self.provider_metadata = (
            {}
            if provider_metadata is None
            else check_dict("ToolCall", "provider_metadata", provider_metadata)
        )

    def parsed_arguments(self) -> dict[str, Any]:
        """The arguments as a dict; raises ``ValueError`` when the text is not a JSON object."""
        if not self.arguments.strip():
            return {}
        value = json.loads(self.arguments)
        if not isinstance(value, dict):
            raise ValueError(f"tool arguments are not a JSON object: {self.arguments!r}")
        return value


def tool_calls_of(owner: str, value: Any) -> list[ToolCall]:
    """A list of tool calls: ``ToolCall``s, or dicts of their fields."""
    if not isinstance(value, list | tuple):
        raise invalid(owner, "tool_calls", "a list of ToolCall", value)
    return [c if isinstance(c, ToolCall) else ToolCall.model_validate(c) for c in value]


class Message(Record):
    """One turn of a conversation."""

    _fields = (
        "role",
        "content",
        "name",
        "tool_calls",
        "tool_call_id",
        "reasoning",
        "provider_metadata",
    )
    __slots__ = _fields
    role: Role
    content: str | list[ContentPart] | None
    name: str | None
    tool_calls: list[ToolCall]
    tool_call_id: str | None
    reasoning: str | None
    provider_metadata: dict[str, Any]

    def __init__(
        self,
        *,
        role: Role,
        content: str | list[ContentPart] | None = None,
        name: str | None = None,
        tool_calls: list[ToolCall] | None = None,
        tool_call_id: str | None = None,
        reasoning: str | None = None,
        provider_metadata: Mapping[str, Any] | None = None,
    ) -> None:
        self.role = (
            role
            if isinstance(role, str) and role in _ROLES
            else check_choice("Message", "role", role, _ROLES)  # type: ignore[assignment]
        )
        if content is None or type(content) is str:
            self.content = content
        elif isinstance(content, list | tuple):
            self.content = [content_part("Message", p) for p in content]
        else:
            self.content = check_str("Message", "content", content)
        self.name = (
            name if name is None or type(name) is str else check_text("Message", "name", name)
        )
        self.tool_calls = [] if not tool_calls else tool_calls_of("Message", tool_calls)
        self.tool_call_id = (
            tool_call_id
            if tool_call_id is None or type(tool_call_id) is str
            else check_text("Message", "tool_call_id", tool_call_id)
        )
        self.reasoning = (
            reasoning
            if reasoning is None or type(reasoning) is str
            else check_text("Message", "reasoning", reasoning)
        )
        self.provider_metadata = (
            {}
            if provider_metadata is None
            else check_dict("Message", "provider_metadata", provider_metadata)
        )

    @property
    def text(self) -> str:
        """The text of the message, parts joined, images left out."""
        if self.content is None:
            return ""
        if isinstance(self.content, str):
            return self.content
        return "".join(p.text for p in self.content if isinstance(p, TextPart))

    @classmethod
    def system(cls, text: str) -> Message:
        return cls(role="system", content=text)

    @classmethod
    def user(cls, content: str | list[ContentPart]) -> Message:
        return cls(role="user", content=content)

    @classmethod
    def assistant(cls, text: str | None = None, **kw: Any) -> Message:
        return cls(role="assistant", content=text, **kw)

    @classmethod
    def tool(cls, tool_call_id: str, content: str) -> Message:
        return cls(role="tool", tool_call_id=tool_call_id, content=content)


_new = object.__new__
_message_init = Message.__init__


def messages_have_images(messages: list[Message]) -> bool:
    """Whether any message holds an image part (the engine checks and fetches only then)."""
    for m in messages:  # a loop, not any(...): nearly every message is a str, checked once
        content = m.content
        if type(content) is list and any(isinstance(p, ImagePart) for p in content):
            return True
    return False


def coerce_messages(
    prompt: str | Message | Mapping[str, Any] | Iterable[Message | Mapping[str, Any]],
    *,
    system: str | None = None,
) -> list[Message]:
    """Accept what users naturally pass (a string, dicts in OpenAI shape, Messages)."""
    out: list[Message] = []
    if system is not None:
        out.append(Message(role="system", content=system))
    if isinstance(prompt, str):
        # ``__init__`` called as a function: calling the class with keywords costs a third
        # more (CPython packs the keywords into a dict and unpacks them again).
        message = _new(Message)
        _message_init(message, role="user", content=prompt)
        out.append(message)
        return out
    if isinstance(prompt, (Message, Mapping)):
        items: Iterable[Any] = [prompt]
    elif isinstance(prompt, Iterable):  # bytes too: each int item is then rejected below
        items = prompt
    else:
        raise ConfigurationError(
            "the prompt must be a str, a message (dict or modelport.Message) or a list of "
            f"messages, not {type(prompt).__name__}"
        )
    for item in items:
        if isinstance(item, Message):
            out.append(item)
        elif isinstance(item, Mapping):
            out.append(_message_from_mapping(item))
        else:
            raise ConfigurationError(
                f"a message must be a str, dict or modelport.Message, not {type(item).__name__}"
            )
    if not out:
        raise ConfigurationError("no messages to send")
    return out


def _message_from_mapping(item: Mapping[str, Any]) -> Message:
    data = dict(item)
    content = data.get("content")
    if isinstance(content, list):
        data["content"] = [_part_from_mapping(p) for p in content]
    calls = data.get("tool_calls")
    if calls:
        data["tool_calls"] = [
            c
            if isinstance(c, ToolCall)
            else ToolCall(
                id=c.get("id", ""),
                name=c.get("function", c).get("name", ""),
                arguments=c.get("function", c).get("arguments", ""),
            )
            for c in calls
        ]
    try:
        return Message.model_validate(data)
    except (ValueError, TypeError) as exc:
        raise ConfigurationError(f"invalid message {sorted(item)!r}: {exc}") from None


_SEED_IMAGE_TYPES = frozenset({"image_path", "image_pil", "image_base64"})


def _part_from_mapping(part: Any) -> Any:
    if not isinstance(part, Mapping):
        return part
    kind = part.get("type")
    if kind == "image_url":
        return _openai_image(part)
    if kind in _SEED_IMAGE_TYPES:  # better-llm-sdk's newer {"type": "image_path", ...} forms
        part = {**part, "type": "image"}
        kind = "image"
    if kind == "image":
        try:
            return ImagePart._validated(dict(part), None)
        except ValueError as exc:
            raise ConfigurationError(f"ImagePart: {exc}") from None
    return dict(part)


def _openai_image(part: Mapping[str, Any]) -> ImagePart:
    """OpenAI's ``{"type": "image_url", "image_url": {"url": ..., "detail": ...}}`` form."""
    extra = [str(k) for k in part if k not in ("type", "image_url")]
    url = part.get("image_url")
    detail = None
    if isinstance(url, Mapping):
        extra += [f"image_url.{k}" for k in url if k not in ("url", "detail")]
        detail = url.get("detail")
        url = url.get("url")
    if extra:
        raise ConfigurationError(
            f"ImagePart: unknown key(s) {sorted(extra)!r} in an image_url part; it takes "
            "'image_url': {'url': ..., 'detail': ...}"
        )
    if not isinstance(url, str):
        raise ConfigurationError("ImagePart: an image_url part needs a URL string")
    return ImagePart.from_url(url, detail=detail)
