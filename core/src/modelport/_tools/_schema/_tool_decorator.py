"""``@tool(name=, description=)``: a function's tool name and description, set where it is defined.

The decorator returns the function itself (it stays an ordinary callable, sync or async, and
can be tested as one); it only attaches a small ``ToolMeta`` that ``tool_from_function`` reads
when the caller passes no ``name=`` / ``description=`` of its own. Parameter descriptions still
come from the docstring's ``Args:`` section, and everything else about the function is
introspected as for any other tool.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar, overload

from ..._errors import SchemaConversionError
from ._tooldef import check_name

__all__ = ["TOOL_META_ATTR", "ToolMeta", "tool", "tool_meta"]

TOOL_META_ATTR = "__modelport_tool__"

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True, slots=True)
class ToolMeta:
    """What ``@tool`` recorded; ``None`` fields fall back to the introspected values."""

    name: str | None = None
    description: str | None = None


def tool_meta(fn: Any) -> ToolMeta | None:
    """The ``ToolMeta`` attached by ``@tool``, or None."""
    meta = getattr(fn, TOOL_META_ATTR, None)
    return meta if isinstance(meta, ToolMeta) else None


@overload
def tool(fn: F, /) -> F: ...


@overload
def tool(*, name: str | None = None, description: str | None = None) -> Callable[[F], F]: ...


def tool(fn: Any = None, /, *, name: str | None = None, description: str | None = None) -> Any:
    """Name and describe a function tool: ``@tool(name="get_weather", description="...")``.

    Both are optional (``@tool`` alone is allowed and changes nothing). ``name`` must match
    ``^[a-zA-Z0-9_-]{1,64}$`` (checked here, so a bad name fails at import, not at the first
    call); ``description`` replaces the docstring's summary. The function is returned unchanged,
    with the metadata attached; ``tools=[fn]`` then uses it, and an explicit
    ``tool_from_function(fn, name=..., description=...)`` still wins.
    """
    if name is not None:
        check_name(name, "@tool(name=...)")
    if description is not None and not isinstance(description, str):
        raise SchemaConversionError(
            f"@tool(description=...) must be a str, got {type(description).__name__}"
        )
    meta = ToolMeta(name=name, description=description)

    def attach(target: Any) -> Any:
        if not callable(target):
            raise SchemaConversionError(f"@tool decorates a function, not {target!r}")
        try:
            setattr(target, TOOL_META_ATTR, meta)
        except (AttributeError, TypeError):
            raise SchemaConversionError(
                f"@tool cannot attach its metadata to {target!r}; decorate the function "
                "itself, or pass tool_from_function(fn, name=..., description=...)"
            ) from None
        return target

    if fn is not None:
        return attach(fn)
    return attach
