"""The boundary records (``modelport._record``): checked once when built, compared by value,
dumped and restored without loss, and usable inside a caller's own pydantic model."""

from __future__ import annotations

import copy
import json
import pickle
from decimal import Decimal
from typing import Any

import modelport as mp
import pytest
from hypothesis import given
from hypothesis import strategies as st

PNG_B64 = (
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGBgAAAABQABpfZFQAAAAABJRU5"
    "ErkJggg=="
)


def full_response() -> mp.Response:
    call = mp.ToolCall(id="c1", name="f", arguments='{"a": 1}', provider_metadata={"sig": "s"})
    return mp.Response(
        text="hi",
        reasoning="because",
        tool_calls=[call],
        tool_results=[mp.ToolResult(tool_call_id="c1", name="f", content={"x": 1})],
        usage=mp.Usage(input_tokens=3, output_tokens=2, cached_tokens=1),
        stop_reason="tool_calls",
        raw_stop_reason="tool_use",
        model="m",
        provider="p",
        latency_s=0.5,
        messages=[
            mp.Message(role="assistant", content="hi", tool_calls=[call]),
            mp.Message(
                role="tool",
                tool_call_id="c1",
                content=[mp.TextPart(text="done"), mp.ImagePart(data=PNG_B64)],
            ),
        ],
        provider_metadata={"k": [1, 2]},
        raw={"body": True},
    )


def test_json_round_trip_keeps_every_field() -> None:
    response = full_response()
    restored = mp.Response.model_validate_json(response.model_dump_json())
    assert restored == response
    assert isinstance(restored.messages[1].content[1], mp.ImagePart)  # type: ignore[index]
    assert restored.tool_calls[0].provider_metadata == {"sig": "s"}


def test_pickle_and_deepcopy_round_trip() -> None:
    response = full_response()
    for other in (pickle.loads(pickle.dumps(response)), copy.deepcopy(response)):
        assert other == response
        assert other is not response
    part = mp.TextPart(text="a")
    assert pickle.loads(pickle.dumps(part)) == part


def test_equality_is_by_type_and_value() -> None:
    assert mp.Usage(input_tokens=1) == mp.Usage(input_tokens=1)
    assert mp.Usage(input_tokens=1) != mp.Usage(input_tokens=2)
    assert mp.Message(role="user", content="x") != {"role": "user", "content": "x"}


def test_frozen_records_refuse_edits_and_hash() -> None:
    part = mp.TextPart(text="a")
    with pytest.raises(AttributeError, match="frozen"):
        part.text = "b"
    assert len({part, mp.TextPart(text="a"), mp.TextPart(text="b")}) == 2
    cost = mp.Cost(total="0.5")
    assert cost.total == Decimal("0.5")
    with pytest.raises(TypeError):
        hash(mp.Usage())  # editable records are not hashable


def test_repr_hides_raw_and_cuts_long_image_data() -> None:
    response = full_response()
    assert "raw=" not in repr(response)
    assert "body" not in repr(response)
    big = mp.ImagePart(data=PNG_B64)
    assert "chars>" in repr(big)


def test_model_copy_replaces_fields_and_rejects_unknown_ones() -> None:
    request = mp.Request(model="m", messages=[mp.Message(role="user", content="x")])
    changed = request.model_copy(update={"stream": True})
    assert changed.stream is True and request.stream is False
    assert changed.messages is request.messages  # shallow, as pydantic's
    with pytest.raises(ValueError, match="no field"):
        request.model_copy(update={"bogus": 1})


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: mp.Message(role="robot", content="x"), "Message.role"),  # type: ignore[arg-type]
        (lambda: mp.Message(role="user", content=3), "Message.content"),  # type: ignore[arg-type]
        (lambda: mp.Usage(input_tokens="3"), "Usage.input_tokens"),  # type: ignore[arg-type]
        (lambda: mp.Usage(output_tokens=1.5), "Usage.output_tokens"),  # type: ignore[arg-type]
        (lambda: mp.Response(text=None), "Response.text"),  # type: ignore[arg-type]
        (lambda: mp.Response(stop_reason="done"), "Response.stop_reason"),  # type: ignore[arg-type]
        (lambda: mp.ToolCall(id="1", name=2), "ToolCall.name"),  # type: ignore[arg-type]
        (lambda: mp.Request(model="m", messages="hi"), "Request.messages"),  # type: ignore[arg-type]
        (lambda: mp.Request(model="m", messages=[], temperature="hot"), "Request.temperature"),  # type: ignore[arg-type]
        (lambda: mp.Cost(total=object()), "Cost.total"),  # type: ignore[arg-type]
    ],
)
def test_a_bad_value_names_its_field(build: Any, field: str) -> None:
    with pytest.raises(ValueError, match=field.replace(".", r"\.")):
        build()


def test_lax_numbers_as_pydantic_accepted_them() -> None:
    assert mp.Usage(input_tokens=3.0).input_tokens == 3  # type: ignore[arg-type]
    assert mp.Request(model="m", messages=[], temperature=1).temperature == 1.0
    assert type(mp.Request(model="m", messages=[], temperature=1).temperature) is float


def test_the_fast_paths_store_what_the_checks_would() -> None:
    """Exact types skip the check functions; anything else still goes through them."""

    class Name(str):
        pass

    request = mp.Request(model=Name("m"), messages=[], top_p=0.5)
    assert type(request.model) is str and request.model == "m"  # a subclass: a plain str
    assert request.top_p == 0.5
    with pytest.raises(ValueError, match=r"Usage\.input_tokens"):
        mp.Usage(input_tokens=True)  # a bool is not a count
    with pytest.raises(ValueError, match=r"Request\.stream"):
        mp.Request(model="m", messages=[], stream=1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"Usage\.output_tokens"):
        mp.Usage(output_tokens="2")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"Request\.temperature"):
        mp.Request(model="m", messages=[], temperature=True)


def test_model_validate_takes_dicts_drops_unknown_keys_and_nests() -> None:
    message = mp.Message.model_validate(
        {
            "role": "assistant",
            "content": [{"type": "text", "text": "a"}],
            "tool_calls": [{"id": "c", "name": "f", "arguments": "{}"}],
            "refusal": None,  # an OpenAI field modelport does not model
        }
    )
    assert message.content == [mp.TextPart(text="a")]
    assert message.tool_calls == [mp.ToolCall(id="c", name="f", arguments="{}")]
    with pytest.raises(ValueError, match="ToolCall"):
        mp.ToolCall.model_validate({"id": "c"})  # a required field missing
    with pytest.raises(ValueError, match="mapping"):
        mp.Usage.model_validate([1, 2])
    fmt = mp.ResponseFormat.model_validate({"name": "n", "schema": {"type": "object"}})
    assert fmt.json_schema == {"type": "object"}


def test_model_dump_options() -> None:
    message = mp.Message(role="user", content="x")
    assert message.model_dump(exclude_none=True) == {
        "role": "user",
        "content": "x",
        "tool_calls": [],
        "provider_metadata": {},
    }
    assert "content" not in message.model_dump(exclude={"content"})
    cost = mp.Cost(total=Decimal("0.25"))
    assert cost.model_dump()["total"] == Decimal("0.25")
    assert cost.model_dump(mode="json")["total"] == "0.25"
    assert json.loads(cost.model_dump_json())["total"] == "0.25"


def test_a_callers_pydantic_model_can_hold_records() -> None:
    from pydantic import BaseModel

    class Saved(BaseModel):
        history: list[mp.Message]
        usage: mp.Usage | None = None

    saved = Saved.model_validate(
        {"history": [{"role": "user", "content": "hi"}], "usage": {"input_tokens": 2}}
    )
    assert saved.history == [mp.Message(role="user", content="hi")]
    assert saved.usage == mp.Usage(input_tokens=2)
    dumped = json.loads(saved.model_dump_json())
    assert dumped["history"][0]["role"] == "user"
    assert Saved.model_validate(dumped) == saved


tokens = st.integers(min_value=0, max_value=2**63)
texts = st.text(max_size=30)


@given(
    usage=st.builds(
        mp.Usage,
        input_tokens=tokens,
        output_tokens=tokens,
        reasoning_tokens=tokens,
        cached_tokens=tokens,
        cache_write_tokens=tokens,
    ),
    text=texts,
    reasoning=st.none() | texts,
    args=texts,
    meta=st.dictionaries(texts, st.none() | st.integers() | texts, max_size=3),
)
def test_any_response_survives_json(
    usage: mp.Usage, text: str, reasoning: str | None, args: str, meta: dict[str, Any]
) -> None:
    call = mp.ToolCall(id="i", name="n", arguments=args, provider_metadata=meta)
    response = mp.Response(
        text=text,
        reasoning=reasoning,
        usage=usage,
        tool_calls=[call],
        messages=[mp.Message(role="assistant", content=text or None, tool_calls=[call])],
        provider_metadata=meta,
    )
    assert mp.Response.model_validate_json(response.model_dump_json()) == response
