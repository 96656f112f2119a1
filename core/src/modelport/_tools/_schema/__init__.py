"""Schema conversion: tools from Python callables, output types, OpenAI strict mode, repair.

This package turns what users write (functions, pydantic models, dataclasses, TypedDicts, plain
annotated classes, JSON-schema dicts) into the JSON schemas providers need, and validates what
models send back against the original types. It is pure: no I/O, no provider knowledge. The tool
loop and the client call it; it imports pydantic, so it is imported only when tools or
``response_format`` are used.

Public API::

    ToolDef, ToolKind, ToolArgumentsError, Depends
    tool_from_function(fn, *, name=None, description=None, deps=()) -> ToolDef
    tool_from_schema(d) -> ToolDef
    coerce_tools(tools, *, deps=()) -> list[ToolDef]
    OutputSpec, output_spec(target, *, strict=None) -> OutputSpec
    make_strict(schema) -> dict
    parse_docstring(doc) -> Docstring
    repair_json_strings(value, schema) -> (value, changed); extract_json_text(text)
    check_instance(value, schema) -> list[str]

See docs/structured-output.md for the rules.
"""

from __future__ import annotations

from ._docstrings import Docstring, parse_docstring
from ._jsonschema_check import check_instance
from ._output import OutputSpec, format_validation_errors, output_spec
from ._repair import extract_json_text, repair_json_strings
from ._strict import SUPPORTED_FORMATS, make_strict
from ._tool_functions import Depends, tool_from_function
from ._tooldef import ToolArgumentsError, ToolDef, ToolKind
from ._tools import coerce_tools, tool_from_schema

__all__ = [
    "SUPPORTED_FORMATS",
    "Depends",
    "Docstring",
    "OutputSpec",
    "ToolArgumentsError",
    "ToolDef",
    "ToolKind",
    "check_instance",
    "coerce_tools",
    "extract_json_text",
    "format_validation_errors",
    "make_strict",
    "output_spec",
    "parse_docstring",
    "repair_json_strings",
    "tool_from_function",
    "tool_from_schema",
]
