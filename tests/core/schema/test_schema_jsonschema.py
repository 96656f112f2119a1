"""The small JSON-schema toolkit: refs, null handling and the structural checker."""

from __future__ import annotations

from typing import Any

import pytest
from modelport import SchemaConversionError
from modelport._tools._schema import check_instance
from modelport._tools._schema._jsonschema_branches import (
    allows_null,
    drop_optional_nulls,
    select_branch,
)
from modelport._tools._schema._jsonschema_check import format_loc
from modelport._tools._schema._jsonschema_values import json_equal
from modelport._tools._schema._jsonschema_walk import deref, resolve_ref, strip_keyword

ROOT: dict[str, Any] = {
    "type": "object",
    "properties": {
        "a": {"type": "integer"},
        "b": {"anyOf": [{"type": "string"}, {"type": "null"}]},
        "c": {"$ref": "#/$defs/C"},
        "pet": {"anyOf": [{"$ref": "#/$defs/Cat"}, {"$ref": "#/$defs/Dog"}]},
        "list": {"type": "array", "items": {"$ref": "#/$defs/C"}},
        "tup": {"type": "array", "prefixItems": [{"type": "integer"}], "items": False},
    },
    "required": ["a"],
    "additionalProperties": False,
    "$defs": {
        "C": {"type": "object", "properties": {"x": {"type": "integer"}, "y": {"type": "string"}}},
        "Cat": {
            "type": "object",
            "properties": {"meow": {"type": "boolean"}},
            "required": ["meow"],
        },
        "Dog": {
            "type": "object",
            "properties": {"bark": {"type": "boolean"}},
            "required": ["bark"],
        },
        "a/b": {"type": "null"},
    },
}


def test_resolve_ref() -> None:
    assert resolve_ref(ROOT, "#") is ROOT
    assert resolve_ref(ROOT, "#/$defs/C")["type"] == "object"
    assert resolve_ref(ROOT, "#/$defs/a~1b") == {"type": "null"}
    assert resolve_ref(ROOT, "#/properties/tup/prefixItems/0") == {"type": "integer"}
    with pytest.raises(SchemaConversionError, match="only local"):
        resolve_ref(ROOT, "http://x/schema.json")
    with pytest.raises(SchemaConversionError, match="does not resolve"):
        resolve_ref(ROOT, "#/$defs/Nope")


def test_deref_merges_siblings_and_single_all_of() -> None:
    assert deref({"$ref": "#/$defs/a~1b", "description": "d"}, ROOT) == {
        "type": "null",
        "description": "d",
    }
    assert deref({"allOf": [{"$ref": "#/$defs/a~1b"}], "title": "T"}, ROOT) == {
        "type": "null",
        "title": "T",
    }
    with pytest.raises(SchemaConversionError):
        deref({"$ref": "#/$defs/Loop"}, {"$defs": {"Loop": {"$ref": "#/$defs/Loop"}}})


def test_allows_null() -> None:
    assert allows_null({"type": ["string", "null"]}, ROOT)
    assert allows_null(ROOT["properties"]["b"], ROOT)
    assert allows_null({"$ref": "#/$defs/a~1b"}, ROOT)
    assert allows_null({"enum": ["a", None]}, ROOT)
    assert allows_null({}, ROOT)
    assert not allows_null({"type": "string"}, ROOT)
    assert not allows_null({"const": 1}, ROOT)
    assert not allows_null(ROOT["properties"]["c"], ROOT)


def test_select_branch_prefers_matching_properties() -> None:
    dog = select_branch(ROOT["properties"]["pet"], {"bark": True}, ROOT)
    assert "bark" in dog["properties"]
    cat = select_branch(ROOT["properties"]["pet"], {"meow": True}, ROOT)
    assert "meow" in cat["properties"]


def test_drop_optional_nulls() -> None:
    data = {"a": 1, "b": None, "c": {"x": None, "y": "k"}, "list": [{"x": None}], "zz": None}
    assert drop_optional_nulls(data, ROOT, ROOT) == {
        "a": 1,
        "b": None,  # nullable: a real null
        "c": {"y": "k"},
        "list": [{}],
        "zz": None,  # unknown keys are left for the validator to judge
    }
    assert drop_optional_nulls({"a": None}, ROOT, ROOT) == {"a": None}  # required: kept


def test_check_instance_ok_and_errors() -> None:
    good = {"a": 1, "b": None, "c": {"x": 2}, "pet": {"bark": True}, "list": [], "tup": [1]}
    assert check_instance(good, ROOT) == []
    errors = check_instance(
        {"b": 3, "c": {"x": "no"}, "pet": {"meow": 1}, "tup": [1, 2], "extra": True}, ROOT
    )
    assert "a: required property is missing" in errors
    assert "b: 3 matches none of the allowed shapes" in errors
    assert "c.x: expected integer, got string" in errors
    assert "pet: {'meow': 1} matches none of the allowed shapes" in errors
    assert "pet.meow: expected boolean, got integer" in errors  # the closest branch's errors
    assert "tup[1]: no more items are allowed" in errors
    assert "extra: property is not allowed" in errors


def test_check_instance_types_are_json_types() -> None:
    assert check_instance(True, {"type": "integer"}) == ["(root): expected integer, got boolean"]
    assert check_instance(2.0, {"type": "integer"}) == []
    assert check_instance(1, {"type": "number"}) == []
    assert check_instance(True, {"enum": [1]}) == ["(root): True is not one of 1"]
    assert check_instance(1, {"const": 1.0}) == []
    assert check_instance(None, {"type": ["string", "null"]}) == []
    assert check_instance("x", False) == ["(root): no value is allowed here"]


def test_json_equal() -> None:
    assert json_equal({"a": [1, 2.0]}, {"a": [1.0, 2]})
    assert not json_equal(True, 1)
    assert not json_equal({"a": 1}, {"a": 1, "b": 2})
    assert not json_equal("1", 1)


def test_format_loc() -> None:
    assert format_loc(()) == "(root)"
    assert format_loc(("items", 0, "name")) == "items[0].name"
    assert format_loc((2,)) == "[2]"


def test_strip_keyword_respects_property_names() -> None:
    schema = {
        "title": "Root",
        "properties": {"title": {"type": "string", "title": "Title"}},
        "$defs": {"X": {"title": "X", "items": {"title": "I"}, "anyOf": [{"title": "A"}]}},
    }
    assert strip_keyword(schema, "title") == {
        "properties": {"title": {"type": "string"}},
        "$defs": {"X": {"items": {}, "anyOf": [{}]}},
    }
