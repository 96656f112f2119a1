"""Tool introspection: plain Python callables (and dict schemas) become tool definitions.

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

import copy
import functools
import inspect
import json
import re
import typing
import warnings
import weakref
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal, get_origin

from .._errors import ConfigurationError, SchemaConversionError, ToolExecutionError
from ._docstrings import parse_docstring
from ._jsonschema import drop_optional_nulls, json_type, strip_keyword
from ._output import format_validation_errors
from ._strict import make_strict
from ._types import TypeRewriter

__all__ = [
    "Depends",
    "ToolArgumentsError",
    "ToolDef",
    "ToolKind",
    "coerce_tools",
    "tool_from_function",
    "tool_from_schema",
]

ToolKind = Literal["sync", "async", "gen", "async_gen", "schema"]

_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
_EMPTY = inspect.Parameter.empty
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


class ToolArgumentsError(ToolExecutionError):
    """The model's arguments for a tool do not validate against its signature.

    ``str(error)`` is written for the model: the tool loop sends it back as the tool result so
    the model can correct itself. ``errors`` holds one line per problem.
    """

    def __init__(
        self,
        message: str,
        *,
        tool_name: str,
        errors: list[str] | None = None,
        arguments: Any = None,
    ) -> None:
        super().__init__(message)
        self.tool_name = tool_name
        self.errors = list(errors or [])
        self.arguments = arguments


@dataclass(slots=True, frozen=True)
class _Param:
    name: str
    kind: Any  # inspect._ParameterKind
    default: Any
    field: str | None  # field of the arguments model; None for injected parameters
    inject_key: str | None


@dataclass(slots=True)
class ToolDef:
    """One tool as the core sees it: the schema sent to the model, and how to call it.

    ``fn`` is None and ``kind`` is ``"schema"`` for tools given as dict schemas: their calls are
    reported to the caller, not executed. Treat instances as read-only (they are cached per
    function).
    """

    name: str
    description: str
    parameters: dict[str, Any]
    fn: Callable[..., Any] | None
    kind: ToolKind
    injected: tuple[str, ...] = ()
    strict: bool | None = None
    _params: tuple[_Param, ...] = field(default=(), repr=False, compare=False)
    _args_model: Any = field(default=None, repr=False, compare=False)

    def bind(
        self, arguments: Mapping[str, Any] | None, deps: Mapping[str, Any] | None = None
    ) -> tuple[tuple[Any, ...], dict[str, Any]]:
        """Validate the model's arguments, add injected dependencies; ``fn(*args, **kwargs)``.

        Arguments are validated by pydantic in lax mode, as for JSON input (``"3"`` is accepted
        for an int, a list for a tuple or set, a dict for a model or dataclass, a value for an
        Enum). ``null`` for an optional parameter that does not accept ``None`` means "use the
        default" (strict tool schemas send that). Raises ``ToolArgumentsError`` (message meant
        for the model) or ``ConfigurationError`` for a missing dependency.
        """
        if self.fn is None or self._args_model is None:
            raise ToolExecutionError(
                f"tool {self.name!r} was given as a schema only; its calls are returned to the "
                "caller, not executed"
            )
        if arguments is None:
            arguments = {}
        if not isinstance(arguments, Mapping):
            raise ToolArgumentsError(
                f"invalid arguments for tool {self.name!r}: expected a JSON object, got "
                f"{json_type(arguments)}",
                tool_name=self.name,
                errors=[f"(root): expected an object, got {json_type(arguments)}"],
                arguments=arguments,
            )
        deps = {} if deps is None else deps
        data = drop_optional_nulls(dict(arguments), self.parameters, self.parameters)
        validated = self._validate(data, arguments)
        args: list[Any] = []
        kwargs: dict[str, Any] = {}
        for p in self._params:
            if p.inject_key is not None:
                if p.inject_key in deps:
                    value = deps[p.inject_key]
                elif p.default is not _EMPTY:
                    value = p.default
                else:
                    raise ConfigurationError(
                        f"tool {self.name!r} needs the dependency {p.inject_key!r} for its "
                        f"parameter {p.name!r}, but deps has no such key; pass "
                        f"deps={{{p.inject_key!r}: ...}} with the call"
                    )
            else:
                value = getattr(validated, p.field or "")
            if p.kind is inspect.Parameter.POSITIONAL_ONLY:
                args.append(value)
            else:
                kwargs[p.name] = value
        return tuple(args), kwargs

    def _validate(self, data: dict[str, Any], original: Any) -> Any:
        from pydantic import ValidationError

        try:
            try:
                payload = json.dumps(data)
            except (TypeError, ValueError):  # edited arguments may hold Python objects
                return self._args_model.model_validate(data)
            return self._args_model.model_validate_json(payload)
        except ValidationError as exc:
            errors = format_validation_errors(exc)
            listing = "\n".join(f"- {e}" for e in errors)
            raise ToolArgumentsError(
                f"invalid arguments for tool {self.name!r} ({len(errors)} error"
                f"{'s' if len(errors) != 1 else ''}):\n{listing}",
                tool_name=self.name,
                errors=errors,
                arguments=original,
            ) from None

    def to_spec(self, *, strict: bool | None = None) -> Any:
        """The ``ToolSpec`` sent to providers.

        ``strict=True`` sends the parameters normalized for OpenAI strict mode (``bind`` accepts
        the ``null``\\s that produces); None keeps the tool's own setting and schema.
        """
        from .._request import ToolSpec

        parameters = self.parameters
        if strict:
            parameters = make_strict(parameters)
        return ToolSpec(
            name=self.name,
            description=self.description,
            parameters=parameters,
            strict=self.strict if strict is None else strict,
        )


# -- functions ----------------------------------------------------------------------------------


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


def _unwrap_partial(fn: Any) -> tuple[Any, int, frozenset[str]]:
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


def _check_name(tool_name: str, label: str) -> None:
    if not isinstance(tool_name, str) or not _NAME.match(tool_name):
        raise SchemaConversionError(
            f"tool name {tool_name!r} (from {label}) must match ^[a-zA-Z0-9_-]{{1,64}}$; "
            "pass name=... to give it another"
        )


def _label(inner: Any) -> str:
    return str(getattr(inner, "__qualname__", None) or type(inner).__qualname__)


def _build(
    fn: Any, *, name: str | None, description: str | None, dep_names: frozenset[str]
) -> ToolDef:
    from pydantic import ConfigDict, Field, create_model

    inner, bound_positional, bound_keywords = _unwrap_partial(fn)
    label = _label(inner)
    tool_name = name if name is not None else getattr(inner, "__name__", None)
    if tool_name is None:
        tool_name = type(inner).__name__
    _check_name(tool_name, f"function {label!r}")
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

    params: list[_Param] = []
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
            params.append(_Param(p.name, p.kind, p.default, None, p.name))
            continue
        if p.annotation is _EMPTY:
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
            params.append(_Param(p.name, p.kind, p.default, None, marker.key or p.name))
            continue
        try:
            annotation = rewriter.rewrite(annotation)
        except SchemaConversionError as exc:
            raise SchemaConversionError(f"{where} {p.name!r}: {exc.message}") from None
        field_name = f"p{len(fields)}"
        info = Field(alias=p.name) if p.default is _EMPTY else Field(p.default, alias=p.name)
        fields[field_name] = (annotation, info)
        annotations[field_name] = (p.name, annotation)
        params.append(_Param(p.name, p.kind, p.default, field_name, None))

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


# -- dict schemas and mixed lists ---------------------------------------------------------------


def tool_from_schema(d: Mapping[str, Any]) -> ToolDef:
    """A schema-only tool from OpenAI's ``{"type": "function", "function": {...}}`` or a flat
    ``{"name", "description", "parameters"}`` dict (``input_schema`` is read as well).

    Such tools are offered to the model and their calls reported, never executed.
    """
    if not isinstance(d, Mapping):
        raise SchemaConversionError(f"a tool schema must be a dict, got {d!r}")
    if d.get("type") == "function" and isinstance(d.get("function"), Mapping):
        spec: Mapping[str, Any] = d["function"]
    elif "name" in d:
        spec = d
    else:
        raise SchemaConversionError(
            "a tool dict needs a 'name' (flat form) or OpenAI's "
            "{'type': 'function', 'function': {'name': ...}} form; got keys "
            f"{sorted(d)}"
        )
    tool_name = spec.get("name")
    _check_name(str(tool_name) if tool_name is not None else "", "a tool schema dict")
    parameters = spec.get("parameters", spec.get("input_schema"))
    if parameters is None:
        parameters = {"type": "object", "properties": {}}
    if not isinstance(parameters, Mapping) or parameters.get("type", "object") != "object":
        raise SchemaConversionError(
            f"tool {tool_name!r}: 'parameters' must be a JSON schema of type 'object'"
        )
    strict = spec.get("strict")
    return ToolDef(
        name=str(tool_name),
        description=str(spec.get("description") or ""),
        parameters=copy.deepcopy(dict(parameters)),
        fn=None,
        kind="schema",
        strict=strict if isinstance(strict, bool) else None,
    )


def coerce_tools(
    tools: Iterable[Any] | Callable[..., Any] | Mapping[str, Any] | None,
    *,
    deps: Collection[str] = (),
) -> list[ToolDef]:
    """Turn ``tools=[...]`` into ``ToolDef``s: functions, partials, callable objects,
    ``ToolDef``s, ``ToolSpec``s and dict schemas, in any mix.

    ``deps`` (names, or the call's ``deps`` mapping) hides parameters of those names. Two tools
    with the same name raise ``ConfigurationError``: the model could not tell them apart.
    """
    from .._request import ToolSpec

    if tools is None:
        return []
    items: Iterable[Any]
    if callable(tools) or isinstance(tools, Mapping | ToolDef | ToolSpec):
        items = [tools]  # a single tool where a list was expected
    else:
        items = tools
    result: list[ToolDef] = []
    origin: dict[str, Any] = {}
    for item in items:
        if isinstance(item, ToolDef):
            tool = item
        elif isinstance(item, ToolSpec):
            _check_name(item.name, "a ToolSpec")
            tool = ToolDef(
                name=item.name,
                description=item.description,
                parameters=copy.deepcopy(item.parameters),
                fn=None,
                kind="schema",
                strict=item.strict,
            )
        elif isinstance(item, Mapping):
            tool = tool_from_schema(item)
        elif callable(item):
            tool = tool_from_function(item, deps=deps)
        else:
            raise SchemaConversionError(
                f"cannot use {item!r} as a tool: pass a function, a functools.partial, a "
                "callable object, a ToolDef, a ToolSpec or a tool schema dict"
            )
        if tool.name in origin:
            raise ConfigurationError(
                f"two tools are named {tool.name!r} ({_describe(origin[tool.name])} and "
                f"{_describe(item)}); tool names must be unique -- rename one with "
                "tool_from_function(fn, name=...)"
            )
        origin[tool.name] = item
        result.append(tool)
    return result


def _describe(item: Any) -> str:
    if isinstance(item, Mapping):
        return "a schema dict"
    inner, _, _ = _unwrap_partial(item)
    if isinstance(item, ToolDef):
        return f"ToolDef {item.name!r}"
    return _label(inner) if callable(inner) else repr(item)
