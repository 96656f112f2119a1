"""Which sub-schema describes a piece of data, and what ``null`` means there.

Strict mode rewrites a schema (every property required, optional ones nullable), so a model's
answer has to be read back against the original: through refs and unions to the branch that
describes each value, dropping the ``null``s strict mode made it write.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ._jsonschema_values import is_type, json_equal, type_list
from ._jsonschema_walk import MAX_REF_HOPS, as_dict, as_list, deref

__all__ = ["allows_null", "drop_optional_nulls", "select_branch"]


def allows_null(node: Any, root: Any, _depth: int = 0) -> bool:
    """Whether ``null`` is a valid value for ``node`` (looking through refs and unions)."""
    if node is True or node == {}:
        return True
    if not isinstance(node, dict) or _depth > MAX_REF_HOPS:
        return False
    node = deref(node, root)
    if not isinstance(node, dict):
        return node is True
    for kw in ("anyOf", "oneOf"):
        branches = node.get(kw)
        if isinstance(branches, list) and any(allows_null(b, root, _depth + 1) for b in branches):
            return True
    if "const" in node:
        return node["const"] is None
    if isinstance(node.get("enum"), list):
        return None in node["enum"]
    types = type_list(node)
    if types:
        return "null" in types
    return not any(k in node for k in ("anyOf", "oneOf", "properties", "items", "prefixItems"))


def _fits(value: Any, node: Any) -> bool:
    """A cheap guess whether ``value`` could belong to a union branch (type-level only)."""
    if not isinstance(node, dict):
        return node is not False
    types = type_list(node)
    if types:
        return any(is_type(value, t) for t in types)
    if "const" in node:
        return json_equal(value, node["const"])
    if isinstance(node.get("enum"), list):
        return any(json_equal(value, e) for e in node["enum"])
    if "properties" in node or "additionalProperties" in node:
        return isinstance(value, dict)
    if "items" in node or "prefixItems" in node:
        return isinstance(value, list | tuple)
    return True


def select_branch(node: Any, value: Any, root: Any, _depth: int = 0) -> Any:
    """The sub-schema of ``node`` that describes ``value``: refs followed, a union branch chosen.

    For objects the branch whose properties cover the most keys of ``value`` wins (what a
    "smart" union validator does); otherwise the first branch whose type fits.
    """
    node = deref(node, root)
    if not isinstance(node, dict) or _depth > MAX_REF_HOPS:
        return node
    for kw in ("anyOf", "oneOf"):
        branches = node.get(kw)
        if not isinstance(branches, list) or not branches:
            continue
        candidates = [deref(b, root) for b in branches]
        fitting = [b for b in candidates if _fits(value, b)]
        if not fitting:
            return node
        if isinstance(value, dict) and len(fitting) > 1:

            def score(branch: Any) -> tuple[int, int]:
                props = branch.get("properties", {}) if isinstance(branch, dict) else {}
                covered = sum(1 for k in value if k in props)
                return covered, -len([k for k in value if k not in props])

            fitting.sort(key=score, reverse=True)
        return select_branch(fitting[0], value, root, _depth + 1)
    return node


def drop_optional_nulls(value: Any, schema: Any, root: Any) -> Any:
    """A copy of ``value`` where ``null`` for an optional, non-nullable property is removed.

    Strict mode makes every property required and optional ones nullable, so the model writes
    ``null`` where the original schema meant "leave it out". Removing the key lets the target's
    own default apply (a pydantic default, a ``NotRequired`` TypedDict key, ...).
    """
    node = select_branch(schema, value, root)
    if isinstance(value, dict):
        if not isinstance(node, dict):
            return dict(value)
        props = as_dict(node.get("properties"))
        required = set(as_list(node.get("required")))
        extra = node.get("additionalProperties")
        out: dict[str, Any] = {}
        for key, item in value.items():
            sub = props.get(key) if props else None
            if sub is not None:
                if item is None and key not in required and not allows_null(sub, root):
                    continue
                out[key] = drop_optional_nulls(item, sub, root)
            elif isinstance(extra, dict):
                out[key] = drop_optional_nulls(item, extra, root)
            else:
                out[key] = item
        return out
    if isinstance(value, list):
        return _map_items(value, node, root, drop_optional_nulls)
    return value


def _map_items(
    value: list[Any], node: Any, root: Any, fn: Callable[[Any, Any, Any], Any]
) -> list[Any]:
    if not isinstance(node, dict):
        return list(value)
    prefix = as_list(node.get("prefixItems"))
    items = node.get("items")
    out = []
    for index, item in enumerate(value):
        if index < len(prefix):
            out.append(fn(item, prefix[index], root))
        elif isinstance(items, dict):
            out.append(fn(item, items, root))
        else:
            out.append(item)
    return out
