"""The optional fast JSON (msgspec) gives what the standard library gives, for any input.

The stream decoder uses msgspec when it is installed and falls back to the standard library for
whatever msgspec rejects; these tests hold both decoders to the same values, the same errors and
the same deltas for the same bytes, under any chunking.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from modelport.provider import ProviderProtocolError, WireDelta
from modelport_openai_chat._stream import ChatStreamDecoder, stdlib_json_loads

from ._corpus import FAST, recordings, split_at

pytest.importorskip("msgspec")

from modelport_openai_chat._stream import json_decoders

_fast, _used = json_decoders()
assert _fast is not None
FASTEST = _fast


def test_the_decoder_uses_msgspec_when_it_is_installed() -> None:
    assert _used is FASTEST


def _outcome(loads: Callable[[str], Any], text: str) -> str:
    """The value's repr (tells 1 from 1.0 and keeps nan comparable), or the failure's kind."""
    try:
        return repr(loads(text))
    except ValueError:
        return "error: not JSON"
    except RecursionError:
        return "error: too deep"


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()  # unbounded: beyond 64 bits too
    | st.floats()  # nan and the infinities included
    | st.text(),  # lone surrogates included
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


@FAST
@given(value=json_values, ascii_only=st.booleans(), pad=st.sampled_from(["", " ", "\n", " \t"]))
@example(value=2**64, ascii_only=True, pad="")
@example(value=-(2**70), ascii_only=True, pad="")
@example(value=float("nan"), ascii_only=True, pad="")
@example(value=1e308, ascii_only=True, pad="")
@example(value="\ud800", ascii_only=True, pad="")
def test_same_value_for_any_json_text(value: Any, ascii_only: bool, pad: str) -> None:
    text = pad + json.dumps(value, ensure_ascii=ascii_only) + pad
    assert _outcome(FASTEST, text) == _outcome(stdlib_json_loads, text)


@pytest.mark.parametrize(
    "text",
    [
        '{"a": 1, "b": 2, "a": 3}',  # duplicate keys: the last wins, in the first one's place
        "1e400",
        "-1e400",
        "[" * 5000 + "]" * 5000,  # deeper than either decoder goes
        '{"a": 1} x',
        "",
        "   ",
        "\ufeff{}",
        '"\\ud83d\\ude00"',
        '"\\udc00\\ud800"',
        "[1,]",
        "Infinity",
        "-0",
        "0.1e-400",
    ],
)
def test_same_outcome_for_edge_cases(text: str) -> None:
    assert _outcome(FASTEST, text) == _outcome(stdlib_json_loads, text)


def _deltas(loads: Callable[[str], Any], chunks: list[bytes]) -> list[WireDelta] | str:
    decoder = ChatStreamDecoder(model="test-model", loads=loads)
    out: list[WireDelta] = []
    try:
        for chunk in chunks:
            out.extend(decoder.feed(chunk))
        out.extend(decoder.close())
    except ProviderProtocolError as exc:
        return f"{type(exc).__name__}: {exc} after {out!r}"
    return out


SSE_FILES = recordings(".sse")


@pytest.mark.parametrize("path", SSE_FILES, ids=[p.name for p in SSE_FILES])
@FAST
@given(data=st.data())
def test_recordings_give_the_same_deltas_under_any_chunking(path: Any, data: st.DataObject) -> None:
    body = path.read_bytes()
    cuts = data.draw(st.lists(st.integers(0, len(body)), max_size=40), label="cuts")
    chunks = split_at(body, cuts)
    assert _deltas(FASTEST, chunks) == _deltas(stdlib_json_loads, chunks)


def _event(content: Any, usage: Any, args: Any) -> bytes:
    delta: dict[str, Any] = {"content": content}
    if args is not None:
        delta["tool_calls"] = [
            {"index": 0, "id": "c1", "function": {"name": "f", "arguments": args}}
        ]
    obj = {"id": "x", "model": "m", "choices": [{"index": 0, "delta": delta}], "usage": usage}
    return b"data: " + json.dumps(obj).encode() + b"\n\n"


@FAST
@given(
    events=st.lists(st.tuples(json_values, json_values, json_values), min_size=1, max_size=4),
    data=st.data(),
)
def test_generated_streams_give_the_same_deltas_under_any_chunking(
    events: list[tuple[Any, Any, Any]], data: st.DataObject
) -> None:
    """Odd values where the decoder reads text, usage and tool arguments: big integers,
    non-finite floats, lone surrogate escapes, nested objects."""
    body = b"".join(_event(*e) for e in events) + b'data: {"choices": [{"index": 0, '
    body += b'"delta": {}, "finish_reason": "stop"}]}\n\ndata: [DONE]\n\n'
    cuts = data.draw(st.lists(st.integers(0, len(body)), max_size=20), label="cuts")
    chunks = split_at(body, cuts)
    got = _deltas(FASTEST, chunks)
    assert got == _deltas(stdlib_json_loads, chunks)
    assert got == _deltas(stdlib_json_loads, [body])


def test_nan_in_a_chunk_is_decoded_by_the_fallback() -> None:
    """msgspec rejects NaN; the standard library decodes it, so a NaN in the text is answer
    text as usual, and a NaN token count is the same typed error on both paths."""
    body = _event("hi", {"completion_tokens": 1}, None) + b"data: [DONE]\n\n"
    nan_text = body.replace(b'"completion_tokens": 1', b'"completion_tokens": 1, "x": NaN')
    got = _deltas(FASTEST, [nan_text])
    assert not isinstance(got, str)
    assert got == _deltas(stdlib_json_loads, [body])
    nan_count = _event("hi", {"prompt_tokens": math.nan}, None) + b"data: [DONE]\n\n"
    failed = _deltas(FASTEST, [nan_count])
    assert isinstance(failed, str)
    assert failed.startswith("ProviderProtocolError: unexpected shape of stream chunk")
    assert failed == _deltas(stdlib_json_loads, [nan_count])
