"""Turning a call's arguments into a ``Request`` and its per-call options, checked.

This is where a request is shaped on the user's side: the ``LLM``'s defaults merged under the
call's own arguments (one precedence rule), messages coerced, tools introspected, structured
output planned, every option value checked before anything is sent.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from ._deprecations import warn_once
from ._engine._call import CallOptions
from ._errors import ConfigurationError, StructuredOutputError
from ._http._timeouts import coerce_timeouts
from ._messages import Message, coerce_messages
from ._options import check_call_options, check_request_params
from ._request import Request
from ._response import Response
from ._slotted import Slotted
from ._tools._structured import Structured, parse_structured, resolve_response_format

if TYPE_CHECKING:
    from ._client import LLM
    from ._tools._loop import LoopSettings

__all__ = [
    "CALL_FIELDS",
    "DEFAULTABLE",
    "REQUEST_FIELDS",
    "Arguments",
    "Prepared",
    "Prompt",
    "prepare",
    "sort_arguments",
]

# Request fields a caller may set per call or as LLM-wide defaults: all of them but what
# ``prepare`` builds itself (the model, the messages, tools, the schema, streaming).
REQUEST_FIELDS = frozenset(Request._fields) - {
    "model",
    "messages",
    "tools",
    "response_format",
    "stream",
}
LOOP_FIELDS = frozenset({"tool_exec", "max_tool_calls", "deps", "interceptor", "approve"})
CALL_FIELDS = frozenset(
    {
        "use_cache",
        "cache",
        "clear_cache",
        "cache_ttl_s",
        "hide_thinking",
        "verbose",
        "timeout",
        "on_progress",
        "structured_strategy",
        "structured_retries",
        "abort",
        "limits",
    }
)

# Everything a call accepts can be an LLM-wide default too.
DEFAULTABLE = (
    REQUEST_FIELDS
    | LOOP_FIELDS
    | (CALL_FIELDS - {"use_cache", "limits"})
    | {"system", "tools", "response_format"}
)

Prompt = str | Message | Mapping[str, Any] | Iterable[Message | Mapping[str, Any]]


class Prepared(Slotted):
    """One call, ready for its program: the request, its options, how structured output
    travels, the tool loop's settings (function tools only) and the structured retries."""

    __slots__ = ("loop", "opts", "request", "retries", "structured")

    def __init__(
        self,
        request: Request,
        opts: CallOptions,
        structured: Structured | None,
        loop: LoopSettings | None,
        retries: int = 0,
    ) -> None:
        self.request = request
        self.opts = opts
        self.structured = structured
        self.loop = loop
        self.retries = retries


class Arguments(Slotted):
    """A call's keyword arguments (or an ``LLM``'s defaults) sorted by where they go. Never
    changed once made: an ``LLM``'s are shared by all its calls."""

    __slots__ = ("call", "loop", "params", "shape")

    def __init__(
        self,
        params: dict[str, Any],  # Request fields
        call: dict[str, Any],  # per-call options (CALL_FIELDS)
        loop: dict[str, Any],  # the tool loop's settings (LOOP_FIELDS)
        shape: dict[str, Any],  # system, tools, response_format: what ``prepare`` builds from
    ) -> None:
        self.params = params
        self.call = call
        self.loop = loop
        self.shape = shape

    def under(self, call: Arguments) -> Arguments:
        """These defaults under a call's own arguments (the call's win)."""
        return Arguments(
            {**self.params, **call.params},
            {**self.call, **call.call},
            {**self.loop, **call.loop},
            {**self.shape, **call.shape},
        )


_SHAPE_FIELDS = frozenset({"system", "tools", "response_format"})


def sort_arguments(kw: Mapping[str, Any]) -> Arguments:
    """Sorted and checked: an unknown name or a bad value is a ``ConfigurationError`` naming
    it. An ``LLM`` sorts its defaults once; a call sorts only what it passes."""
    params: dict[str, Any] = {}
    call: dict[str, Any] = {}
    loop: dict[str, Any] = {}
    shape: dict[str, Any] = {}
    for name, value in kw.items():
        if name in REQUEST_FIELDS:
            params[name] = value
        elif name in CALL_FIELDS:
            call[name] = value
        elif name in LOOP_FIELDS:
            loop[name] = value
        elif name in _SHAPE_FIELDS:
            shape[name] = value
    if len(params) + len(call) + len(loop) + len(shape) != len(kw):
        unknown = set(kw) - params.keys() - call.keys() - loop.keys() - shape.keys()
        raise ConfigurationError(
            f"unknown argument(s) {sorted(unknown)}; pass provider-specific parameters in "
            "extra_body={...}"
        )
    check_request_params(params)
    check_call_options(call)
    check_call_options(loop)
    stop = params.get("stop")
    if isinstance(stop, str):
        params["stop"] = [stop]
    elif isinstance(stop, tuple):
        params["stop"] = list(stop)
    return Arguments(params, call, loop, shape)


def prepare(llm: LLM, prompt: Prompt, kw: dict[str, Any], *, stream: bool) -> Prepared:
    # One precedence rule: a call's own argument, else the LLM's default, else modelport's.
    args = llm._arguments.under(sort_arguments(kw)) if kw else llm._arguments
    params = args.params
    call_kw = args.call
    loop_kw = args.loop
    shape = args.shape
    system = shape.get("system") if shape else None
    tools = shape.get("tools") if shape else None
    response_format = shape.get("response_format") if shape else None
    structured = None
    if response_format is not None:
        from ._tools._two_pass import plan  # the profile is read only for structured calls

        strategy, two_pass = plan(llm._profile, call_kw.get("structured_strategy"), params)
        structured = resolve_response_format(response_format, strategy, two_pass=two_pass)
    tool_defs = _coerce_tools(tools, loop_kw.get("deps") or {}) if tools else []
    messages = coerce_messages(prompt, system=system)
    fields = params  # the Request's fields (params is read, never changed: it may be shared)
    if tool_defs:
        fields = {**fields, "tools": [t.to_spec() for t in tool_defs]}
    if structured is not None:
        extra = structured.system_prompt()
        if extra:
            messages.insert(0, Message(role="system", content=extra))
        shaped = structured.request_fields()
        if "tools" in shaped and tool_defs:
            raise ConfigurationError(
                "this provider returns structured output through a forced tool call, which "
                "cannot be combined with tools=; make a separate call"
            )
        fields = {**fields, **shaped}
    try:
        request = Request(model=llm.model, messages=messages, stream=stream, **fields)
    except ValueError as exc:  # a record field check: a value no check above knew
        raise ConfigurationError(f"invalid request: {exc}") from None
    opts = _call_options(llm, call_kw)
    if structured is not None:
        opts.accept_cached = _structured_check(structured)
    opts.key_parts = llm._thinking.key_part(request)
    loop = _loop_settings(tool_defs, loop_kw, stream) if (tool_defs or loop_kw) else None
    retries = call_kw.get("structured_retries", 0) if call_kw else 0
    if not isinstance(retries, int) or not 0 <= retries <= 5:
        raise ConfigurationError("structured_retries must be an int from 0 to 5")
    return Prepared(request, opts, structured, loop, retries)


def _call_options(llm: LLM, call_kw: Mapping[str, Any]) -> CallOptions:
    """This call's options: the LLM's, with the call's own on top."""
    base = llm._base_opts
    if not call_kw:  # the common case: nothing to look up
        # Positional (cache, clear_cache, cache_ttl_s, hide_thinking, verbose): a class called
        # with keywords costs more (design notes, sixth pass), and this runs on every call.
        return CallOptions(base.cache, False, None, base.hide_thinking, base.verbose)
    cache = call_kw.get("cache", base.cache)
    if "use_cache" in call_kw:
        warn_once("use_cache=", "cache='never' to turn caching off")
        if not call_kw["use_cache"]:
            cache = "never"
    if cache not in ("auto", "always", "never"):
        raise ConfigurationError(f"cache must be 'auto', 'always' or 'never', not {cache!r}")
    return CallOptions(
        cache=cache,
        clear_cache=call_kw.get("clear_cache", False),
        cache_ttl_s=call_kw.get("cache_ttl_s"),
        hide_thinking=call_kw.get("hide_thinking", base.hide_thinking),
        verbose=call_kw.get("verbose", base.verbose),
        timeouts=coerce_timeouts(call_kw["timeout"]) if "timeout" in call_kw else None,
        on_progress=call_kw.get("on_progress"),
        abort=call_kw.get("abort"),
        limiter=llm._limiter(call_kw.get("limits")),
    )


def _loop_settings(
    tool_defs: list[Any], loop_kw: Mapping[str, Any], stream: bool
) -> LoopSettings | None:
    """The tool loop's settings when function tools run; ``None`` for schema-only tools."""
    if any(t.fn is not None for t in tool_defs):
        from ._tools._loop import LoopSettings

        max_calls = loop_kw.get("max_tool_calls", 10)
        if not isinstance(max_calls, int) or max_calls < 0:
            raise ConfigurationError("max_tool_calls must be an int >= 0")
        return LoopSettings(
            tools=tool_defs,
            tool_exec=loop_kw.get("tool_exec", True),
            max_tool_calls=max_calls,
            deps=loop_kw.get("deps") or {},
            interceptor=loop_kw.get("interceptor"),
            approve=loop_kw.get("approve"),
            streaming=stream,
        )
    if loop_kw.get("deps") or loop_kw.get("approve") or loop_kw.get("interceptor"):
        raise ConfigurationError("deps, approve and interceptor need function tools")
    return None


def _structured_check(structured: Structured) -> Callable[[Response], bool]:
    """A cache hit counts only if its text still validates against the current schema."""

    def check(response: Response) -> bool:
        try:
            parse_structured(response, structured)
        except StructuredOutputError:
            return False
        return True

    return check


def _coerce_tools(tools: Any, deps: Mapping[str, Any]) -> list[Any]:
    if not tools:
        return []
    from ._tools._schema import coerce_tools

    return coerce_tools(tools, deps=list(deps))
