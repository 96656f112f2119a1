"""One model call, written once: cache, single flight, send with retries, decode, assemble.

``call_program`` is a generator that yields the I/O it needs (``_actions``) and caller events
(lists of ``StreamEvent``), and returns the ``Response``. The sync and async drivers in
``_drive`` perform the I/O, so the retry rules, the error taxonomy, the cache policy and the
stream assembly exist in one place for the four ways of calling (sync/async x whole/streamed).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Generator, Mapping
from functools import partial
from typing import Any

from .._errors import (
    AuthenticationError,
    LLMError,
    ModelRequestError,
    ProviderProtocolError,
    RateLimitError,
)
from .._events import StreamEvent
from .._host._hook_calls import plugin_failure
from .._http._timeouts import label_timeout, pre_header_timeouts
from .._logs import safe_url, transport_log
from .._response import Response
from .._wire import WireDelta
from ._abort import Aborted
from ._actions import (
    Acquire,
    Blocking,
    Close,
    JoinFlight,
    LeaveFlight,
    NextChunk,
    OpenChunks,
    ReadBody,
    Release,
    ReturnKey,
    Send,
    Sleep,
    TakeKey,
)
from ._call import Call
from ._observe import AttemptInfo
from ._response_events import replay_events, tail_events, whole_events

__all__ = ["Program", "StreamAttempt", "call_program"]

Program = Generator[Any, Any, "Response"]


def _is_whole_json(headers: Mapping[str, str]) -> bool:
    kind = headers.get("content-type", "").split(";", 1)[0].strip().lower()
    return kind == "application/json" or kind.endswith("+json")


_PROGRESS_EVERY_S = 0.5


class StreamAttempt:
    """One streamed attempt: bytes in, caller events out.

    ``output_seen`` tells the retry rule whether anything reached the caller: after that, a
    failure is raised, never retried, so no output is duplicated.
    """

    __slots__ = (
        "asm",
        "call",
        "chars",
        "chunks",
        "decoder",
        "first",
        "normalizing",
        "reported",
        "yielded",
    )

    def __init__(self, call: Call) -> None:
        self.call = call
        self.asm = call.new_assembler()
        provider = call.setup.provider
        self.decoder = call._provider_step(
            "stream_decoder", ProviderProtocolError, provider.stream_decoder, call.request
        )
        # Asked once per attempt, not per chunk: whether any plugin edits stream deltas.
        self.normalizing = call.setup.host.has_impls("normalize_delta")
        self.first: float | None = None
        self.yielded = False
        self.chunks = 0
        self.chars = 0
        self.reported = 0.0

    def _events(self, deltas: list[WireDelta]) -> list[StreamEvent]:
        add = self.asm.add
        events: list[StreamEvent] = []
        for d in self.call.normalized(deltas) if self.normalizing else deltas:
            events += add(d)
        if events:
            if not self.yielded:
                self.yielded = True
                self.first = self.reported = time.perf_counter()
                self.call.emit("first_token")
            if self.call.progress is not None:
                self._progress(events)
        return events

    def _progress(self, events: list[StreamEvent]) -> None:
        """``stream_progress``, at most every half second (observers want a pulse, not one
        call per chunk)."""
        self.chunks += 1
        self.chars += sum(len(e.content) for e in events if isinstance(e.content, str))
        now = time.perf_counter()
        if now - self.reported >= _PROGRESS_EVERY_S:
            self.reported = now
            self.call.emit("stream_progress", chunks=self.chunks, chars=self.chars)

    def _failed(self, where: str, exc: Exception) -> LLMError:
        if isinstance(exc, LLMError):
            return self.call.contextualize(exc)
        err = plugin_failure(ProviderProtocolError, self.call.setup.plugin, where, exc)
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


def _send(call: Call) -> Generator[Any, Any, tuple[Any, _Held]]:
    """Send until the headers of a success arrive; pre-response failures retry here. Each
    attempt first waits for its limiter grant and takes a key of the pool (when there are
    such), and returns them with the response for ``_released``."""
    provider = call.setup.provider
    limiter = call.limiter
    pool = call.setup.pool
    while True:
        t = call.timeouts
        # An attempt that holds nothing (no limiter, pool or observer) shares one empty _Held.
        busy = limiter is not None or pool is not None or call.opts.watch is not None
        held = _Held() if busy else _HOLDS_NOTHING
        if limiter is not None:
            queued_at = time.perf_counter()
            held.grant = yield Acquire(limiter, call.token_estimate(), call.queue_deadline())
            waited = time.perf_counter() - queued_at
            if waited > 0.001:
                call.emit("queued", waited_s=waited)
        if pool is not None:
            held.key = yield TakeKey(pool, call.queue_deadline())
        if call.progress is not None:  # ``emit`` checks too, but a call of it makes a dict
            call.emit("started")
        try:
            # A pool's key signs through its own provider instance, so its own credentials
            # (a Bedrock credential set's profile) are resolved off the loop too.
            signer = call.setup.keyed.get(held.key, provider) if held.key else provider
            if signer.auth_pending():
                yield Blocking(partial(call.prepare_auth, held.key))
            wire = call.authed(held.key)
            if call.opts.watch is not None:
                held.watch = call.opts.watch.attempt(
                    AttemptInfo(call.attempt, wire.method, safe_url(wire.url), call.request.model)
                )
            sent_at = time.perf_counter()
            try:
                raw = yield Send(wire, pre_header_timeouts(t))
            except ModelRequestError as err:
                if transport_log.isEnabledFor(logging.DEBUG):
                    _log_attempt(call, wire, None, sent_at, type(err).__name__)
                raise
            if transport_log.isEnabledFor(logging.DEBUG):
                _log_attempt(call, wire, raw.status, sent_at, None)
            if held.watch is not None:
                held.watch.status(raw.status)
            if limiter is not None or pool is not None:  # the provider's limit headers
                from .._limits._heed import heed_limit_headers

                heed_limit_headers(provider, raw.headers, limiter, pool, held.key)
            if raw.status >= 400:
                body = yield ReadBody(raw, None)
                raise call.http_error(raw.status, raw.headers, body)
            return raw, held
        except ModelRequestError as err:
            _attempt_failed(held, err)
            another_key = False  # an auth failure benched the key: the next one, at once
            moves_on = False  # a 429 cooled the key down and another key can take the retry
            if isinstance(err, RateLimitError):
                if pool is not None and held.key is not None:
                    pool.cool_down(held.key, err.retry_after)
                    from .._limits._keypool import fingerprint

                    call.emit("key_cooldown", key=fingerprint(held.key), seconds=err.retry_after)
                    moves_on = pool.has_usable()
                if limiter is not None and err.retry_after:
                    # A 429 on one key of a pool is that key's limit: the shared budget pauses
                    # only when no other key can take the retry.
                    if not moves_on:
                        limiter.pause(err.retry_after)  # everyone sharing it slows down
                    call.emit("rate_limited", retry_after_s=err.retry_after)
            elif isinstance(err, AuthenticationError) and pool is not None and held.key:
                another_key = pool.bench(held.key)
            yield from _released(call, held, None)
            if another_key:
                continue  # this key will not work, and waiting won't help
            delay = call.retry_delay(call.contextualize(label_timeout(err, t)))
            if delay and not moves_on:
                yield Sleep(delay)


def _log_attempt(
    call: Call, wire: Any, status: int | None, sent_at: float, failure: str | None
) -> None:
    transport_log.debug(
        "%s %s attempt %d: %s %s -> %s in %.1f ms",
        call.setup.provider.name,
        call.request.model,
        call.attempt,
        wire.method,
        safe_url(wire.url),
        status if failure is None else failure,
        (time.perf_counter() - sent_at) * 1000.0,
    )


class _Held:
    """What one attempt holds until it ends: a limiter grant, a pool key."""

    __slots__ = ("grant", "key", "watch")

    def __init__(self) -> None:
        self.grant: Any = None
        self.key: str | None = None
        self.watch: Any = None  # the observe_call observers of this attempt


_HOLDS_NOTHING = _Held()  # never written: each field is set only when its holder exists


def _attempt_failed(held: _Held, err: BaseException) -> None:
    if held.watch is not None:
        held.watch.end(err)
        held.watch = None


def _released(call: Call, held: _Held, response: Response | None) -> Generator[Any, Any, None]:
    """Give an attempt's grant and key back; the grant with the real usage when there is an
    answer (``None``: keep the reservation, the provider may have counted it)."""
    if held.watch is not None and response is not None:
        held.watch.end(None)
        held.watch = None
    if held.grant is not None and call.limiter is not None:
        used = None if response is None else response.usage.total_tokens
        yield Release(call.limiter, held.grant, used)
        held.grant = None
    pool = call.setup.pool
    if held.key is not None and pool is not None:
        yield ReturnKey(pool, held.key)
        held.key = None


def _aborted(
    call: Call, attempt: StreamAttempt | None, ending: bool, reason: str
) -> Generator[Any, Any, Response]:
    """The partial answer, marked: text and reasoning so far; no tool call (its arguments are
    incomplete); never cached."""
    events: list[StreamEvent] = []
    response = Response()
    if attempt is not None:
        try:
            events = attempt.asm.flush()  # text a thinking parser held back
            response = attempt.asm.finish()
        except LLMError:
            pass  # half a tool call: the text so far is what counts
        response.tool_calls = []
        response.messages = []
    response.stop_reason = "aborted"
    response.abort_reason = reason
    response = call.deliver(call.finalize(response, {}, attempt.first if attempt else None))
    if call.streaming:
        yield [*events, *tail_events(response, call.opts.verbose, ending, aborted=reason)]
    return response


def _attempts(call: Call, streaming: bool, ending: bool) -> Program:
    """Attempts until one succeeds or the retry policy gives up (raising its error); an abort
    ends them with what the current attempt had. One generator for all of it: every action of
    a call passes through each level of ``yield from``."""
    verbose = call.opts.verbose
    attempt: StreamAttempt | None = None  # the latest streamed attempt, for an abort
    try:
        while True:
            raw, grant = yield from _send(call)  # grant: what the attempt holds (_Held)
            if not streaming or _is_whole_json(raw.headers):
                # Also a JSON body where a stream was asked for (a server or proxy that ignores
                # ``stream: true``): the provider's non-streamed parser reads it.
                try:
                    body = yield ReadBody(raw, call)
                except ModelRequestError as err:
                    _attempt_failed(grant, err)
                    yield from _released(call, grant, None)
                    delay = call.retry_delay(call.contextualize(err))
                    if delay:
                        yield Sleep(delay)
                    continue
                response = call.finalize(call.parse_whole(body), raw.headers, None)
                if grant is not _HOLDS_NOTHING:
                    yield from _released(call, grant, response)
                if call.cache_levels is not None:
                    yield Blocking(partial(call.write_cache, response))
                response = call.deliver(response)
                if streaming:
                    yield whole_events(response, verbose, ending)
                return response
            attempt = StreamAttempt(call)
            chunks = None
            try:
                chunks = yield OpenChunks(raw, call)
                next_chunk = NextChunk(chunks)  # one request, asked again for every chunk
                while True:
                    chunk = yield next_chunk
                    if chunk is None:
                        break
                    events = attempt.feed(chunk)
                    if events:
                        yield events
                events = attempt.close()
                if events:
                    yield events
            except ModelRequestError as err:
                _attempt_failed(grant, err)
                yield Close(chunks if chunks is not None else raw)
                yield from _released(call, grant, None)
                delay = call.retry_delay(call.contextualize(err), yielded=attempt.output_seen)
                call.billed_failure(attempt.asm.usage_so_far())
                if delay:
                    yield Sleep(delay)
                continue
            yield Close(chunks)
            response = call.finalize(attempt.asm.finish(), raw.headers, attempt.first)
            if grant is not _HOLDS_NOTHING:
                yield from _released(call, grant, response)
            if call.cache_levels is not None:
                yield Blocking(partial(call.write_cache, response))
            response = call.deliver(response)
            yield tail_events(response, verbose, ending)
            return response
    except Aborted as stop:
        return (yield from _aborted(call, attempt, ending, stop.reason))


def call_program(call: Call, streaming: bool, *, ending: bool = True) -> Program:
    """The whole call: a cache hit, or attempts; identical whole calls share one flight.

    ``ending=False``: a stream's ``final`` and ``done`` events are left out (a tool loop's
    turn, whose loop ends the stream itself). A call that is not cached has nothing to look
    up and no flight to share: its program is the attempts themselves, one generator less
    for each of its actions to pass through."""
    if call.cache_levels is None:
        return _attempts(call, streaming, ending)
    return _cached(call, streaming, ending)


def _cached(call: Call, streaming: bool, ending: bool) -> Program:
    """A cached call: the stored answer, else attempts (a whole call leading or following
    the single flight of its key)."""
    opts = call.opts
    hit = call.take_hit((yield Blocking(call.read_cache)))
    if hit is not None:
        if streaming:
            yield replay_events(hit, opts.hide_thinking, opts.verbose, ending)
        return hit
    if streaming or call.key is None:
        return (yield from _attempts(call, streaming, ending))
    # Single flight: an identical call in progress will put its answer in the cache.
    try:
        follower = yield JoinFlight(call.key, call.queue_deadline())
    except Aborted as stop:
        return (yield from _aborted(call, None, ending, stop.reason))
    if follower:
        hit = call.take_hit((yield Blocking(call.read_cache)))
        if hit is not None:
            return hit
        return (yield from _attempts(call, streaming, ending))
    try:
        return (yield from _attempts(call, streaming, ending))
    finally:
        yield LeaveFlight(call.key)
