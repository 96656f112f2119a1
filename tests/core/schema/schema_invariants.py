"""The invariants every OpenAI-strict schema must satisfy; shared by the schema tests."""

from __future__ import annotations

from typing import Any

from modelport._tools._schema import SUPPORTED_FORMATS

_BANNED = {"default", "title", "examples", "definitions", "oneOf", "allOf", "minLength",
           "maxLength", "uniqueItems", "patternProperties", "$schema"}  # fmt: skip


def assert_strict(schema: dict[str, Any]) -> None:
    """Every object closed and fully required, no defaults/titles, every $ref resolvable."""
    assert schema.get("type") == "object", "the root must be an object"
    defs = schema.get("$defs", {})

    def walk(node: Any, where: str) -> None:
        assert isinstance(node, dict), where
        assert not (_BANNED & node.keys()), f"{where}: {_BANNED & node.keys()}"
        assert "$defs" not in node or node is schema, f"{where}: nested $defs"
        if "$ref" in node:
            assert set(node) == {"$ref"}, f"{where}: $ref with siblings {node}"
            ref = node["$ref"]
            assert ref == "#" or (
                ref.startswith("#/$defs/") and ref[len("#/$defs/") :].replace("~1", "/") in defs
            ), f"{where}: dangling {ref}"
            return
        assert any(k in node for k in ("type", "anyOf", "enum", "const")), f"{where}: untyped"
        if "format" in node:
            assert node["format"] in SUPPORTED_FORMATS
        t = node.get("type")
        types = [t] if isinstance(t, str) else t or []
        if "object" in types:
            assert node["additionalProperties"] is False, where
            assert node["required"] == list(node["properties"]), where
            for name, sub in node["properties"].items():
                walk(sub, f"{where}/properties/{name}")
        else:
            assert "properties" not in node, where
        if isinstance(node.get("items"), dict):
            walk(node["items"], f"{where}/items")
        for i, sub in enumerate(node.get("prefixItems", [])):
            walk(sub, f"{where}/prefixItems/{i}")
        for i, sub in enumerate(node.get("anyOf", [])):
            walk(sub, f"{where}/anyOf/{i}")

    walk(schema, "#")
    for name, sub in defs.items():
        walk(sub, f"#/$defs/{name}")
