"""Walking and dereferencing JSON-schema dicts: nested sub-schemas and local ``$ref``s.

modelport does not depend on the ``jsonschema`` package; what it needs is narrow: follow local
``$ref``s and visit the schemas nested in a schema, by keyword, so that a property *named* like
a keyword is never taken for one. Everything here works on plain dicts and never mutates its
input.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote

from ..._errors import SchemaConversionError

__all__ = [
    "MAX_REF_HOPS",
    "SCHEMA_LISTS",
    "SCHEMA_MAPS",
    "SCHEMA_SINGLE",
    "as_dict",
    "as_list",
    "deref",
    "iter_subschemas",
    "resolve_ref",
    "strip_keyword",
]

MAX_REF_HOPS = 64

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
        if hops > MAX_REF_HOPS:
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
