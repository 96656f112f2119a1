"""``llm_function``: the docstring is the prompt, the return annotation the output type.

Return types: ``str`` (or none, or ``Any``) is the answer's text; a pydantic model, dataclass,
TypedDict or plain annotated class is sent as ``response_format`` as it is; every other type
(``int``, ``float``, ``bool``, lists, dicts, tuples, enums, ``Literal``, unions, ...) is wrapped
in an object ``{"result": <type>}`` -- structured output needs an object at the top -- and the
answer is unwrapped. The annotation is resolved at the first call, in the namespace the function
was defined in (its module, its closure, and the local scope of the decorator's caller), so a
type defined later in the module or in a local scope works under
``from __future__ import annotations``.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import json
import string
import sys
import threading
import typing
from collections.abc import Callable
from types import FrameType
from typing import Any

from .._errors import ConfigurationError, SchemaConversionError
from .._messages import ImagePart, Message, TextPart
from ._common import call_options, resolve_llm

__all__ = ["llm_function"]

_TEXT = object()  # the plan for "return the text"
_NONE = object()  # ``-> None``: make the call, return None


def render_prompt(fn: Callable[..., Any], bound: inspect.BoundArguments) -> str:
    doc = inspect.getdoc(fn)
    if not doc:
        raise ConfigurationError(f"{fn.__qualname__} needs a docstring: it is the prompt")
    args = dict(bound.arguments)
    fields = {name for _, name, _, _ in string.Formatter().parse(doc) if name}
    missing = fields - set(args)
    if missing:
        raise ConfigurationError(
            f"the docstring of {fn.__qualname__} refers to {sorted(missing)}, which are not "
            "parameters"
        )
    if fields:
        return doc.format(**args)
    if not args:
        return doc
    rendered = json.dumps(args, ensure_ascii=False, default=str, indent=1)
    return f"{doc}\n\nInput:\n{rendered}"


def _take_images(bound: inspect.BoundArguments) -> list[tuple[str, list[ImagePart]]]:
    """Arguments that are images (an ``ImagePart``, or a non-empty list or tuple of them), as
    SimpleLLMFunc's ``ImgPath`` / ``ImgUrl`` parameters are: they cannot be text in the
    prompt, so the prompt names them (``[image: photo]``) and they follow it as image parts."""
    taken: list[tuple[str, list[ImagePart]]] = []
    for name, value in bound.arguments.items():
        if isinstance(value, ImagePart):
            images = [value]
        elif (
            isinstance(value, (list, tuple))
            and value
            and all(isinstance(v, ImagePart) for v in value)
        ):
            images = list(value)
        else:
            continue
        taken.append((name, images))
        bound.arguments[name] = f"[image: {name}]" if len(images) == 1 else f"[images: {name}]"
    return taken


def _prompt(fn: Callable[..., Any], bound: inspect.BoundArguments) -> str | list[Message]:
    """The text prompt, or one user message with the text and the image arguments."""
    images = _take_images(bound)
    text = render_prompt(fn, bound)
    if not images:
        return text
    parts: list[TextPart | ImagePart] = [TextPart(text=text)]
    for name, group in images:
        parts.append(TextPart(text=f"[image: {name}]" if len(group) == 1 else f"[images: {name}]"))
        parts.extend(group)
    return [Message.user(parts)]


def _is_object_type(tp: Any) -> bool:
    """Types ``response_format`` takes as they are (their JSON schema is an object)."""
    if not isinstance(tp, type):
        return False
    from pydantic import BaseModel

    from .._tools._schema._types import is_plain_class, is_typeddict

    if issubclass(tp, BaseModel) or is_typeddict(tp):
        return True
    if dataclasses.is_dataclass(tp):
        return True
    return is_plain_class(tp)


def _wrapper(fn: Callable[..., Any], tp: Any) -> type:
    """A plain annotated class ``{result: tp}``: the schema rewrite handles nested plain classes
    and dataclasses in ``tp`` and turns the answer back into them."""
    name = f"{getattr(fn, '__name__', 'function')}_result"
    return type(
        name,
        (),
        {
            "__annotations__": {"result": tp},
            "__module__": getattr(fn, "__module__", __name__),
            "__qualname__": name,
            "__doc__": f"The result of {getattr(fn, '__qualname__', name)}, in 'result'.",
        },
    )


class _ReturnPlan:
    """The output plan of one decorated function, computed once, at the first call."""

    __slots__ = ("_fn", "_frame", "_lock", "_plan")

    def __init__(self, fn: Callable[..., Any], frame: FrameType | None) -> None:
        self._fn = fn
        self._frame = frame  # the defining scope, held until the annotation is resolved
        self._lock = threading.Lock()
        self._plan: tuple[Any, Any] | None = None

    def get(self) -> tuple[Any, Any]:
        """``(response_format or marker, wrapper class or None)``."""
        plan = self._plan
        if plan is not None:
            return plan
        with self._lock:
            if self._plan is None:
                self._plan = self._compute()
                self._frame = None
            return self._plan

    def _annotation(self) -> Any:
        fn = self._fn
        raw = inspect.signature(fn).return_annotation
        if raw is inspect.Signature.empty:
            return _TEXT
        if not isinstance(raw, str | typing.ForwardRef):
            return raw
        localns: dict[str, Any] = {}
        if self._frame is not None and self._frame.f_locals is not self._frame.f_globals:
            localns.update(self._frame.f_locals)
        code = getattr(fn, "__code__", None)
        for var, cell in zip(
            getattr(code, "co_freevars", ()), getattr(fn, "__closure__", None) or (), strict=False
        ):
            try:
                localns[var] = cell.cell_contents
            except ValueError:
                pass

        def holder() -> None: ...

        holder.__annotations__ = {"return": raw}
        try:
            hints = typing.get_type_hints(
                holder,
                globalns=getattr(fn, "__globals__", {}),
                localns=localns,
                include_extras=True,
            )
        except Exception as exc:
            raise SchemaConversionError(
                f"cannot resolve the return annotation {raw!r} of {fn.__qualname__}: {exc}"
            ) from None
        return hints["return"]

    def _compute(self) -> tuple[Any, Any]:
        tp = self._annotation()
        if tp is _TEXT or tp is str or tp is Any:
            return _TEXT, None
        if tp is None or tp is type(None):
            return _NONE, None
        origin = typing.get_origin(tp)
        if origin is typing.Annotated:
            tp = typing.get_args(tp)[0]
        if _is_object_type(tp):
            return tp, None
        wrapper = _wrapper(self._fn, tp)
        return wrapper, wrapper


def _result(plan: tuple[Any, Any], response: Any) -> Any:
    target, wrapper = plan
    if target is _TEXT:
        return response.text
    if target is _NONE:
        return None
    value = response.structured
    return value.result if wrapper is not None else value


def llm_function(
    model: Any = None, *, llm_interface: Any = None, **call_kwargs: Any
) -> Callable[[Callable[..., Any]], Any]:
    """``@llm_function(llm_or_spec, temperature=0, tools=[...])`` (see docs/fn.md)."""
    llm = resolve_llm(model, llm_interface, "llm_function")
    base = call_options(call_kwargs, "llm_function")
    if "response_format" in base:
        raise ConfigurationError(
            "llm_function: the return annotation is the output type; do not pass response_format"
        )

    def decorate(fn: Callable[..., Any]) -> Any:
        signature = inspect.signature(fn)
        caller = sys._getframe(1)
        plan = _ReturnPlan(fn, None if caller.f_locals is caller.f_globals else caller)
        del caller

        def prepare(
            args: tuple[Any, ...], kw: dict[str, Any]
        ) -> tuple[str | list[Message], dict[str, Any]]:
            bound = signature.bind(*args, **kw)
            bound.apply_defaults()
            prompt = _prompt(fn, bound)
            target, _ = plan.get()
            kwargs = dict(base)
            if target is not _TEXT and target is not _NONE:
                kwargs["response_format"] = target
            return prompt, kwargs

        if inspect.iscoroutinefunction(fn):

            @functools.wraps(fn)
            async def acall(*args: Any, **kw: Any) -> Any:
                prompt, kwargs = prepare(args, kw)
                return _result(plan.get(), await llm.acomplete(prompt, **kwargs))

            acall.llm = llm  # type: ignore[attr-defined]
            return acall

        @functools.wraps(fn)
        def call(*args: Any, **kw: Any) -> Any:
            prompt, kwargs = prepare(args, kw)
            return _result(plan.get(), llm.complete(prompt, **kwargs))

        call.llm = llm  # type: ignore[attr-defined]
        return call

    return decorate
