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
