"""One provider instance over one transport: the four ways to run a call.

``complete`` / ``stream`` / ``acomplete`` / ``astream`` all run the same call program
(``_program``); only the driver differs (``_drive``: blocking I/O or awaits). So the retry
rules, the error taxonomy, the cache policy and stream assembly cannot drift between them.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable, Generator
from typing import TYPE_CHECKING, Any

from ._call import Call, CallOptions
from ._contract import Provider
from ._drive import AsyncFlights, SyncFlights, drive_async, drive_sync, run_async, run_sync
from ._events import ProgressEvent, StreamEvent
from ._plugins import PluginHost
from ._program import Program, call_program
from ._request import Request
from ._response import Response
from ._retry import RetryPolicy
from ._timeouts import Timeouts
from ._transport import Transport

if TYPE_CHECKING:
    from ._toolloop import LoopSettings

__all__ = ["Engine"]


class Engine:
    """Runs calls for one provider instance over one transport."""

    def __init__(
        self,
        provider: Provider,
        host: PluginHost,
        transport: Transport,
        *,
        retry: RetryPolicy,
        timeouts: Timeouts,
        secrets: list[str],
        on_progress: Callable[[ProgressEvent], Any] | None = None,
        thinking_factory: Callable[[Request, CallOptions], Any] | None = None,
        apply_thinking: Callable[[Response, Request, CallOptions], None] | None = None,
    ) -> None:
        self.provider = provider
        self.host = host
        self.transport = transport
        # The plugin that registered this provider: named in errors a provider bug causes.
        self.plugin = host.registry().provider_plugin.get(provider.name, provider.name)
        self.retry = retry
        self.timeouts = timeouts
        self.secrets = secrets
        self.on_progress = on_progress
        self.thinking_factory = thinking_factory
        self.apply_thinking = apply_thinking
        self._sync_flights = SyncFlights()
        self._async_flights = AsyncFlights()

    def _program(
        self, request: Request, opts: CallOptions, streaming: bool, loop: LoopSettings | None
    ) -> Program:
        if loop is None:
            return call_program(Call(self, request, opts), streaming)
        from ._toolloop import tool_loop_program

        return tool_loop_program(self, request, opts, loop)

    def complete(
        self, request: Request, opts: CallOptions, loop: LoopSettings | None = None
    ) -> Response:
        program = self._program(request, opts, False, loop)
        response: Response = run_sync(program, self.transport, self._sync_flights)
        return response

    def stream(
        self, request: Request, opts: CallOptions, loop: LoopSettings | None = None
    ) -> Generator[StreamEvent, Any, Any]:
        """Events; what the caller ``send``s reaches the program (review decisions)."""
        program = self._program(request, opts, True, loop)
        return drive_sync(program, self.transport, self._sync_flights)

    async def acomplete(
        self, request: Request, opts: CallOptions, loop: LoopSettings | None = None
    ) -> Response:
        program = self._program(request, opts, False, loop)
        response: Response = await run_async(program, self.transport, self._async_flights)
        return response

    def astream(
        self, request: Request, opts: CallOptions, loop: LoopSettings | None = None
    ) -> AsyncGenerator[StreamEvent, Any]:
        program = self._program(request, opts, True, loop)
        return drive_async(program, self.transport, self._async_flights)
