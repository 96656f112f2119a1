"""``LLM``: the user API. async-first, with a sync API that never touches an event loop.

The sync methods drive the sync HTTP client directly, so they work unchanged inside a running
event loop (Jupyter) and never create a loop per call; the async methods use the async client.
Both run the same engine, so retries, errors and caching behave identically.
"""

from __future__ import annotations

import os
from collections.abc import AsyncGenerator, Callable, Generator, Mapping, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

from ._contract import ModelProfile, Provider, ProviderSettings
from ._deprecations import warn_once
from ._engine._call_setup import CallOptions, CallSetup
from ._engine._engine import Engine
from ._engine._program import Program
from ._engine._progress import Progress
from ._engine._relay import Relayed, relay
from ._engine._retry import RetryPolicy
from ._errors import (
    ConfigurationError,
    ContextWindowExceededError,
    LLMError,
    LLMTimeoutError,
    ProviderConnectionError,
    ProviderServerError,
    RateLimitError,
)
from ._events import ProgressEvent, StreamEvent
from ._host._plugins import PluginHost, default_host
from ._http._timeouts import Timeouts, coerce_timeouts
from ._http._transport import Transport
from ._options import check_call_options, check_llm_settings, check_request_params
from ._prepare import DEFAULTABLE, Prepared, Prompt, prepare, sort_arguments
from ._response import Response
from ._thinking._setup import ThinkingSetup
from ._tools._structured_calls import streamed_structured, whole_structured

if TYPE_CHECKING:
    from ._counting import TokenCount
    from ._engine._abort import AbortSignal
    from ._limits import KeyPool, Limiter, Limits

__all__ = ["LLM"]

# What a fallback answers by default: failures another model may not have.
DEFAULT_FALLBACK_ON: tuple[type[LLMError], ...] = (
    RateLimitError,
    ProviderServerError,
    LLMTimeoutError,
    ProviderConnectionError,
    ContextWindowExceededError,
)


def parse_spec(spec: str) -> tuple[str, str]:
    """``"provider:model"`` -> (provider, model); the model part may contain colons."""
    if not isinstance(spec, str) or ":" not in spec:
        raise ConfigurationError(
            f"model spec must look like 'provider:model' (e.g. 'openai-chat:gpt-4o-mini') or "
            f"name an alias in modelport.toml, got {spec!r}"
        )
    provider, model = spec.split(":", 1)
    if not provider or not model:
        raise ConfigurationError(f"model spec {spec!r} needs both a provider and a model")
    return provider, model


class LLM:
    """A model you can call. Create one per model and reuse it: it owns a connection pool.

    ``LLM("openai-chat:gpt-4o-mini", api_key=..., base_url=...)``. Keyword defaults such as
    ``temperature=0`` apply to every call unless a call overrides them.
    ``transport=``: a registered name (``"httpx2"``, the default unless ``MODELPORT_TRANSPORT``
    names another; ``"stdlib"``; ``"aiohttp"`` with its plugin) or a transport object.
    """

    def __init__(
        self,
        model: str | None = None,
        *,
        api_key: str | list[str] | KeyPool | None = None,
        base_url: str | None = None,
        timeout: Timeouts | float | None = None,
        retry: RetryPolicy | int | None = None,
        max_retries: int | None = None,
        on_progress: Callable[[ProgressEvent], Any] | None = None,
        options: Mapping[str, Any] | None = None,
        plugins: PluginHost | None = None,
        transport: Transport | str | None = None,
        thinking: Any = None,
        hide_thinking: bool = False,
        verbose: bool = False,
        cache: str = "auto",
        limits: Limits | None = None,
        fallbacks: Sequence[str | LLM] = (),
        fallback_on: tuple[type[LLMError], ...] = DEFAULT_FALLBACK_ON,
        use_cache: bool | None = None,
        strict: bool | None = None,
        **defaults: Any,
    ) -> None:
        from ._config import resolve_model  # modelport.toml: read only for an alias or no model

        model_spec, alias = resolve_model(model)
        if alias is not None:  # the alias's settings, under the explicit arguments
            api_key, base_url, timeout, limits, fallbacks, defaults = alias.under(
                api_key, base_url, timeout, limits, fallbacks, defaults
            )
            if retry is None and max_retries is None:
                retry = alias.retry
        self.provider_name, self.model = parse_spec(model_spec)
        unknown = set(defaults) - DEFAULTABLE
        if unknown:
            raise ConfigurationError(
                f"unknown LLM option(s) {sorted(unknown)}; pass provider-specific parameters in "
                "extra_body={...}"
            )
        if use_cache is not None:
            warn_once("use_cache=", "cache='never' to turn caching off")
            check_call_options({"use_cache": use_cache})
            if not use_cache:
                cache = "never"
        if cache not in ("auto", "always", "never"):
            raise ConfigurationError(f"cache must be 'auto', 'always' or 'never', not {cache!r}")
        if max_retries is not None:
            warn_once("max_retries=", "retry=N (or retry=mp.RetryPolicy(...))")
            if retry is not None:
                raise ConfigurationError("pass retry= only (max_retries= is its old spelling)")
            retry = max_retries
        if retry is None:
            retry = RetryPolicy()
        elif not isinstance(retry, RetryPolicy):
            check_llm_settings(
                max_retries=retry, base_url=None, api_key=None, options=None, on_progress=None
            )
            retry = RetryPolicy(max_retries=retry)
        pool: KeyPool | None = None
        if api_key is not None and not isinstance(api_key, str):  # a pool: load its module
            from ._limits._keypool import KeyPool

            if isinstance(api_key, list | tuple):
                api_key = KeyPool(api_key)
            if isinstance(api_key, KeyPool):
                pool, api_key = api_key, api_key.keys[0]
        check_llm_settings(
            max_retries=retry.max_retries,
            base_url=base_url,
            api_key=api_key,
            options=options,
            on_progress=on_progress,
        )
        check_request_params(defaults)
        check_call_options(defaults)
        check_call_options({"hide_thinking": hide_thinking, "verbose": verbose})
        self.host = plugins or default_host()
        cls = self.host.provider_class(self.provider_name)
        key_env = cls.api_key_env
        if api_key is None and key_env:
            api_key = os.environ.get(key_env) or None
        # strict: parameters the model rejects raise instead of being dropped with a warning.
        strict = self.host.strict if strict is None else bool(strict)
        settings = ProviderSettings(
            model=self.model,
            base_url=base_url,
            api_key=api_key,
            options=dict(options or {}),
            strict=strict,
        )
        self.provider: Provider = cls(settings)
        keyed: dict[str, Provider] = {}
        if pool is not None:
            for key in pool.keys:
                keyed[key] = cls(
                    ProviderSettings(
                        model=self.model,
                        base_url=base_url,
                        api_key=key,
                        options=dict(options or {}),
                        strict=strict,
                    )
                )
        if api_key is None and self.provider.api_key_required():
            hint = f" or set {key_env}" if key_env else ""
            raise ConfigurationError(
                f"provider {self.provider_name!r} needs an API key: pass api_key=...{hint}",
                provider=self.provider_name,
                model=self.model,
            )
        self._defaults = defaults
        self._arguments = sort_arguments(defaults)  # sorted once, not on every call
        self._static_profile: ModelProfile | None = None  # built on first need (_profile)
        settings.resolved_profile = self._profile  # the provider shapes by the layered profile
        self._thinking = ThinkingSetup(self.host, self.provider_name, self.model, thinking)
        self._base_opts = CallOptions(cache=cache, hide_thinking=hide_thinking, verbose=verbose)
        self._transport = self.host.transport(transport)
        self._limits_key = (self.provider_name, base_url or "", self.model)
        self._engine = Engine(
            CallSetup(
                self.provider,
                self.host,
                self.host.registry().provider_plugin.get(self.provider.name, self.provider.name),
                retry,
                coerce_timeouts(timeout),
                pool.keys if pool is not None else ([api_key] if api_key else []),
                on_progress=on_progress,
                thinking_factory=self._thinking.parser_for,
                apply_thinking=self._thinking.apply,
                limiter=self._limiter(limits),
                pool=pool,
                keyed=keyed,
            ),
            self._transport,
        )

        self._fallback_on = fallback_on
        self._fallbacks: list[LLM] = []
        for spec in fallbacks:
            if isinstance(spec, LLM):
                self._fallbacks.append(spec)
            elif isinstance(spec, str):
                # Same call settings, the fallback provider's own key and URL (environment).
                self._fallbacks.append(
                    LLM(
                        spec,
                        timeout=timeout,
                        retry=retry,
                        on_progress=on_progress,
                        plugins=self.host,
                        thinking=thinking,
                        hide_thinking=hide_thinking,
                        verbose=verbose,
                        cache=cache,
                        **defaults,
                    )
                )
            else:
                raise ConfigurationError(
                    f"a fallback is a model spec or an LLM, not {type(spec).__name__}"
                )

    def __repr__(self) -> str:
        return f"LLM({self.provider_name}:{self.model})"

    def _limiter(self, limits: Any) -> Limiter | None:
        if limits is None:
            return None
        from ._limits import Limits, shared_limiter

        if not isinstance(limits, Limits):
            raise ConfigurationError(f"limits must be a modelport.Limits, not {limits!r}")
        return shared_limiter(*self._limits_key, limits, self.host)

    # -- building a request ----------------------------------------------------------------

    def _prepare(self, prompt: Prompt, kw: dict[str, Any], *, stream: bool) -> Prepared:
        return prepare(self, prompt, kw, stream=stream)

    # -- calls -------------------------------------------------------------------------------

    def complete(self, prompt: Prompt, **kw: Any) -> Response:
        """Send a prompt (a string or a list of messages) and return the whole response.

        With function tools, runs the tool loop until the model answers (see docs/tools.md).
        """
        program, abort = self._program(prompt, kw, stream=False)
        response: Response = self._engine.run(program, abort)
        return response

    async def acomplete(self, prompt: Prompt, **kw: Any) -> Response:
        program, abort = self._program(prompt, kw, stream=False)
        response: Response = await self._engine.arun(program, abort)
        return response

    def stream(self, prompt: Prompt, **kw: Any) -> Generator[StreamEvent, Any, None]:
        """Yield ``StreamEvent``s as they arrive; the ``final`` event carries the Response.

        A ``review_request`` event (tools with ``interceptor=``) waits for a decision sent with
        ``stream.send(decision)``, which returns the next event.
        """
        program, abort = self._program(prompt, kw, stream=True)
        yield from self._engine.drive(program, abort)  # forwards send() too

    def astream(self, prompt: Prompt, **kw: Any) -> AsyncGenerator[StreamEvent, Any]:
        """Async ``stream``; answer a ``review_request`` with ``await stream.asend(decision)``.

        The driver's own generator: the call is prepared on its first step, as ``stream``'s."""
        return self._engine.adrive(partial(self._program, prompt, kw, stream=True))

    # -- the call programs ---------------------------------------------------------------------

    def _program(
        self, prompt: Prompt, kw: dict[str, Any], *, stream: bool
    ) -> tuple[Program, AbortSignal | None]:
        p = prepare(self, prompt, kw, stream=stream)  # ``kw`` is this call's own: not copied
        if not self._fallbacks:
            return self._program_for(p, stream), p.opts.abort
        return self._with_fallbacks(p, prompt, kw, stream), p.opts.abort

    def _program_for(self, p: Prepared, stream: bool) -> Program:
        if p.structured is not None and p.structured.two_pass:
            from ._tools._two_pass import two_pass_program

            return two_pass_program(self._engine, p, stream)
        if not stream:
            if p.structured is None:  # nothing to validate: the bare program, one level less
                return self._engine.program(p.request, p.opts, False, p.loop)
            return whole_structured(self._engine, p)
        return streamed_structured(self._engine, p)

    def _with_fallbacks(
        self, first: Prepared, prompt: Prompt, kw: dict[str, Any], stream: bool
    ) -> Program:
        """This model, then each fallback in turn, when a call fails (after its own retries)
        with one of ``fallback_on``; a stream only before its first event."""
        chain = [self, *self._fallbacks]
        for i, llm in enumerate(chain):
            p = first if i == 0 else llm._prepare(prompt, dict(kw), stream=stream)
            seen = Relayed()
            try:
                response: Response = yield from relay(llm._program_for(p, stream), None, seen)
                return response
            except LLMError as err:
                if i == len(chain) - 1 or seen.events_out or not isinstance(err, self._fallback_on):
                    raise
                nxt = chain[i + 1]
                callback = first.opts.on_progress or self._engine.setup.on_progress
                hook = self.host.pm.hook if self.host.has_impls("on_progress") else None
                Progress(llm.provider_name, llm.model, callback, hook).emit(
                    "fallback",
                    error=type(err).__name__,
                    status=getattr(err, "status", None),
                    to=f"{nxt.provider_name}:{nxt.model}",
                )
        raise AssertionError("unreachable")

    def count_tokens(self, prompt: Prompt, **kw: Any) -> TokenCount:
        """The prompt's input tokens, counted by the provider's server where it can (llama.cpp's
        tokenizer), else estimated (``.estimated`` is then True). Sync; see docs/guide.md."""
        from ._counting import count_tokens

        return count_tokens(self, self._prepare(prompt, dict(kw), stream=False).request)

    def models(self) -> list[str]:
        """Model ids the provider's server lists (when the provider supports listing)."""
        from ._listing import list_models

        return list_models(self)

    def model_info(self, model: str | None = None) -> ModelProfile:
        """What the model accepts (``mp.ModelProfile``): the provider's table, plugins'
        corrections, what its server reports (the loaded context window, vision) and your
        ``[profiles]`` in modelport.toml. ``model``: another model of this provider and server.
        A server that cannot answer leaves the static profile (logged); see docs/profiles.md."""
        profile: ModelProfile = self._engine.run(self._info_program(model))
        return profile

    async def amodel_info(self, model: str | None = None) -> ModelProfile:
        profile: ModelProfile = await self._engine.arun(self._info_program(model))
        return profile

    def _info_program(self, model: str | None) -> Program:
        from ._profiles._fetch import model_info_program

        return model_info_program(self._engine, self.provider_name, model or self.model)

    def _profile(self) -> ModelProfile:
        """The profile calls are shaped by: static (no server I/O), built once per LLM."""
        if self._static_profile is None:
            from ._profiles._resolve import call_profile

            self._static_profile = call_profile(self._engine, self.provider_name, self.model)
        return self._static_profile

    # -- lifecycle ----------------------------------------------------------------------------

    def close(self) -> None:
        self._transport.close()

    async def aclose(self) -> None:
        await self._transport.aclose()

    def __enter__(self) -> LLM:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    async def __aenter__(self) -> LLM:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
