"""Validate request bodies against the openai package's own TypedDicts, strictly.

pydantic alone is not enough here: it ignores unknown keys in TypedDicts and validates
``Iterable[...]`` fields lazily, so a misspelled key or a bad message would pass. This walks the
openai types itself (unknown keys, missing required keys, literals, nested unions) and then
also runs pydantic in strict mode with every lazy iterator materialized.
"""

from __future__ import annotations

import collections.abc
import types
import typing
from functools import cache
from typing import Any, Literal, NotRequired, Required, Union, get_args, get_origin

from typing_extensions import ReadOnly, is_typeddict

_WRAPPERS = {Required, NotRequired, ReadOnly, typing.Annotated}
_SEQUENCE_ORIGINS = {
    list,
    collections.abc.Iterable,
    collections.abc.Sequence,
    typing.Iterable,
    typing.Sequence,
    list,
}
_MAPPING_ORIGINS = {dict, collections.abc.Mapping, dict, typing.Mapping}


@cache
def _hints(td: type) -> dict[str, Any]:
    return typing.get_type_hints(td, include_extras=True)


def _unwrap(tp: Any) -> Any:
    while get_origin(tp) in _WRAPPERS:
        tp = get_args(tp)[0]
    return tp


def check(value: Any, tp: Any, path: str = "$") -> None:
    """Raise AssertionError with a JSON path when ``value`` does not fit ``tp``."""
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
        raise AssertionError(f"{path}: {value!r:.80} fits no arm of {tp}: {failures}")
    if origin is Literal:
        assert value in get_args(tp), f"{path}: {value!r} not in {get_args(tp)}"
        return
    if tp is type(None):
        assert value is None, f"{path}: expected null, got {value!r:.80}"
        return
    if is_typeddict(tp):
        assert isinstance(value, dict), f"{path}: expected object for {tp.__name__}"
        hints = _hints(tp)
        unknown = set(value) - set(hints)
        assert not unknown, f"{path}: keys unknown to {tp.__name__}: {sorted(unknown)}"
        # __required_keys__ is unreliable with postponed annotations (openai's modules use
        # them), so Required[...] is read from the resolved hints instead.
        required = {k for k, h in hints.items() if get_origin(h) is Required}
        missing = required - set(value)
        assert not missing, f"{path}: {tp.__name__} misses required {sorted(missing)}"
        for key, item in value.items():
            check(item, hints[key], f"{path}.{key}")
        return
    if tp is str:
        assert isinstance(value, str), f"{path}: expected string, got {value!r:.80}"
        return
    if tp is bool:
        assert isinstance(value, bool), f"{path}: expected bool, got {value!r:.80}"
        return
    if tp is int:
        assert isinstance(value, int), f"{path}: expected int"
        assert not isinstance(value, bool), f"{path}: expected int, got bool"
        return
    if tp is float:
        assert isinstance(value, int | float), f"{path}: expected number"
        assert not isinstance(value, bool), f"{path}: expected number, got bool"
        return
    if origin in _MAPPING_ORIGINS:
        assert isinstance(value, dict), f"{path}: expected object"
        value_type = get_args(tp)[1] if get_args(tp) else Any
        for key, item in value.items():
            check(item, value_type, f"{path}.{key}")
        return
    if origin in _SEQUENCE_ORIGINS or getattr(origin, "__name__", "") == "SequenceNotStr":
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
        return [_materialize(v) for v in value]  # forces pydantic's lazy validation
    return value


@cache
def _adapters() -> tuple[Any, Any]:
    from openai.types.chat.completion_create_params import (
        CompletionCreateParamsNonStreaming,
        CompletionCreateParamsStreaming,
    )
    from pydantic import TypeAdapter

    return (
        TypeAdapter(CompletionCreateParamsNonStreaming),
        TypeAdapter(CompletionCreateParamsStreaming),
    )


def validate_request_body(body: dict[str, Any]) -> None:
    """Assert that ``body`` is a valid openai ``CompletionCreateParams*`` body."""
    from openai.types.chat.completion_create_params import (
        CompletionCreateParamsNonStreaming,
        CompletionCreateParamsStreaming,
    )

    streaming = body.get("stream") is True
    td = CompletionCreateParamsStreaming if streaming else CompletionCreateParamsNonStreaming
    check(body, td)
    adapter = _adapters()[1 if streaming else 0]
    _materialize(adapter.validate_python(body, strict=True))
