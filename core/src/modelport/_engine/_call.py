"""The state and sans-IO steps of one logical model call, shared by every driver.

``Call`` builds and shapes the wire request once, computes the cache key, authenticates each
attempt, classifies failures through the one retry policy, and finalizes the ``Response``. The
call program (``_program``) sequences these steps; the drivers (``_drive``) only do the I/O.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .._cache._levels import CacheLevels, cache_key, entry_from_response
from .._cost import Bill
from .._error_kinds import request_id_from
from .._errors import (
    ConfigurationError,
    LLMError,
    LLMTimeoutError,
    ModelRequestError,
    ProviderProtocolError,
)
from .._events import ProgressEvent
from .._host._hook_calls import call_hook, plugin_failure
from .._http._timeouts import Timeouts
from .._logs import cache_log, retry_log
from .._request import Request
from .._response import Response, Usage, normalize_stop
from .._wire import WireDelta, WireRequest, merge_headers
from ._assemble import StreamAssembler
from ._progress import Progress

if TYPE_CHECKING:
    from .._limits import Limiter
    from ._abort import AbortSignal
    from ._engine import Engine
    from ._observe import Watch

__all__ = [
    "CallOptions",
    "Call",
]


@dataclass(slots=True)
class CallOptions:
    """Per-call knobs that are not part of the wire request (so not part of the cache key)."""

    cache: str = "auto"  # "auto": deterministic requests only; "always"; "never"
    clear_cache: bool = False
    cache_ttl_s: float | None = None
    hide_thinking: bool = False
    verbose: bool = False
    timeouts: Timeouts | None = None
    on_progress: Callable[[ProgressEvent], Any] | None = None
    accept_cached: Callable[[Response], bool] | None = None
    key_parts: dict[str, Any] = field(default_factory=dict)
    abort: AbortSignal | None = None
    limiter: Limiter | None = None  # a per-call ``limits=``; else the LLM's
    watch: Watch | None = None  # the observe_call observers (set by Engine.program)


def _is_deterministic(request: Request) -> bool:
    """The default cache rule: temperature 0, or a reasoning request with no temperature set."""
    if request.temperature == 0:
        return True
    return request.temperature is None and request.reasoning_effort is not None


class Call:
    """State of one logical call across its attempts."""

    __slots__ = (
        "attempt",
        "billed_failures",
        "cache_levels",
        "engine",
        "free_retry_used",
        "key",
        "limiter",
        "opts",
        "progress",
        "request",
        "started",
        "streaming",
        "timeouts",
        "wire",
    )

    def __init__(self, engine: Engine, request: Request, opts: CallOptions) -> None:
        self.engine = engine
        self.request = request
        self.streaming = request.stream
        self.opts = opts
        self.timeouts = opts.timeouts or engine.timeouts
        self.limiter = opts.limiter if opts.limiter is not None else engine.limiter
        self.attempt = 1
        self.free_retry_used = False
        self.billed_failures: list[Usage] = []
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
        try:
            wire = provider.build_request(request)
        except LLMError as err:
            raise self.contextualize(err) from None
        except Exception as exc:
            raise self.contextualize(
                plugin_failure(ConfigurationError, engine.plugin, "build_request", exc)
            ) from exc
        if host.has_impls("shape_request"):
            self._hook(
                "shape_request",
                ConfigurationError,
                provider=provider.name,
                model=request.model,
                request=request,
                wire=wire,
            )
        # The caller's extras go on last, over the provider's body and every shaping hook:
        # they are how a caller reaches a provider feature modelport does not model yet.
        if request.extra_headers:
            wire.headers = merge_headers(wire.headers, request.extra_headers)
        if request.extra_body and wire.body is not None:
            wire.body.update(request.extra_body)
        if wire.body is not None and wire.content is None:
            wire.content = json.dumps(wire.body, separators=(",", ":"), ensure_ascii=False).encode()
        self.wire = wire
        self.key: str | None = None
        self.cache_levels: CacheLevels | None = None
        caches = host.registry().caches
        cacheable = opts.cache == "always" or (opts.cache == "auto" and _is_deterministic(request))
        if caches and cacheable:
            # Client-side processing that shapes the stored response (thinking-tag parsing)
            # is part of the key too, or a cached parse would leak into another setting.
            extra: list[dict[str, Any]] = [opts.key_parts] if opts.key_parts else []
            if host.has_impls("cache_key_parts"):
                extra += [
                    part
                    for part in self._hook(
                        "cache_key_parts",
                        ConfigurationError,
                        provider=provider.name,
                        model=request.model,
                        wire=wire,
                    )
                    if part
                ]
            self.key = cache_key(provider.name, provider.version, wire, extra)
            self.cache_levels = CacheLevels(caches)

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
            return call_hook(self.engine.host, hook, error, **kwargs)
        except LLMError as err:
            raise self.contextualize(err) from None

    def emit(self, kind: Any, **detail: Any) -> None:
        if self.progress is not None:
            self.progress.attempt = self.attempt
            self.progress.emit(kind, **detail)

    def _provider_step(self, where: str, error: type[LLMError], step: Callable[[], Any]) -> Any:
        """Run one provider method; a non-``LLMError`` it raises names the plugin."""
        try:
            return step()
        except LLMError as err:
            raise self.contextualize(err) from None
        except Exception as exc:
            raise self.contextualize(plugin_failure(error, self.engine.plugin, where, exc)) from exc

    def prepare_auth(self, key: str | None = None) -> None:
        """Credentials that need I/O: may block (async drivers run it in a worker thread, so
        a credential chain reaching IMDS, SSO or STS never stalls the event loop). ``key``:
        the pool's key for this attempt, whose provider instance holds its credentials."""
        engine = self.engine
        provider = engine.keyed[key] if key is not None else engine.provider
        if provider.auth_pending():
            self._provider_step("prepare_auth", ConfigurationError, provider.prepare_auth)

    def authed(self, key: str | None = None) -> WireRequest:
        """This attempt's copy of the wire request, with credentials (``key``: the pool's key
        for this attempt, through the provider instance that holds it)."""
        w = self.wire
        attempt_wire = WireRequest(w.method, w.url, dict(w.headers), w.body, w.content)
        engine = self.engine
        provider = engine.keyed[key] if key is not None else engine.provider
        self._provider_step(
            "authenticate", ConfigurationError, lambda: provider.authenticate(attempt_wire)
        )
        return attempt_wire

    def contextualize(self, err: LLMError) -> LLMError:
        if err.provider is None:
            err.provider = self.engine.provider.name
        if err.model is None:
            err.model = self.request.model
        # Credentials a provider resolved itself (AWS keys from the standard chain) are
        # scrubbed too, from every error on every path, not only those the provider built.
        try:
            extra = [
                s for p in (self.engine.provider, *self.engine.keyed.values()) for s in p.secrets()
            ]
        except Exception:  # a broken secrets() must not replace the error being reported
            extra = []
        return err.scrubbed([*self.engine.secrets, *extra])

    def http_error(self, status: int, headers: Any, body: bytes) -> LLMError:
        provider = self.engine.provider
        try:
            err: LLMError = self._provider_step(
                "parse_error",
                ProviderProtocolError,
                lambda: provider.parse_error(status, headers, body),
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
            self.billed_failures.append(usage)

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
                self.engine.provider.name,
                self.request.model,
                type(err).__name__,
            )
            return 0.0
        delay = self.engine.retry.delay(err, self.attempt)
        if delay is None:
            self.emit("error", error=type(err).__name__, status=err.status)
            raise err
        retry_log.info(
            "%s %s attempt %d failed (%s, status %s); retrying in %.2f s",
            self.engine.provider.name,
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
                self.engine.provider.name,
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
        provider = self.engine.provider
        response: Response = self._provider_step(
            "parse_response",
            ProviderProtocolError,
            lambda: provider.parse_response(body, self.request),
        )
        apply = self.engine.apply_thinking
        if apply is not None:
            apply(response, self.request, self.opts)
        return response

    def normalized(self, deltas: list[WireDelta]) -> list[WireDelta]:
        """Stream deltas after the ``normalize_delta`` hooks (skipped when none exist)."""
        if not self.engine.host.has_impls("normalize_delta"):
            return deltas
        out: list[WireDelta] = []
        name = self.engine.provider.name
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
        engine = self.engine
        now = time.perf_counter()
        response.provider = engine.provider.name
        response.model = response.model or self.request.model
        response.request_id = response.request_id or request_id_from(headers)
        if response.stop_reason is None and response.raw_stop_reason:
            # The same raw value normalizes the same way whichever path the provider filled.
            response.stop_reason = normalize_stop(response.raw_stop_reason)
            if response.refusal and not response.text and response.stop_reason == "stop":
                response.stop_reason = "refusal"
        response.attempts = self.attempt
        response.latency_s = now - self.started
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
        if not response.messages:
            response.messages = [response.assistant_message()]
        if engine.host.has_impls("normalize_response"):
            self._hook(
                "normalize_response",
                ProviderProtocolError,
                provider=engine.provider.name,
                model=self.request.model,
                request=self.request,
                response=response,
            )
        usages = [*self.billed_failures, response.usage]
        if self.billed_failures:  # usage (and cost) summed over the attempts that were billed
            response.usage = sum(self.billed_failures, Usage()) + response.usage
        response._bill = Bill.charged(
            engine.provider.name, self.request.model, response.model, self.wire.url, usages
        )
        return response

    def new_assembler(self) -> StreamAssembler:
        return StreamAssembler(
            self.engine.provider.name,
            self.request.model,
            thinking=(
                factory(self.request, self.opts)
                if (factory := self.engine.thinking_factory) is not None
                else None
            ),
            hide_thinking=self.opts.hide_thinking,
        )


def _hide_reasoning(response: Response, opts: CallOptions) -> None:
    """``hide_thinking``: the model still reasons, the caller just does not see it."""
    if opts.hide_thinking:
        response.reasoning = None
        for message in response.messages:
            message.reasoning = None
