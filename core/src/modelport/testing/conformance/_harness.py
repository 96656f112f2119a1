"""A real ``modelport.LLM`` around the provider under test, talking to a ``ScriptedServer``.

The provider is registered from code on a private ``PluginHost`` (no entry points, so it
need not be installed, and an installed plugin of the same name cannot shadow it). The
built-in SQLite cache and thinking-tag parser are blocked: the first would make results depend
on earlier runs and touch the user's cache directory, the second would move inline ``<think>``
text out of the answer and make the LLM path differ from the sans-IO one. Cache checks get an
in-memory level-1 cache of their own. Retries back off in milliseconds, so fault checks are fast.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from ... import LLM, RetryPolicy, Timeouts
from ...plugins import PluginHost
from ...provider import Provider, hookimpl
from .._script import Reply
from .._server import ScriptedServer
from ._decode import events_of

if TYPE_CHECKING:
    from ._config import Conformance
    from ._recordings import Case

__all__ = ["MemoryCache", "make_llm", "reply_for", "scripted"]

_CONTENT_TYPES = {
    "sse": "text/event-stream",
    "eventstream": "application/vnd.amazon.eventstream",
    "json": "application/json",
    "raw": "application/octet-stream",
}
# Framing and encoding are the server's own business; a recorded value would lie about it.
_DROPPED = frozenset({"content-length", "transfer-encoding", "content-encoding", "connection"})
DEFAULT_TIMEOUTS = Timeouts(connect=5.0, read=10.0, total=30.0)


class MemoryCache:
    """A level-1 cache backend in a dict: what a cache check observes, and nothing shared."""

    def __init__(self) -> None:
        self.entries: dict[str, dict[str, Any]] = {}

    def get(self, key: str) -> dict[str, Any] | None:
        return self.entries.get(key)

    def set(self, key: str, entry: dict[str, Any], ttl_s: float | None = None) -> None:
        self.entries[key] = entry

    def delete(self, key: str) -> None:
        self.entries.pop(key, None)


class _KitPlugin:
    """The plugin object registering the provider under test (and the check's cache)."""

    def __init__(self, provider: type[Provider], cache: MemoryCache | None) -> None:
        self.provider = provider
        self.cache = cache

    @hookimpl
    def register_providers(self, register: Callable[..., None]) -> None:
        register(self.provider)

    @hookimpl
    def register_caches(self, register: Callable[..., None]) -> None:
        if self.cache is not None:
            register(self.cache, level=1)


@contextmanager
def scripted() -> Iterator[ScriptedServer]:
    with ScriptedServer() as server:
        yield server


def make_llm(
    conf: Conformance,
    server: ScriptedServer,
    *,
    case: Case | None = None,
    cache: MemoryCache | None = None,
    max_retries: int = 0,
    timeout: Timeouts | None = None,
) -> LLM:
    host = PluginHost(
        entry_points=False, blocked=("builtin-cache", "builtin-thinking"), strict=True
    )
    host.register(_KitPlugin(conf.provider, cache), name="modelport-conformance")
    options = {**conf.options, **(case.options if case is not None else {})}
    return LLM(
        f"{conf.provider.name}:{conf.model}",
        api_key=conf.api_key,
        base_url=conf.url_for(server),
        options=options,
        plugins=host,
        retry=RetryPolicy(max_retries=max_retries, backoff_base=0.01, backoff_max=0.05, jitter=0),
        timeout=timeout or DEFAULT_TIMEOUTS,
        cache="auto" if cache is not None else "never",
    )


def reply_for(case: Case, *, close_after: bool = False, body: bytes | None = None) -> Reply:
    """The recording served the way its provider sends it: a stream one event per HTTP chunk,
    anything else as one ``Content-Length`` body, with the recorded status and headers."""
    data = case.body() if body is None else body
    headers = [(k, v) for k, v in case.headers if k.lower() not in _DROPPED]
    content_type = case.content_type or _CONTENT_TYPES[case.format]
    if case.kind in ("stream", "stream_error"):
        return Reply.raw(
            200,
            chunks=events_of(case, data),
            content_type=content_type,
            headers=headers,
            close_after=close_after,
        )
    status = case.status if case.kind == "error" else 200
    return Reply.raw(
        status, data, content_type=content_type, headers=headers, close_after=close_after
    )
