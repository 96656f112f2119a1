"""Tool introspection: a plain Python callable becomes a ``ToolDef``.

A function's signature is the contract with the model, so it is turned into a JSON schema by
pydantic -- the same library that later validates the arguments the model sends -- and nothing
is guessed: a parameter without annotation, ``*args``/``**kwargs`` and a type pydantic cannot
describe raise ``SchemaConversionError`` naming the function and the parameter (the seeds turned
such parameters silently into ``"string"``).

Dependency injection. Some parameters are not for the model: a database handle, an HTTP client,
the current user. They are hidden from the schema and filled at call time from the ``deps``
mapping the caller passes. The rule is:

1. a parameter annotated ``Annotated[T, Depends()]`` is always injected, from ``deps[name]``
   (``Depends("key")`` reads ``deps["key"]`` instead); ``T`` may be any type;
2. a parameter whose *name* is a key of ``deps`` is injected too, whatever its annotation (or
   lack of one), so ``def lookup(sql: str, db: Connection)`` works with ``deps={"db": conn}``.

An injected parameter missing from ``deps`` at call time uses its default if it has one, else
``bind`` raises ``ConfigurationError`` naming the tool, the parameter and the key. The model can
never supply an injected parameter: the argument model forbids unknown keys.
"""

from __future__ import annotations

import functools
import inspect
import typing
import warnings
import weakref
from collections.abc import Callable, Collection, Mapping
from typing import Annotated, Any, get_origin

from ..._errors import SchemaConversionError
from ._docstrings import parse_docstring
from ._jsonschema_walk import strip_keyword
from ._tool_decorator import tool_meta
from ._tooldef import EMPTY, ParamBinding, ToolDef, ToolKind, check_name
from ._types import TypeRewriter

__all__ = ["Depends", "label_of", "tool_from_function", "unwrap_partial"]

_PER_FUNCTION_CACHE = 16
_CACHE: weakref.WeakKeyDictionary[Any, dict[tuple[Any, ...], ToolDef]] = weakref.WeakKeyDictionary()


class Depends:
    """Marks a tool parameter as injected from ``deps`` instead of supplied by the model.

    Use it inside ``Annotated``: ``db: Annotated[Connection, Depends()]`` reads ``deps["db"]``;
    ``Depends("database")`` reads ``deps["database"]``. The bare class works too
    (``Annotated[Connection, Depends]``).
    """

    __slots__ = ("key",)

    def __init__(self, key: str | None = None) -> None:
        self.key = key

    def __repr__(self) -> str:
        return f"Depends({self.key!r})" if self.key else "Depends()"


def tool_from_function(
    fn: Callable[..., Any],
    *,
    name: str | None = None,
    description: str | None = None,
    deps: Collection[str] = (),
) -> ToolDef:
    """Introspect a callable (function, method, ``functools.partial``, callable object).

    ``deps`` are the names of the dependencies the caller provides (the keys of the call's
    ``deps`` mapping; a mapping may be passed as is): parameters with those names are hidden
    from the schema. Results are cached per callable.
    """
    if not callable(fn):
        raise SchemaConversionError(f"cannot use {fn!r} as a tool: it is not callable")
    dep_names = frozenset(deps)
    key = (name, description, dep_names)
    try:
        cached = _CACHE.get(fn)
    except TypeError:  # unhashable or not weak-referenceable: no caching
        cached = None
    if cached is not None and key in cached:
        return cached[key]
    tool = _build(fn, name=name, description=description, dep_names=dep_names)
    try:
        per_fn = _CACHE.setdefault(fn, {})
        if len(per_fn) >= _PER_FUNCTION_CACHE:  # deps key sets that vary per call: stay bounded
            per_fn.clear()
        per_fn[key] = tool
    except TypeError:
        pass
    return tool


def unwrap_partial(fn: Any) -> tuple[Any, int, frozenset[str]]:
    """(wrapped callable, number of bound positional args, names bound by keyword)."""
    bound_positional = 0
    bound_keywords: set[str] = set()
    while isinstance(fn, functools.partial):
        bound_positional += len(fn.args)
        bound_keywords |= set(fn.keywords)
        fn = fn.func
    return fn, bound_positional, frozenset(bound_keywords)


def _is_plain_function(fn: Any) -> bool:
    return inspect.isfunction(fn) or inspect.ismethod(fn) or inspect.isbuiltin(fn)


def _kind(inner: Any) -> ToolKind:
    target = inner
    if not _is_plain_function(inner) and not isinstance(inner, type):
        target = getattr(type(inner), "__call__", inner)  # noqa: B004 - the class's __call__
    if inspect.isasyncgenfunction(target):
        return "async_gen"
    if inspect.iscoroutinefunction(target):
        return "async"
    if inspect.isgeneratorfunction(target):
        return "gen"
    return "sync"


def _namespaces(inner: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """Globals and closure variables used to evaluate string annotations."""
    target = inner
    if not _is_plain_function(inner) and not isinstance(inner, type):
        target = getattr(type(inner), "__call__", inner)  # noqa: B004
    target = getattr(target, "__func__", target)
    target = inspect.unwrap(target) if callable(target) else target
    globalns = dict(getattr(target, "__globals__", {}) or {})
    localns: dict[str, Any] = {}
    code = getattr(target, "__code__", None)
    closure = getattr(target, "__closure__", None)
    if code is not None and closure:
        for var, cell in zip(code.co_freevars, closure, strict=False):
            try:
                localns[var] = cell.cell_contents
            except ValueError:  # empty cell
                pass
    return globalns, localns


def _evaluate(annotation: Any, globalns: dict[str, Any], localns: dict[str, Any]) -> Any:
    if not isinstance(annotation, str | typing.ForwardRef):
        return annotation

    def holder() -> None: ...

    holder.__annotations__ = {"x": annotation}
    return typing.get_type_hints(holder, globalns=globalns, localns=localns, include_extras=True)[
        "x"
    ]


def _depends_marker(annotation: Any) -> Depends | None:
    if get_origin(annotation) is not Annotated:
        return None
    for meta in annotation.__metadata__:
        if meta is Depends:
            return Depends()
        if isinstance(meta, Depends):
            return meta
    return None


def label_of(inner: Any) -> str:
    return str(getattr(inner, "__qualname__", None) or type(inner).__qualname__)


def _build(
    fn: Any, *, name: str | None, description: str | None, dep_names: frozenset[str]
) -> ToolDef:
    from pydantic import ConfigDict, Field, create_model

    inner, bound_positional, bound_keywords = unwrap_partial(fn)
    label = label_of(inner)
    meta = tool_meta(fn) or tool_meta(inner)  # @tool(name=, description=)
    if meta is not None:
        name = meta.name if name is None else name
        description = meta.description if description is None else description
    tool_name = name if name is not None else getattr(inner, "__name__", None)
    if tool_name is None:
        tool_name = type(inner).__name__
    check_name(tool_name, f"function {label!r}")
    try:
        signature = inspect.signature(inner)
    except (TypeError, ValueError) as exc:
        raise SchemaConversionError(f"cannot read the signature of {label!r}: {exc}") from None

    doc_text = inspect.getdoc(inner)
    if not doc_text and not _is_plain_function(inner):
        doc_text = inspect.getdoc(getattr(type(inner), "__call__", None))  # noqa: B004
    doc = parse_docstring(doc_text)
    globalns, localns = _namespaces(inner)
    rewriter = TypeRewriter(plain_classes=False)

    params: list[ParamBinding] = []
    fields: dict[str, Any] = {}
    annotations: dict[str, tuple[str, Any]] = {}
    skip_positional = bound_positional
    positional_kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    for p in signature.parameters.values():
        if skip_positional and p.kind in positional_kinds:
            skip_positional -= 1
            continue
        if p.name in bound_keywords and p.kind is not inspect.Parameter.VAR_KEYWORD:
            continue
        where = f"tool function {label!r}: parameter"
        if p.kind is inspect.Parameter.VAR_POSITIONAL:
            raise SchemaConversionError(
                f"{where} '*{p.name}' (*args) cannot be described to a model; declare explicit "
                "parameters instead"
            )
        if p.kind is inspect.Parameter.VAR_KEYWORD:
            raise SchemaConversionError(
                f"{where} '**{p.name}' (**kwargs) cannot be described to a model; declare "
                "explicit parameters instead"
            )
        if p.name in dep_names:
            params.append(ParamBinding(p.name, p.kind, p.default, None, p.name))
            continue
        if p.annotation is EMPTY:
            raise SchemaConversionError(
                f"{where} {p.name!r} has no type annotation; annotate it (e.g. {p.name}: str), or "
                "hide it from the model with Annotated[T, Depends()] or a deps= entry"
            )
        try:
            annotation = _evaluate(p.annotation, globalns, localns)
        except Exception as exc:
            raise SchemaConversionError(
                f"{where} {p.name!r}: cannot evaluate its annotation {p.annotation!r}: {exc}"
            ) from None
        marker = _depends_marker(annotation)
        if marker is not None:
            params.append(ParamBinding(p.name, p.kind, p.default, None, marker.key or p.name))
            continue
        try:
            annotation = rewriter.rewrite(annotation)
        except SchemaConversionError as exc:
            raise SchemaConversionError(f"{where} {p.name!r}: {exc.message}") from None
        field_name = f"p{len(fields)}"
        info = Field(alias=p.name) if p.default is EMPTY else Field(p.default, alias=p.name)
        fields[field_name] = (annotation, info)
        annotations[field_name] = (p.name, annotation)
        params.append(ParamBinding(p.name, p.kind, p.default, field_name, None))

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # defaults that are not JSON-serializable
            model = create_model(
                f"{tool_name}_arguments",
                __config__=ConfigDict(extra="forbid", protected_namespaces=()),
                **fields,
            )
            raw_schema = model.model_json_schema()
    except Exception as exc:
        raise _culprit(label, annotations, exc) from None

    parameters = _tidy(strip_keyword(raw_schema, "title"), doc.params)
    return ToolDef(
        name=tool_name,
        description=description if description is not None else doc.description,
        parameters=parameters,
        fn=fn,
        kind=_kind(inner),
        injected=tuple(p.name for p in params if p.inject_key is not None),
        _params=tuple(params),
        _args_model=model,
    )


def _culprit(label: str, annotations: dict[str, tuple[str, Any]], exc: Exception) -> Exception:
    """Find which parameter's type broke schema generation, to name it in the error."""
    from pydantic import TypeAdapter

    for param_name, annotation in annotations.values():
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                TypeAdapter(annotation).json_schema()
        except Exception as inner_exc:
            return SchemaConversionError(
                f"tool function {label!r}: parameter {param_name!r} has a type that cannot be "
                f"described as JSON schema ({_type_repr(annotation)}): {_first_line(inner_exc)}. "
                "Use a JSON-describable type, or hide the parameter from the model with "
                "Annotated[T, Depends()] / deps="
            )
    return SchemaConversionError(
        f"tool function {label!r}: cannot build the parameter schema: {_first_line(exc)}"
    )


def _type_repr(annotation: Any) -> str:
    if isinstance(annotation, type):
        return f"{annotation.__module__}.{annotation.__qualname__}"
    return repr(annotation)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _tidy(schema: dict[str, Any], docs: Mapping[str, str]) -> dict[str, Any]:
    """Conventional key order, and docstring descriptions where the type gave none."""
    props = {k: dict(v) for k, v in (schema.get("properties") or {}).items()}
    for param_name, text in docs.items():
        if param_name in props and text and "description" not in props[param_name]:
            props[param_name]["description"] = text
    out: dict[str, Any] = {"type": "object", "properties": props}
    if schema.get("required"):
        out["required"] = list(schema["required"])
    out["additionalProperties"] = schema.get("additionalProperties", False)
    if schema.get("$defs"):
        out["$defs"] = schema["$defs"]
    return out
