"""The request body encoder: the bytes ``JSONEncoder`` gives, and a typed error for a body JSON
cannot carry (``_engine/_call_shape.py``)."""

from __future__ import annotations

import datetime
import json
import math
from typing import Any

import modelport as mp
import pytest
from hypothesis import given
from hypothesis import strategies as st
from modelport import ConfigurationError
from modelport._engine._call_shape import encode_body

_REFERENCE = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode

_keys = st.one_of(st.text(), st.integers(), st.floats(), st.booleans(), st.none())
_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**80), max_value=2**80),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(),  # surrogates included: both encoders keep them; the utf-8 step rejects them
)
_values = st.recursive(
    _scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=5),
        st.tuples(inner, inner),
        st.dictionaries(_keys, inner, max_size=5),
    ),
    max_leaves=30,
)


@given(_values)
def test_any_json_value_encodes_to_the_bytes_json_encoder_gives(value: Any) -> None:
    assert encode_body(value) == _REFERENCE(value)


def test_floats_and_unicode_are_written_as_the_standard_library_writes_them() -> None:
    body = {"t": 0.1, "big": 1e16, "tiny": 1e-07, "neg": -0.0, "nan": math.nan, "s": "é\u2028\n"}
    assert encode_body(body) == _REFERENCE(body)
    assert (
        encode_body(body)
        == '{"t":0.1,"big":1e+16,"tiny":1e-07,"neg":-0.0,"nan":NaN,"s":"é\u2028\\n"}'
    )


def _llm() -> mp.LLM:
    # Nothing listens on port 9: a body that encodes would fail to connect instead.
    return mp.LLM("openai-chat:m", base_url="http://127.0.0.1:9/v1", api_key="sk-test", retry=0)


@pytest.mark.parametrize(
    ("extra", "says"),
    [
        ({"when": datetime.date(2026, 1, 2)}, "not JSON serializable"),
        ({"text": "\ud800"}, "surrogates not allowed"),
    ],
)
def test_a_body_json_cannot_carry_is_a_configuration_error(
    extra: dict[str, Any], says: str
) -> None:
    with _llm() as llm, pytest.raises(ConfigurationError) as info:
        llm.complete("hi", extra_body=extra)
    assert "cannot be sent as JSON" in str(info.value)
    assert says in str(info.value)
    assert info.value.provider == "openai-chat"


def test_a_body_that_contains_itself_is_a_configuration_error_not_a_crash() -> None:
    loop: dict[str, Any] = {}
    loop["self"] = loop
    with _llm() as llm, pytest.raises(ConfigurationError, match="cannot be sent as JSON"):
        llm.complete("hi", extra_body={"x": loop})


def test_without_the_c_accelerator_the_encoder_is_json_encoders_own(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from json import encoder as stdlib

    from modelport._engine import _call_shape

    monkeypatch.setattr(stdlib, "c_make_encoder", None)
    fallback = _call_shape._body_encoder()
    body = {"model": "m", "messages": [{"role": "user", "content": "é"}], "t": 0.5}
    assert fallback(body) == _REFERENCE(body) == encode_body(body)
