"""Tool introspection: signatures -> JSON schema, argument binding, injection, and the errors.

Annotations here are real objects (no ``from __future__ import annotations``); string
annotations are covered by dedicated tests below.
"""

import asyncio
import dataclasses
import enum
import functools
import inspect
import socket
import typing
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Annotated, Any, Literal, Optional, Union

import pytest
import typing_extensions
from modelport import (
    ConfigurationError,
    SchemaConversionError,
    ToolExecutionError,
    ToolSpec,
)
from modelport._tools._schema import (
    Depends,
    ToolArgumentsError,
    ToolDef,
    coerce_tools,
    tool_from_function,
    tool_from_schema,
)
from pydantic import BaseModel, Field


class Color(enum.Enum):
    RED = "red"
    GREEN = "green"


class Priority(enum.IntEnum):
    LOW = 1
    HIGH = 2


@dataclasses.dataclass
class Point:
    x: int
    y: int = 0


class Address(BaseModel):
    """A postal address."""

    street: str
    city: str = Field(description="City name")


class Filters(typing.TypedDict):
    """Search filters."""

    tag: str
    limit: typing_extensions.NotRequired[int]


class ExtFilters(typing_extensions.TypedDict, total=False):
    lang: str


class Opaque:
    """A class pydantic cannot describe."""

    def __init__(self, handle: int) -> None:
        self.handle = handle


def props(fn: Callable[..., Any], **kw: Any) -> dict[str, Any]:
    return tool_from_function(fn, **kw).parameters["properties"]


def resolve(tool: ToolDef, node: dict[str, Any]) -> dict[str, Any]:
    ref = node.get("$ref")
    if ref:
        return tool.parameters["$defs"][ref.rsplit("/", 1)[-1]]
    return node


# -- schema generation ------------------------------------------------------------------------


def test_scalars_and_required_defaults() -> None:
    def f(s: str, i: int, x: float, b: bool, opt: int = 5) -> None:
        """Scalars."""

    tool = tool_from_function(f)
    p = tool.parameters
    assert p["type"] == "object"
    assert p["additionalProperties"] is False
    assert p["properties"]["s"] == {"type": "string"}
    assert p["properties"]["i"] == {"type": "integer"}
    assert p["properties"]["x"] == {"type": "number"}
    assert p["properties"]["b"] == {"type": "boolean"}
    assert p["properties"]["opt"] == {"type": "integer", "default": 5}
    assert p["required"] == ["s", "i", "x", "b"]
    assert tool.name == "f"
    assert tool.description == "Scalars."
    assert tool.kind == "sync"
    assert tool.injected == ()


def test_containers() -> None:
    def f(
        names: list[str],
        counts: dict[str, int],
        pair: tuple[int, str],
        many: tuple[float, ...],
        unique: set[int],
        frozen: frozenset[str],
        nested: list[dict[str, list[int]]],
    ) -> None: ...

    p = props(f)
    assert p["names"] == {"type": "array", "items": {"type": "string"}}
    assert p["counts"] == {"type": "object", "additionalProperties": {"type": "integer"}}
    assert p["pair"]["prefixItems"] == [{"type": "integer"}, {"type": "string"}]
    assert p["pair"]["minItems"] == p["pair"]["maxItems"] == 2
    assert p["many"] == {"type": "array", "items": {"type": "number"}}
    assert p["unique"] == {"type": "array", "items": {"type": "integer"}, "uniqueItems": True}
    assert p["frozen"]["uniqueItems"] is True
    assert p["nested"]["items"]["additionalProperties"]["items"] == {"type": "integer"}


def test_optional_and_unions_are_never_strings() -> None:
    def f(
        a: Optional[int],  # noqa: UP045 - the typing spelling is what is under test
        b: int | None,
        c: Union[int, str],  # noqa: UP007
        d: int | str | None = None,
        e: float | None = 1.5,
    ) -> None: ...

    p = props(f)
    assert p["a"] == {"anyOf": [{"type": "integer"}, {"type": "null"}]}
    assert p["b"] == p["a"]
    assert p["c"] == {"anyOf": [{"type": "integer"}, {"type": "string"}]}
    assert p["d"]["anyOf"] == [{"type": "integer"}, {"type": "string"}, {"type": "null"}]
    assert p["d"]["default"] is None
    assert p["e"]["default"] == 1.5
    required = tool_from_function(f).parameters["required"]
    assert required == ["a", "b", "c"]  # Optional without default is still required


def test_literal_and_enums() -> None:
    def f(
        unit: Literal["c", "f"],
        color: Color,
        prio: Priority = Priority.LOW,
        mode: Literal["fast"] = "fast",
    ) -> None: ...

    tool = tool_from_function(f)
    p = tool.parameters["properties"]
    assert p["unit"] == {"type": "string", "enum": ["c", "f"]}
    assert resolve(tool, p["color"]) == {"type": "string", "enum": ["red", "green"]}
    assert resolve(tool, p["prio"])["enum"] == [1, 2]
    assert p["prio"]["default"] == 1
    assert p["mode"]["const"] == "fast"


def test_models_dataclasses_typeddicts() -> None:
    def f(
        address: Address,
        point: Point,
        filters: Filters,
        ext: ExtFilters | None = None,
        points: list[Point] | None = None,
    ) -> None: ...

    tool = tool_from_function(f)
    p = tool.parameters["properties"]
    addr = resolve(tool, p["address"])
    assert addr["properties"]["city"]["description"] == "City name"
    assert addr["required"] == ["street", "city"]
    assert addr["description"] == "A postal address."
    assert resolve(tool, p["point"])["required"] == ["x"]
    filters = resolve(tool, p["filters"])
    assert filters["required"] == ["tag"]  # typing.TypedDict on 3.11 works (rewritten)
    assert filters["description"] == "Search filters."
    assert set(filters["properties"]) == {"tag", "limit"}
    assert p["points"]["anyOf"][0]["items"]["$ref"].endswith("/Point")
    # every $ref resolves inside the tool's own $defs
    assert set(tool.parameters["$defs"]) >= {"Address", "Point", "Filters", "ExtFilters"}


def test_titles_are_dropped_but_properties_named_title_stay() -> None:
    def f(title: str, default: int = 1, description: str = "") -> None: ...

    p = tool_from_function(f).parameters
    assert set(p["properties"]) == {"title", "default", "description"}
    assert "title" not in p
    assert all("title" not in v for v in p["properties"].values())


def test_parameter_descriptions_from_docstrings_and_field_precedence() -> None:
    def google(city: str, days: int = 1) -> str:
        """Forecast.

        Args:
            city: City name.
            days: Days ahead.
        """
        return city

    def numpy(city: str) -> str:
        """Forecast.

        Parameters
        ----------
        city : str
            City name.
        """
        return city

    def sphinx(city: Annotated[str, Field(description="From Field")], days: int) -> str:
        """Forecast.

        :param city: From the docstring.
        :param days: Days ahead.
        """
        return city

    assert props(google)["city"]["description"] == "City name."
    assert props(google)["days"]["description"] == "Days ahead."
    assert props(numpy)["city"]["description"] == "City name."
    assert props(sphinx)["city"]["description"] == "From Field"
    assert props(sphinx)["days"]["description"] == "Days ahead."
    assert tool_from_function(sphinx).description == "Forecast."


def test_explicit_name_and_description() -> None:
    def f(x: int) -> int:
        """Doc."""
        return x

    tool = tool_from_function(f, name="add-one_2", description="Custom.")
    assert (tool.name, tool.description) == ("add-one_2", "Custom.")


def test_return_annotation_is_ignored() -> None:
    def f(x: int) -> "NoSuchType":  # type: ignore[name-defined]  # noqa: F821
        return x

    assert tool_from_function(f).parameters["required"] == ["x"]


def test_string_annotations_and_closure_types() -> None:
    @dataclasses.dataclass
    class Local:
        v: int

    def f(a: "int", p: "Point", loc: "Local", opt: "list[Color] | None" = None) -> None:
        print(Local)  # makes Local a closure variable of f

    tool = tool_from_function(f)
    p = tool.parameters["properties"]
    assert p["a"] == {"type": "integer"}
    assert resolve(tool, p["loc"])["properties"] == {"v": {"type": "integer"}}
    assert tool.bind({"a": 1, "p": {"x": 1}, "loc": {"v": 2}}, {})[1]["loc"] == Local(2)


# -- kinds, partials, callables -----------------------------------------------------------------


def test_kinds() -> None:
    def sync(x: int) -> int:
        return x

    async def coro(x: int) -> int:
        return x

    def gen(x: int) -> Iterator[int]:
        yield x

    async def agen(x: int) -> AsyncIterator[int]:
        yield x

    class Obj:
        async def __call__(self, x: int) -> int:
            """Callable object."""
            return x

    assert tool_from_function(sync).kind == "sync"
    assert tool_from_function(coro).kind == "async"
    assert tool_from_function(gen).kind == "gen"
    assert tool_from_function(agen).kind == "async_gen"
    assert tool_from_function(functools.partial(coro)).kind == "async"
    obj_tool = tool_from_function(Obj())
    assert (obj_tool.kind, obj_tool.name, obj_tool.description) == (
        "async",
        "Obj",
        "Callable object.",
    )
    assert obj_tool.parameters["required"] == ["x"]


def test_bound_method() -> None:
    class Service:
        def lookup(self, key: str) -> str:
            """Look a key up."""
            return key.upper()

    tool = tool_from_function(Service().lookup)
    assert tool.name == "lookup"
    assert list(tool.parameters["properties"]) == ["key"]
    args, kwargs = tool.bind({"key": "a"}, {})
    assert tool.fn is not None
    assert tool.fn(*args, **kwargs) == "A"


def test_partial_removes_bound_arguments_and_uses_wrapped_doc() -> None:
    def search(index: str, query: str, limit: int = 10, *, lang: str = "en") -> str:
        """Search an index.

        Args:
            index: Which index.
            query: What to look for.
            limit: Max results.
            lang: Language.
        """
        return f"{index}:{query}:{limit}:{lang}"

    bound = functools.partial(functools.partial(search, "docs"), lang="fr")
    tool = tool_from_function(bound)
    assert tool.name == "search"
    assert tool.description == "Search an index."
    assert list(tool.parameters["properties"]) == ["query", "limit"]
    assert tool.parameters["properties"]["query"]["description"] == "What to look for."
    args, kwargs = tool.bind({"query": "x"}, {})
    assert tool.fn is not None
    assert tool.fn(*args, **kwargs) == "docs:x:10:fr"


def test_partial_with_keyword_bound_in_the_middle() -> None:
    def f(a: int, b: int, c: int) -> int:
        return a * 100 + b * 10 + c

    tool = tool_from_function(functools.partial(f, b=5))
    assert list(tool.parameters["properties"]) == ["a", "c"]
    args, kwargs = tool.bind({"a": 1, "c": 3}, {})
    assert tool.fn is not None
    assert tool.fn(*args, **kwargs) == 153


def test_positional_only_parameters_are_passed_positionally() -> None:
    def f(a: int, /, b: int, *, c: int = 0) -> int:
        return a + b + c

    tool = tool_from_function(f)
    args, kwargs = tool.bind({"a": 1, "b": "2"}, {})
    assert args == (1,)
    assert kwargs == {"b": 2, "c": 0}


def test_schema_cached_per_function() -> None:
    def f(x: int) -> None: ...

    assert tool_from_function(f) is tool_from_function(f)
    assert tool_from_function(f) is not tool_from_function(f, name="g")


# -- errors name the function and the parameter -------------------------------------------------


def _error(fn: Callable[..., Any], **kw: Any) -> str:
    with pytest.raises(SchemaConversionError) as info:
        tool_from_function(fn, **kw)
    return str(info.value)


def test_var_args_and_kwargs_rejected() -> None:
    def with_args(x: int, *rest: int) -> None: ...

    def with_kwargs(x: int, **options: Any) -> None: ...

    message = _error(with_args)
    assert "with_args" in message and "'*rest'" in message
    message = _error(with_kwargs)
    assert "with_kwargs" in message and "'**options'" in message


def test_missing_annotation_rejected() -> None:
    def untyped(x: int, y) -> None: ...  # type: ignore[no-untyped-def]

    message = _error(untyped)
    assert "untyped" in message and "'y'" in message and "no type annotation" in message


@pytest.mark.parametrize(
    ("annotation", "needle"),
    [
        (socket.socket, "socket.socket"),
        (Opaque, "Opaque"),
        (Callable[[int], int], "Callable"),
        (list[Opaque], "Opaque"),
        (type, "type"),
    ],
)
def test_unsupported_annotations_rejected(annotation: Any, needle: str) -> None:
    def handler(ok: int, conn: int) -> None: ...

    handler.__annotations__["conn"] = annotation
    message = _error(handler)
    assert "handler" in message and "'conn'" in message and needle in message
    assert "'ok'" not in message


def test_plain_annotated_class_is_not_a_parameter_type() -> None:
    class Plain:
        name: str

    def f(p: int) -> None: ...

    f.__annotations__["p"] = Plain
    message = _error(f)
    assert "'p'" in message and "Plain" in message


def test_explicit_any_means_any_json_value() -> None:
    def f(payload: Any, other: object = None) -> None: ...

    tool = tool_from_function(f)
    assert tool.parameters["properties"]["payload"] == {}
    assert tool.bind({"payload": [1, {"a": None}]}, {})[1]["payload"] == [1, {"a": None}]


def test_unresolvable_string_annotation_rejected() -> None:
    def f(x: "Missing") -> None: ...  # type: ignore[name-defined]  # noqa: F821

    message = _error(f)
    assert "'x'" in message and "Missing" in message


@pytest.mark.parametrize("bad", ["", "has space", "dots.not.ok", "x" * 65, "<lambda>"])
def test_invalid_names(bad: str) -> None:
    def f(x: int) -> None: ...

    assert "must match" in _error(f, name=bad)


def test_lambda_needs_a_name() -> None:
    assert "<lambda>" in _error(lambda x: x)
    assert tool_from_function(lambda: 1, name="one").parameters["properties"] == {}


# -- dependency injection -----------------------------------------------------------------------


def test_depends_marker_hides_and_injects() -> None:
    def query(
        sql: str,
        db: Annotated[socket.socket, Depends()],
        user: Annotated[str, Depends("current_user")],
        cache: Annotated[dict[str, Any], Depends] = {},  # noqa: B006
    ) -> str:
        return f"{sql}|{db}|{user}|{cache}"

    tool = tool_from_function(query)
    assert list(tool.parameters["properties"]) == ["sql"]
    assert tool.injected == ("db", "user", "cache")
    _, kwargs = tool.bind({"sql": "select 1"}, {"db": "conn", "current_user": "ann"})
    assert kwargs == {"sql": "select 1", "db": "conn", "user": "ann", "cache": {}}


def test_dependency_by_name_hides_unannotated_and_unsupported_params() -> None:
    def lookup(key: str, db, sock: socket.socket) -> str:  # type: ignore[no-untyped-def]
        return key

    with pytest.raises(SchemaConversionError):
        tool_from_function(lookup)
    tool = tool_from_function(lookup, deps={"db": object(), "sock": None, "unrelated": 1})
    assert list(tool.parameters["properties"]) == ["key"]
    assert tool.injected == ("db", "sock")
    _, kwargs = tool.bind({"key": "k"}, {"db": 1, "sock": 2})
    assert kwargs == {"key": "k", "db": 1, "sock": 2}
    # coerce_tools passes the call's deps the same way
    assert coerce_tools([lookup], deps={"db": 1, "sock": 2})[0].injected == ("db", "sock")


def test_missing_dependency_is_a_configuration_error() -> None:
    def query(sql: str, db: Annotated[object, Depends("database")]) -> None: ...

    tool = tool_from_function(query)
    with pytest.raises(ConfigurationError) as info:
        tool.bind({"sql": "x"}, {})
    message = str(info.value)
    assert "'query'" in message and "'db'" in message and "'database'" in message


def test_missing_dependency_with_default_uses_default() -> None:
    def f(x: int, db: Annotated[object, Depends()] = "fallback") -> None: ...

    assert tool_from_function(f).bind({"x": 1}, {})[1]["db"] == "fallback"


def test_model_cannot_supply_an_injected_parameter() -> None:
    def f(x: int, db: Annotated[object, Depends()]) -> None: ...

    with pytest.raises(ToolArgumentsError) as info:
        tool_from_function(f).bind({"x": 1, "db": "evil"}, {"db": "real"})
    assert "db: Extra inputs are not permitted" in str(info.value)


# -- binding and validation ---------------------------------------------------------------------


def test_bind_coerces_like_lax_json_validation() -> None:
    def f(
        n: int,
        ok: bool,
        pair: tuple[int, str],
        tags: set[str],
        color: Color,
        prio: Priority,
        point: Point,
        address: Address,
        filters: Filters,
    ) -> None: ...

    tool = tool_from_function(f)
    _, kw = tool.bind(
        {
            "n": "3",
            "ok": "true",
            "pair": [1, "a"],
            "tags": ["a", "a", "b"],
            "color": "green",
            "prio": 2,
            "point": {"x": 1},
            "address": {"street": "Main", "city": "X"},
            "filters": {"tag": "t"},
        },
        {},
    )
    assert kw["n"] == 3 and kw["ok"] is True
    assert kw["pair"] == (1, "a")
    assert kw["tags"] == {"a", "b"}
    assert kw["color"] is Color.GREEN and kw["prio"] is Priority.HIGH
    assert kw["point"] == Point(1, 0)
    assert kw["address"] == Address(street="Main", city="X")
    assert kw["filters"] == {"tag": "t"}


def test_bind_errors_are_readable_for_the_model() -> None:
    def book(city: str, nights: int, point: Point) -> None: ...

    tool = tool_from_function(book)
    with pytest.raises(ToolArgumentsError) as info:
        tool.bind({"nights": "three", "point": {"x": "a"}, "extra": 1}, {})
    err = info.value
    assert isinstance(err, ToolExecutionError)
    assert err.tool_name == "book"
    text = str(err)
    assert text.startswith("invalid arguments for tool 'book' (4 errors)")
    assert "- city: Field required" in text
    assert "- nights: Input should be a valid integer" in text and "'three'" in text
    assert "- point.x: Input should be a valid integer" in text
    assert "- extra: Extra inputs are not permitted" in text
    assert err.errors[0] == "city: Field required"
    assert err.arguments == {"nights": "three", "point": {"x": "a"}, "extra": 1}


def test_bind_rejects_non_objects_and_accepts_none() -> None:
    def f(x: int = 1) -> None: ...

    tool = tool_from_function(f)
    with pytest.raises(ToolArgumentsError, match="expected a JSON object, got array"):
        tool.bind([1], {})  # type: ignore[arg-type]
    assert tool.bind(None, {}) == ((), {"x": 1})


def test_null_for_optional_parameter_means_default() -> None:
    def f(units: str = "c", limit: int | None = 5, point: Point | None = None) -> None: ...

    _, kw = tool_from_function(f).bind({"units": None, "limit": None, "point": None}, {})
    # `units` does not accept None: null means "use the default"; `limit` accepts None: kept
    assert kw == {"units": "c", "limit": None, "point": None}


def test_edited_arguments_with_python_objects_still_validate() -> None:
    def f(point: Point) -> None: ...

    assert tool_from_function(f).bind({"point": Point(3)}, {})[1]["point"] == Point(3)


def test_to_spec_plain_and_strict() -> None:
    def f(city: str, days: int = 3, point: Point | None = None) -> None:
        """Forecast."""

    tool = tool_from_function(f)
    spec = tool.to_spec()
    assert isinstance(spec, ToolSpec)
    assert (spec.name, spec.description, spec.strict) == ("f", "Forecast.", None)
    assert spec.parameters == tool.parameters
    strict = tool.to_spec(strict=True)
    assert strict.strict is True
    assert strict.parameters["required"] == ["city", "days", "point"]
    assert strict.parameters["properties"]["days"] == {"type": ["integer", "null"]}
    # what a strict model sends for "not given" binds to the defaults
    assert tool.bind({"city": "P", "days": None, "point": None}, {})[1]["days"] == 3


def test_generator_and_async_tools_bind_and_run() -> None:
    def gen(n: int) -> Iterator[int]:
        yield from range(n)

    async def coro(n: int) -> int:
        return n * 2

    g = tool_from_function(gen)
    args, kwargs = g.bind({"n": "3"}, {})
    assert g.fn is not None and list(g.fn(*args, **kwargs)) == [0, 1, 2]
    c = tool_from_function(coro)
    args, kwargs = c.bind({"n": 4}, {})
    assert c.fn is not None and inspect.iscoroutinefunction(c.fn)
    assert asyncio.run(c.fn(*args, **kwargs)) == 8


# -- dict schemas and coerce_tools --------------------------------------------------------------

OPENAI_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather for a city",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
        "strict": True,
    },
}


def test_tool_from_schema_openai_and_flat_forms() -> None:
    tool = tool_from_schema(OPENAI_TOOL)
    assert (tool.name, tool.kind, tool.fn, tool.strict) == ("get_weather", "schema", None, True)
    assert tool.parameters["required"] == ["city"]
    flat = tool_from_schema({"name": "ping", "description": "Ping."})
    assert flat.parameters == {"type": "object", "properties": {}}
    anthropic = tool_from_schema({"name": "a", "input_schema": {"type": "object"}})
    assert anthropic.parameters == {"type": "object"}
    spec = tool.to_spec()
    assert spec.strict is True and spec.parameters == tool.parameters


def test_tool_from_schema_copies_the_dict() -> None:
    schema = {"name": "x", "parameters": {"type": "object", "properties": {}}}
    tool = tool_from_schema(schema)
    tool.parameters["properties"]["y"] = {}
    assert schema["parameters"] == {"type": "object", "properties": {}}


@pytest.mark.parametrize(
    ("bad", "needle"),
    [
        ({"description": "no name"}, "needs a 'name'"),
        ({"name": "bad name"}, "must match"),
        ({"name": "x", "parameters": {"type": "array"}}, "type 'object'"),
        ({"type": "function", "function": {"name": "a.b"}}, "must match"),
    ],
)
def test_tool_from_schema_errors(bad: dict[str, Any], needle: str) -> None:
    with pytest.raises(SchemaConversionError, match=needle):
        tool_from_schema(bad)


def test_schema_tools_are_not_executed() -> None:
    with pytest.raises(ToolExecutionError, match="schema only"):
        tool_from_schema(OPENAI_TOOL).bind({"city": "x"}, {})


def test_coerce_tools_mixed() -> None:
    def add(a: int, b: int) -> int:
        return a + b

    def mul(a: int, b: int) -> int:
        return a * b

    existing = tool_from_function(mul, name="times")
    spec = ToolSpec(name="from_spec", parameters={"type": "object", "properties": {}})
    tools = coerce_tools([add, functools.partial(mul, 2), existing, spec, OPENAI_TOOL])
    assert [t.name for t in tools] == ["add", "mul", "times", "from_spec", "get_weather"]
    assert tools[2] is existing
    assert [t.kind for t in tools] == ["sync", "sync", "sync", "schema", "schema"]
    assert coerce_tools(None) == []
    assert [t.name for t in coerce_tools(add)] == ["add"]  # a single callable is accepted


def test_coerce_tools_duplicate_names() -> None:
    def add(a: int) -> int:
        return a

    with pytest.raises(ConfigurationError, match="two tools are named 'add'"):
        coerce_tools([add, {"name": "add"}])


def test_coerce_tools_rejects_non_tools() -> None:
    with pytest.raises(SchemaConversionError, match="cannot use 42 as a tool"):
        coerce_tools([42])
