"""``Slotted`` (``modelport._slotted``): the plain value classes that replaced dataclasses on
the hot path (engine actions, wire deltas) keep what their callers relied on."""

from __future__ import annotations

import copy
import pickle

import pytest
from modelport.provider import (
    FinishDelta,
    MetaDelta,
    ReasoningDelta,
    TextDelta,
    ToolCallDelta,
    UsageDelta,
    WireRequest,
)


def test_positional_and_keyword_arguments_in_field_order() -> None:
    assert ToolCallDelta(0, "c1", "f", "{}") == ToolCallDelta(
        index=0, id="c1", name="f", arguments="{}"
    )
    assert ReasoningDelta("r") == ReasoningDelta(text="r", signature=None)
    assert UsageDelta(1, 2).output_tokens == 2
    assert WireRequest("POST", "http://x").headers == {}


def test_defaults_are_not_shared_between_instances() -> None:
    a, b = WireRequest("POST", "u"), WireRequest("POST", "u")
    a.headers["x"] = "1"
    assert b.headers == {}


def test_equality_repr_and_no_hash() -> None:
    assert TextDelta("a") == TextDelta("a")
    assert TextDelta("a") != TextDelta("b")
    assert TextDelta("a") != FinishDelta("a")  # same field values, another type
    assert repr(MetaDelta(model="m")) == "MetaDelta(model='m', response_id=None, metadata=None)"
    with pytest.raises(TypeError):
        hash(TextDelta("a"))


def test_slots_only() -> None:
    delta = TextDelta("a")
    with pytest.raises(AttributeError):
        delta.other = 1  # type: ignore[attr-defined]


def test_pickle_and_copy() -> None:
    wire = WireRequest("POST", "http://x", {"a": "b"}, {"k": 1}, b"{}", "http://c")
    for other in (pickle.loads(pickle.dumps(wire)), copy.deepcopy(wire), copy.copy(wire)):
        assert other == wire


def test_wire_request_repr_still_redacts_credentials() -> None:
    wire = WireRequest("POST", "http://x", {"Authorization": "Bearer sk-secret", "A": "b"})
    assert "sk-secret" not in repr(wire)
    assert "[REDACTED]" in repr(wire)


def test_a_frozen_class_set_through_its_slot_setters_stays_frozen() -> None:
    from modelport._engine._observe import CallInfo
    from modelport._slotted import FrozenSlotted, slot_setters
    from modelport.provider import Message, Request

    class Pair(FrozenSlotted):
        _fields = ("left", "right")
        __slots__ = _fields

    set_left, set_right = slot_setters(Pair)
    pair = object.__new__(Pair)
    set_left(pair, 1)
    set_right(pair, [2])
    assert (pair.left, pair.right) == (1, [2])  # type: ignore[attr-defined]
    request = Request(model="m", messages=[Message(role="user", content="hi")])
    info = CallInfo("p", "m", request, True, ("f",))
    assert (info.provider, info.model, info.request, info.streaming, info.tools) == (
        "p",
        "m",
        request,
        True,
        ("f",),
    )
    for frozen in (pair, info):
        with pytest.raises(AttributeError, match="frozen"):
            frozen.model = "other"  # type: ignore[misc]
    assert info == CallInfo("p", "m", request, True, ("f",))
