"""One provider instance over one transport: a call's program, and the two ways to run it.

Every way of calling runs the same program (``_program``: one model call; ``_tools/_loop``:
the tool loop); only the driver differs (``_drive``: blocking I/O or awaits). So the retry rules,
the error taxonomy, the cache policy and stream assembly cannot drift between them.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Coroutine, Generator
from typing import TYPE_CHECKING, Any

from .._events import StreamEvent
from .._http._transport import Transport
from .._messages import messages_have_images
from .._request import Request
from ._call import Call
from ._call_setup import CallOptions, CallSetup
from ._drive import SyncFlights, drive_sync, run_sync
from ._drive_async import Start, drive_async, run_async
from ._drive_waits import AsyncFlights
from ._observe import CallInfo, start_watch, watched
from ._program import Program, call_program

if TYPE_CHECKING:
    from .._tools._loop import LoopSettings
    from ._abort import AbortSignal

__all__ = ["Engine"]


class Engine:
    """Runs calls for one provider instance over one transport."""

    def __init__(self, setup: CallSetup, transport: Transport) -> None:
        """``setup``: what every call of this engine shares (``CallSetup``: the provider, the
        host, retries, timeouts, limits, the key pool); ``transport``: how they are sent."""
        self.setup = setup
        self.provider = setup.provider
        self.host = setup.host
        self.transport = transport
        self._sync_flights = SyncFlights()
        self._async_flights = AsyncFlights()

    def program(
        self, request: Request, opts: CallOptions, streaming: bool, loop: LoopSettings | None
    ) -> Program:
        """The call program for a request: one model call, or the tool loop; observed when a
        plugin implements ``observe_call``.

        A program is made when its call starts (``LLM.stream`` makes it on the first step of the
        iteration, so a stream never iterated is never observed), so its observers are asked
        now, and when every one declines it runs bare: no wrapper, no copied options."""
        if self.host.has_impls("observe_call"):
            return self._observed(request, opts, streaming, loop)
        return self._program(request, opts, streaming, loop)

    def _observed(
        self, request: Request, opts: CallOptions, streaming: bool, loop: LoopSettings | None
    ) -> Program:
        tools = tuple(t.name for t in loop.tools) if loop is not None else ()
        info = CallInfo(self.provider.name, request.model, request, streaming, tools)
        watch = start_watch(self.host, info)
        if watch is None:
            return self._program(request, opts, streaming, loop)
        opts = opts.replaced(watch=watch)  # this call's own: its steps report to its watch
        try:
            program = self._program(request, opts, streaming, loop)
        except BaseException as exc:  # a request the provider cannot build: the call ended
            watch.end(None, exc)
            raise
        return watched(program, watch)

    def _program(
        self, request: Request, opts: CallOptions, streaming: bool, loop: LoopSettings | None
    ) -> Program:
        if loop is None:
            if not messages_have_images(
                request.messages
            ):  # the common case: nothing to check or fetch
                return call_program(Call(self.setup, request, opts), streaming)
            from ._fetch_images import imaged_program

            return imaged_program(self.setup, request, opts, streaming)
        from .._tools._loop import tool_loop_program

        return tool_loop_program(self, request, opts, loop)

    def run(self, program: Program, abort: AbortSignal | None = None) -> Any:
        """A whole program with blocking I/O; its result."""
        return run_sync(program, self.transport, self._sync_flights, abort)

    def arun(self, program: Program, abort: AbortSignal | None = None) -> Coroutine[Any, Any, Any]:
        """A whole program with awaits: the driver's own coroutine, not one around it."""
        return run_async(program, self.transport, self._async_flights, abort)

    def drive(
        self, program: Program, abort: AbortSignal | None = None
    ) -> Generator[StreamEvent, Any, Any]:
        """A program's events with blocking I/O; values sent in answer review requests."""
        return drive_sync(program, self.transport, self._sync_flights, abort)

    def adrive(
        self, program: Program | Start, abort: AbortSignal | None = None
    ) -> AsyncGenerator[StreamEvent, Any]:
        """A program's events with awaits; ``program`` may be a ``Start`` (``_drive``), made
        on the first step."""
        return drive_async(program, self.transport, self._async_flights, abort)
