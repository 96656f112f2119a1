"""The ``observe_call`` seam: a plugin watches one call from start to end, each HTTP attempt
and each tool execution, with objects it returns (a tracing plugin keeps its spans in them).

Progress events are flat and fire-and-forget; a trace needs to know which attempt and which
tool belongs to which call, and when each ends. So the hook returns an observer per call, and
the engine reports to it at a few points: an attempt starts (``attempt``), its headers arrive
(``AttemptObserver.status``), it ends (``AttemptObserver.end``); a tool runs (``tool``); the
call ends (``CallObserver.end``), with its ``Response``, its error, or ``GeneratorExit`` when
the caller closed a stream early. ``Watch`` fans these out and guards them: an observer that
raises is reported once as a warning and never fails the call.

Nothing here runs when no plugin implements ``observe_call`` (``Engine.program`` checks the
cached ``has_impls`` once per call). Observers are asked when a call's program is made (for a
stream, on its first step), and a call that every observer declines runs with no wrapper.
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Callable, Generator
from contextlib import AbstractContextManager, ExitStack
from typing import TYPE_CHECKING, Any, Literal, Protocol, TypeVar

from .._logs import plugins_log
from .._slotted import FrozenSlotted, slot_setters

if TYPE_CHECKING:
    from .._host._plugins import PluginHost
    from .._messages import ToolCall
    from .._request import Request
    from .._response import Response, ToolResult

__all__ = [
    "AttemptInfo",
    "AttemptObserver",
    "CallInfo",
    "CallObserver",
    "ToolObserver",
    "Watch",
    "start_watch",
    "watched",
]

_T = TypeVar("_T")


class CallInfo(FrozenSlotted):
    """One call as it starts: the provider, the model, the request (before shaping, so no
    credentials), whether it streams and the names of the tools it may run."""

    _fields = ("provider", "model", "request", "streaming", "tools")
    __slots__ = _fields
    provider: str
    model: str
    request: Request
    streaming: bool
    tools: tuple[str, ...]

    def __init__(
        self,
        provider: str,
        model: str,
        request: Request,
        streaming: bool,
        tools: tuple[str, ...] = (),
    ) -> None:
        # The slots' own setters: frozen past ``__setattr__``, at half the cost of
        # ``object.__setattr__`` (every observed call makes one).
        set_provider, set_model, set_request, set_streaming, set_tools = _CALL_INFO_SETTERS
        set_provider(self, provider)
        set_model(self, model)
        set_request(self, request)
        set_streaming(self, streaming)
        set_tools(self, tools)


_CALL_INFO_SETTERS = slot_setters(CallInfo)


class AttemptInfo(FrozenSlotted):
    """One HTTP attempt as it is sent. ``url`` has lost its userinfo and the values of
    credential-looking query parameters; headers are not given (they hold the credentials).
    ``number`` counts attempts from 1 within one model turn."""

    _fields = ("number", "method", "url", "model")
    __slots__ = _fields
    number: int
    method: str
    url: str
    model: str

    def __init__(self, number: int, method: str, url: str, model: str) -> None:
        set_field = object.__setattr__
        set_field(self, "number", number)
        set_field(self, "method", method)
        set_field(self, "url", url)
        set_field(self, "model", model)


class AttemptObserver(Protocol):
    def status(self, status: int) -> None:
        """The response headers arrived with this HTTP status."""

    def end(self, error: BaseException | None) -> None:
        """The attempt is over: its body was read (``None``) or it failed with ``error``."""


class ToolObserver(Protocol):
    def active(self) -> AbstractContextManager[Any]:
        """Entered around the tool function, on the thread or task running it (a tracer makes
        its span current here, so spans the tool starts are its children)."""

    def end(self, result: ToolResult) -> None:
        """The tool returned, or failed (``result.error`` says how)."""


class CallObserver(Protocol):
    def attempt(self, info: AttemptInfo) -> AttemptObserver | None: ...

    def tool(self, call: ToolCall) -> ToolObserver | None: ...

    def end(self, response: Response | None, error: BaseException | None) -> None:
        """The call is over: its ``Response`` (a cache hit too), or the error it raised
        (``GeneratorExit``: the caller closed the stream early; ``asyncio.CancelledError``:
        the caller's task was cancelled)."""


def _failed(observer: object, where: str, exc: Exception, name: str | None = None) -> None:
    who = name if name is not None else type(observer).__name__
    plugins_log.warning("observer %s raised in %s: %r", who, where, exc)
    warnings.warn(f"observe_call observer raised in {where}: {exc!r}", RuntimeWarning, stacklevel=3)


class _Attempts:
    __slots__ = ("_all",)

    def __init__(self, observers: list[AttemptObserver]) -> None:
        self._all = observers

    def status(self, status: int) -> None:
        for o in self._all:
            try:
                o.status(status)
            except Exception as exc:
                _failed(o, "status", exc)

    def end(self, error: BaseException | None) -> None:
        for o in self._all:
            try:
                o.end(error)
            except Exception as exc:
                _failed(o, "end", exc)


class _Tools:
    __slots__ = ("_all",)

    def __init__(self, observers: list[ToolObserver]) -> None:
        self._all = observers

    def active(self) -> AbstractContextManager[Any]:
        stack = ExitStack()
        for o in self._all:
            stack.enter_context(_Active(o))
        return stack

    def end(self, result: ToolResult) -> None:
        for o in self._all:
            try:
                o.end(result)
            except Exception as exc:
                _failed(o, "end", exc)


class _Active:
    """One observer's ``active()``, guarded on entry and exit; the tool's own exception is
    never swallowed, whatever the observer's context manager answers."""

    __slots__ = ("_cm", "_observer")

    def __init__(self, observer: ToolObserver) -> None:
        self._observer = observer
        self._cm: AbstractContextManager[Any] | None = None

    def __enter__(self) -> None:
        try:
            cm = self._observer.active()
            cm.__enter__()
        except Exception as exc:
            _failed(self._observer, "active", exc)
            return
        self._cm = cm

    def __exit__(self, *exc_info: Any) -> Literal[False]:
        if self._cm is not None:
            try:
                self._cm.__exit__(*exc_info)
            except Exception as exc:
                _failed(self._observer, "active", exc)
        return False


class Watch:
    """The observers of one call (one per implementing plugin), guarded."""

    __slots__ = ("_all",)

    def __init__(self, observers: list[CallObserver]) -> None:
        self._all = observers

    def attempt(self, info: AttemptInfo) -> _Attempts:
        return _Attempts(self._asked("attempt", lambda o: o.attempt(info)))

    def tool(self, call: ToolCall) -> _Tools:
        return _Tools(self._asked("tool", lambda o: o.tool(call)))

    def _asked(self, what: str, ask: Callable[[CallObserver], _T | None]) -> list[_T]:
        """What each observer returns for one step; one that raises is reported and left out."""
        found: list[_T] = []
        for o in self._all:
            try:
                got = ask(o)
            except Exception as exc:
                _failed(o, what, exc)
                continue
            if got is not None:
                found.append(got)
        return found

    def end(self, response: Response | None, error: BaseException | None) -> None:
        for o in self._all:
            try:
                o.end(response, error)
            except Exception as exc:
                _failed(o, "end", exc)


def start_watch(host: PluginHost, info: CallInfo) -> Watch | None:
    """The observers plugins return for this call; ``None`` when all decline.

    Each implementation is called directly, in pluggy's order (as ``call_hook`` does): pluggy's
    general call path costs more than a declining observer, and this runs on every call. One
    plugin that raises is reported and skipped; the others still observe."""
    observers: list[CallObserver] = []
    for impl in reversed(host.pm.hook.observe_call.get_hookimpls()):
        if host.trace:
            sys.stderr.write(f"modelport hook observe_call -> {impl.plugin_name}\n")
        try:
            observer: Any = impl.function(call=info)  # typed by the hookspec, not by pluggy
        except Exception as exc:
            _failed(impl.plugin, "observe_call", exc, impl.plugin_name)
            continue
        if observer is not None:
            observers.append(observer)
    return Watch(observers) if observers else None


def watched(program: Generator[Any, Any, Response], watch: Watch) -> Generator[Any, Any, Response]:
    """``program`` under observers already started: each hears how it ended."""
    try:
        response = yield from program
    except BaseException as exc:  # GeneratorExit and CancelledError included: a span must end
        watch.end(None, exc)
        raise
    watch.end(response, None)
    return response
