"""A structural checker for decoded JSON against a schema dict, with readable errors.

:func:`check_instance` validates ``type`` (including type lists), ``required``, ``properties``,
``additionalProperties``, ``items``/``prefixItems``, ``enum``, ``const``,
``anyOf``/``oneOf``/``allOf`` and local ``$ref``s. It does not check string formats, patterns,
numeric bounds, lengths, uniqueness or conditionals (``if``/``then``/``not``): those need a full
validator, and the answers it guards were generated from the very same schema.
"""

from __future__ import annotations

from typing import Any

from ._jsonschema_values import is_type, json_equal, json_type, type_list
from ._jsonschema_walk import as_dict, as_list, deref

__all__ = ["check_instance", "format_loc"]


def format_loc(loc: tuple[str | int, ...] | list[str | int]) -> str:
    """``("items", 0, "name")`` -> ``items[0].name``; the empty location is ``(root)``."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text or "(root)"


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def check_instance(value: Any, schema: Any, root: Any = None) -> list[str]:
    """Structural validation of decoded JSON against a schema dict; returns readable errors.

    See the module docstring for what is and is not checked.
    """
    errors: list[str] = []
    _check(value, schema, schema if root is None else root, (), errors, 0)
    return errors


def _check(
    value: Any, node: Any, root: Any, loc: tuple[str | int, ...], errors: list[str], depth: int
) -> None:
    if depth > 200:
        errors.append(f"{format_loc(loc)}: nesting too deep to check")
        return
    if node is True or node is None:
        return
    if node is False:
        errors.append(f"{format_loc(loc)}: no value is allowed here")
        return
    node = deref(node, root)
    if not isinstance(node, dict):
        return
    where = format_loc(loc)
    for kw in ("anyOf", "oneOf"):
        branches = node.get(kw)
        if isinstance(branches, list) and branches:
            best: list[str] | None = None
            for branch in branches:
                sub: list[str] = []
                _check(value, branch, root, loc, sub, depth + 1)
                if not sub:
                    best = []
                    break
                if best is None or len(sub) < len(best):
                    best = sub
            if best:
                errors.append(f"{where}: {_short(value)} matches none of the allowed shapes")
                errors.extend(best)
                return
    if isinstance(node.get("allOf"), list):
        for branch in node["allOf"]:
            _check(value, branch, root, loc, errors, depth + 1)
    if "const" in node and not json_equal(value, node["const"]):
        errors.append(f"{where}: expected {node['const']!r}, got {_short(value)}")
        return
    if isinstance(node.get("enum"), list) and not any(json_equal(value, e) for e in node["enum"]):
        allowed = ", ".join(repr(e) for e in node["enum"])
        errors.append(f"{where}: {_short(value)} is not one of {allowed}")
        return
    types = type_list(node)
    if types and not any(is_type(value, t) for t in types):
        errors.append(f"{where}: expected {' or '.join(types)}, got {json_type(value)}")
        return
    if isinstance(value, dict):
        props = as_dict(node.get("properties"))
        for key in as_list(node.get("required")):
            if key not in value:
                errors.append(f"{format_loc((*loc, key))}: required property is missing")
        extra = node.get("additionalProperties", True)
        for key, item in value.items():
            if key in props:
                _check(item, props[key], root, (*loc, key), errors, depth + 1)
            elif extra is False:
                errors.append(f"{format_loc((*loc, key))}: property is not allowed")
            elif isinstance(extra, dict):
                _check(item, extra, root, (*loc, key), errors, depth + 1)
    elif isinstance(value, list | tuple):
        prefix = as_list(node.get("prefixItems"))
        items = node.get("items")
        for index, item in enumerate(value):
            if index < len(prefix):
                _check(item, prefix[index], root, (*loc, index), errors, depth + 1)
            elif items is False:
                errors.append(f"{format_loc((*loc, index))}: no more items are allowed")
                break
            elif isinstance(items, dict):
                _check(item, items, root, (*loc, index), errors, depth + 1)
