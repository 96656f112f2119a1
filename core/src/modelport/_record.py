"""The base of the boundary types (``Message``, ``Request``, ``Response``, ...): slotted records.

They were pydantic models. Every call builds five of them, and importing pydantic and building
their validators was a fifth of a first call's cost, for checks that a few ``isinstance`` tests
do as well. A record checks its fields once, in its ``__init__`` (the user's side: a message a
caller wrote, a response a plugin built); copies the core makes (``model_copy``) are not
checked again. The pydantic-shaped methods users and plugins relied on stay, with the same
meaning: ``model_dump``, ``model_dump_json``, ``model_copy``, ``model_validate``,
``model_validate_json``; and a record can be a field of the caller's own pydantic models
(``__get_pydantic_core_schema__``, used only by pydantic, so only once pydantic is loaded).

A bad value raises ``ValueError`` (pydantic's ``ValidationError`` was one too): the core turns
it into a ``ConfigurationError`` on the caller's side and a ``ProviderProtocolError`` naming
the plugin on the provider's.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Mapping
from typing import Any, Self

from ._slotted import FrozenSlotted, Slotted

__all__ = [
    "Frozen",
    "Record",
    "check_bool",
    "check_choice",
    "check_dict",
    "check_int",
    "check_float",
    "check_str",
    "check_str_list",
    "check_text",
    "invalid",
]


class Record(Slotted):
    """Slotted, compared and printed by its fields, dumped to plain data."""

    __slots__ = ()

    # -- pydantic-shaped methods ---------------------------------------------------------------

    def model_dump(
        self,
        *,
        mode: str = "python",
        exclude: Iterable[str] | None = None,
        exclude_none: bool = False,
    ) -> dict[str, Any]:
        """The fields as a dict, nested records as dicts; ``mode="json"``: JSON-ready values."""
        skip = frozenset(exclude or ())
        json_mode = mode == "json"
        out: dict[str, Any] = {}
        for name in self._fields:
            if name in skip:
                continue
            value = getattr(self, name)
            if value is None and exclude_none:
                continue
            out[name] = _dump(value, json_mode, exclude_none)
        return out

    def model_dump_json(self, *, exclude_none: bool = False) -> str:
        return json.dumps(
            self.model_dump(mode="json", exclude_none=exclude_none),
            ensure_ascii=False,
            separators=(",", ":"),
            default=str,
        )

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """A copy, with ``update``'s fields replaced (not checked again, as in pydantic)."""
        if deep:
            import copy

            return copy.deepcopy(self).model_copy(update=update)
        try:
            return self.replaced(**(update or {}))
        except TypeError as exc:  # an unknown field
            raise ValueError(str(exc)) from None

    @classmethod
    def model_validate(cls, obj: Any) -> Self:
        """``obj`` as this type: an instance as it is, a mapping of its fields checked."""
        if isinstance(obj, cls):
            return obj
        if not isinstance(obj, Mapping):
            raise ValueError(f"{cls.__name__} takes a mapping of its fields, not {_kind(obj)}")
        # Unknown keys are dropped, as pydantic did: an OpenAI message dict carries fields
        # (``refusal``, ``annotations``) modelport does not model, an old cache entry others.
        known = cls._accepted()
        data = {k: v for k, v in obj.items() if k in known}
        try:
            return cls(**data)
        except TypeError as exc:  # a required field is missing
            raise ValueError(f"{cls.__name__}: {exc}") from None

    @classmethod
    def model_validate_json(cls, text: str | bytes) -> Self:
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise ValueError(f"{cls.__name__}: invalid JSON: {exc}") from None
        return cls.model_validate(data)

    @classmethod
    def _accepted(cls) -> frozenset[str]:
        """The keys ``model_validate`` passes on: the fields (and aliases, where a type has)."""
        return frozenset(cls._fields)

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: Any) -> Any:
        """Lets a caller's pydantic model hold a record (validated and dumped as a dict)."""
        from pydantic_core import core_schema

        return core_schema.no_info_plain_validator_function(
            cls.model_validate,
            serialization=core_schema.plain_serializer_function_ser_schema(
                lambda value: value.model_dump(mode="json")
            ),
        )


class Frozen(Record, FrozenSlotted):
    """A record whose fields cannot change after ``__init__`` (parts, costs); hashable."""

    __slots__ = ()


def _dump(value: Any, json_mode: bool, exclude_none: bool) -> Any:
    if isinstance(value, Record):
        return value.model_dump(mode="json" if json_mode else "python", exclude_none=exclude_none)
    if isinstance(value, list | tuple):
        return [_dump(v, json_mode, exclude_none) for v in value]
    if isinstance(value, dict):
        return {k: _dump(v, json_mode, exclude_none) for k, v in value.items()}
    # A Decimal exists only once ``decimal`` was imported (by a Cost): nothing to import here.
    decimal = sys.modules.get("decimal") if json_mode else None
    if decimal is not None and isinstance(value, decimal.Decimal):
        return str(value)
    return value


# -- field checks: each returns the value to store, or raises ValueError naming the field ----


def _kind(value: Any) -> str:
    return "None" if value is None else type(value).__name__


def invalid(owner: str, field: str, expected: str, value: Any) -> ValueError:
    shown = repr(value) if isinstance(value, str | int | float | bool) else _kind(value)
    return ValueError(f"{owner}.{field} must be {expected}, not {shown[:80]}")


def check_str(owner: str, field: str, value: Any) -> str:
    if type(value) is str:  # nearly always: no copy
        return value
    if isinstance(value, str):  # a subclass: stored as a plain str
        return str(value)
    raise invalid(owner, field, "a str", value)


def check_text(owner: str, field: str, value: Any) -> str | None:
    """An optional str."""
    if value is None or type(value) is str:
        return value
    return check_str(owner, field, value)


def check_int(owner: str, field: str, value: Any) -> int:
    """An int; a float with no fraction is accepted as its int (pydantic's lax mode did too)."""
    if type(value) is int:
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    raise invalid(owner, field, "an int", value)


def check_float(owner: str, field: str, value: Any) -> float:
    if type(value) is float:
        return value
    if isinstance(value, float | int) and not isinstance(value, bool):
        return float(value)
    raise invalid(owner, field, "a number", value)


def check_bool(owner: str, field: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    raise invalid(owner, field, "True or False", value)


def check_choice(owner: str, field: str, value: Any, choices: frozenset[str]) -> str:
    if isinstance(value, str) and value in choices:
        return value
    raise invalid(owner, field, f"one of {sorted(choices)!r}", value)


def check_dict(owner: str, field: str, value: Any) -> dict[str, Any]:
    """A mapping, copied (so the caller's later edits do not reach the record)."""
    if type(value) is dict or isinstance(value, Mapping):  # a dict: no ABC check
        return dict(value)
    raise invalid(owner, field, "a dict", value)


def check_str_list(owner: str, field: str, value: Any) -> list[str]:
    if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        return [str(v) for v in value]
    raise invalid(owner, field, "a list of str", value)
