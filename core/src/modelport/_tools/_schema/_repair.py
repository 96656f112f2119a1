"""Tolerant repair of model answers that are almost right.

Models (small local ones especially, and some providers' tool-call encoders) sometimes write a
list or object field as a JSON-encoded *string*: ``{"tags": "[\\"a\\", \\"b\\"]"}``. Validators
reject that, and a retry costs a model call. The repair here is schema-guided and conservative:

* a string is decoded only where the schema wants an array or object *and does not accept a
  string* -- a legitimate string value is never touched;
* the decoded value must be the container the schema wants (a list for arrays, a dict for
  objects), and is repaired recursively, so encoded strings nested at any depth are found;
* callers run it only after strict validation failed, and keep the original errors if the
  repaired value does not validate either.

``extract_json_text`` handles the other common near-miss: JSON wrapped in a Markdown code fence
or surrounded by prose (what prompted-JSON strategies get back).
"""

from __future__ import annotations

import json
import re
from typing import Any

from ._jsonschema_branches import select_branch
from ._jsonschema_walk import as_dict, as_list, deref

__all__ = ["extract_json_text", "repair_json_strings"]

_FENCE = re.compile(r"```[ \t]*(?:json|JSON|json5)?[ \t]*\r?\n?(.*?)```", re.S)
_MAX_DEPTH = 64


def repair_json_strings(value: Any, schema: Any, root: Any = None) -> tuple[Any, bool]:
    """Decode JSON-encoded strings where ``schema`` expects an array or object.

    Returns ``(repaired_value, changed)``; the input is never modified.
    """
    changed = [False]
    result = _repair(value, schema, schema if root is None else root, changed, 0)
    return result, changed[0]


def _accepts(node: Any, root: Any, depth: int = 0) -> tuple[set[str], bool]:
    """(container kinds the node accepts, whether it accepts a string)."""
    if node is True or node == {} or node is None:
        return set(), True
    if not isinstance(node, dict) or depth > _MAX_DEPTH:
        return set(), False
    node = deref(node, root)
    if not isinstance(node, dict):
        return set(), node is True
    kinds: set[str] = set()
    string = False
    for kw in ("anyOf", "oneOf"):
        for branch in node.get(kw) or ():
            k, s = _accepts(branch, root, depth + 1)
            kinds |= k
            string = string or s
    t = node.get("type")
    types = [t] if isinstance(t, str) else list(t) if isinstance(t, list) else []
    for name in types:
        if name in ("array", "object"):
            kinds.add(name)
        elif name == "string":
            string = True
    if not types:
        if "properties" in node or "additionalProperties" in node:
            kinds.add("object")
        if "items" in node or "prefixItems" in node:
            kinds.add("array")
        for value in [node.get("const"), *(node.get("enum") or ())]:
            if isinstance(value, str):
                string = True
        if not kinds and not any(k in node for k in ("anyOf", "oneOf", "enum", "const")):
            string = True  # an unconstrained node accepts strings as they are
    return kinds, string


def _repair(value: Any, node: Any, root: Any, changed: list[bool], depth: int) -> Any:
    if depth > _MAX_DEPTH:
        return value
    if isinstance(value, str):
        kinds, accepts_string = _accepts(node, root)
        text = value.strip()
        if kinds and not accepts_string and text[:1] in ("[", "{"):
            try:
                decoded = json.loads(text)
            except ValueError:
                return value
            if (isinstance(decoded, list) and "array" in kinds) or (
                isinstance(decoded, dict) and "object" in kinds
            ):
                changed[0] = True
                return _repair(decoded, node, root, changed, depth + 1)
        return value
    if not isinstance(value, dict | list):
        return value
    selected = select_branch(node, value, root)
    if not isinstance(selected, dict):
        return value
    if isinstance(value, dict):
        props = as_dict(selected.get("properties"))
        extra = selected.get("additionalProperties")
        out: dict[str, Any] = {}
        for key, item in value.items():
            sub = props.get(key) if props else None
            if sub is None and isinstance(extra, dict):
                sub = extra
            out[key] = item if sub is None else _repair(item, sub, root, changed, depth + 1)
        return out
    prefix = as_list(selected.get("prefixItems"))
    items = selected.get("items")
    repaired = []
    for index, item in enumerate(value):
        sub = prefix[index] if index < len(prefix) else items if isinstance(items, dict) else None
        repaired.append(item if sub is None else _repair(item, sub, root, changed, depth + 1))
    return repaired


def extract_json_text(text: str) -> str | None:
    """The JSON document inside ``text`` (a fenced block, or the outermost ``{...}``/``[...]``).

    Returns None when nothing that parses as JSON is found.
    """
    candidates: list[str] = [m.group(1).strip() for m in _FENCE.finditer(text)]
    starts = [i for i in (text.find("{"), text.find("[")) if i >= 0]
    if starts:
        start = min(starts)
        end = max(text.rfind("}"), text.rfind("]"))
        if end > start:
            candidates.append(text[start : end + 1])
    for candidate in candidates:
        try:
            json.loads(candidate)
        except ValueError:
            continue
        return candidate
    return None
