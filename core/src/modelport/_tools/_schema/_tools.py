"""Tools given as data, and ``coerce_tools``, which turns a ``tools=[...]`` list into ``ToolDef``s.

A dict schema (or a ``ToolSpec``) is offered to the model as is and its calls are reported to the
caller, never executed; callables go through ``tool_from_function``. Any mix is accepted, but two
tools with the same name are refused: the model could not tell them apart.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Collection, Iterable, Mapping
from typing import Any

from ..._errors import ConfigurationError, SchemaConversionError
from ._tool_functions import label_of, tool_from_function, unwrap_partial
from ._tooldef import ToolDef, check_name

__all__ = ["coerce_tools", "tool_from_schema"]


def tool_from_schema(d: Mapping[str, Any]) -> ToolDef:
    """A schema-only tool from OpenAI's ``{"type": "function", "function": {...}}`` or a flat
    ``{"name", "description", "parameters"}`` dict (``input_schema`` is read as well).

    Such tools are offered to the model and their calls reported, never executed.
    """
    if not isinstance(d, Mapping):
        raise SchemaConversionError(f"a tool schema must be a dict, got {d!r}")
    if d.get("type") == "function" and isinstance(d.get("function"), Mapping):
        spec: Mapping[str, Any] = d["function"]
    elif "name" in d:
        spec = d
    else:
        raise SchemaConversionError(
            "a tool dict needs a 'name' (flat form) or OpenAI's "
            "{'type': 'function', 'function': {'name': ...}} form; got keys "
            f"{sorted(d)}"
        )
    tool_name = spec.get("name")
    check_name(str(tool_name) if tool_name is not None else "", "a tool schema dict")
    parameters = spec.get("parameters", spec.get("input_schema"))
    if parameters is None:
        parameters = {"type": "object", "properties": {}}
    if not isinstance(parameters, Mapping) or parameters.get("type", "object") != "object":
        raise SchemaConversionError(
            f"tool {tool_name!r}: 'parameters' must be a JSON schema of type 'object'"
        )
    strict = spec.get("strict")
    return ToolDef(
        name=str(tool_name),
        description=str(spec.get("description") or ""),
        parameters=copy.deepcopy(dict(parameters)),
        fn=None,
        kind="schema",
        strict=strict if isinstance(strict, bool) else None,
    )


def coerce_tools(
    tools: Iterable[Any] | Callable[..., Any] | Mapping[str, Any] | None,
    *,
    deps: Collection[str] = (),
) -> list[ToolDef]:
    """Turn ``tools=[...]`` into ``ToolDef``s: functions, partials, callable objects,
    ``ToolDef``s, ``ToolSpec``s and dict schemas, in any mix.

    ``deps`` (names, or the call's ``deps`` mapping) hides parameters of those names. Two tools
    with the same name raise ``ConfigurationError``: the model could not tell them apart.
    """
    from ..._request import ToolSpec

    if tools is None:
        return []
    items: Iterable[Any]
    if callable(tools) or isinstance(tools, Mapping | ToolDef | ToolSpec):
        items = [tools]  # a single tool where a list was expected
    else:
        items = tools
    result: list[ToolDef] = []
    origin: dict[str, Any] = {}
    for item in items:
        if isinstance(item, ToolDef):
            tool = item
        elif isinstance(item, ToolSpec):
            check_name(item.name, "a ToolSpec")
            tool = ToolDef(
                name=item.name,
                description=item.description,
                parameters=copy.deepcopy(item.parameters),
                fn=None,
                kind="schema",
                strict=item.strict,
            )
        elif isinstance(item, Mapping):
            tool = tool_from_schema(item)
        elif callable(item):
            tool = tool_from_function(item, deps=deps)
        else:
            raise SchemaConversionError(
                f"cannot use {item!r} as a tool: pass a function, a functools.partial, a "
                "callable object, a ToolDef, a ToolSpec or a tool schema dict"
            )
        if tool.name in origin:
            raise ConfigurationError(
                f"two tools are named {tool.name!r} ({_describe(origin[tool.name])} and "
                f"{_describe(item)}); tool names must be unique -- rename one with "
                "tool_from_function(fn, name=...)"
            )
        origin[tool.name] = item
        result.append(tool)
    return result


def _describe(item: Any) -> str:
    if isinstance(item, Mapping):
        return "a schema dict"
    inner, _, _ = unwrap_partial(item)
    if isinstance(item, ToolDef):
        return f"ToolDef {item.name!r}"
    return label_of(inner) if callable(inner) else repr(item)
