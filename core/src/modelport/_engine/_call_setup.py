"""What a call is given: the caller's per-call options and the engine's fixed setting.

A ``Call`` receives these two values and nothing else, so it never reaches into the engine
(and the engine module can import the call without a cycle).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .._contract import Provider
from .._events import ProgressEvent
from .._host._plugins import PluginHost
from .._http._timeouts import Timeouts
from .._request import Request
from .._response import Response
from .._slotted import Slotted
from ._retry import RetryPolicy

if TYPE_CHECKING:
    from .._limits import KeyPool, Limiter
    from ._abort import AbortSignal
    from ._observe import Watch

__all__ = ["CallOptions", "CallSetup"]


class CallOptions(Slotted):
    """Per-call knobs that are not part of the wire request (so not part of the cache key)."""

    _fields = (
        "cache",
        "clear_cache",
        "cache_ttl_s",
        "hide_thinking",
        "verbose",
        "timeouts",
        "on_progress",
        "accept_cached",
        "key_parts",
        "abort",
        "limiter",
        "watch",
    )
    __slots__ = _fields
    cache: str  # "auto": deterministic requests only; "always"; "never"
    clear_cache: bool
    cache_ttl_s: float | None
    hide_thinking: bool
    verbose: bool
    timeouts: Timeouts | None
    on_progress: Callable[[ProgressEvent], Any] | None
    accept_cached: Callable[[Response], bool] | None
    key_parts: dict[str, Any]
    abort: AbortSignal | None
    limiter: Limiter | None  # a per-call ``limits=``; else the LLM's
    watch: Watch | None  # the observe_call observers (set when an observed call starts)

    def __init__(
        self,
        cache: str = "auto",
        clear_cache: bool = False,
        cache_ttl_s: float | None = None,
        hide_thinking: bool = False,
        verbose: bool = False,
        timeouts: Timeouts | None = None,
        on_progress: Callable[[ProgressEvent], Any] | None = None,
        accept_cached: Callable[[Response], bool] | None = None,
        key_parts: dict[str, Any] | None = None,
        abort: AbortSignal | None = None,
        limiter: Limiter | None = None,
        watch: Watch | None = None,
    ) -> None:
        self.cache = cache
        self.clear_cache = clear_cache
        self.cache_ttl_s = cache_ttl_s
        self.hide_thinking = hide_thinking
        self.verbose = verbose
        self.timeouts = timeouts
        self.on_progress = on_progress
        self.accept_cached = accept_cached
        self.key_parts = dict() if key_parts is None else key_parts
        self.abort = abort
        self.limiter = limiter
        self.watch = watch


class CallSetup(Slotted):
    """The engine's setting every call of one ``LLM`` shares: built once, read per call."""

    _fields = (
        "provider",
        "host",
        "plugin",
        "retry",
        "timeouts",
        "secrets",
        "on_progress",
        "thinking_factory",
        "apply_thinking",
        "limiter",
        "pool",
        "keyed",
    )
    __slots__ = _fields
    provider: Provider
    host: PluginHost
    plugin: str  # the plugin that registered the provider: named in errors a provider bug causes
    retry: RetryPolicy
    timeouts: Timeouts
    secrets: list[str]
    on_progress: Callable[[ProgressEvent], Any] | None
    thinking_factory: Callable[[Request, CallOptions], Any] | None
    apply_thinking: Callable[[Response, Request, CallOptions], None] | None
    limiter: Limiter | None
    pool: KeyPool | None
    # A key pool: one provider instance per key (a provider authenticates with its own
    # settings), chosen per attempt.
    keyed: dict[str, Provider]

    def __init__(
        self,
        provider: Provider,
        host: PluginHost,
        plugin: str,
        retry: RetryPolicy,
        timeouts: Timeouts,
        secrets: list[str],
        on_progress: Callable[[ProgressEvent], Any] | None = None,
        thinking_factory: Callable[[Request, CallOptions], Any] | None = None,
        apply_thinking: Callable[[Response, Request, CallOptions], None] | None = None,
        limiter: Limiter | None = None,
        pool: KeyPool | None = None,
        keyed: dict[str, Provider] | None = None,
    ) -> None:
        self.provider = provider
        self.host = host
        self.plugin = plugin
        self.retry = retry
        self.timeouts = timeouts
        self.secrets = secrets
        self.on_progress = on_progress
        self.thinking_factory = thinking_factory
        self.apply_thinking = apply_thinking
        self.limiter = limiter
        self.pool = pool
        self.keyed = dict() if keyed is None else keyed
