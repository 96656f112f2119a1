"""Output types: targets -> OutputSpec, strict round trips, validation errors and repair."""

from __future__ import annotations

import dataclasses
import enum
import itertools
import json
import typing
from pathlib import Path
from typing import Annotated, Any, Literal, Optional

import pytest
import typing_extensions
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from modelport import ResponseFormat, SchemaConversionError, StructuredOutputError
from modelport._tools._schema import OutputSpec, output_spec
from pydantic import BaseModel, ConfigDict, Field, create_model
from schema_invariants import assert_strict

# -- targets -------------------------------------------------------------------------------------


class Mood(enum.Enum):
    HAPPY = "happy"
    SAD = "sad"


class Address(BaseModel):
    street: str
    city: str = "Paris"
    zip: str | None = None


class Person(BaseModel):
    """Someone we know."""

    name: str
    age: int = 0
    nickname: str | None = None
    mood: Mood = Mood.HAPPY
    tags: list[str] = []
    home: Address | None = None
    homes: list[Address] = []
    scores: tuple[int, int] = (0, 0)
    kind: Literal["friend", "colleague"] = "friend"


class Tree(BaseModel):
    label: str
    children: list[Tree] = []
    parent_label: str = "root"


class StrictModel(BaseModel):
    model_config = ConfigDict(strict=True)

    pair: tuple[int, str]
    mood: Mood


@dataclasses.dataclass
class Point:
    """A point in the plane."""

    x: int
    y: int = 0
    label: str | None = None


class Movie(typing.TypedDict):
    """A film."""

    title: str
    year: typing_extensions.NotRequired[int]


class Book(typing_extensions.TypedDict, total=False):
    isbn: str
    pages: int


class Pet:
    """A pet (plain annotated class, LLM SDK style)."""

    name: str
    species: str = "cat"
    age: int | None = None


class Owner:
    """A pet owner."""

    name: str
    pets: list[Pet] = []  # noqa: RUF012 - the plain-class style under test
    favourite: Pet | None = None
    note: Annotated[str, Field(description="Free text")] = ""


class Folder:
    name: str
    subfolders: list[Folder] = []  # noqa: RUF012


CONFORMANCE = Path(__file__).resolve().parents[4] / "shared" / "conformance" / "openai-chat"


# -- pydantic models ------------------------------------------------------------------------------


def test_pydantic_model_spec() -> None:
    spec = output_spec(Person)
    assert isinstance(spec, OutputSpec)
    assert (spec.name, spec.strict, spec.target) == ("Person", True, Person)
    assert spec.description == "Someone we know."
    assert_strict(spec.schema)
    assert spec.schema["required"] == list(Person.model_fields)
    fmt = spec.to_response_format()
    assert isinstance(fmt, ResponseFormat)
    assert fmt.json_schema == spec.schema and fmt.strict is True and fmt.name == "Person"
    assert output_spec(Person) is spec  # cached per type


def strict_dump(value: Any) -> Any:
    """JSON data as a strict-mode model writes it: null for every optional field left at its
    default (strict mode has no way to leave a key out), recursively."""
    if isinstance(value, BaseModel):
        out: dict[str, Any] = {}
        for name, info in type(value).model_fields.items():
            item = getattr(value, name)
            if not info.is_required() and item == info.get_default(call_default_factory=True):
                out[name] = None
            else:
                out[name] = strict_dump(item)
        return out
    if isinstance(value, list | tuple):
        return [strict_dump(v) for v in value]
    if isinstance(value, enum.Enum):
        return value.value
    return value


def test_round_trip_nulls_for_optional_fields() -> None:
    original = Person(name="Ann", home=Address(street="Main"), homes=[Address(street="B", zip="1")])
    data = strict_dump(original)
    assert data["age"] is None and data["tags"] is None and data["mood"] is None
    assert data["home"] == {"street": "Main", "city": None, "zip": None}
    assert data["homes"] == [{"street": "B", "city": None, "zip": "1"}]
    spec = output_spec(Person)
    assert spec.validate_json(json.dumps(data)) == original
    assert spec.validate(data) == original


def test_round_trip_full_instance() -> None:
    original = Person(
        name="Bo",
        age=41,
        nickname="b",
        mood=Mood.SAD,
        tags=["x"],
        home=Address(street="S", city="Lyon", zip="69000"),
        scores=(1, 2),
        kind="colleague",
    )
    spec = output_spec(Person)
    assert spec.validate_json(original.model_dump_json()) == original
    assert spec.validate(original.model_dump(mode="json")) == original


def test_recursive_model_round_trip() -> None:
    spec = output_spec(Tree)
    assert spec.strict
    assert_strict(spec.schema)
    text = json.dumps(
        {
            "label": "a",
            "children": [{"label": "b", "children": None, "parent_label": None}],
            "parent_label": "top",
        }
    )
    assert spec.validate_json(text) == Tree(
        label="a", children=[Tree(label="b")], parent_label="top"
    )


def test_strict_pydantic_model_validates_in_json_mode() -> None:
    spec = output_spec(StrictModel)
    assert spec.validate_json('{"pair": [1, "a"], "mood": "sad"}') == StrictModel(
        pair=(1, "a"), mood=Mood.SAD
    )


# -- dataclasses, TypedDicts, plain classes ------------------------------------------------------


def test_dataclass_target() -> None:
    spec = output_spec(Point)
    assert spec.strict and spec.description == "A point in the plane."
    assert_strict(spec.schema)
    assert spec.validate_json('{"x": 1, "y": null, "label": null}') == Point(1, 0, None)
    assert spec.validate_json('{"x": "2", "y": 5, "label": "p"}') == Point(2, 5, "p")


def test_typeddict_targets() -> None:
    movie = output_spec(Movie)
    assert movie.schema["required"] == ["title", "year"]
    assert movie.description == "A film."
    assert movie.validate_json('{"title": "Up", "year": null}') == {"title": "Up"}
    assert movie.validate_json('{"title": "Up", "year": 2009}') == {"title": "Up", "year": 2009}
    book = output_spec(Book)
    assert book.validate_json('{"isbn": null, "pages": 3}') == {"pages": 3}


def test_plain_class_target() -> None:
    spec = output_spec(Owner)
    assert spec.strict and spec.name == "Owner" and spec.description == "A pet owner."
    assert_strict(spec.schema)
    assert spec.schema["properties"]["note"]["description"] == "Free text"
    pet_def = spec.schema["$defs"]["Pet"]
    assert pet_def["description"] == "A pet (plain annotated class, LLM SDK style)."
    owner = spec.validate_json(
        json.dumps(
            {
                "name": "Eve",
                "pets": [
                    {"name": "Rex", "species": "dog", "age": None},
                    {"name": "Tom", "species": None, "age": 3},
                ],
                "favourite": {"name": "Rex", "species": None, "age": None},
                "note": None,
            }
        )
    )
    assert isinstance(owner, Owner)
    assert owner.name == "Eve" and owner.note == ""
    assert all(isinstance(p, Pet) for p in owner.pets)
    assert [(p.name, p.species, p.age) for p in owner.pets] == [
        ("Rex", "dog", None),
        ("Tom", "cat", 3),
    ]
    assert isinstance(owner.favourite, Pet) and owner.favourite.species == "cat"


def test_recursive_plain_class() -> None:
    spec = output_spec(Folder)
    assert_strict(spec.schema)
    folder = spec.validate_json('{"name": "a", "subfolders": [{"name": "b", "subfolders": null}]}')
    assert isinstance(folder, Folder) and isinstance(folder.subfolders[0], Folder)
    assert folder.subfolders[0].subfolders == []


def test_plain_class_missing_required_field() -> None:
    with pytest.raises(StructuredOutputError) as info:
        output_spec(Pet).validate_json('{"species": "dog", "age": null}')
    assert "name: Field required" in str(info.value)


@pytest.mark.parametrize("bad", [int, str, list[int], "a string", 42, None, Mood, object])
def test_unsupported_targets(bad: Any) -> None:
    with pytest.raises(SchemaConversionError):
        output_spec(bad)


# -- dict schemas ---------------------------------------------------------------------------------

WEATHER = {
    "type": "object",
    "title": "Weather Report",
    "properties": {
        "city": {"type": "string"},
        "temp": {"type": "number"},
        "tags": {"type": "array", "items": {"type": "string"}},
        "wind": {
            "type": "object",
            "properties": {"speed": {"type": "integer"}, "dir": {"enum": ["N", "S"]}},
            "required": ["speed"],
        },
    },
    "required": ["city", "temp"],
}


def test_bare_dict_schema() -> None:
    spec = output_spec(WEATHER)
    assert (spec.name, spec.strict) == ("Weather_Report", True)
    assert_strict(spec.schema)
    result = spec.validate_json('{"city": "Oslo", "temp": 3, "tags": null, "wind": null}')
    assert result == {"city": "Oslo", "temp": 3}
    result = spec.validate_json('{"city": "Oslo", "temp": 3.5, "wind": {"speed": 4, "dir": null}}')
    assert result == {"city": "Oslo", "temp": 3.5, "wind": {"speed": 4}}


def test_dict_schema_structural_errors() -> None:
    spec = output_spec(WEATHER)
    # the schema allows extra keys ("x"): validation follows the user's schema, not the wire one
    text = '{"city": 5, "tags": ["a", 1], "wind": {"speed": 1.5, "dir": "E"}, "x": 1}'
    with pytest.raises(StructuredOutputError) as info:
        spec.validate_json(text)
    err = info.value
    assert err.raw_text == text
    message = str(err)
    for needle in (
        "city: expected string, got integer",
        "temp: required property is missing",
        "tags[1]: expected string, got integer",
        "wind.speed: expected integer, got number",
        "wind.dir: 'E' is not one of 'N', 'S'",
    ):
        assert needle in message
    assert len(err.errors) == 5  # type: ignore[attr-defined]


def test_wrapped_dict_forms() -> None:
    wrapped = {"name": "weather", "schema": WEATHER, "strict": False, "description": "W"}
    spec = output_spec(wrapped)
    assert (spec.name, spec.strict, spec.description) == ("weather", False, "W")
    assert spec.schema["required"] == ["city", "temp"]  # not normalized
    assert "title" not in spec.schema
    full = {"type": "json_schema", "json_schema": {"name": "w2", "schema": WEATHER}}
    assert output_spec(full).name == "w2" and output_spec(full).strict
    fmt = ResponseFormat(name="w3", schema=WEATHER, strict=True)
    assert output_spec(fmt).name == "w3" and output_spec(fmt).target is fmt
    assert output_spec(WEATHER, strict=False).strict is False


def test_non_strict_fallback_and_forced_strict() -> None:
    class Scores(BaseModel):
        by_name: dict[str, int]
        anything: Any = None

    spec = output_spec(Scores)
    assert spec.strict is False
    assert "additionalProperties" in spec.schema["properties"]["by_name"]
    assert spec.validate_json('{"by_name": {"a": 1}}') == Scores(by_name={"a": 1})
    with pytest.raises(SchemaConversionError, match="cannot be used in strict mode"):
        output_spec(Scores, strict=True)
    with pytest.raises(SchemaConversionError, match="root"):
        output_spec(
            {"name": "x", "schema": {"type": "array", "items": {"type": "integer"}}, "strict": True}
        )
    assert output_spec({"type": "array", "items": {"type": "integer"}}).strict is False


def test_null_not_dropped_when_not_strict() -> None:
    spec = output_spec(Person, strict=False)
    with pytest.raises(StructuredOutputError, match="age"):
        spec.validate_json('{"name": "a", "age": null}')


# -- errors and repair ----------------------------------------------------------------------------


def test_invalid_json() -> None:
    with pytest.raises(StructuredOutputError) as info:
        output_spec(Person).validate_json('{"name": "a", ')
    assert "not valid JSON" in str(info.value)
    assert info.value.raw_text == '{"name": "a", '


def test_validation_error_lists_errors_and_keeps_raw_text() -> None:
    text = '{"name": 1, "age": "old", "mood": "angry"}'
    with pytest.raises(StructuredOutputError) as info:
        output_spec(Person).validate_json(text)
    err = info.value
    assert err.raw_text == text
    message = str(err)
    assert message.startswith("the answer does not validate as Person (3 errors)")
    assert "- name: Input should be a valid string (got 1)" in message
    assert "- age: Input should be a valid integer" in message
    assert "- mood: Input should be 'happy' or 'sad'" in message


def test_repair_json_encoded_list_and_nested_object() -> None:
    spec = output_spec(Person)
    text = json.dumps(
        {
            "name": "Ann",
            "tags": '["a", "b"]',
            "homes": json.dumps([{"street": "S", "city": None, "zip": None}]),
            "home": json.dumps({"street": "H", "city": "Lyon", "zip": None}),
            "scores": "[1, 2]",
        }
    )
    assert spec.validate_json(text) == Person(
        name="Ann",
        tags=["a", "b"],
        homes=[Address(street="S")],
        home=Address(street="H", city="Lyon"),
        scores=(1, 2),
    )


def test_repair_only_where_the_schema_wants_a_container() -> None:
    spec = output_spec(Person)
    # a string field whose value looks like JSON is valid as is and is left alone
    assert spec.validate_json('{"name": "[1, 2]"}').name == "[1, 2]"


def test_failed_repair_reports_original_errors() -> None:
    with pytest.raises(StructuredOutputError) as info:
        output_spec(Person).validate_json('{"name": "a", "tags": "[1, 2]", "age": "x"}')
    message = str(info.value)
    assert "tags: Input should be a valid array" in message
    assert "age: Input should be a valid integer" in message


def test_repair_in_dict_schemas() -> None:
    spec = output_spec(WEATHER)
    text = '{"city": "Oslo", "temp": 1, "tags": "[\\"x\\"]", "wind": "{\\"speed\\": 2}"}'
    assert spec.validate_json(text) == {
        "city": "Oslo",
        "temp": 1,
        "tags": ["x"],
        "wind": {"speed": 2},
    }


def test_double_encoded_root_and_code_fence() -> None:
    spec = output_spec(Address)
    inner = json.dumps({"street": "S", "city": None, "zip": None})
    assert spec.validate_json(json.dumps(inner)) == Address(street="S")
    fenced = f"Here you go:\n```json\n{inner}\n```\nAnything else?"
    assert spec.validate_json(fenced) == Address(street="S")
    assert spec.validate_json(f"Sure! {inner} Hope it helps.") == Address(street="S")


# -- conformance recording ------------------------------------------------------------------------


def test_conformance_chat_structured_json_schema() -> None:
    index = json.loads((CONFORMANCE / "index.json").read_text())
    entry = next(f for f in index["files"] if f["file"] == "chat-structured-json-schema.json")
    request = json.loads(entry["request_body"])
    json_schema = request["response_format"]["json_schema"]
    spec = output_spec(json_schema)
    assert spec.name == "Joke"
    assert spec.description == "A joke and your self evaluation of it from 1 to 10"
    assert spec.strict is True
    assert_strict(spec.schema)
    answer = json.loads((CONFORMANCE / entry["file"]).read_text())
    content = answer["choices"][0]["message"]["content"]
    result = spec.validate_json(content)
    assert result == {
        "joke": "Why did the developer bring Opentelemetry to the party? "
        "Because it knew how to trace all the fun!",
        "rating": 7,
    }
    # the same schema as a pydantic model validates the same answer
    Joke = create_model("Joke", joke=(str, ...), rating=(int, ...))
    assert output_spec(Joke).validate_json(content).rating == 7


# -- property: strict normalization + null handling round-trips any generated model ---------------

_ids = itertools.count()
_SCALARS: list[tuple[Any, st.SearchStrategy[Any], bool]] = [
    (int, st.integers(-1000, 1000), False),
    (str, st.text(max_size=5), False),
    (bool, st.booleans(), False),
    (float, st.floats(allow_nan=False, allow_infinity=False, width=32), False),
    (Mood, st.sampled_from(["happy", "sad"]), False),
    (Literal["x", "y"], st.sampled_from(["x", "y"]), False),
    (Optional[int], st.one_of(st.none(), st.integers(0, 9)), True),  # noqa: UP045
]


@dataclasses.dataclass
class _Case:
    """A generated type with one value of it, spelled two ways, and a default to use."""

    annotation: Any
    strict_json: Any  # as a strict-mode model writes it (null for "not given")
    plain: Any  # the same data with "not given" keys left out
    nullable: bool
    default: Any


@st.composite
def _cases(draw: st.DrawFn, depth: int = 0) -> _Case:
    choice = draw(st.integers(0, 2 if depth < 2 else 0))
    if choice == 0:
        annotation, values, nullable = draw(st.sampled_from(_SCALARS))
        value = draw(values)
        return _Case(annotation, value, value, nullable, draw(values))
    if choice == 1:
        item = draw(_cases(depth + 1))
        count = draw(st.integers(0, 2))
        return _Case(
            list[item.annotation],  # type: ignore[name-defined]
            [item.strict_json] * count,
            [item.plain] * count,
            False,
            [],
        )
    model, strict_json, plain = draw(_generated_models(depth + 1))
    return _Case(Optional[model], strict_json, plain, True, None)  # noqa: UP045


@st.composite
def _generated_models(draw: st.DrawFn, depth: int = 0) -> tuple[type[BaseModel], Any, Any]:
    """(model, the JSON a strict-mode model would send, the same data without omitted keys)."""
    fields: dict[str, Any] = {}
    strict_json: dict[str, Any] = {}
    plain: dict[str, Any] = {}
    for i in range(draw(st.integers(0, 4))):
        case = draw(_cases(depth))
        key = f"f{i}"
        if draw(st.booleans()):
            fields[key] = (case.annotation, ...)
            strict_json[key], plain[key] = case.strict_json, case.plain
            continue
        fields[key] = (case.annotation, Field(case.default))
        if draw(st.booleans()):
            strict_json[key], plain[key] = case.strict_json, case.plain
        elif case.nullable:
            strict_json[key] = plain[key] = None
        else:
            strict_json[key] = None  # strict mode's only way to say "not given"
    model = create_model(f"Gen{next(_ids)}", **fields)
    return model, strict_json, plain


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_generated_models())
def test_generated_models_round_trip(case: tuple[type[BaseModel], Any, Any]) -> None:
    model, strict_json, plain = case
    spec = output_spec(model)
    assert spec.strict
    assert_strict(spec.schema)
    expected = model.model_validate_json(json.dumps(plain))
    assert spec.validate_json(json.dumps(strict_json)) == expected
