"""Validate request bodies against the openai package's own TypedDicts, strictly.

pydantic alone ignores unknown keys in TypedDicts and validates ``Iterable[...]`` lazily, so
this walks the openai types itself (unknown keys, missing required keys, literals, unions),
then also runs pydantic in strict mode with every lazy iterator materialized.
"""

from __future__ import annotations

import collections.abc
import types
import typing
from functools import cache
from typing import Any, Literal, NotRequired, Required, Union, get_args, get_origin

from typing_extensions import ReadOnly, is_typeddict

_WRAPPERS = {Required, NotRequired, ReadOnly, typing.Annotated}
_SEQUENCES = {list, collections.abc.Iterable, collections.abc.Sequence}
_MAPPINGS = {dict, collections.abc.Mapping}


@cache
def _hints(td: type) -> dict[str, Any]:
    return typing.get_type_hints(td, include_extras=True)


def _unwrap(tp: Any) -> Any:
    while get_origin(tp) in _WRAPPERS:
        tp = get_args(tp)[0]
    return tp


def check(value: Any, tp: Any, path: str = "$") -> None:
    """Raise AssertionError naming the JSON path where ``value`` does not fit ``tp``."""
    tp = _unwrap(tp)
    if tp is Any or tp is object:
        return
    origin = get_origin(tp)
    if origin is Union or origin is types.UnionType:
        failures = []
        for arm in get_args(tp):
            try:
                check(value, arm, path)
                return
            except AssertionError as exc:
                failures.append(str(exc))
        raise AssertionError(f"{path}: {value!r:.80} fits no arm: {failures}")
    if origin is Literal:
        assert value in get_args(tp), f"{path}: {value!r} not in {get_args(tp)}"
        return
    if tp is type(None):
        assert value is None, f"{path}: expected null"
        return
    if is_typeddict(tp):
        assert isinstance(value, dict), f"{path}: expected object for {tp.__name__}"
        hints = _hints(tp)
        unknown = set(value) - set(hints)
        assert not unknown, f"{path}: keys unknown to {tp.__name__}: {sorted(unknown)}"
        required = {k for k, h in hints.items() if get_origin(h) is Required}
        missing = required - set(value)
        assert not missing, f"{path}: {tp.__name__} misses {sorted(missing)}"
        for key, item in value.items():
            check(item, hints[key], f"{path}.{key}")
        return
    if tp in (str, bool):
        assert isinstance(value, tp), f"{path}: expected {tp.__name__}, got {value!r:.80}"
        return
    if tp in (int, float):
        assert isinstance(value, int | float) and not isinstance(value, bool), f"{path}: number"
        if tp is int:
            assert isinstance(value, int), f"{path}: expected int"
        return
    if origin in _MAPPINGS:
        assert isinstance(value, dict), f"{path}: expected object"
        value_type = get_args(tp)[1] if get_args(tp) else Any
        for key, item in value.items():
            check(item, value_type, f"{path}.{key}")
        return
    if origin in _SEQUENCES or getattr(origin, "__name__", "") == "SequenceNotStr":
        assert isinstance(value, list), f"{path}: expected array, got {value!r:.80}"
        item_type = get_args(tp)[0] if get_args(tp) else Any
        for i, item in enumerate(value):
            check(item, item_type, f"{path}[{i}]")
        return
    raise AssertionError(f"{path}: no rule for type {tp!r}")


def _materialize(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _materialize(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_materialize(v) for v in value]
    if isinstance(value, collections.abc.Iterator):
        return [_materialize(v) for v in value]
    return value


@cache
def _adapter(streaming: bool) -> Any:
    from openai.types.responses import response_create_params as p
    from pydantic import TypeAdapter

    return TypeAdapter(
        p.ResponseCreateParamsStreaming if streaming else p.ResponseCreateParamsNonStreaming
    )


def validate_request_body(body: dict[str, Any]) -> None:
    """Assert that ``body`` is a valid openai ``ResponseCreateParams*`` body."""
    from openai.types.responses import response_create_params as p

    streaming = body.get("stream") is True
    check(
        body, p.ResponseCreateParamsStreaming if streaming else p.ResponseCreateParamsNonStreaming
    )
    _materialize(_adapter(streaming).validate_python(body, strict=True))
