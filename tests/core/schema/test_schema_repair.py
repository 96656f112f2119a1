"""Tolerant repair: JSON-encoded strings in list/object positions, and JSON inside prose."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from modelport._tools._schema import extract_json_text, repair_json_strings

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "ids": {"type": "array", "items": {"type": "integer"}},
        "maybe_ids": {"anyOf": [{"type": "array", "items": {"type": "integer"}}, {"type": "null"}]},
        "either": {"anyOf": [{"type": "array", "items": {"type": "integer"}}, {"type": "string"}]},
        "meta": {"$ref": "#/$defs/Meta"},
        "metas": {"type": "array", "items": {"$ref": "#/$defs/Meta"}},
        "counts": {"type": "object", "additionalProperties": {"type": "array"}},
    },
    "$defs": {
        "Meta": {
            "type": "object",
            "properties": {"tags": {"type": "array", "items": {"type": "string"}}},
        }
    },
}


def test_list_field_given_as_string() -> None:
    value, changed = repair_json_strings({"ids": "[1,2]", "maybe_ids": " [3] "}, SCHEMA)
    assert changed
    assert value == {"ids": [1, 2], "maybe_ids": [3]}


def test_nested_encodings_at_any_depth() -> None:
    meta = json.dumps({"tags": json.dumps(["a", "b"])})  # an object whose list is encoded too
    data = {"meta": meta, "metas": json.dumps([{"tags": '["c"]'}]), "counts": {"k": "[1]"}}
    value, changed = repair_json_strings(data, SCHEMA)
    assert changed
    assert value == {
        "meta": {"tags": ["a", "b"]},
        "metas": [{"tags": ["c"]}],
        "counts": {"k": [1]},
    }


def test_strings_are_left_alone_where_strings_are_allowed() -> None:
    data = {"name": "[1, 2]", "either": "[1, 2]"}
    assert repair_json_strings(data, SCHEMA) == (data, False)


def test_wrong_container_or_bad_json_is_not_decoded() -> None:
    data = {"ids": '{"a": 1}', "meta": "[1]", "metas": "[not json"}
    assert repair_json_strings(data, SCHEMA) == (data, False)


def test_input_is_not_modified() -> None:
    data = {"ids": "[1]"}
    repair_json_strings(data, SCHEMA)
    assert data == {"ids": "[1]"}


def test_root_double_encoded() -> None:
    value, changed = repair_json_strings('{"ids": "[1]"}', SCHEMA)
    assert changed and value == {"ids": [1]}


def test_extract_json_text() -> None:
    assert extract_json_text('```json\n{"a": 1}\n```') == '{"a": 1}'
    assert extract_json_text("Sure:\n```\n[1, 2]\n```\nbye") == "[1, 2]"
    assert extract_json_text('The answer is {"a": {"b": 2}}. Done.') == '{"a": {"b": 2}}'
    assert extract_json_text("no json here") is None
    assert extract_json_text("{broken") is None


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=4),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=3), children, max_size=3)
    ),
    max_leaves=8,
)


@st.composite
def _encoded(draw: st.DrawFn) -> tuple[Any, Any]:
    """A value of SCHEMA's shape and the same value with random containers JSON-encoded."""
    tags = draw(st.lists(st.text(max_size=3), max_size=3))
    ids = draw(st.lists(st.integers(), max_size=3))
    original = {"ids": ids, "meta": {"tags": tags}, "metas": [{"tags": tags}] * 2}

    def maybe(value: Any) -> Any:
        return json.dumps(value) if draw(st.booleans()) else value

    encoded = {
        "ids": maybe(ids),
        "meta": maybe({"tags": maybe(tags)}),
        "metas": maybe([{"tags": maybe(tags)}, {"tags": maybe(tags)}]),
    }
    return original, encoded


@settings(max_examples=60, deadline=None)
@given(_encoded())
def test_repair_restores_any_encoding(case: tuple[Any, Any]) -> None:
    original, encoded = case
    value, changed = repair_json_strings(encoded, SCHEMA)
    assert value == original
    assert changed == (encoded != original)


@settings(max_examples=60, deadline=None)
@given(_JSON)
def test_repair_never_raises_and_is_stable(value: Any) -> None:
    repaired, _ = repair_json_strings(value, SCHEMA)
    assert repair_json_strings(repaired, SCHEMA)[0] == repaired
