"""Conversation messages and their content parts (pydantic boundary types).

A message is provider-neutral: each provider plugin translates it to its wire format. Fields a
provider needs to see again on the next turn (Claude thinking signatures, encrypted reasoning)
live in ``provider_metadata`` so a multi-turn loop can hand them back unchanged.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
)

from ._errors import ConfigurationError
from ._parts import ContentPart, ImagePart, TextPart, first_error

__all__ = [
    "ContentPart",
    "ImagePart",
    "Message",
    "Role",
    "TextPart",
    "ToolCall",
    "coerce_messages",
]

Role = Literal["system", "developer", "user", "assistant", "tool"]


class ToolCall(BaseModel):
    """One call the model asked for. ``arguments`` is the raw JSON text the model produced.

    The raw text is kept (not only a parsed dict) because invalid JSON must be reported back to
    the model verbatim, and because a round trip must send the provider exactly what it sent us.
    """

    model_config = ConfigDict(defer_build=True)

    id: str
    name: str
    arguments: str = ""
    provider_metadata: dict[str, Any] = Field(default_factory=dict)

    def parsed_arguments(self) -> dict[str, Any]:
        """The arguments as a dict; raises ``ValueError`` when the text is not a JSON object."""
        if not self.arguments.strip():
            return {}
        value = json.loads(self.arguments)
        if not isinstance(value, dict):
            raise ValueError(f"tool arguments are not a JSON object: {self.arguments!r}")
        return value


class Message(BaseModel):
    """One turn of a conversation."""

    model_config = ConfigDict(defer_build=True)

    role: Role
    content: str | list[ContentPart] | None = None
    name: str | None = None
    tool_calls: list[ToolCall] = Field(default_factory=list)
    tool_call_id: str | None = None
    reasoning: str | None = None
    provider_metadata: dict[str, Any] = Field(default_factory=dict)

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
        out.append(Message(role="user", content=prompt))
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
    except ValueError as exc:
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
            return ImagePart.model_validate(part)
        except ValidationError as exc:
            raise ConfigurationError(f"ImagePart: {first_error(exc)}") from None
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
