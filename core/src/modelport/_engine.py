"""One model call, end to end: shape, cache, send with retries, decode, normalize.

The steps shared by every path live in ``Call`` (sans-IO); the four drivers (sync/async x
whole/streamed) only do the I/O and sleeping around them, so the retry rules, error taxonomy and
cache policy are the same on every path.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from typing import Any

from ._call import (
    Call,
    CallOptions,
    label_timeout,
    pre_header_timeouts,
    replay_events,
    tail_events,
    whole_events,
)
from ._contract import Provider
from ._deadline import watch
from ._errors import LLMError, LLMTimeoutError, ModelRequestError, ProviderProtocolError
from ._events import ProgressEvent, StreamEvent
from ._hook_calls import plugin_failure
from ._plugins import PluginHost
from ._request import Request
from ._response import Response
from ._retry import RetryPolicy
from ._timeouts import Timeouts
from ._transport import AsyncRawResponse, RawResponse, Transport
from ._wire import WireDelta

__all__ = ["Engine"]


def _is_whole_json(headers: Mapping[str, str]) -> bool:
    kind = headers.get("content-type", "").split(";", 1)[0].strip().lower()
    return kind == "application/json" or kind.endswith("+json")


class StreamAttempt:
    """One streamed attempt, sans-IO: bytes in, user events out (shared by both drivers).

    ``output_seen`` tells the retry rule whether anything reached the caller: after that, a
    failure is raised, never retried, so no output is duplicated.
    """

    __slots__ = ("asm", "call", "decoder", "engine", "first", "yielded")

    def __init__(self, engine: Engine, call: Call) -> None:
        self.engine = engine
        self.call = call
        self.asm = call.new_assembler()
        self.decoder = call._provider_step(
            "stream_decoder",
            ProviderProtocolError,
            lambda: engine.provider.stream_decoder(call.request),
        )
        self.first: float | None = None
        self.yielded = False

    def _events(self, deltas: list[WireDelta]) -> list[StreamEvent]:
        add = self.asm.add
        events: list[StreamEvent] = []
        for d in self.engine._deltas(self.call, deltas):
            events += add(d)
        if events and not self.yielded:
            self.yielded = True
            self.first = time.perf_counter()
            self.call.emit("first_token")
        return events

    def _failed(self, where: str, exc: Exception) -> LLMError:
        if isinstance(exc, LLMError):
            return self.call.contextualize(exc)
        err = plugin_failure(ProviderProtocolError, self.engine.plugin, where, exc)
        return self.call.contextualize(err)

    def feed(self, chunk: bytes) -> list[StreamEvent]:
        try:
            return self._events(self.decoder.feed(chunk))
        except Exception as exc:  # a decoder bug is the plugin's, named, never a bare error
            raise self._failed("the stream decoder's feed", exc) from exc

    def close(self) -> list[StreamEvent]:
        try:
            return self._events(self.decoder.close()) + self.asm.flush()
        except Exception as exc:
            raise self._failed("the stream decoder's close", exc) from exc

    @property
    def output_seen(self) -> bool:
        return self.yielded or self.asm.saw_output


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
        # The plugin that registered this provider: named in errors a provider bug causes.
        self.plugin = host.registry().provider_plugin.get(provider.name, provider.name)
        self.transport = transport
        self.retry = retry
        self.timeouts = timeouts
        self.secrets = secrets
        self.on_progress = on_progress
        self._thinking_factory = thinking_factory
        self._apply_thinking = apply_thinking
        self._flight_lock = threading.Lock()
        self._sync_flights: dict[str, threading.Event] = {}
        self._async_flights: dict[tuple[int, str], asyncio.Event] = {}

    def thinking_parser(self, request: Request, opts: CallOptions) -> Any:
        if self._thinking_factory is None:
            return None
        return self._thinking_factory(request, opts)

    def _parse_whole(self, call: Call, body: bytes) -> Response:
        try:
            response: Response = self.provider.parse_response(body, call.request)
        except LLMError as err:
            raise call.contextualize(err) from None
        except Exception as exc:  # a provider bug must still surface as a typed error
            raise call.contextualize(
                plugin_failure(ProviderProtocolError, self.plugin, "parse_response", exc)
            ) from exc
        if self._apply_thinking is not None:
            self._apply_thinking(response, call.request, call.opts)
        return response

    def _deltas(self, call: Call, deltas: list[WireDelta]) -> list[WireDelta]:
        if not self.host.has_impls("normalize_delta"):
            return deltas
        out: list[WireDelta] = []
        for d in deltas:
            replaced = call._hook(
                "normalize_delta",
                ProviderProtocolError,
                provider=self.provider.name,
                model=call.request.model,
                delta=d,
            )
            out.append(replaced[0] if replaced else d)
        return out

    # -- sync ------------------------------------------------------------------------------

    def _send_sync(self, call: Call) -> RawResponse:
        while True:
            t = call.timeouts
            call.emit("started")
            try:
                call.prepare_auth()
                raw = self.transport.send(call.authed(), pre_header_timeouts(t))
                if raw.status >= 400:
                    try:
                        body = raw.read()
                    finally:
                        raw.close()
                    raise call.http_error(raw.status, raw.headers, body)
                return raw
            except ModelRequestError as err:
                delay = call.retry_delay(call.contextualize(label_timeout(err, t)))
                if delay:
                    time.sleep(delay)

    def _read_sync(self, call: Call, raw: RawResponse) -> Iterator[bytes]:
        """The body's chunks, with first-chunk and total deadlines enforced by the watchdog."""
        t = call.timeouts
        if t.first_chunk is None and t.total is None:
            yield from raw.iter_bytes()
            return
        now = time.monotonic()
        started = now - (time.perf_counter() - call.started)
        phase = "first_chunk"
        deadlines = []
        if t.first_chunk is not None:
            deadlines.append(started + t.first_chunk)
        if t.total is not None:
            deadlines.append(started + t.total)
        w = watch(min(deadlines), raw.abort)
        try:
            first = True
            for chunk in raw.iter_bytes():
                if first:
                    first = False
                    w.cancel()
                    phase = "total"
                    if t.total is not None:
                        w = watch(started + t.total, raw.abort)
                yield chunk
        except ModelRequestError:
            if w.fired:
                raise LLMTimeoutError(f"{phase} timeout", phase=phase) from None
            raise
        finally:
            w.cancel()
        if w.fired:
            raise LLMTimeoutError(f"{phase} timeout", phase=phase)

    def complete(self, request: Request, opts: CallOptions) -> Response:
        call = Call(self, request, opts)
        hit = call.cached()
        if hit is not None:
            return hit
        key = call.key
        if key is None:
            return self._complete(call)
        with self._flight_lock:
            event = self._sync_flights.get(key)
            leader = event is None
            if event is None:
                event = self._sync_flights[key] = threading.Event()
        if not leader:
            # Single flight: an identical call is in progress; its result lands in the cache.
            event.wait()
            hit = call.cached()
            return hit if hit is not None else self._complete(call)
        try:
            return self._complete(call)
        finally:
            with self._flight_lock:
                del self._sync_flights[key]
            event.set()

    def _complete(self, call: Call) -> Response:
        while True:
            raw = self._send_sync(call)
            try:
                body = b"".join(self._read_sync(call, raw))
            except ModelRequestError as err:
                delay = call.retry_delay(call.contextualize(err))
                if delay:
                    time.sleep(delay)
                continue
            finally:
                raw.close()
            response = call.finalize(self._parse_whole(call, body), raw.headers, None)
            call.store(response)  # the full response: hiding is per call, not per entry
            return call.deliver(response)

    def stream(self, request: Request, opts: CallOptions) -> Iterator[StreamEvent]:
        call = Call(self, request, opts)
        hit = call.cached()
        if hit is not None:
            yield from replay_events(hit, opts.hide_thinking, opts.verbose)
            return
        while True:
            raw = self._send_sync(call)
            if _is_whole_json(raw.headers):
                # A JSON body where a stream was asked for (a server or proxy that ignores
                # ``stream: true``): the provider's non-streamed parser reads it.
                try:
                    body = b"".join(self._read_sync(call, raw))
                except ModelRequestError as err:
                    delay = call.retry_delay(call.contextualize(err))
                    if delay:
                        time.sleep(delay)
                    continue
                finally:
                    raw.close()
                response = call.finalize(self._parse_whole(call, body), raw.headers, None)
                call.store(response)
                yield from whole_events(call.deliver(response), opts.verbose)
                return
            attempt = StreamAttempt(self, call)
            try:
                for chunk in self._read_sync(call, raw):
                    yield from attempt.feed(chunk)
                yield from attempt.close()
            except ModelRequestError as err:
                delay = call.retry_delay(call.contextualize(err), yielded=attempt.output_seen)
                if delay:
                    time.sleep(delay)
                continue
            finally:
                raw.close()
            response = call.finalize(attempt.asm.finish(), raw.headers, attempt.first)
            call.store(response)
            yield from tail_events(call.deliver(response), opts.verbose)
            return

    # -- async -----------------------------------------------------------------------------

    async def _send_async(self, call: Call) -> AsyncRawResponse:
        while True:
            t = call.timeouts
            call.emit("started")
            try:
                await call.aprepare_auth()
                raw = await self.transport.asend(call.authed(), pre_header_timeouts(t))
                if raw.status >= 400:
                    try:
                        body = await raw.aread()
                    finally:
                        await raw.aclose()
                    raise call.http_error(raw.status, raw.headers, body)
                return raw
            except ModelRequestError as err:
                delay = call.retry_delay(call.contextualize(label_timeout(err, t)))
                if delay:
                    await asyncio.sleep(delay)

    async def _read_async(self, call: Call, raw: AsyncRawResponse) -> AsyncIterator[bytes]:
        t = call.timeouts
        if t.first_chunk is None and t.total is None:
            async for chunk in raw.aiter_bytes():
                yield chunk
            return
        loop = asyncio.get_running_loop()
        started = loop.time() - (time.perf_counter() - call.started)
        total_at = started + t.total if t.total is not None else None
        first_at = started + t.first_chunk if t.first_chunk is not None else None
        it = raw.aiter_bytes().__aiter__()
        phase = "first_chunk"
        while True:
            deadline = (
                min(x for x in (first_at, total_at) if x is not None)
                if (first_at is not None or total_at is not None)
                else None
            )
            try:
                async with asyncio.timeout_at(deadline):
                    chunk = await it.__anext__()
            except StopAsyncIteration:
                return
            except TimeoutError:
                raise LLMTimeoutError(f"{phase} timeout", phase=phase) from None
            first_at = None
            phase = "total"
            yield chunk

    async def acomplete(self, request: Request, opts: CallOptions) -> Response:
        call = Call(self, request, opts)
        hit = await call.acached()
        if hit is not None:
            return hit
        if call.key is None:
            return await self._acomplete(call)
        key = (id(asyncio.get_running_loop()), call.key)
        event = self._async_flights.get(key)
        if event is not None:  # single flight (see complete)
            await event.wait()
            hit = await call.acached()
            return hit if hit is not None else await self._acomplete(call)
        event = self._async_flights[key] = asyncio.Event()
        try:
            return await self._acomplete(call)
        finally:
            del self._async_flights[key]
            event.set()

    async def _acomplete(self, call: Call) -> Response:
        while True:
            raw = await self._send_async(call)
            try:
                parts = [chunk async for chunk in self._read_async(call, raw)]
            except ModelRequestError as err:
                delay = call.retry_delay(call.contextualize(err))
                if delay:
                    await asyncio.sleep(delay)
                continue
            finally:
                await raw.aclose()
            response = call.finalize(self._parse_whole(call, b"".join(parts)), raw.headers, None)
            await call.astore(response)
            return call.deliver(response)

    async def astream(self, request: Request, opts: CallOptions) -> AsyncIterator[StreamEvent]:
        call = Call(self, request, opts)
        hit = await call.acached()
        if hit is not None:
            for ev in replay_events(hit, opts.hide_thinking, opts.verbose):
                yield ev
            return
        while True:
            raw = await self._send_async(call)
            if _is_whole_json(raw.headers):  # see stream()
                try:
                    parts = [chunk async for chunk in self._read_async(call, raw)]
                except ModelRequestError as err:
                    delay = call.retry_delay(call.contextualize(err))
                    if delay:
                        await asyncio.sleep(delay)
                    continue
                finally:
                    await raw.aclose()
                whole = self._parse_whole(call, b"".join(parts))
                response = call.finalize(whole, raw.headers, None)
                await call.astore(response)
                for ev in whole_events(call.deliver(response), opts.verbose):
                    yield ev
                return
            attempt = StreamAttempt(self, call)
            try:
                async for chunk in self._read_async(call, raw):
                    for ev in attempt.feed(chunk):
                        yield ev
                for ev in attempt.close():
                    yield ev
            except ModelRequestError as err:
                delay = call.retry_delay(call.contextualize(err), yielded=attempt.output_seen)
                if delay:
                    await asyncio.sleep(delay)
                continue
            finally:
                await raw.aclose()
            response = call.finalize(attempt.asm.finish(), raw.headers, attempt.first)
            await call.astore(response)
            for ev in tail_events(call.deliver(response), opts.verbose):
                yield ev
            return
