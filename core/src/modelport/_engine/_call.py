"""The state and sans-IO steps of one logical model call, shared by every driver.

``Call`` takes the wire request and cache slot shaped once (``_call_shape``), authenticates
each attempt, classifies failures through the one retry policy, and finalizes the ``Response``.
It is given its options and the engine's setting (``_call_setup``), never the engine. The call
program (``_program``) sequences these steps; the drivers (``_drive``) only do the I/O.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from .._cache._levels import CacheLevels, entry_from_response
from .._cost import Bill
from .._error_kinds import request_id_from
from .._errors import (
    ConfigurationError,
    LLMError,
    LLMTimeoutError,
    ModelRequestError,
    ProviderProtocolError,
)
from .._host._hook_calls import call_hook, plugin_failure
from .._logs import cache_log, retry_log
from .._request import Request
from .._response import Response, Usage, normalize_stop
from .._wire import WireDelta, WireRequest
from ._assemble import StreamAssembler
from ._call_setup import CallOptions, CallSetup
from ._call_shape import cache_slot, shaped_wire
from ._progress import Progress

__all__ = [
    "CallOptions",
    "CallSetup",
    "Call",
]


class Call:
    """State of one logical call across its attempts."""

    __slots__ = (
        "attempt",
        "billed_failures",
        "cache_levels",
        "free_retry_used",
        "key",
        "limiter",
        "opts",
        "progress",
        "request",
        "setup",
        "started",
        "streaming",
        "timeouts",
        "wire",
    )

    def __init__(self, setup: CallSetup, request: Request, opts: CallOptions) -> None:
        self.setup = setup
        self.request = request
        self.streaming = request.stream
        self.opts = opts
        self.timeouts = opts.timeouts or setup.timeouts
        self.limiter = opts.limiter if opts.limiter is not None else setup.limiter
        self.attempt = 1
        self.free_retry_used = False
        self.billed_failures: tuple[Usage, ...] = ()  # a tuple: nothing to allocate per call
        self.started = time.perf_counter()
        host = setup.host
        callback = opts.on_progress or setup.on_progress
        hook = host.pm.hook if host.has_impls("on_progress") else None
        self.progress = (
            Progress(setup.provider.name, request.model, callback, hook)
            if (callback is not None or hook is not None)
            else None
        )
        self.wire = shaped_wire(setup, request, self.contextualize, self._hook)
        self.key: str | None
        self.cache_levels: CacheLevels | None
        self.key, self.cache_levels = cache_slot(setup, request, opts, self.wire, self._hook)

    def token_estimate(self) -> int:
        """Tokens to reserve before sending: the request's size (about 4 bytes a token) plus
        the output it allows; corrected by the real usage when the call ends."""
        size = len(self.wire.content or b"") // 4
        return size + (self.request.max_tokens or 1024)

    def queue_deadline(self) -> float | None:
        """How long this call may wait in a limiter's queue: its own total budget."""
        total = self.timeouts.total
        return None if total is None else self.started + total

    def _hook(self, hook: str, error: type[LLMError], **kwargs: Any) -> list[Any]:
        try:
            return call_hook(self.setup.host, hook, error, **kwargs)
        except LLMError as err:
            raise self.contextualize(err) from None

    def emit(self, kind: Any, **detail: Any) -> None:
        if self.progress is not None:
            self.progress.attempt = self.attempt
            self.progress.emit(kind, **detail)

    def _provider_step(
        self, where: str, error: type[LLMError], step: Callable[..., Any], *args: Any
    ) -> Any:
        """Run one provider method on ``args``; a non-``LLMError`` it raises names the plugin.
        (Arguments, not a closure: a lambda per step is a function and cells per call.)"""
        try:
            return step(*args)
        except LLMError as err:
            raise self.contextualize(err) from None
        except Exception as exc:
            raise self.contextualize(plugin_failure(error, self.setup.plugin, where, exc)) from exc

    def prepare_auth(self, key: str | None = None) -> None:
        """Credentials that need I/O: may block (async drivers run it in a worker thread, so
        a credential chain reaching IMDS, SSO or STS never stalls the event loop). ``key``:
        the pool's key for this attempt, whose provider instance holds its credentials."""
        setup = self.setup
        provider = setup.keyed[key] if key is not None else setup.provider
        if provider.auth_pending():
            self._provider_step("prepare_auth", ConfigurationError, provider.prepare_auth)

    def authed(self, key: str | None = None) -> WireRequest:
        """This attempt's copy of the wire request, with credentials (``key``: the pool's key
        for this attempt, through the provider instance that holds it)."""
        w = self.wire
        attempt_wire = WireRequest(w.method, w.url, dict(w.headers), w.body, w.content)
        setup = self.setup
        provider = setup.keyed[key] if key is not None else setup.provider
        self._provider_step("authenticate", ConfigurationError, provider.authenticate, attempt_wire)
        return attempt_wire

    def contextualize(self, err: LLMError) -> LLMError:
        if err.provider is None:
            err.provider = self.setup.provider.name
        if err.model is None:
            err.model = self.request.model
        # Credentials a provider resolved itself (AWS keys from the standard chain) are
        # scrubbed too, from every error on every path, not only those the provider built.
        try:
            extra = [
                s for p in (self.setup.provider, *self.setup.keyed.values()) for s in p.secrets()
            ]
        except Exception:  # a broken secrets() must not replace the error being reported
            extra = []
        return err.scrubbed([*self.setup.secrets, *extra])

    def http_error(self, status: int, headers: Any, body: bytes) -> LLMError:
        provider = self.setup.provider
        try:
            err: LLMError = self._provider_step(
                "parse_error",
                ProviderProtocolError,
                provider.parse_error,
                status,
                headers,
                body,
            )
        except LLMError as failure:  # a parse_error bug: still say what the server answered
            err = failure
        if err.request_id is None:
            err.request_id = request_id_from(headers)
        if err.status is None:
            err.status = status
        return self.contextualize(err)

    def billed_failure(self, usage: Usage | None) -> None:
        """A failed attempt that is retried after the provider reported usage for it (a
        Claude stream's ``message_start`` counts the input before any text): it was billed."""
        if usage is not None:
            self.billed_failures = (*self.billed_failures, usage)

    def retry_delay(self, err: LLMError, *, yielded: bool = False) -> float:
        """Seconds to wait before trying again; re-raises when the error is final."""
        if yielded:
            raise err
        if (
            not self.free_retry_used
            and isinstance(err, ModelRequestError)
            and err.before_response
            and not err.fresh_connection
            and not isinstance(err, LLMTimeoutError)
        ):
            # A pooled connection the server had closed: retry at once, not an attempt.
            self.free_retry_used = True
            retry_log.info(
                "%s %s: %s before any response on a reused connection; retrying at once",
                self.setup.provider.name,
                self.request.model,
                type(err).__name__,
            )
            return 0.0
        delay = self.setup.retry.delay(err, self.attempt)
        if delay is None:
            self.emit("error", error=type(err).__name__, status=err.status)
            raise err
        retry_log.info(
            "%s %s attempt %d failed (%s, status %s); retrying in %.2f s",
            self.setup.provider.name,
            self.request.model,
            self.attempt,
            type(err).__name__,
            err.status,
            delay,
        )
        self.emit("retry", error=type(err).__name__, status=err.status, delay_s=delay)
        self.attempt += 1
        return delay

    def read_cache(self) -> Response | None:
        """Cache read (blocking: async drivers run it in a worker thread)."""
        levels, key = self.cache_levels, self.key
        if levels is None or key is None:
            return None
        if self.opts.clear_cache:
            levels.delete(key)
            return None
        entry, level = levels.get(key)
        if entry is None:
            cache_log.debug("cache miss %s...", key[:16])
            return None
        try:
            response = Response.model_validate(entry)
        except ValueError:
            return None
        check = self.opts.accept_cached
        if check is not None and not check(response):
            return None  # e.g. structured data no longer valid for the current schema
        response.cache_source = "l1" if level <= 1 else "l2"
        response.cache_key = key
        return response

    def take_hit(self, response: Response | None) -> Response | None:
        """A cache hit, presented for this call (on the caller's thread)."""
        if response is not None:
            cache_log.debug("cache hit (%s) %s...", response.cache_source, (self.key or "")[:16])
            response.latency_s = time.perf_counter() - self.started
            _hide_reasoning(response, self.opts)
            response._bill = Bill.cached(
                self.setup.provider.name,
                self.request.model,
                response.model,
                self.wire.url,
                response.usage,
            )
            if self.progress is not None:
                self.emit(
                    "cache_hit",
                    source=response.cache_source,
                    key=self.key,
                    cost_saved=response.cost_saved,
                )
        return response

    def write_cache(self, response: Response) -> None:
        """Store the full response (blocking; hiding is per call, not per entry)."""
        if self.cache_levels is None or self.key is None:
            return
        entry = entry_from_response(response)
        self.cache_levels.set(self.key, entry, self.opts.cache_ttl_s)

    def parse_whole(self, body: bytes) -> Response:
        """A non-streamed body through the provider, then client-side thinking parsing."""
        provider = self.setup.provider
        response: Response = self._provider_step(
            "parse_response",
            ProviderProtocolError,
            provider.parse_response,
            body,
            self.request,
        )
        apply = self.setup.apply_thinking
        if apply is not None:
            apply(response, self.request, self.opts)
        return response

    def normalized(self, deltas: list[WireDelta]) -> list[WireDelta]:
        """Stream deltas after the ``normalize_delta`` hooks (its caller asks whether any exist)."""
        out: list[WireDelta] = []
        name = self.setup.provider.name
        for d in deltas:
            replaced = self._hook(
                "normalize_delta",
                ProviderProtocolError,
                provider=name,
                model=self.request.model,
                delta=d,
            )
            out.append(replaced[0] if replaced else d)
        return out

    def deliver(self, response: Response) -> Response:
        """After storing: apply per-call presentation and report completion."""
        _hide_reasoning(response, self.opts)
        if self.progress is not None:  # the cost is priced only for an observer
            self.emit(
                "done",
                stop_reason=response.stop_reason,
                input_tokens=response.usage.input_tokens,
                output_tokens=response.usage.output_tokens,
                latency_s=response.latency_s,
                cost=response.cost,
            )
        return response

    def finalize(self, response: Response, headers: Any, first_token_at: float | None) -> Response:
        setup = self.setup
        now = time.perf_counter()
        # Each store on a pydantic model costs a validator lookup: only what changes is set.
        name = setup.provider.name
        if response.provider != name:
            response.provider = name
        if not response.model:
            response.model = self.request.model
        if not response.request_id:
            response.request_id = request_id_from(headers)
        if response.stop_reason is None and response.raw_stop_reason:
            # The same raw value normalizes the same way whichever path the provider filled.
            response.stop_reason = normalize_stop(response.raw_stop_reason)
            if response.refusal and not response.text and response.stop_reason == "stop":
                response.stop_reason = "refusal"
        if response.attempts != self.attempt:
            response.attempts = self.attempt
        response.latency_s = now - self.started
        if response.cache_key != self.key:
            response.cache_key = self.key
        # Tokens per second over generation time: from the first token when streamed (time to
        # first token is queueing and prompt processing, not generation), else the whole call.
        # A figure the provider measured itself (LM Studio's stats) is more exact: keep it.
        gen_start = self.started
        if first_token_at is not None:
            if response.time_to_first_token_s is None:
                response.time_to_first_token_s = first_token_at - self.started
            gen_start = first_token_at
        gen = now - gen_start
        if response.tokens_per_second is None and response.usage.output_tokens and gen > 0:
            response.tokens_per_second = response.usage.output_tokens / gen
        if not response._built_messages():
            response._defer_messages()
        if setup.host.has_impls("normalize_response"):
            self._hook(
                "normalize_response",
                ProviderProtocolError,
                provider=name,
                model=self.request.model,
                request=self.request,
                response=response,
            )
        usages = (*self.billed_failures, response.usage)
        if self.billed_failures:  # usage (and cost) summed over the attempts that were billed
            response.usage = sum(self.billed_failures, Usage()) + response.usage
        # The bill keeps its inputs; pricing waits until a cost is read.
        response._bill = Bill.charged(
            name, self.request.model, response.model, self.wire.url, usages
        )
        return response

    def new_assembler(self) -> StreamAssembler:
        return StreamAssembler(
            self.setup.provider.name,
            self.request.model,
            thinking=(
                factory(self.request, self.opts)
                if (factory := self.setup.thinking_factory) is not None
                else None
            ),
            hide_thinking=self.opts.hide_thinking,
        )


def _hide_reasoning(response: Response, opts: CallOptions) -> None:
    """``hide_thinking``: the model still reasons, the caller just does not see it."""
    if opts.hide_thinking:
        response.reasoning = None
        for message in response._built_messages():
            message.reasoning = None
