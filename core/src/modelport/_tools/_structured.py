"""Structured output: the strategy per provider, and turning the answer into an object.

``response_format=`` accepts a pydantic model, a dataclass, a TypedDict, a plain annotated class
or a JSON-schema dict (see ``_schema.output_spec``). How the schema reaches the model depends on
the provider's capability (``structured_output`` on the provider class):

- ``"json_schema"``: native structured output (OpenAI ``response_format: json_schema``);
- ``"tool"``: a forced call of a tool whose parameters are the schema; the arguments are the answer;
- ``"prompt"``: the schema is put in a system message and the answer parsed as JSON.

With ``two_pass`` (``_two_pass``: thinking requested where the model cannot think and be
forced into a schema in one call), the call's own request carries none of that: the first
pass thinks and answers freely, and the second pass uses the strategy to structure it.

``Response.structured`` is the validated instance. Truncation (``length``), a refusal
(``RefusalError``) and invalid output are ``StructuredOutputError`` with the raw text.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from .._errors import (
    ConfigurationError,
    RefusalError,
    StructuredOutputError,
    TruncatedOutputError,
)
from .._messages import Message
from .._request import ResponseFormat, ToolSpec
from .._response import Response
from .._slotted import Slotted

__all__ = ["Structured", "parse_structured", "resolve_response_format"]

Strategy = Literal["json_schema", "tool", "prompt"]
STRATEGIES = ("json_schema", "tool", "prompt")


class Structured(Slotted):
    """What a call with ``response_format`` needs: the spec and how it travels. (Loaded by
    every first call, used only by structured ones: a plain class, not a dataclass.)"""

    __slots__ = ("spec", "strategy", "two_pass")

    def __init__(self, spec: Any, strategy: Strategy, two_pass: bool = False) -> None:
        self.spec = spec  # _schema.OutputSpec
        self.strategy = strategy
        self.two_pass = two_pass

    def request_fields(self) -> dict[str, Any]:
        """The Request fields of the call itself (none for a two-pass call's free first pass)."""
        return {} if self.two_pass else self.strategy_fields()

    def system_prompt(self) -> str | None:
        return None if self.two_pass else self.strategy_prompt()

    def strategy_fields(self) -> dict[str, Any]:
        """The Request fields this strategy sets."""
        spec = self.spec
        if self.strategy == "json_schema":
            return {"response_format": spec.to_response_format()}
        if self.strategy == "tool":
            tool = ToolSpec(
                name=spec.name,
                description=spec.description or f"Return the answer as {spec.name}.",
                parameters=spec.schema,
                strict=spec.strict or None,
            )
            return {"tools": [tool], "tool_choice": spec.name}
        return {}

    def strategy_prompt(self) -> str | None:
        if self.strategy != "prompt":
            return None
        return (
            "Answer with a single JSON value and nothing else. It must validate against this "
            f"JSON schema:\n{json.dumps(self.spec.schema, separators=(',', ':'))}"
        )

    def answer_text(self, response: Response) -> str:
        if self.strategy == "tool":
            for call in response.tool_calls:
                if call.name == self.spec.name:
                    return call.arguments
        return response.text


def resolve_response_format(
    value: Any, strategy: str = "json_schema", *, two_pass: bool = False
) -> Structured | None:
    if value is None:
        return None
    if strategy not in STRATEGIES:
        raise ConfigurationError(
            f"structured output strategy must be one of {(*STRATEGIES, 'two_pass')}"
        )
    from ._schema import output_spec

    if isinstance(value, ResponseFormat):
        value = {"name": value.name, "schema": value.json_schema, "strict": value.strict}
    return Structured(output_spec(value), strategy, two_pass)  # type: ignore[arg-type]


def parse_structured(response: Response, structured: Structured | None) -> Response:
    """Validate the answer into ``response.structured`` (idempotent)."""
    if structured is None or response.structured is not None:
        return response
    text = structured.answer_text(response)
    common: dict[str, Any] = {
        "raw_text": text,
        "provider": response.provider,
        "model": response.model,
    }
    if response.refusal:
        raise RefusalError(
            f"the model refused: {response.refusal}", refusal=response.refusal, **common
        )
    if response.stop_reason == "length":
        raise TruncatedOutputError(
            "the answer was cut off by the token limit (stop_reason='length') before the JSON "
            "was complete; raise max_tokens",
            **common,
        )
    try:
        response.structured = structured.spec.validate_json(text)
    except StructuredOutputError as exc:
        exc.provider = response.provider
        exc.model = response.model
        raise
    return response


def retry_messages(
    response: Response, error: StructuredOutputError, structured: Structured
) -> list[Message]:
    """The turn that re-asks after an invalid answer: the answer, then what was wrong."""
    feedback = (
        "Your previous answer was not valid for the requested schema:\n"
        f"{error.message}\nReply again with only the corrected JSON."
    )
    if structured.strategy == "tool":
        # The forced call needs its tool result before the conversation can go on.
        calls = [c for c in response.tool_calls if c.name == structured.spec.name]
        if calls:
            return [
                *response.messages,
                Message(role="tool", tool_call_id=calls[0].id, content=f"Error: {feedback}"),
            ]
    return [*response.messages, Message(role="user", content=feedback)]
