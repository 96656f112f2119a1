"""Public names for tools: markers, decisions and conversion helpers (see docs/tools.md).

``tool`` names and describes a function tool where it is defined; ``Depends`` hides a parameter
from the model and injects it from ``deps=``; ``Return`` sets an async generator tool's result;
``Decision`` answers a ``review_request``.
"""

from __future__ import annotations

from ._tools._exec import Decision, Return
from ._tools._schema import (
    Depends,
    ToolArgumentsError,
    ToolDef,
    coerce_tools,
    tool_from_function,
    tool_from_schema,
)
from ._tools._schema._tool_decorator import tool

__all__ = [
    "Decision",
    "Depends",
    "Return",
    "ToolArgumentsError",
    "ToolDef",
    "coerce_tools",
    "tool",
    "tool_from_function",
    "tool_from_schema",
]
