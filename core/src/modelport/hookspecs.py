"""The hooks a modelport plugin may implement. docs/hooks.md explains each with an example.

Hooks that run per request are skipped entirely when no plugin implements them, so an unused
hook costs nothing on the hot path.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ._markers import hookspec

if TYPE_CHECKING:
    from ._contract import ModelProfile
    from ._engine._observe import CallInfo, CallObserver
    from ._events import ProgressEvent
    from ._request import Request
    from ._response import Response
    from ._wire import WireDelta, WireRequest

__all__ = [
    "cache_key_parts",
    "model_profile",
    "normalize_delta",
    "normalize_response",
    "observe_call",
    "on_progress",
    "register_caches",
    "register_limit_backends",
    "register_providers",
    "register_thinking",
    "register_transports",
    "shape_request",
]


@hookspec
def register_providers(register: Callable[..., None]) -> None:
    """Register providers: ``register("package.module:Class", name="my-api")`` (lazy) or
    ``register(ProviderClass)``, once per provider.

    The name is the prefix of model specs (``"my-api"`` in ``"my-api:some-model"``). The lazy
    form is preferred: the core knows the name without importing anything, and imports the
    class the first time a model spec names it, so creating an ``LLM`` for one provider does not
    import every installed provider's translator. The class is then checked against the provider
    contract, and its ``name`` must equal the registered one; a failure there is a
    ``ConfigurationError`` naming the plugin and the target. Listing plugins or providers never
    imports a lazily registered class (it only checks that the module can be found).

    Implementations are called in pluggy's order (``tryfirst`` first, then the most recently
    registered plugin, then ``trylast``) and the first registration of a name wins. Override
    another plugin's provider on purpose with ``@hookimpl(tryfirst=True)``: that is silent. Two
    registrations of one name with the same priority are a conflict: the loser is named in a
    warning (``ConfigurationError`` in strict mode).
    """


@hookspec
def register_transports(register: Callable[..., None]) -> None:
    """Register HTTP transports: ``register("package.module:Factory", name="my-http")`` (lazy)
    or ``register(factory, name="my-http")``, once per transport.

    A factory is called with no arguments and returns a transport (``send`` / ``asend`` and
    ``close`` / ``aclose``, see ``modelport.transport.Transport``); a transport class is one.
    ``LLM(transport="my-http")`` creates one instance per ``LLM``, and so does
    ``MODELPORT_TRANSPORT=my-http`` for every ``LLM`` that names no transport. The lazy form is
    preferred: the module, and the HTTP library it wraps, are imported only when an ``LLM``
    chooses the name, never to list plugins. A failure there (the module does not import, the
    factory raises or returns something without the four methods) is a ``ConfigurationError``
    naming the plugin and the target.

    The core registers ``"httpx2"`` (the default) and ``"stdlib"`` through this hook, from the
    built-in plugin ``builtin-transports``. Which registration of a name wins follows the rules
    of ``register_providers``: pluggy's call order, the first registration wins, ``tryfirst``
    overrides silently, the same priority is a warned conflict.
    """


@hookspec
def register_caches(register: Callable[..., None]) -> None:
    """Register cache backends: ``register(backend, level=...)``; level 1 is fastest (local).

    A backend has ``get(key) -> dict | None``, ``set(key, entry, ttl_s)`` and ``delete(key)``.
    The core reads levels in order and backfills faster levels on a slower hit.
    """


@hookspec
def register_limit_backends(register: Callable[..., None]) -> None:
    """Register shared-state backends for limits and key pools: ``register("redis", factory)``.

    ``Limits(backend="redis")`` (in code or in ``modelport.toml``) names one; the factory is
    called with no arguments the first time a limit names it, and returns a
    ``modelport.provider.LimitBackend`` that every limit naming it in the process then shares.
    Registering does no I/O. The first registration of a name wins (pluggy's call order). An
    unknown name is a ``ConfigurationError`` listing the registered ones.
    """


@hookspec
def register_thinking(register: Callable[..., None]) -> None:
    """Contribute thinking-token patterns: ``register(start, end, models=None)``.

    ``models`` is an optional predicate ``(provider, model) -> bool`` limiting where the pattern
    applies. The core's built-in plugin registers ``<think>``, ``<thinking>`` and ``[THINK]``.
    """


@hookspec
def model_profile(provider: str, model: str, profile: ModelProfile) -> ModelProfile | None:
    """Correct or complete what a model accepts: return a replacement profile (usually
    ``profile.merged(...)``), or ``None`` to keep it.

    ``profile`` is the provider's own (``Provider.profile(model)``) as changed by the
    implementations called before this one (pluggy's order: ``tryfirst`` first, so a
    ``trylast`` implementation has the last word). Called once per ``LLM`` when its profile is
    first needed (a structured-output call, ``llm.model_info()``), never per request. What a
    server reports and the user's ``[profiles]`` table in ``modelport.toml`` still win over
    it (docs/profiles.md).
    """


@hookspec
def shape_request(provider: str, model: str, request: Request, wire: WireRequest) -> None:
    """Adjust the outgoing wire request in place (drop parameters a model rejects, map
    ``reasoning_effort``, add headers). Runs after the provider built it and before the cache key
    is computed, so every change is part of the key. Credentials are not present yet.
    """


@hookspec
def normalize_response(provider: str, model: str, request: Request, response: Response) -> None:
    """Post-process a normalized non-streamed ``Response`` in place (also the final response
    assembled from a stream)."""


@hookspec
def normalize_delta(provider: str, model: str, delta: WireDelta) -> WireDelta | None:
    """Rewrite one stream delta before assembly. Return a replacement, or ``None`` to keep it.

    Called per chunk, only when some plugin implements it; keep it cheap.
    """


@hookspec
def cache_key_parts(provider: str, model: str, wire: WireRequest) -> dict[str, Any] | None:
    """Contribute extra values to the cache key (for state that lives outside the wire body,
    such as a plugin's own configuration). Return ``None`` to contribute nothing."""


@hookspec
def on_progress(event: ProgressEvent) -> None:
    """Observe lifecycle events: started, first_token, retry, cache_hit, stream_progress, done,
    error. Exceptions raised here are logged and ignored; they never fail a request."""


@hookspec
def observe_call(call: CallInfo) -> CallObserver | None:
    """Watch one call, from its start to its end: return an observer (or ``None`` to skip it).

    The engine tells the observer about each HTTP attempt (``attempt(info)`` returns an
    attempt observer told the status and the end), each tool execution (``tool(call)``
    returns a tool observer, entered around the tool function and told its result), and the
    end of the call (``end(response, error)``: the ``Response``, a cache hit included, or the
    error; ``GeneratorExit`` when the caller closed a stream early). A call is what one
    ``complete`` / ``stream`` runs on one model, a whole tool loop included; a fallback model
    or a structured-output retry is a call of its own. Built for tracers (``modelport-otel``):
    the hook runs on the caller's thread or task when the call starts, so the caller's
    current span is at hand. Observers see no credentials; an observer that raises is
    reported as a warning and never fails the call. Skipped entirely when no plugin
    implements it.
    """
