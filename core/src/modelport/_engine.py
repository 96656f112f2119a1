"""One model call, end to end: shape, cache, send with retries, decode, normalize.

The steps shared by every path live in ``_Call`` (sans-IO); the four drivers (sync/async x
whole/streamed) only do the I/O and sleeping around them, so the retry rules, error taxonomy and
cache policy are the same on every path.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from ._assemble import StreamAssembler
from ._cache import CacheLevels, cache_key, entry_from_response
from ._deadline import watch
from ._errors import LLMError, LLMTimeoutError, ModelRequestError, ProviderProtocolError
from ._events import ProgressEvent, StreamEvent
from ._messages import Message
from ._plugins import PluginHost
from ._progress import Progress
from ._request import Request
from ._response import Response, Usage
from ._retry import RetryPolicy
from ._timeouts import Timeouts
from ._transport import AsyncRawResponse, RawResponse, Transport
from ._wire import WireDelta, WireRequest

__all__ = ["CallOptions", "Engine"]


@dataclass(slots=True)
class CallOptions:
    """Per-call knobs that are not part of the wire request (so not part of the cache key)."""

    use_cache: bool = True
    cache: str = "auto"  # "auto": deterministic requests only; "always"; "never"
    clear_cache: bool = False
    cache_ttl_s: float | None = None
    hide_thinking: bool = False
    verbose: bool = False
    timeouts: Timeouts | None = None
    on_progress: Callable[[ProgressEvent], Any] | None = None
    thinking: Any = None  # (patterns, from_beginning) resolved by the client
    extra: dict[str, Any] = field(default_factory=dict)


def _is_deterministic(request: Request) -> bool:
    """The default cache rule: temperature 0, or a reasoning request with no temperature set."""
    if request.temperature == 0:
        return True
    return request.temperature is None and request.reasoning_effort is not None


class _Call:
    """State of one logical call across its attempts."""

    __slots__ = (
        "attempt",
        "cache_levels",
        "engine",
        "free_retry_used",
        "key",
        "opts",
        "progress",
        "request",
        "started",
        "timeouts",
        "usage_before",
        "wire",
    )

    def __init__(self, engine: Engine, request: Request, opts: CallOptions) -> None:
        self.engine = engine
        self.request = request
        self.opts = opts
        self.timeouts = opts.timeouts or engine.timeouts
        self.attempt = 1
        self.free_retry_used = False
        self.usage_before = Usage()
        self.started = time.perf_counter()
        host = engine.host
        callback = opts.on_progress or engine.on_progress
        hook = host.pm.hook if host.has_impls("on_progress") else None
        self.progress = (
            Progress(engine.provider.name, request.model, callback, hook)
            if (callback is not None or hook is not None)
            else None
        )
        provider = engine.provider
        wire = provider.build_request(request)
        if host.has_impls("shape_request"):
            host.pm.hook.shape_request(
                provider=provider.name, model=request.model, request=request, wire=wire
            )
        if wire.body is not None and wire.content is None:
            wire.content = json.dumps(wire.body, separators=(",", ":"), ensure_ascii=False).encode()
        self.wire = wire
        self.key: str | None = None
        self.cache_levels: CacheLevels | None = None
        caches = host.registry().caches
        cacheable = opts.cache == "always" or (opts.cache == "auto" and _is_deterministic(request))
        if caches and opts.use_cache and cacheable:
            extra: list[dict[str, Any]] = []
            if host.has_impls("cache_key_parts"):
                extra = [
                    part
                    for part in host.pm.hook.cache_key_parts(
                        provider=provider.name, model=request.model, wire=wire
                    )
                    if part
                ]
            self.key = cache_key(provider.name, provider.version, wire, extra)
            self.cache_levels = CacheLevels(caches)

    def emit(self, kind: Any, **detail: Any) -> None:
        if self.progress is not None:
            self.progress.attempt = self.attempt
            self.progress.emit(kind, **detail)

    def authed(self) -> WireRequest:
        w = self.wire
        attempt_wire = WireRequest(w.method, w.url, dict(w.headers), w.body, w.content)
        self.engine.provider.authenticate(attempt_wire)
        return attempt_wire

    def contextualize(self, err: LLMError) -> LLMError:
        if err.provider is None:
            err.provider = self.engine.provider.name
        if err.model is None:
            err.model = self.request.model
        return err.scrubbed(self.engine.secrets)

    def http_error(self, status: int, headers: Any, body: bytes) -> LLMError:
        err = self.engine.provider.parse_error(status, headers, body)
        if err.request_id is None:
            err.request_id = headers.get("x-request-id") or headers.get("request-id")
        return self.contextualize(err)

    def retry_delay(self, err: LLMError, *, yielded: bool = False) -> float:
        """Seconds to wait before trying again; re-raises when the error is final."""
        if yielded:
            raise err
        if (
            not self.free_retry_used
            and getattr(err, "before_response", False)
            and not getattr(err, "fresh_connection", False)
            and not isinstance(err, LLMTimeoutError)
        ):
            # A pooled connection the server had closed: retry at once, not an attempt.
            self.free_retry_used = True
            return 0.0
        delay = self.engine.retry.delay(err, self.attempt)
        if delay is None:
            self.emit("error", error=type(err).__name__, status=err.status)
            raise err
        self.emit("retry", error=type(err).__name__, status=err.status, delay_s=delay)
        self.attempt += 1
        return delay

    def cached(self) -> Response | None:
        levels, key = self.cache_levels, self.key
        if levels is None or key is None:
            return None
        if self.opts.clear_cache:
            levels.delete(key)
            return None
        entry, level = levels.get(key)
        if entry is None:
            return None
        try:
            response = Response.model_validate(entry)
        except ValueError:
            return None
        _hide_reasoning(response, self.opts)
        response.cache_source = "l1" if level <= 1 else "l2"
        response.cache_key = key
        response.latency_s = time.perf_counter() - self.started
        self.emit("cache_hit", source=response.cache_source, key=key)
        return response

    def store(self, response: Response) -> None:
        if self.cache_levels is not None and self.key is not None:
            self.cache_levels.set(self.key, entry_from_response(response), self.opts.cache_ttl_s)

    def finalize(self, response: Response, headers: Any, first_token_at: float | None) -> Response:
        engine = self.engine
        now = time.perf_counter()
        response.provider = engine.provider.name
        response.model = response.model or self.request.model
        response.request_id = response.request_id or (
            headers.get("x-request-id") or headers.get("request-id") if headers else None
        )
        response.usage = self.usage_before + response.usage
        response.attempts = self.attempt
        response.latency_s = now - self.started
        response.cache_key = self.key
        # Tokens per second over generation time: from the first token when streamed (time to
        # first token is queueing and prompt processing, not generation), else the whole call.
        gen_start = self.started
        if first_token_at is not None:
            response.time_to_first_token_s = first_token_at - self.started
            gen_start = first_token_at
        gen = now - gen_start
        if response.usage.output_tokens and gen > 0:
            response.tokens_per_second = response.usage.output_tokens / gen
        if not response.messages:
            response.messages = [response.assistant_message()]
        if engine.host.has_impls("normalize_response"):
            engine.host.pm.hook.normalize_response(
                provider=engine.provider.name,
                model=self.request.model,
                request=self.request,
                response=response,
            )
        self.store(response)  # the full response: hiding is per call, not per cache entry
        _hide_reasoning(response, self.opts)
        self.emit(
            "done",
            stop_reason=response.stop_reason,
            input_tokens=response.usage.input_tokens,
            output_tokens=response.usage.output_tokens,
            latency_s=response.latency_s,
        )
        return response

    def new_assembler(self) -> StreamAssembler:
        return StreamAssembler(
            self.engine.provider.name,
            self.request.model,
            thinking=self.engine.thinking_parser(self.request, self.opts),
            hide_thinking=self.opts.hide_thinking,
        )


def _hide_reasoning(response: Response, opts: CallOptions) -> None:
    """``hide_thinking``: the model still reasons, the caller just does not see it."""
    if opts.hide_thinking:
        response.reasoning = None
        for message in response.messages:
            message.reasoning = None


def _tail_events(response: Response, verbose: bool) -> list[StreamEvent]:
    events: list[StreamEvent] = []
    if verbose:
        events.append(StreamEvent("verbose", verbose_metrics(response)))
    events.extend(StreamEvent("tool_call", call, tool_id=call.id) for call in response.tool_calls)
    events.append(StreamEvent("final", response))
    events.append(StreamEvent("done", None, data={"stop_reason": response.stop_reason}))
    return events


def _replay(response: Response, hide_thinking: bool, verbose: bool) -> list[StreamEvent]:
    events: list[StreamEvent] = []
    if response.reasoning and not hide_thinking:
        events.append(StreamEvent("reasoning", response.reasoning, data={"cached": True}))
    if response.text:
        events.append(StreamEvent("answer", response.text, data={"cached": True}))
    return events + _tail_events(response, verbose)


def verbose_metrics(response: Response) -> dict[str, Any]:
    return {
        "input_tokens": response.usage.input_tokens,
        "output_tokens": response.usage.output_tokens,
        "reasoning_tokens": response.usage.reasoning_tokens,
        "cached_tokens": response.usage.cached_tokens,
        "latency_s": response.latency_s,
        "time_to_first_token_s": response.time_to_first_token_s,
        "tokens_per_second": response.tokens_per_second,
        "attempts": response.attempts,
        "cache_source": response.cache_source,
    }


class Engine:
    """Runs calls for one provider instance over one transport."""

    def __init__(
        self,
        provider: Any,
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
        self.retry = retry
        self.timeouts = timeouts
        self.secrets = secrets
        self.on_progress = on_progress
        self._thinking_factory = thinking_factory
        self._apply_thinking = apply_thinking
        self._normalize_deltas = False

    def thinking_parser(self, request: Request, opts: CallOptions) -> Any:
        if self._thinking_factory is None:
            return None
        return self._thinking_factory(request, opts)

    def _parse_whole(self, call: _Call, body: bytes) -> Response:
        try:
            response: Response = self.provider.parse_response(body, call.request)
        except LLMError as err:
            raise call.contextualize(err) from None
        except Exception as exc:  # a provider bug must still surface as a typed error
            raise call.contextualize(
                ProviderProtocolError(f"could not parse the response: {type(exc).__name__}: {exc}")
            ) from exc
        if self._apply_thinking is not None:
            self._apply_thinking(response, call.request, call.opts)
        return response

    def _deltas(self, call: _Call, deltas: list[WireDelta]) -> list[WireDelta]:
        if not self.host.has_impls("normalize_delta"):
            return deltas
        out: list[WireDelta] = []
        hook = self.host.pm.hook.normalize_delta
        for d in deltas:
            replaced = hook(provider=self.provider.name, model=call.request.model, delta=d)
            out.append(replaced[0] if replaced else d)
        return out

    # -- sync ------------------------------------------------------------------------------

    def _send_sync(self, call: _Call) -> RawResponse:
        while True:
            t = call.timeouts
            call.emit("started")
            try:
                raw = self.transport.send(call.authed(), _pre_header_timeouts(t))
                if raw.status >= 400:
                    try:
                        body = raw.read()
                    finally:
                        raw.close()
                    raise call.http_error(raw.status, raw.headers, body)
                return raw
            except ModelRequestError as err:
                delay = call.retry_delay(call.contextualize(_label_timeout(err, t)))
                if delay:
                    time.sleep(delay)

    def _read_sync(self, call: _Call, raw: RawResponse) -> Iterator[bytes]:
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
        call = _Call(self, request, opts)
        hit = call.cached()
        if hit is not None:
            return hit
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
            response = self._parse_whole(call, body)
            return call.finalize(response, raw.headers, None)

    def stream(self, request: Request, opts: CallOptions) -> Iterator[StreamEvent]:
        call = _Call(self, request, opts)
        hit = call.cached()
        if hit is not None:
            yield from _replay(hit, opts.hide_thinking, opts.verbose)
            return
        while True:
            raw = self._send_sync(call)
            asm = call.new_assembler()
            decoder = self.provider.stream_decoder(request)
            yielded = False
            first: float | None = None
            try:
                for chunk in self._read_sync(call, raw):
                    for d in self._deltas(call, decoder.feed(chunk)):
                        for ev in asm.add(d):
                            if first is None:
                                first = time.perf_counter()
                                call.emit("first_token")
                            yielded = True
                            yield ev
                for d in self._deltas(call, decoder.close()):
                    for ev in asm.add(d):
                        yielded = True
                        yield ev
                for ev in asm.flush():
                    yield ev
            except ModelRequestError as err:
                delay = call.retry_delay(call.contextualize(err), yielded=yielded or asm.saw_output)
                if delay:
                    time.sleep(delay)
                continue
            finally:
                raw.close()
            response = call.finalize(asm.finish(), raw.headers, first)
            yield from _tail_events(response, opts.verbose)
            return

    # -- async -----------------------------------------------------------------------------

    async def _send_async(self, call: _Call) -> AsyncRawResponse:
        while True:
            t = call.timeouts
            call.emit("started")
            try:
                raw = await self.transport.asend(call.authed(), _pre_header_timeouts(t))
                if raw.status >= 400:
                    try:
                        body = await raw.aread()
                    finally:
                        await raw.aclose()
                    raise call.http_error(raw.status, raw.headers, body)
                return raw
            except ModelRequestError as err:
                delay = call.retry_delay(call.contextualize(_label_timeout(err, t)))
                if delay:
                    await asyncio.sleep(delay)

    async def _read_async(self, call: _Call, raw: AsyncRawResponse) -> AsyncIterator[bytes]:
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
        call = _Call(self, request, opts)
        hit = call.cached()
        if hit is not None:
            return hit
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
            response = self._parse_whole(call, b"".join(parts))
            return call.finalize(response, raw.headers, None)

    async def astream(self, request: Request, opts: CallOptions) -> AsyncIterator[StreamEvent]:
        call = _Call(self, request, opts)
        hit = call.cached()
        if hit is not None:
            for ev in _replay(hit, opts.hide_thinking, opts.verbose):
                yield ev
            return
        while True:
            raw = await self._send_async(call)
            asm = call.new_assembler()
            decoder = self.provider.stream_decoder(request)
            yielded = False
            first: float | None = None
            try:
                async for chunk in self._read_async(call, raw):
                    for d in self._deltas(call, decoder.feed(chunk)):
                        for ev in asm.add(d):
                            if first is None:
                                first = time.perf_counter()
                                call.emit("first_token")
                            yielded = True
                            yield ev
                for d in self._deltas(call, decoder.close()):
                    for ev in asm.add(d):
                        yielded = True
                        yield ev
                for ev in asm.flush():
                    yield ev
            except ModelRequestError as err:
                delay = call.retry_delay(call.contextualize(err), yielded=yielded or asm.saw_output)
                if delay:
                    await asyncio.sleep(delay)
                continue
            finally:
                await raw.aclose()
            response = call.finalize(asm.finish(), raw.headers, first)
            for ev in _tail_events(response, opts.verbose):
                yield ev
            return


def _label_timeout(err: ModelRequestError, t: Timeouts) -> ModelRequestError:
    """A read timeout before the headers is the first-chunk or total budget when that was
    the tighter bound (see ``_pre_header_timeouts``); say which, users tune them separately."""
    if isinstance(err, LLMTimeoutError) and err.phase == "read":
        read = t.read if t.read is not None else float("inf")
        for phase, bound in (("first_chunk", t.first_chunk), ("total", t.total)):
            if bound is not None and bound < read:
                err.phase = phase
                err.message = f"{phase} timeout ({bound}s) before the response started"
                err.args = (err.message,)
                break
    return err


def _pre_header_timeouts(t: Timeouts) -> Timeouts:
    """Until the headers arrive, the read timeout is also bounded by first-chunk and total."""
    bounds = [x for x in (t.read, t.first_chunk, t.total) if x is not None]
    read = min(bounds) if bounds else None
    if read == t.read:
        return t
    return Timeouts(connect=t.connect, read=read, first_chunk=t.first_chunk, total=t.total)


def assistant_history(messages: list[Message], response: Response) -> list[Message]:
    """The conversation with this response's assistant turn appended."""
    return [*messages, *response.messages]
