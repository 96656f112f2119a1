"""OpenAI strict-mode normalization: invariants, refs and recursion, and what is refused."""

from __future__ import annotations

import copy
import enum
import itertools
from typing import Any, Literal, Optional

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from modelport import SchemaConversionError
from modelport._tools._schema import make_strict
from pydantic import BaseModel, Field, create_model
from schema_invariants import assert_strict


def strict_ok(schema: dict[str, Any]) -> dict[str, Any]:
    before = copy.deepcopy(schema)
    out = make_strict(schema)
    assert schema == before, "make_strict must not modify its input"
    assert_strict(out)
    assert make_strict(out) == out, "make_strict must be idempotent"
    return out


# -- real models ---------------------------------------------------------------------------------


class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


class Address(BaseModel):
    """Where someone lives."""

    street: str
    city: str = "Paris"


class Person(BaseModel):
    name: str = Field(description="Full name")
    age: int | None = None
    nickname: str = ""
    color: Color = Color.RED
    home: Address = Field(description="Home address")
    other: Optional[Address] = None  # noqa: UP045
    tags: list[str] = []
    unit: Literal["c", "f"] = "c"
    title: str = "Dr"  # a property named like a keyword
    default: int = 0
    format: str = "x"


class Tree(BaseModel):
    """A recursive structure."""

    label: str
    children: list[Tree] = []
    parent: Tree | None = Field(None, description="The parent node")


class A(BaseModel):
    b: B | None = None


class B(BaseModel):
    a: A | None = None
    leaf: Address | None = None


def test_person_model() -> None:
    out = strict_ok(Person.model_json_schema())
    p = out["properties"]
    assert out["required"] == list(Person.model_fields)
    assert p["name"] == {"description": "Full name", "type": "string"}
    assert p["age"] == {"anyOf": [{"type": "integer"}, {"type": "null"}]}
    assert p["nickname"] == {"type": ["string", "null"]}
    assert p["color"] == {"anyOf": [{"$ref": "#/$defs/Color"}, {"type": "null"}]}
    # a $ref with a description is inlined (strict mode refuses $ref siblings)
    assert p["home"]["description"] == "Home address"
    assert p["home"]["properties"]["city"] == {"type": ["string", "null"]}
    assert p["unit"] == {"anyOf": [{"enum": ["c", "f"], "type": "string"}, {"type": "null"}]}
    assert set(p) >= {"title", "default", "format"}
    assert out["$defs"]["Color"] == {"enum": ["red", "blue"], "type": "string"}


def test_recursive_model_keeps_ref_cycle() -> None:
    out = strict_ok(Tree.model_json_schema())
    assert out["description"] == "A recursive structure."
    assert out["properties"]["children"]["anyOf"][0]["items"] == {"$ref": "#/$defs/Tree"}
    # the description sibling of a recursive $ref cannot be kept: the ref stays a ref
    assert out["properties"]["parent"] == {
        "anyOf": [{"$ref": "#/$defs/Tree"}, {"type": "null"}],
        "description": "The parent node",
    }
    assert out["$defs"]["Tree"]["properties"].keys() == out["properties"].keys()


def test_mutually_recursive_models() -> None:
    out = strict_ok(A.model_json_schema())
    assert set(out["$defs"]) == {"A", "B", "Address"}


def test_root_self_reference_hash() -> None:
    schema = {
        "type": "object",
        "properties": {"value": {"type": "integer"}, "next": {"$ref": "#"}},
        "required": ["value"],
    }
    out = strict_ok(schema)
    assert out["properties"]["next"] == {"anyOf": [{"$ref": "#"}, {"type": "null"}]}


def test_nested_defs_definitions_and_pointer_refs_are_hoisted() -> None:
    schema = {
        "type": "object",
        "definitions": {"Old": {"type": "string", "title": "Old"}},
        "properties": {
            "old": {"$ref": "#/definitions/Old"},
            "inner": {
                "type": "object",
                "$defs": {"Deep": {"type": "integer"}, "my/def": {"type": "boolean"}},
                "properties": {
                    "deep": {"$ref": "#/properties/inner/$defs/Deep"},
                    "slash": {"$ref": "#/properties/inner/$defs/my~1def"},
                },
                "required": ["deep", "slash"],
            },
            "same_as_old": {"$ref": "#/properties/old"},
        },
        "required": ["old", "inner", "same_as_old"],
    }
    out = strict_ok(schema)
    assert out["properties"]["old"] == {"$ref": "#/$defs/Old"}
    inner = out["properties"]["inner"]
    assert inner["properties"]["deep"] == {"$ref": "#/$defs/Deep"}
    assert inner["properties"]["slash"] == {"$ref": "#/$defs/my_def"}
    assert out["properties"]["same_as_old"] == {"$ref": "#/$defs/old"}
    assert out["$defs"]["Old"] == {"type": "string"}


def test_one_of_all_of_and_keyword_pruning() -> None:
    schema = {
        "type": "object",
        "title": "Root",
        "properties": {
            "pet": {
                "oneOf": [{"$ref": "#/$defs/Cat"}, {"$ref": "#/$defs/Dog"}],
                "discriminator": {"propertyName": "kind"},
            },
            "wrapped": {"allOf": [{"$ref": "#/$defs/Cat"}], "description": "one cat"},
            "email": {"type": "string", "format": "email", "maxLength": 50},
            "site": {"type": "string", "format": "uri", "pattern": "^https://"},
            "count": {"type": "integer", "minimum": 0, "maximum": 9, "default": 1},
            "ids": {
                "type": "array",
                "items": {"type": "integer"},
                "uniqueItems": True,
                "minItems": 1,
            },
        },
        "required": ["pet", "wrapped", "email", "site"],
        "$defs": {
            "Cat": {"type": "object", "properties": {"kind": {"const": "cat"}}, "required": []},
            "Dog": {"type": "object", "properties": {"kind": {"const": "dog"}}},
        },
    }
    out = strict_ok(schema)
    p = out["properties"]
    assert p["pet"] == {"anyOf": [{"$ref": "#/$defs/Cat"}, {"$ref": "#/$defs/Dog"}]}
    assert p["wrapped"]["description"] == "one cat" and p["wrapped"]["type"] == "object"
    assert p["email"] == {"type": "string", "format": "email"}
    assert p["site"] == {"type": "string", "pattern": "^https://"}
    assert p["count"] == {"type": ["integer", "null"], "minimum": 0, "maximum": 9}
    assert p["ids"]["anyOf"][0] == {"type": "array", "items": {"type": "integer"}, "minItems": 1}
    assert out["$defs"]["Cat"]["properties"]["kind"] == {
        "anyOf": [{"const": "cat"}, {"type": "null"}]
    }


def test_unreferenced_defs_are_dropped() -> None:
    schema = {
        "type": "object",
        "properties": {"x": {"type": "string"}},
        "required": ["x"],
        "$defs": {"Unused": {"type": "integer"}},
    }
    assert "$defs" not in strict_ok(schema)


def test_empty_object_model_is_fine() -> None:
    class Empty(BaseModel):
        pass

    assert strict_ok(Empty.model_json_schema())["properties"] == {}


def test_legacy_tuple_items_and_items_false() -> None:
    schema = {
        "type": "object",
        "properties": {
            "pair": {"type": "array", "items": [{"type": "integer"}, {"type": "string"}]},
            "fixed": {"type": "array", "prefixItems": [{"type": "integer"}], "items": False},
        },
        "required": ["pair", "fixed"],
    }
    out = strict_ok(schema)
    assert out["properties"]["pair"]["prefixItems"] == [{"type": "integer"}, {"type": "string"}]
    assert "items" not in out["properties"]["fixed"]


@pytest.mark.parametrize(
    ("schema", "needle"),
    [
        ({"type": "object", "additionalProperties": {"type": "integer"}}, "free-form"),
        ({"type": "object"}, "free-form"),
        ({"type": "object", "properties": {"a": {}}, "required": ["a"]}, "#/properties/a"),
        ({"type": "object", "properties": {"a": {"type": "array"}}}, "any type"),
        ({"type": "object", "properties": {"a": {"description": "?"}}}, "without 'type'"),
        ({"type": "object", "properties": {}, "patternProperties": {"^x": {}}}, "pattern"),
        ({"allOf": [{"type": "object"}, {"type": "object"}]}, "allOf"),
        ({"type": "array", "items": {"type": "string"}}, "root"),
        ({"anyOf": [{"type": "object", "properties": {}}]}, "root"),
        ({"type": "object", "properties": {"a": {"$ref": "other.json#/x"}}}, "local"),
        ({"type": "object", "properties": {"a": {"$ref": "#/$defs/Nope"}}}, "does not resolve"),
        ({"$ref": "#"}, "root refers to itself"),
    ],
)
def test_inexpressible_constructs_raise(schema: dict[str, Any], needle: str) -> None:
    with pytest.raises(SchemaConversionError, match=needle):
        make_strict(schema)


def test_dict_field_in_model_names_its_pointer() -> None:
    class WithMap(BaseModel):
        scores: dict[str, int]

    with pytest.raises(SchemaConversionError, match="#/properties/scores"):
        make_strict(WithMap.model_json_schema())


# -- generated schemas (hypothesis) ---------------------------------------------------------------

_NAMES = st.sampled_from(
    ["a", "b", "name", "title", "default", "type", "$ref", "properties", "x/y", "t~1"]
)
_LEAVES = st.sampled_from(
    [
        {"type": "string"},
        {"type": "string", "format": "uri"},
        {"type": "string", "format": "date-time", "minLength": 2},
        {"type": "integer", "minimum": 0},
        {"type": "number", "default": 1.5},
        {"type": "boolean", "title": "Flag"},
        {"type": "null"},
        {"enum": ["a", "b"]},
        {"enum": [1, None]},
        {"const": 3},
        {"type": ["string", "integer"]},
        {"$ref": "#/$defs/Leaf"},
        {"$ref": "#/$defs/Leaf", "description": "described ref"},
        {"$ref": "#/$defs/Node"},
        {"$ref": "#/$defs/Node", "description": "recursive ref"},
        {"$ref": "#/definitions/Old"},
        {"$ref": "#"},
    ]
)


@st.composite
def _schemas(draw: st.DrawFn, depth: int = 0) -> dict[str, Any]:
    kinds = ["leaf"] if depth >= 3 else ["leaf", "object", "array", "anyOf", "oneOf", "allOf"]
    kind = draw(st.sampled_from(kinds))
    if kind == "leaf":
        return dict(draw(_LEAVES))
    if kind == "object":
        return draw(_objects(depth + 1))
    if kind == "array":
        return {"type": "array", "items": draw(_schemas(depth + 1)), "title": "Arr"}
    branches = draw(st.lists(_schemas(depth + 1), min_size=1, max_size=3))
    if kind == "allOf":
        return {"allOf": branches[:1], "description": "merged"}
    return {kind: branches}


@st.composite
def _objects(draw: st.DrawFn, depth: int = 0) -> dict[str, Any]:
    props = draw(st.dictionaries(_NAMES, _schemas(depth), max_size=4))
    required = draw(st.lists(st.sampled_from(sorted(props)), unique=True)) if props else []
    node: dict[str, Any] = {"type": "object", "properties": props}
    if required or draw(st.booleans()):
        node["required"] = required
    if draw(st.booleans()):
        node["title"] = "Obj"
    return node


@st.composite
def _roots(draw: st.DrawFn) -> dict[str, Any]:
    root = draw(_objects())
    root["$defs"] = {
        "Leaf": {"type": "object", "properties": {"v": {"type": "string"}}},
        "Node": {
            "type": "object",
            "properties": {"next": {"$ref": "#/$defs/Node"}, "val": draw(_schemas(2))},
            "required": ["val"],
        },
    }
    root["definitions"] = {"Old": {"type": "integer", "default": 0}}
    return root


@settings(max_examples=75, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_roots())
def test_generated_schemas_satisfy_invariants(schema: dict[str, Any]) -> None:
    strict_ok(schema)


_counter = itertools.count()
_FIELD_TYPES = st.sampled_from(
    [int, str, float, bool, Color, Literal["x", "y"], Address, Tree, list[int], tuple[int, str]]
)


@st.composite
def _model_types(draw: st.DrawFn, depth: int = 0) -> Any:
    base = draw(_FIELD_TYPES)
    wrap = draw(st.sampled_from(["none", "list", "optional", "model"] if depth < 2 else ["none"]))
    if wrap == "list":
        return list[draw(_model_types(depth + 1))]  # type: ignore[misc]
    if wrap == "optional":
        return Optional[draw(_model_types(depth + 1))]  # noqa: UP045
    if wrap == "model":
        return draw(_models(depth + 1))
    return base


@st.composite
def _models(draw: st.DrawFn, depth: int = 0) -> type[BaseModel]:
    count = draw(st.integers(min_value=0, max_value=4))
    fields: dict[str, Any] = {}
    for i in range(count):
        annotation = draw(_model_types(depth))
        if draw(st.booleans()):
            fields[f"f{i}"] = (annotation, ...)
        else:
            fields[f"f{i}"] = (Optional[annotation], Field(None, description="opt"))  # noqa: UP045
    return create_model(f"Gen{next(_counter)}", **fields)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_models())
def test_generated_pydantic_models_satisfy_invariants(model: type[BaseModel]) -> None:
    strict_ok(model.model_json_schema())
