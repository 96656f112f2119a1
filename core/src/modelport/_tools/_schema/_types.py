"""Making annotations pydantic can handle out of the ones people write.

Two rewrites, both applied anywhere inside an annotation (``list[X]``, ``X | None``,
``Annotated[X, ...]``, ``dict[str, X]``, ...):

* **plain annotated classes** (the LLM SDK seed's style: ``class Person: name: str;
  age: int = 0``) become generated pydantic models with the same fields, defaults and
  docstring; nested and self-referencing plain classes are supported. Only output types use
  this -- for tool parameters an arbitrary class is an error, never a guess.
* **``typing.TypedDict`` on Python < 3.12**, which pydantic refuses there, becomes an equivalent
  ``typing_extensions.TypedDict`` (same keys, same required/optional split, same docstring).
"""

from __future__ import annotations

import dataclasses
import enum
import sys
import types
import typing
from collections.abc import Callable
from typing import Annotated, Any, ClassVar, ForwardRef, Literal, Union, get_args, get_origin

from ..._errors import SchemaConversionError

__all__ = ["TypeRewriter", "is_plain_class", "is_typeddict"]

_NEEDS_TD_REWRITE = sys.version_info < (3, 12)
_REQUIRED = {typing.Required}
_QUALIFIERS = {typing.Required, typing.NotRequired}


def is_typeddict(tp: Any) -> bool:
    """A TypedDict class from either ``typing`` or ``typing_extensions``."""
    return isinstance(tp, type) and issubclass(tp, dict) and hasattr(tp, "__required_keys__")


def _own_annotations(cls: type) -> bool:
    return any(
        "__annotations__" in vars(c) and vars(c)["__annotations__"] for c in cls.__mro__[:-1]
    )


def is_plain_class(tp: Any) -> bool:
    """A user class that only declares annotated attributes (no pydantic/dataclass/TypedDict)."""
    if not isinstance(tp, type) or tp.__module__ == "builtins":
        return False
    from pydantic import BaseModel

    if issubclass(tp, BaseModel | enum.Enum | tuple | dict) or dataclasses.is_dataclass(tp):
        return False
    if hasattr(tp, "__get_pydantic_core_schema__") or getattr(tp, "_is_protocol", False):
        return False
    return _own_annotations(tp)


class TypeRewriter:
    """Rewrites annotations; one instance per conversion (it caches the classes it generated).

    ``plain_classes`` turns the plain-class rewrite on. ``back`` maps each generated model to the
    plain class it stands for, so validated values can be turned back into the user's classes.
    """

    def __init__(self, *, plain_classes: bool) -> None:
        self.plain_classes = plain_classes
        self.back: dict[type, type] = {}
        self._models: dict[type, Any] = {}
        self._in_progress: dict[type, str] = {}
        self._namespace: dict[str, Any] = {}
        self._pending: list[Any] = []
        self._typeddicts: dict[type, Any] = {}
        self._td_stack: set[type] = set()

    def rewrite(self, tp: Any) -> Any:
        """The annotation, with every plain class / old TypedDict inside it replaced."""
        result = self._rewrite(tp)
        for model in self._pending:
            model.model_rebuild(_types_namespace=self._namespace)
        self._pending.clear()
        return result

    def _rewrite(self, tp: Any) -> Any:
        if self.plain_classes and is_plain_class(tp):
            return self._model_for(tp)
        if _NEEDS_TD_REWRITE and is_typeddict(tp) and type(tp).__module__ == "typing":
            return self._typeddict_for(tp)
        origin = get_origin(tp)
        if origin is None:
            return tp
        args = get_args(tp)
        if origin is Annotated:
            inner = self._rewrite(args[0])
            return tp if inner is args[0] else Annotated[(inner, *tp.__metadata__)]
        if origin is Literal or origin is ClassVar:
            return tp
        new_args = tuple(self._rewrite(a) if not isinstance(a, list) else a for a in args)
        if all(n is o for n, o in zip(new_args, args, strict=True)):
            return tp
        if origin is Union or origin is types.UnionType:
            return Union[new_args]  # noqa: UP007 - a tuple of types cannot use the | operator
        if isinstance(tp, types.GenericAlias):
            return types.GenericAlias(origin, new_args)
        copy_with: Callable[[tuple[Any, ...]], Any] | None = getattr(tp, "copy_with", None)
        return copy_with(new_args) if copy_with is not None else tp

    # -- plain classes ----------------------------------------------------------------------

    def _model_for(self, cls: type) -> Any:
        if cls in self._models:
            return self._models[cls]
        if cls in self._in_progress:
            return ForwardRef(self._in_progress[cls])
        from pydantic import ConfigDict, create_model

        name = cls.__name__
        while name in self._namespace or name in self._in_progress.values():
            name += "_"
        self._in_progress[cls] = name
        try:
            hints = typing.get_type_hints(cls, localns={cls.__name__: cls}, include_extras=True)
        except Exception as exc:
            raise SchemaConversionError(
                f"cannot read the annotations of class {cls.__qualname__}: {exc}"
            ) from None
        fields: dict[str, Any] = {}
        for field_name, hint in hints.items():
            if field_name.startswith("_") or get_origin(hint) is ClassVar or hint is ClassVar:
                continue
            rewritten = self._rewrite(hint)
            default = getattr(cls, field_name, ...)
            if callable(default) and not isinstance(default, type | enum.Enum):
                default = ...  # a method or function of the same name is not a default value
            fields[field_name] = (rewritten, default)
        try:
            model = create_model(
                name,
                __config__=ConfigDict(protected_namespaces=()),
                __doc__=cls.__doc__,
                __module__=cls.__module__,
                **fields,
            )
        except Exception as exc:
            raise SchemaConversionError(
                f"cannot build a schema for class {cls.__qualname__}: {_first_line(exc)}"
            ) from None
        del self._in_progress[cls]
        self._models[cls] = model
        self._namespace[name] = model
        self.back[model] = cls
        self._pending.append(model)
        return model

    # -- TypedDict compatibility ------------------------------------------------------------

    def _typeddict_for(self, td: Any) -> Any:
        if td in self._typeddicts:
            return self._typeddicts[td]
        if td in self._td_stack:
            raise SchemaConversionError(
                f"recursive typing.TypedDict {td.__qualname__} needs Python >= 3.12; "
                "use typing_extensions.TypedDict instead"
            )
        import typing_extensions as te

        self._td_stack.add(td)
        try:
            hints = typing.get_type_hints(td, include_extras=True)
            fields: dict[str, Any] = {}
            for key, hint in hints.items():
                # With string annotations (PEP 563) Python 3.11 cannot see Required/NotRequired
                # when it builds __required_keys__; the evaluated hint is the better witness.
                required = key in td.__required_keys__
                while get_origin(hint) in _QUALIFIERS:
                    required = get_origin(hint) in _REQUIRED
                    hint = get_args(hint)[0]
                wrapper = te.Required if required else te.NotRequired
                fields[key] = wrapper[self._rewrite(hint)]
        except SchemaConversionError:
            raise
        except Exception as exc:
            raise SchemaConversionError(
                f"cannot read the annotations of TypedDict {td.__qualname__}: {exc}"
            ) from None
        finally:
            self._td_stack.discard(td)
        new: Any = te.TypedDict(td.__name__, fields)  # type: ignore[misc]
        new.__doc__ = td.__doc__
        new.__module__ = td.__module__
        self._typeddicts[td] = new
        return new

    # -- back to the user's classes ---------------------------------------------------------

    def to_user(self, value: Any) -> Any:
        """Replace generated-model instances by instances of the plain classes they stand for.

        The plain class is instantiated without calling its ``__init__`` (it usually has none
        that takes the fields) and every field is set as an instance attribute.
        """
        if not self.back:
            return value
        cls = self.back.get(type(value))
        if cls is not None:
            obj: Any = object.__new__(cls)
            for field_name in type(value).model_fields:
                setattr(obj, field_name, self.to_user(getattr(value, field_name)))
            return obj
        if isinstance(value, list):
            return [self.to_user(v) for v in value]
        if isinstance(value, tuple):
            return tuple(self.to_user(v) for v in value)
        if isinstance(value, set | frozenset):
            return type(value)(self.to_user(v) for v in value)
        if isinstance(value, dict):
            return {k: self.to_user(v) for k, v in value.items()}
        return value


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
