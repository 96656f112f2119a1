"""``Slotted``: the base of plain value classes that are built often or imported on every call.

A ``@dataclass`` writes its ``__init__``, ``__repr__`` and ``__eq__`` as source and compiles them
when the class is created: about 0.4 ms a class, and the engine's actions, the wire deltas and
the boundary records are some forty classes loaded by every first call. A ``Slotted`` class
writes its own ``__init__`` (as fast to call as a dataclass's) and shares one ``__eq__``,
``__repr__`` and pickling, driven by ``_fields``: all its slots unless it names fewer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, Self, TypeVar

__all__ = ["FrozenSlotted", "Slotted", "all_slots", "slot_setters"]

S = TypeVar("S", bound="Slotted")


class Slotted:
    """Compared by type and fields, printed as ``Name(field=value, ...)``, picklable."""

    __slots__ = ()
    _fields: ClassVar[tuple[str, ...]] = ()
    _hidden: ClassVar[frozenset[str]] = frozenset()  # left out of repr (raw bodies)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "_fields" not in cls.__dict__:
            cls._fields = all_slots(cls)

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return all(getattr(self, f) == getattr(other, f) for f in self._fields)

    __hash__: ClassVar[Callable[[object], int] | None] = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        shown = ", ".join(
            f"{f}={self._repr_value(f)!r}" for f in self._fields if f not in self._hidden
        )
        return f"{type(self).__name__}({shown})"

    def _repr_value(self, name: str) -> Any:
        return getattr(self, name)

    def replaced(self, **changes: Any) -> Self:
        """A shallow copy with ``changes`` (``dataclasses.replace`` for a ``Slotted``)."""
        cls = type(self)
        new = object.__new__(cls)
        for name in all_slots(cls):
            object.__setattr__(new, name, getattr(self, name))
        for name, value in changes.items():
            if name not in cls._fields:
                raise TypeError(f"{cls.__name__} has no field {name!r}")
            object.__setattr__(new, name, value)
        return new

    def __reduce__(self) -> tuple[Any, ...]:
        return (_restore, (type(self), tuple(getattr(self, s) for s in all_slots(type(self)))))


def _restore(cls: type[S], values: tuple[Any, ...]) -> S:
    new = object.__new__(cls)
    for name, value in zip(all_slots(cls), values, strict=True):
        object.__setattr__(new, name, value)
    return new


_SLOTS: dict[type, tuple[str, ...]] = {}


def all_slots(cls: type) -> tuple[str, ...]:
    """Every slot of a class, its base classes' included (fields and private state)."""
    found = _SLOTS.get(cls)
    if found is None:
        names: list[str] = []
        for klass in reversed(cls.__mro__):
            names.extend(s for s in klass.__dict__.get("__slots__", ()) if s not in names)
        found = _SLOTS[cls] = tuple(names)
    return found


def slot_setters(cls: type[Slotted]) -> tuple[Callable[[Any, Any], None], ...]:
    """The ``__set__`` of each of ``cls``'s fields' slot descriptors, in field order: what a
    frozen class's ``__init__`` calls to set its fields without ``object.__setattr__``."""
    return tuple(cls.__dict__[name].__set__ for name in cls._fields)


class FrozenSlotted(Slotted):
    """A ``Slotted`` whose fields cannot change after ``__init__`` (which sets them with
    ``object.__setattr__``); hashable by its fields."""

    __slots__ = ()

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is frozen: {name!r} cannot be set")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is frozen: {name!r} cannot be deleted")

    def __hash__(self) -> int:
        return hash((type(self), *(_hashable(getattr(self, f)) for f in self._fields)))


def _hashable(value: Any) -> Any:
    if isinstance(value, dict):
        return tuple(sorted((k, _hashable(v)) for k, v in value.items()))
    if isinstance(value, list):
        return tuple(_hashable(v) for v in value)
    return value
