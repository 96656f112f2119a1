"""The optional fast JSON (msgspec) gives what the standard library gives, for any input.

Streams and whole bodies use msgspec when it is installed and fall back to the standard library
for whatever msgspec rejects; these tests hold both decoders to the same values, the same errors
and the same deltas for the same bytes, under any chunking.
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
from modelport_openai_chat import _json
from modelport_openai_chat._json import body_loads, stdlib_json_loads
from modelport_openai_chat._stream import ChatStreamDecoder

from ._corpus import FAST, recordings, split_at


def test_without_msgspec_the_standard_library_decodes(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "msgspec", None)  # what an uninstalled package looks like
    monkeypatch.setitem(sys.modules, "msgspec.json", None)
    assert _json._pick() == (None, stdlib_json_loads, None)
    monkeypatch.setattr(_json, "_picked", [_json._pick()])
    monkeypatch.setattr(_json, "_bodies", [1])  # past the first body: the fast path if any
    assert ChatStreamDecoder(model="m")._loads is stdlib_json_loads
    assert body_loads(b'{"a": [1, 2.5, null]}') == {"a": [1, 2.5, None]}
    with pytest.raises(ValueError):
        body_loads(b"{")


pytest.importorskip("msgspec")

_fast, _used = _json.json_decoders()
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


def _body_outcome(loads: Callable[[bytes], Any], body: bytes) -> str:
    try:
        return repr(loads(body))
    except ValueError:  # UnicodeDecodeError included: json.loads raises it for bad UTF-8
        return "error: not JSON"
    except RecursionError:
        return "error: too deep"


def test_a_first_whole_body_is_read_without_msgspec(monkeypatch: pytest.MonkeyPatch) -> None:
    """A one-call program never imports msgspec for its answer; the second body uses it."""
    monkeypatch.setattr(_json, "_bodies", [0])
    monkeypatch.setattr(_json, "_picked", [])
    assert body_loads(b'{"x": 1}') == {"x": 1}
    assert _json._picked == []  # not chosen, so not imported for this body
    assert body_loads(b'{"x": 2}') == {"x": 2}
    assert _json._picked[0][2] is not None  # msgspec chosen for the second


@FAST
@given(
    value=json_values,
    encoding=st.sampled_from(["utf-8", "utf-16", "utf-32", "utf-8-sig"]),
    pad=st.sampled_from([b"", b" ", b"\n"]),
)
@example(value=2**64, encoding="utf-8", pad=b"")
@example(value=float("nan"), encoding="utf-8", pad=b"")
@example(value="\ud800", encoding="utf-8", pad=b"")
def test_whole_bodies_decode_as_json_loads(value: Any, encoding: str, pad: bytes) -> None:
    """Every encoding ``json.loads`` detects; msgspec reads UTF-8 only, the rest falls back."""
    _json._bodies[0] = 1  # the msgspec path
    try:
        body = pad + json.dumps(value).encode(encoding) + pad
    except UnicodeEncodeError:  # a lone surrogate has no UTF-16/32 form
        return
    assert _body_outcome(body_loads, body) == _body_outcome(json.loads, body)


@pytest.mark.parametrize(
    "body",
    [b"\xff\xfe{", b'{"a": "\xc3"}', b"", b"[" * 5000 + b"]" * 5000, b'{"a": 1} x', b"1e400"],
)
def test_bad_whole_bodies_fail_as_json_loads_fails(body: bytes) -> None:
    _json._bodies[0] = 1
    assert _body_outcome(body_loads, body) == _body_outcome(json.loads, body)
