"""The provider-neutral request a provider plugin translates to its wire format."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ._messages import Message

__all__ = ["Request", "ResponseFormat", "ToolSpec"]


class ToolSpec(BaseModel):
    """A tool the model may call, as a JSON schema of its parameters."""

    model_config = ConfigDict(defer_build=True)
    name: str
    description: str = ""
    parameters: dict[str, Any] = Field(default_factory=lambda: {"type": "object", "properties": {}})
    strict: bool | None = None


class ResponseFormat(BaseModel):
    """A JSON schema the answer must follow (already made provider-ready by the core)."""

    name: str = "response"
    json_schema: dict[str, Any] = Field(alias="schema")
    strict: bool = True

    model_config = ConfigDict(populate_by_name=True, defer_build=True)


class Request(BaseModel):
    """Everything one model call asks for, before any provider or plugin shaping.

    Parameters left ``None`` are not sent, so the provider's own default applies. ``extra_body``
    and ``extra_headers`` reach the wire unchanged (after shaping hooks), which is how a caller
    uses a provider feature modelport does not model yet.
    """

    model_config = ConfigDict(defer_build=True)

    model: str
    messages: list[Message]
    tools: list[ToolSpec] = Field(default_factory=list)
    tool_choice: Literal["auto", "none", "required"] | str | None = None
    parallel_tool_calls: bool | None = None
    response_format: ResponseFormat | None = None
    temperature: float | None = None
    top_p: float | None = None
    max_tokens: int | None = None
    stop: list[str] | None = None
    seed: int | None = None
    presence_penalty: float | None = None
    frequency_penalty: float | None = None
    reasoning_effort: str | None = None
    # Claude's sampling cut-off and explicit thinking budget; providers without them ignore them.
    top_k: int | None = None
    budget_tokens: int | None = None
    # Prompt-cache breakpoints (Anthropic-shaped providers): True / "5m" / "1h"; None or False: off.
    prompt_cache: bool | str | None = None
    user: str | None = None
    stream: bool = False
    extra_body: dict[str, Any] = Field(default_factory=dict)
    extra_headers: dict[str, str] = Field(default_factory=dict)
