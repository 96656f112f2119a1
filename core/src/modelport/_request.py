"""The provider-neutral request a provider plugin translates to its wire format."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from ._messages import Message
from ._record import (
    Record,
    check_bool,
    check_dict,
    check_float,
    check_int,
    check_str,
    check_str_list,
    check_text,
    invalid,
)

__all__ = ["Request", "ResponseFormat", "ToolSpec"]


class ToolSpec(Record):
    """A tool the model may call, as a JSON schema of its parameters."""

    _fields = ("name", "description", "parameters", "strict")
    __slots__ = _fields
    name: str
    description: str
    parameters: dict[str, Any]
    strict: bool | None

    def __init__(
        self,
        *,
        name: str,
        description: str = "",
        parameters: Mapping[str, Any] | None = None,
        strict: bool | None = None,
    ) -> None:
        self.name = check_str("ToolSpec", "name", name)
        self.description = check_str("ToolSpec", "description", description)
        self.parameters = (
            {"type": "object", "properties": {}}
            if parameters is None
            else check_dict("ToolSpec", "parameters", parameters)
        )
        self.strict = None if strict is None else check_bool("ToolSpec", "strict", strict)


class ResponseFormat(Record):
    """A JSON schema the answer must follow (already made provider-ready by the core).

    Built as ``ResponseFormat(name=..., schema={...})``; the schema is read as ``json_schema``
    (``schema`` was a pydantic method name, and stays the constructor's spelling).
    """

    _fields = ("name", "json_schema", "strict")
    __slots__ = _fields
    name: str
    json_schema: dict[str, Any]
    strict: bool

    def __init__(
        self,
        *,
        name: str = "response",
        schema: Mapping[str, Any] | None = None,
        strict: bool = True,
        json_schema: Mapping[str, Any] | None = None,
    ) -> None:
        given = schema if schema is not None else json_schema
        if given is None:
            raise ValueError("ResponseFormat needs a schema (schema={...})")
        self.name = check_str("ResponseFormat", "name", name)
        self.json_schema = check_dict("ResponseFormat", "schema", given)
        self.strict = check_bool("ResponseFormat", "strict", strict)

    @classmethod
    def _accepted(cls) -> frozenset[str]:
        return frozenset((*cls._fields, "schema"))


class Request(Record):
    """Everything one model call asks for, before any provider or plugin shaping.

    Parameters left ``None`` are not sent, so the provider's own default applies. ``extra_body``
    and ``extra_headers`` reach the wire unchanged (after shaping hooks), which is how a caller
    uses a provider feature modelport does not model yet.
    """

    _fields = (
        "model",
        "messages",
        "tools",
        "tool_choice",
        "parallel_tool_calls",
        "response_format",
        "temperature",
        "top_p",
        "max_tokens",
        "stop",
        "seed",
        "presence_penalty",
        "frequency_penalty",
        "reasoning_effort",
        "top_k",
        "budget_tokens",
        "prompt_cache",
        "user",
        "stream",
        "extra_body",
        "extra_headers",
    )
    __slots__ = _fields
    model: str
    messages: list[Message]
    tools: list[ToolSpec]
    tool_choice: Literal["auto", "none", "required"] | str | None
    parallel_tool_calls: bool | None
    response_format: ResponseFormat | None
    temperature: float | None
    top_p: float | None
    max_tokens: int | None
    stop: list[str] | None
    seed: int | None
    presence_penalty: float | None
    frequency_penalty: float | None
    reasoning_effort: str | None
    # Claude's sampling cut-off and explicit thinking budget; providers without them ignore them.
    top_k: int | None
    budget_tokens: int | None
    # Prompt-cache breakpoints (Anthropic-shaped providers): True / "5m" / "1h"; None or False: off.
    prompt_cache: bool | str | None
    user: str | None
    stream: bool
    extra_body: dict[str, Any]
    extra_headers: dict[str, str]

    def __init__(
        self,
        *,
        model: str,
        messages: list[Message],
        tools: list[ToolSpec] | None = None,
        tool_choice: Literal["auto", "none", "required"] | str | None = None,
        parallel_tool_calls: bool | None = None,
        response_format: ResponseFormat | None = None,
        temperature: float | None = None,
        top_p: float | None = None,
        max_tokens: int | None = None,
        stop: list[str] | None = None,
        seed: int | None = None,
        presence_penalty: float | None = None,
        frequency_penalty: float | None = None,
        reasoning_effort: str | None = None,
        top_k: int | None = None,
        budget_tokens: int | None = None,
        prompt_cache: bool | str | None = None,
        user: str | None = None,
        stream: bool = False,
        extra_body: Mapping[str, Any] | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> None:
        self.model = model if type(model) is str else check_str("Request", "model", model)
        if not isinstance(messages, list | tuple):
            raise invalid("Request", "messages", "a list of Message", messages)
        self.messages = [
            m if isinstance(m, Message) else Message.model_validate(m) for m in messages
        ]
        if tools is None:
            self.tools = []
        elif isinstance(tools, list | tuple):
            self.tools = [
                t if isinstance(t, ToolSpec) else ToolSpec.model_validate(t) for t in tools
            ]
        else:
            raise invalid("Request", "tools", "a list of ToolSpec", tools)
        self.tool_choice = (
            tool_choice
            if tool_choice is None or type(tool_choice) is str
            else check_text("Request", "tool_choice", tool_choice)
        )
        self.parallel_tool_calls = (
            None
            if parallel_tool_calls is None
            else check_bool("Request", "parallel_tool_calls", parallel_tool_calls)
        )
        self.response_format = (
            response_format
            if response_format is None or isinstance(response_format, ResponseFormat)
            else ResponseFormat.model_validate(response_format)
        )
        self.temperature = (
            None if temperature is None else check_float("Request", "temperature", temperature)
        )
        self.top_p = None if top_p is None else check_float("Request", "top_p", top_p)
        self.max_tokens = (
            None if max_tokens is None else check_int("Request", "max_tokens", max_tokens)
        )
        self.stop = None if stop is None else check_str_list("Request", "stop", stop)
        self.seed = None if seed is None else check_int("Request", "seed", seed)
        self.presence_penalty = (
            None
            if presence_penalty is None
            else check_float("Request", "presence_penalty", presence_penalty)
        )
        self.frequency_penalty = (
            None
            if frequency_penalty is None
            else check_float("Request", "frequency_penalty", frequency_penalty)
        )
        self.reasoning_effort = (
            reasoning_effort
            if reasoning_effort is None or type(reasoning_effort) is str
            else check_text("Request", "reasoning_effort", reasoning_effort)
        )
        self.top_k = None if top_k is None else check_int("Request", "top_k", top_k)
        self.budget_tokens = (
            None if budget_tokens is None else check_int("Request", "budget_tokens", budget_tokens)
        )
        if prompt_cache is not None and not isinstance(prompt_cache, bool | str):
            raise invalid("Request", "prompt_cache", "True, False, '5m' or '1h'", prompt_cache)
        self.prompt_cache = prompt_cache
        self.user = (
            user if user is None or type(user) is str else check_text("Request", "user", user)
        )
        self.stream = (
            stream if stream is False or stream is True else check_bool("Request", "stream", stream)
        )
        self.extra_body = (
            {} if extra_body is None else check_dict("Request", "extra_body", extra_body)
        )
        headers = (
            {} if extra_headers is None else check_dict("Request", "extra_headers", extra_headers)
        )
        if headers and not all(
            isinstance(k, str) and isinstance(v, str) for k, v in headers.items()
        ):
            raise ValueError("Request.extra_headers must map str to str")
        self.extra_headers = headers
