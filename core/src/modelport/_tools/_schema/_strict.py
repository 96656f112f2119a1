"""OpenAI strict-mode normalization of a JSON schema.

Strict structured outputs (``response_format`` json_schema with ``strict: true``, and strict
function tools) accept only a subset of JSON Schema, and reject the request if the schema
strays outside it. The rules applied here, following OpenAI's "Supported schemas" guide:

* every object has ``additionalProperties: false`` and lists *all* its properties in
  ``required``; a property that was optional becomes nullable instead (``"type": [T, "null"]``
  for primitives, ``anyOf: [..., {"type": "null"}]`` otherwise) -- the validator on our side
  turns that ``null`` back into "absent" (see ``drop_optional_nulls``);
* ``default``, ``title``, ``examples`` and every keyword outside the supported list are removed;
  constraints that strict mode does not accept (``minLength``, ``maxLength``, ``uniqueItems``,
  unknown ``format``\\s, ...) are dropped from the wire schema only -- the answer is still
  validated against the original type, so nothing is lost but a hint to the model;
* all definitions live under one top-level ``$defs`` and every ``$ref`` is ``#`` or
  ``#/$defs/<name>``; nested ``$defs``/``definitions`` and refs to other JSON pointers are
  hoisted there; a ``$ref`` with sibling keywords (usually a ``description``) is inlined, except
  when its target is recursive: a ``$ref`` cycle always stays a ``$ref`` (its siblings dropped);
* ``oneOf`` becomes ``anyOf`` and a one-element ``allOf`` is merged into its parent;
* the root must be an object.

Constructs that strict mode cannot express raise ``SchemaConversionError`` naming the JSON
pointer: free-form objects (``dict[str, X]``, a bare ``{"type": "object"}``), values of any type
(``Any``, ``{}``), ``patternProperties`` and multi-element ``allOf``. Dropping them quietly would
change what the model may answer.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote

from ..._errors import SchemaConversionError
from ._jsonschema_walk import iter_subschemas, resolve_ref

__all__ = ["SUPPORTED_FORMATS", "make_strict"]

#: String formats OpenAI's strict mode accepts; other formats are dropped from the wire schema.
SUPPORTED_FORMATS = frozenset(
    {"date-time", "time", "date", "duration", "email", "hostname", "ipv4", "ipv6", "uuid"}
)

# Keywords kept in a strict schema node; anything else is removed.
_KEEP = frozenset(
    {
        "type",
        "properties",
        "required",
        "additionalProperties",
        "items",
        "prefixItems",
        "anyOf",
        "enum",
        "const",
        "$ref",
        "description",
        "pattern",
        "format",
        "multipleOf",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "minItems",
        "maxItems",
    }
)
_PRIMITIVES = frozenset({"string", "number", "integer", "boolean"})
_SAFE_NAME = re.compile(r"[^A-Za-z0-9_.-]")
_MAX_ROOT_HOPS = 32


def make_strict(schema: dict[str, Any]) -> dict[str, Any]:
    """A new schema valid for OpenAI strict mode, with the same meaning as far as it can express.

    The input is not modified. The result is idempotent: ``make_strict(make_strict(s)) ==
    make_strict(s)``. Raises ``SchemaConversionError`` for constructs strict mode cannot express.
    """
    if not isinstance(schema, dict):
        raise SchemaConversionError(f"a JSON schema must be a dict, got {type(schema).__name__}")
    return _Strictifier(schema).run()


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def _canonical(ref: str) -> str:
    """One spelling per pointer, so ``#/$defs/A%20B`` and ``#/$defs/A B`` are the same def."""
    if not ref.startswith("#/"):
        return ref
    tokens = [unquote(t).replace("~1", "/").replace("~0", "~") for t in ref[2:].split("/")]
    return "#/" + "/".join(_escape(t) for t in tokens)


def _allows_null_here(node: dict[str, Any]) -> bool:
    """Null allowed by the node itself (refs are not followed: wrapping those is harmless)."""
    t = node.get("type")
    if t == "null" or (isinstance(t, list) and "null" in t):
        return True
    if "const" in node:
        return node["const"] is None
    if isinstance(node.get("enum"), list):
        return None in node["enum"]
    branches = node.get("anyOf")
    return isinstance(branches, list) and any(
        isinstance(b, dict) and _allows_null_here(b) for b in branches
    )


def _nullable(node: dict[str, Any]) -> dict[str, Any]:
    """The node, also accepting ``null`` (how strict mode spells "optional")."""
    if _allows_null_here(node):
        return node
    if "anyOf" in node:
        return {**node, "anyOf": [*node["anyOf"], {"type": "null"}]}
    t = node.get("type")
    simple = "enum" not in node and "const" not in node and "$ref" not in node
    if simple and isinstance(t, str) and t in _PRIMITIVES:
        return {**node, "type": [t, "null"]}
    if simple and isinstance(t, list) and t and all(x in _PRIMITIVES for x in t):
        return {**node, "type": [*t, "null"]}
    inner = {k: v for k, v in node.items() if k != "description"}
    out: dict[str, Any] = {"anyOf": [inner, {"type": "null"}]}
    if "description" in node:
        out["description"] = node["description"]
    return out


class _Strictifier:
    """One conversion: registers every definition first, then rewrites nodes on demand."""

    def __init__(self, root: dict[str, Any]) -> None:
        self.root = root
        self.names: dict[str, str] = {}  # canonical pointer -> def name
        self.sources: dict[str, Any] = {}  # def name -> original (unconverted) schema
        self.queued: list[str] = []
        self.out: dict[str, Any] = {}
        self._register_defs(root, "#")
        for ref in sorted(self._collect_refs(root)):
            self._def_for_ref(ref)
        self.recursive = self._recursive_defs()

    # -- definitions ------------------------------------------------------------------------

    def _add_def(self, pointer: str, name: str, schema: Any) -> str:
        base = _SAFE_NAME.sub("_", name) or "def"
        unique, n = base, 2
        while unique in self.sources:
            unique, n = f"{base}_{n}", n + 1
        self.names[pointer] = unique
        self.sources[unique] = schema
        return unique

    def _register_defs(self, node: Any, pointer: str) -> None:
        if not isinstance(node, dict):
            return
        for kw, key, sub in iter_subschemas(node):
            sub_pointer = (
                f"{pointer}/{kw}" if key is None else f"{pointer}/{kw}/{_escape(str(key))}"
            )
            if kw in ("$defs", "definitions"):
                self._add_def(sub_pointer, str(key), sub)
            self._register_defs(sub, sub_pointer)

    def _collect_refs(self, node: Any, into: set[str] | None = None) -> set[str]:
        found: set[str] = set() if into is None else into
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str):
                found.add(ref)
            for _kw, _key, sub in iter_subschemas(node):
                self._collect_refs(sub, found)
        return found

    def _def_for_ref(self, ref: str) -> str | None:
        """The def name a reference points to; None for the root itself (``#``)."""
        if ref == "#":
            return None
        pointer = _canonical(ref)
        if pointer in self.names:
            return self.names[pointer]
        target = resolve_ref(self.root, pointer)  # raises for non-local or dangling refs
        last = pointer.rsplit("/", 1)[-1].replace("~1", "/").replace("~0", "~")
        return self._add_def(pointer, last, target)

    def _recursive_defs(self) -> set[str]:
        """Defs that can reach themselves through refs: these must stay ``$ref``s."""
        edges: dict[str, set[str]] = {}
        for name, source in self.sources.items():
            refs = self._collect_refs_shallow(source)
            edges[name] = {n for n in (self._def_for_ref(r) for r in refs) if n is not None}
        recursive = set()
        for start in edges:
            seen: set[str] = set()
            stack = list(edges[start])
            while stack:
                current = stack.pop()
                if current == start:
                    recursive.add(start)
                    break
                if current in seen:
                    continue
                seen.add(current)
                stack.extend(edges.get(current, ()))
        return recursive

    def _collect_refs_shallow(self, node: Any) -> set[str]:
        """Refs used by a schema, not counting definitions nested in it (those are separate)."""
        found: set[str] = set()
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str):
                found.add(ref)
            for kw, _key, sub in iter_subschemas(node):
                if kw not in ("$defs", "definitions"):
                    found |= self._collect_refs_shallow(sub)
        return found

    def _use(self, name: str | None) -> str:
        if name is None:
            return "#"
        if name not in self.queued:
            self.queued.append(name)
        return f"#/$defs/{_escape(name)}"

    # -- conversion -------------------------------------------------------------------------

    def run(self) -> dict[str, Any]:
        source: Any = self.root
        hops = 0
        while isinstance(source, dict) and isinstance(source.get("$ref"), str):
            # A root that is only a reference (pydantic does this for recursive models) is
            # replaced by its target; references back to it keep pointing at the definition.
            hops += 1
            name = self._def_for_ref(source["$ref"])
            if name is None or hops > _MAX_ROOT_HOPS:
                raise SchemaConversionError("the schema root refers to itself")
            siblings = {
                k: v for k, v in source.items() if k not in ("$ref", "$defs", "definitions")
            }
            source = {**self.sources[name], **siblings}
        root = self._node(source, "#")
        if root.get("type") != "object":
            raise SchemaConversionError(
                "the root of a strict schema must be an object (type 'object'), got "
                f"{root.get('type', 'anyOf' if 'anyOf' in root else 'no type')!r}; wrap the "
                "value in an object with one property"
            )
        done = 0
        while done < len(self.queued):
            name = self.queued[done]
            done += 1
            self.out[name] = self._node(self.sources[name], f"#/$defs/{_escape(name)}")
        if self.out:
            root["$defs"] = self.out
        return root

    def _node(self, node: Any, pointer: str) -> dict[str, Any]:
        if node is True or node == {}:
            raise SchemaConversionError(
                f"{pointer}: a value of any type (Any, {{}}) cannot be expressed in strict mode"
            )
        if not isinstance(node, dict):
            raise SchemaConversionError(f"{pointer}: expected a schema object, got {node!r}")
        n = {k: v for k, v in node.items() if k not in ("$defs", "definitions")}
        if "allOf" in n:
            parts = n.pop("allOf")
            if isinstance(parts, list) and len(parts) == 1 and isinstance(parts[0], dict):
                return self._node({**parts[0], **n}, pointer)
            raise SchemaConversionError(
                f"{pointer}: 'allOf' with several schemas is not supported in strict mode; "
                "merge them into one object schema"
            )
        if "oneOf" in n:
            if "anyOf" in n:
                raise SchemaConversionError(f"{pointer}: both 'oneOf' and 'anyOf' are given")
            n["anyOf"] = n.pop("oneOf")
        if n.get("patternProperties"):
            raise SchemaConversionError(
                f"{pointer}: 'patternProperties' cannot be expressed in strict mode"
            )
        for key in [k for k in n if k not in _KEEP]:
            del n[key]
        if "format" in n and n["format"] not in SUPPORTED_FORMATS:
            del n["format"]

        ref = n.get("$ref")
        if ref is not None:
            if not isinstance(ref, str):
                raise SchemaConversionError(f"{pointer}: $ref must be a string")
            name = self._def_for_ref(ref)
            siblings = {k: v for k, v in n.items() if k != "$ref"}
            if siblings and name is not None and name not in self.recursive:
                return self._node({**self.sources[name], **siblings}, pointer)
            return {"$ref": self._use(name)}

        if "anyOf" in n:
            branches = n["anyOf"]
            if not isinstance(branches, list) or not branches:
                raise SchemaConversionError(f"{pointer}: 'anyOf' must be a non-empty list")
            n["anyOf"] = [self._node(b, f"{pointer}/anyOf/{i}") for i, b in enumerate(branches)]

        t = n.get("type")
        types = [t] if isinstance(t, str) else list(t) if isinstance(t, list) else []
        if not types and "properties" in n and "anyOf" not in n:
            types = ["object"]
            n["type"] = "object"
        if "object" in types:
            self._object(n, pointer)
        else:
            for key in ("properties", "required", "additionalProperties"):
                n.pop(key, None)
        if "array" in types or "items" in n or "prefixItems" in n:
            self._array(n, pointer, "array" in types)
        if not any(k in n for k in ("type", "anyOf", "enum", "const")):
            raise SchemaConversionError(
                f"{pointer}: a schema without 'type' (a value of any type) cannot be expressed "
                "in strict mode"
            )
        return n

    def _object(self, n: dict[str, Any], pointer: str) -> None:
        props = n.get("properties")
        extra = n.get("additionalProperties")
        free_form = SchemaConversionError(
            f"{pointer}: an object without fixed properties (a free-form mapping such as "
            "dict[str, ...]) cannot be expressed in strict mode"
        )
        if not isinstance(props, dict):
            if extra is not False:
                raise free_form
            props = {}
        elif not props and extra not in (None, False):
            raise free_form
        required = n.get("required")
        required_set = set(required) if isinstance(required, list) else set()
        converted: dict[str, Any] = {}
        for key, sub in props.items():
            c = self._node(sub, f"{pointer}/properties/{_escape(str(key))}")
            converted[key] = c if key in required_set else _nullable(c)
        n["properties"] = converted
        n["required"] = list(converted)
        n["additionalProperties"] = False

    def _array(self, n: dict[str, Any], pointer: str, typed_array: bool) -> None:
        items = n.get("items")
        if isinstance(items, list):  # draft-7 tuple form
            if "prefixItems" not in n:
                n["prefixItems"] = items
            del n["items"]
        elif isinstance(items, bool):
            del n["items"]  # `items: false` after prefixItems; min/maxItems already fix the size
        elif isinstance(items, dict):
            n["items"] = self._node(items, f"{pointer}/items")
        if isinstance(n.get("prefixItems"), list):
            n["prefixItems"] = [
                self._node(s, f"{pointer}/prefixItems/{i}") for i, s in enumerate(n["prefixItems"])
            ]
        if typed_array and "items" not in n and "prefixItems" not in n:
            raise SchemaConversionError(
                f"{pointer}: an array of values of any type cannot be expressed in strict mode; "
                "give the item type (list[str], ...)"
            )
