"""llm_function's return types: primitives, containers, enums, Literals, dataclasses, models;
non-object types travel wrapped in {"result": ...}; annotations resolve at the first call.

This module uses ``from __future__ import annotations`` on purpose: every annotation below is
a string until the decorator resolves it."""

from __future__ import annotations

import asyncio
import dataclasses
import enum
import json
from collections.abc import Iterator
from typing import Any, Literal

import modelport as mp
import pytest
from modelport.fn import llm_function
from modelport.testing import Reply, ScriptedServer
from pydantic import BaseModel


def completion(content: str, tool_calls: list[dict[str, Any]] | None = None) -> Reply:
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if tool_calls:
        message["tool_calls"] = tool_calls
    return Reply.json(
        {
            "id": "c",
            "object": "chat.completion",
            "model": "m",
            "choices": [
                {
                    "index": 0,
                    "finish_reason": "tool_calls" if tool_calls else "stop",
                    "message": message,
                }
            ],
            "usage": {"prompt_tokens": 3, "completion_tokens": 2},
        }
    )


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    with ScriptedServer() as s:
        yield s


@pytest.fixture
def llm(server: ScriptedServer) -> Iterator[mp.LLM]:
    with mp.LLM("openai-chat:m", base_url=server.base_url, api_key="k", cache="never") as m:
        yield m


def schema_sent(server: ScriptedServer, index: int = -1) -> dict[str, Any]:
    fmt = server.requests[index].json()["response_format"]
    assert fmt["type"] == "json_schema"
    schema: dict[str, Any] = fmt["json_schema"]["schema"]
    return schema


class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


@dataclasses.dataclass
class Point:
    x: int
    y: int


class City(BaseModel):
    name: str
    country: str


class Pair:
    """A plain annotated class."""

    left: int
    right: int


def test_primitives_are_wrapped_and_unwrapped(server: ScriptedServer, llm: mp.LLM) -> None:
    @llm_function(llm)
    def count(text: str) -> int:
        """Count the words in {text}."""

    @llm_function(llm)
    def ratio(a: int, b: int) -> float:
        """{a} divided by {b}."""

    @llm_function(llm)
    def is_even(n: int) -> bool:
        """Is {n} even?"""

    server.add(completion('{"result": 3}'), completion('{"result": 0.5}'))
    server.add(completion('{"result": true}'))
    assert count("a b c") == 3
    schema = schema_sent(server)
    assert schema["properties"] == {"result": {"type": "integer"}}
    assert schema["required"] == ["result"]
    name = server.requests[-1].json()["response_format"]["json_schema"]["name"]
    assert name == "count_result"
    assert ratio(1, 2) == 0.5
    assert schema_sent(server)["properties"]["result"] == {"type": "number"}
    assert is_even(4) is True
    assert schema_sent(server)["properties"]["result"] == {"type": "boolean"}


def test_containers_enums_and_literals(server: ScriptedServer, llm: mp.LLM) -> None:
    @llm_function(llm)
    def words(text: str) -> list[str]:
        """Split {text}."""

    @llm_function(llm)
    def counts(text: str) -> dict[str, int]:
        """Count letters of {text}."""

    @llm_function(llm)
    def pair(text: str) -> tuple[int, str]:
        """A number and a word from {text}."""

    @llm_function(llm)
    def color(thing: str) -> Color:
        """The color of {thing}."""

    @llm_function(llm)
    def mood(text: str) -> Literal["happy", "sad"]:
        """The mood of {text}."""

    @llm_function(llm)
    def maybe(text: str) -> int | None:
        """A number in {text}, if any."""

    server.add(
        completion('{"result": ["a", "b"]}'),
        completion('{"result": {"a": 2}}'),
        completion('{"result": [7, "seven"]}'),
        completion('{"result": "blue"}'),
        completion('{"result": "sad"}'),
        completion('{"result": null}'),
    )
    assert words("a b") == ["a", "b"]
    assert schema_sent(server)["properties"]["result"]["type"] == "array"
    assert counts("aa") == {"a": 2}
    assert pair("7") == (7, "seven")
    assert color("sky") is Color.BLUE
    assert mood("meh") == "sad"
    assert schema_sent(server)["properties"]["result"]["enum"] == ["happy", "sad"]
    assert maybe("none") is None


def test_object_types_are_sent_as_they_are(server: ScriptedServer, llm: mp.LLM) -> None:
    @llm_function(llm)
    def capital(country: str) -> City:
        """The capital of {country}."""

    @llm_function(llm)
    def origin() -> Point:
        """The origin."""

    @llm_function(llm)
    def pairs() -> list[Pair]:
        """Two pairs."""

    server.add(
        completion('{"name": "Paris", "country": "France"}'),
        completion('{"x": 0, "y": 0}'),
        completion('{"result": [{"left": 1, "right": 2}]}'),
    )
    assert capital("France") == City(name="Paris", country="France")
    assert "result" not in schema_sent(server)["properties"]
    assert origin() == Point(0, 0)
    got = pairs()
    assert isinstance(got[0], Pair) and (got[0].left, got[0].right) == (1, 2)


def test_a_local_return_type_under_future_annotations(server: ScriptedServer, llm: mp.LLM) -> None:
    class Local(BaseModel):
        value: int

    @llm_function(llm)
    def before() -> Local:
        """Give a value."""

    @llm_function(llm)
    def forward() -> list[Later]:
        """Give values."""

    class Later(BaseModel):  # defined after the function that returns it
        value: int

    server.add(completion('{"value": 1}'), completion('{"result": [{"value": 2}]}'))
    assert before() == Local(value=1)
    assert forward() == [Later(value=2)]


def test_a_module_level_forward_reference(server: ScriptedServer, llm: mp.LLM) -> None:
    server.add(completion('{"label": "x"}'))
    assert decorated_before_its_type(llm)() == DefinedLater(label="x")


def decorated_before_its_type(llm: mp.LLM) -> Any:
    @llm_function(llm)
    def labelled() -> DefinedLater:
        """A label."""

    return labelled


class DefinedLater(BaseModel):
    label: str


def test_an_unresolvable_annotation_fails_at_the_call_not_at_decoration(llm: mp.LLM) -> None:
    @llm_function(llm)
    def broken() -> NoSuchType:  # type: ignore[name-defined]  # noqa: F821
        """Never sent."""

    with pytest.raises(mp.SchemaConversionError, match="NoSuchType"):
        broken()


def test_text_none_and_async(server: ScriptedServer, llm: mp.LLM) -> None:
    @llm_function(llm)
    def untyped(x):  # type: ignore[no-untyped-def]
        """Echo {x}."""

    @llm_function(llm)
    def nothing(x: int) -> None:
        """Do {x}."""

    @llm_function(llm)
    async def anumber(x: int) -> int:
        """Double {x}."""

    server.add(completion("echo"), completion("done"), completion('{"result": 4}'))
    assert untyped(1) == "echo"
    assert "response_format" not in server.requests[-1].json()
    assert nothing(1) is None
    assert asyncio.run(anumber(2)) == 4


def test_seed_spellings_llm_interface_toolkit_and_no_limit(
    server: ScriptedServer, llm: mp.LLM
) -> None:
    def add(a: int, b: int) -> int:
        """Add two numbers."""
        return a + b

    @llm_function(llm_interface=llm, toolkit=[add], max_tool_calls=None)
    def total(numbers: list[int]) -> int:
        """Sum {numbers} with the add tool."""

    call = {"id": "t1", "type": "function", "function": {"name": "add", "arguments": "{}"}}
    call["function"]["arguments"] = json.dumps({"a": 1, "b": 2})
    server.add(completion("", [call]), completion('{"result": 3}'))
    assert total([1, 2]) == 3
    second = server.requests[1].json()
    assert second["tools"][0]["function"]["name"] == "add"
    assert [m["role"] for m in second["messages"]][-2:] == ["assistant", "tool"]
    assert second["messages"][-1]["content"] == "3"


def test_decorator_misuse_is_a_configuration_error(llm: mp.LLM) -> None:
    with pytest.raises(mp.ConfigurationError, match="return annotation"):
        llm_function(llm, response_format=City)
    with pytest.raises(mp.ConfigurationError, match="not both"):
        llm_function(llm, tools=[], toolkit=[])
    with pytest.raises(mp.ConfigurationError, match="needs an LLM"):
        llm_function()
