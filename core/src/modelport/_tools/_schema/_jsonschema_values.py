"""JSON values as a schema sees them: type names and equality by JSON's rules, not Python's.

Python's ``True == 1`` and ``isinstance(True, int)`` would let a boolean pass for an integer;
schema checks need JSON's view, where they differ and where ``1`` and ``1.0`` are equal.
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["is_type", "json_equal", "json_type", "type_list"]


def type_list(node: dict[str, Any]) -> list[str]:
    t = node.get("type")
    if isinstance(t, str):
        return [t]
    if isinstance(t, list):
        return [x for x in t if isinstance(x, str)]
    return []


def json_type(value: Any) -> str:
    """The JSON-schema type name of a decoded JSON value (Python containers count as JSON's)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list | tuple):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def is_type(value: Any, name: str) -> bool:
    actual = json_type(value)
    if name == actual:
        return True
    if name == "number":
        return actual == "integer"
    if name == "integer":
        return actual == "number" and math.isfinite(value) and float(value).is_integer()
    return False


def json_equal(a: Any, b: Any) -> bool:
    """JSON equality: ``true`` is not ``1``, but ``1`` equals ``1.0``."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(json_equal(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b
    return type(a) is type(b) and bool(a == b)
