"""``ToolDef``: one tool as the core sees it, and ``bind``, which validates a model's call.

Binding is where the model's JSON meets the Python signature: arguments are validated by the
pydantic model built from that signature (see ``_tool_functions``), so an invalid call becomes a
``ToolArgumentsError`` worded for the model, which the tool loop sends back for it to correct.
Injected parameters are filled here too, from the caller's ``deps``; the model can never supply
one, because the argument model forbids unknown keys.
"""

from __future__ import annotations

import inspect
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from ..._errors import ConfigurationError, SchemaConversionError, ToolExecutionError
from ._jsonschema_branches import drop_optional_nulls
from ._jsonschema_values import json_type
from ._output import format_validation_errors
from ._strict import make_strict

__all__ = [
    "EMPTY",
    "ParamBinding",
    "ToolArgumentsError",
    "ToolDef",
    "ToolKind",
    "check_name",
]

ToolKind = Literal["sync", "async", "gen", "async_gen", "schema"]

_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
EMPTY = inspect.Parameter.empty


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
class ParamBinding:
    """Where ``bind`` takes one parameter's value from: the model's arguments or ``deps``."""

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
    _params: tuple[ParamBinding, ...] = field(default=(), repr=False, compare=False)
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
                elif p.default is not EMPTY:
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
        from ..._request import ToolSpec

        parameters = self.parameters
        if strict:
            parameters = make_strict(parameters)
        return ToolSpec(
            name=self.name,
            description=self.description,
            parameters=parameters,
            strict=self.strict if strict is None else strict,
        )


def check_name(tool_name: str, label: str) -> None:
    """Refuse a name providers would reject; checked where each kind of tool is made, so the
    error can say where the name came from (``label``)."""
    if not isinstance(tool_name, str) or not _NAME.match(tool_name):
        raise SchemaConversionError(
            f"tool name {tool_name!r} (from {label}) must match ^[a-zA-Z0-9_-]{{1,64}}$; "
            "pass name=... to give it another"
        )
