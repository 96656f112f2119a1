"""What a call is given: the caller's per-call options and the engine's fixed setting.

A ``Call`` receives these two values and nothing else, so it never reaches into the engine
(and the engine module can import the call without a cycle).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .._contract import Provider
from .._events import ProgressEvent
from .._host._plugins import PluginHost
from .._http._timeouts import Timeouts
from .._request import Request
from .._response import Response
from ._retry import RetryPolicy

if TYPE_CHECKING:
    from .._limits import KeyPool, Limiter
    from ._abort import AbortSignal
    from ._observe import Watch

__all__ = ["CallOptions", "CallSetup"]


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
    watch: Watch | None = None  # the observe_call observers (set when an observed call starts)


@dataclass(frozen=True, slots=True)
class CallSetup:
    """The engine's setting every call of one ``LLM`` shares: built once, read per call."""

    provider: Provider
    host: PluginHost
    plugin: str  # the plugin that registered the provider: named in errors a provider bug causes
    retry: RetryPolicy
    timeouts: Timeouts
    secrets: list[str]
    on_progress: Callable[[ProgressEvent], Any] | None = None
    thinking_factory: Callable[[Request, CallOptions], Any] | None = None
    apply_thinking: Callable[[Response, Request, CallOptions], None] | None = None
    limiter: Limiter | None = None
    pool: KeyPool | None = None
    # A key pool: one provider instance per key (a provider authenticates with its own
    # settings), chosen per attempt.
    keyed: dict[str, Provider] = field(default_factory=dict)
