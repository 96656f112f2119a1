"""Structured output: turn ``response_format=`` into a schema, and the answer into an object.

Accepted: a pydantic model class, or a JSON-schema dict (bare, or ``{"name", "schema"}``).
``Response.structured`` is the validated instance (a dict for dict schemas). Truncation,
refusal and invalid output are ``StructuredOutputError`` with the raw text attached.
"""

from __future__ import annotations

import json
from typing import Any

from ._errors import ConfigurationError, StructuredOutputError
from ._request import Request, ResponseFormat
from ._response import Response

__all__ = ["parse_structured", "resolve_response_format"]


def resolve_response_format(value: Any) -> tuple[ResponseFormat | None, Any]:
    """(wire schema, validation target); the target is a pydantic class, a dict or None."""
    if value is None:
        return None, None
    if isinstance(value, ResponseFormat):
        return value, dict(value.json_schema)
    if isinstance(value, dict):
        if "schema" in value and isinstance(value["schema"], dict):
            fmt = ResponseFormat(
                name=value.get("name", "response"),
                schema=value["schema"],
                strict=bool(value.get("strict", True)),
            )
        else:
            fmt = ResponseFormat(name=str(value.get("title", "response")), schema=value)
        return fmt, fmt.json_schema
    from pydantic import BaseModel

    if isinstance(value, type) and issubclass(value, BaseModel):
        schema = value.model_json_schema()
        return ResponseFormat(name=value.__name__, schema=schema, strict=False), value
    raise ConfigurationError(
        f"response_format must be a pydantic model class or a JSON-schema dict, got {value!r}"
    )


def parse_structured(response: Response, target: Any, request: Request) -> Response:
    if target is None or response.structured is not None:
        return response
    text = response.text
    common: dict[str, Any] = {
        "raw_text": text,
        "provider": response.provider,
        "model": response.model,
    }
    if response.refusal:
        raise StructuredOutputError(f"the model refused: {response.refusal}", **common)
    if response.stop_reason == "length":
        raise StructuredOutputError(
            "the answer was cut off by the token limit (stop_reason='length') before the JSON "
            "was complete; raise max_tokens",
            **common,
        )
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise StructuredOutputError(f"the answer is not valid JSON: {exc}", **common) from None
    if isinstance(target, dict):
        response.structured = data
        return response
    from pydantic import ValidationError

    try:
        response.structured = target.model_validate(data)
    except ValidationError as exc:
        raise StructuredOutputError(
            f"the answer does not validate as {target.__name__}: {exc}", **common
        ) from None
    return response
