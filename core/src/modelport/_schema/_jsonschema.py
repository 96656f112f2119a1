"""Small JSON-schema toolkit: references, walking, null handling and a structural checker.

modelport does not depend on the ``jsonschema`` package; what it needs is narrow: follow local
``$ref``s, find the sub-schema that describes a piece of data, and check the shape of an answer
against a schema dict. Everything here works on plain dicts and never mutates its input.

The structural checker (:func:`check_instance`) validates ``type`` (including type lists),
``required``, ``properties``, ``additionalProperties``, ``items``/``prefixItems``, ``enum``,
``const``, ``anyOf``/``oneOf``/``allOf`` and local ``$ref``s. It does not check string formats,
patterns, numeric bounds, lengths, uniqueness or conditionals (``if``/``then``/``not``): those
need a full validator, and the answers it guards were generated from the very same schema.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import unquote

from .._errors import SchemaConversionError

__all__ = [
    "allows_null",
    "as_dict",
    "as_list",
    "check_instance",
    "deref",
    "drop_optional_nulls",
    "format_loc",
    "iter_subschemas",
    "resolve_ref",
    "select_branch",
    "strip_keyword",
]

_MAX_REF_HOPS = 64

# Keywords whose value is a map of name -> schema.
SCHEMA_MAPS = ("properties", "$defs", "definitions", "patternProperties", "dependentSchemas")
# Keywords whose value is one schema.
SCHEMA_SINGLE = (
    "items",
    "additionalProperties",
    "additionalItems",
    "not",
    "if",
    "then",
    "else",
    "contains",
    "propertyNames",
    "unevaluatedItems",
    "unevaluatedProperties",
)
# Keywords whose value is a list of schemas.
SCHEMA_LISTS = ("anyOf", "oneOf", "allOf", "prefixItems", "items")


def as_list(value: Any) -> list[Any]:
    """``value`` if it is a list, else an empty list (schemas from users may be malformed)."""
    return value if isinstance(value, list) else []


def as_dict(value: Any) -> dict[str, Any]:
    """``value`` if it is a dict, else an empty dict."""
    return value if isinstance(value, dict) else {}


def iter_subschemas(node: dict[str, Any]) -> Iterator[tuple[str, str | int | None, Any]]:
    """Yield ``(keyword, key, subschema)`` for every schema nested directly in ``node``.

    ``key`` is the property/definition name for maps, the index for lists, None otherwise. Walking
    by keyword is what keeps a property *named* ``title`` or ``default`` from being mistaken for
    the keyword of the same name.
    """
    for kw in SCHEMA_MAPS:
        value = node.get(kw)
        if isinstance(value, dict):
            for name, sub in value.items():
                yield kw, name, sub
    for kw in SCHEMA_SINGLE:
        value = node.get(kw)
        if isinstance(value, dict):
            yield kw, None, value
    for kw in SCHEMA_LISTS:
        value = node.get(kw)
        if isinstance(value, list):
            for index, sub in enumerate(value):
                yield kw, index, sub


def strip_keyword(schema: Any, keyword: str) -> Any:
    """A copy of ``schema`` without ``keyword`` in any schema node (property names untouched)."""
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key == keyword:
            continue
        if key in SCHEMA_MAPS and isinstance(value, dict):
            out[key] = {name: strip_keyword(sub, keyword) for name, sub in value.items()}
        elif key in SCHEMA_SINGLE and isinstance(value, dict):
            out[key] = strip_keyword(value, keyword)
        elif key in SCHEMA_LISTS and isinstance(value, list):
            out[key] = [strip_keyword(sub, keyword) for sub in value]
        else:
            out[key] = value
    return out


def _unescape(token: str) -> str:
    return unquote(token).replace("~1", "/").replace("~0", "~")


def resolve_ref(root: Any, ref: str) -> Any:
    """The schema a local reference (``#`` or ``#/a/b``) points to inside ``root``."""
    if ref == "#":
        return root
    if not ref.startswith("#/"):
        raise SchemaConversionError(
            f"only local $refs ('#/...') are supported, got {ref!r}; inline the referenced schema"
        )
    node: Any = root
    for token in ref[2:].split("/"):
        key = _unescape(token)
        if isinstance(node, dict) and key in node:
            node = node[key]
        elif isinstance(node, list) and key.isdigit() and int(key) < len(node):
            node = node[int(key)]
        else:
            raise SchemaConversionError(f"$ref {ref!r} does not resolve inside the schema")
    return node


def deref(node: Any, root: Any) -> Any:
    """Follow ``$ref`` chains; sibling keywords of a ``$ref`` are merged over the target."""
    hops = 0
    while isinstance(node, dict) and isinstance(node.get("$ref"), str):
        hops += 1
        if hops > _MAX_REF_HOPS:
            raise SchemaConversionError(f"$ref {node['$ref']!r} refers to itself without content")
        target = resolve_ref(root, node["$ref"])
        siblings = {k: v for k, v in node.items() if k != "$ref"}
        node = {**target, **siblings} if siblings and isinstance(target, dict) else target
    if isinstance(node, dict) and isinstance(node.get("allOf"), list) and len(node["allOf"]) == 1:
        rest = {k: v for k, v in node.items() if k != "allOf"}
        inner = deref(node["allOf"][0], root)
        if isinstance(inner, dict):
            return {**inner, **rest}
    return node


def _type_list(node: dict[str, Any]) -> list[str]:
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


def _is_type(value: Any, name: str) -> bool:
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


def allows_null(node: Any, root: Any, _depth: int = 0) -> bool:
    """Whether ``null`` is a valid value for ``node`` (looking through refs and unions)."""
    if node is True or node == {}:
        return True
    if not isinstance(node, dict) or _depth > _MAX_REF_HOPS:
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
    types = _type_list(node)
    if types:
        return "null" in types
    return not any(k in node for k in ("anyOf", "oneOf", "properties", "items", "prefixItems"))


def _fits(value: Any, node: Any) -> bool:
    """A cheap guess whether ``value`` could belong to a union branch (type-level only)."""
    if not isinstance(node, dict):
        return node is not False
    types = _type_list(node)
    if types:
        return any(_is_type(value, t) for t in types)
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
    if not isinstance(node, dict) or _depth > _MAX_REF_HOPS:
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
    types = _type_list(node)
    if types and not any(_is_type(value, t) for t in types):
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
