"""The cache seam (``modelport.cache.CacheBackend``): a backend without get, set and delete is
refused when its plugin registers it, with the plugin named; ``modelport.testing.MemoryCache``
is one a real call stores into and hits."""

from __future__ import annotations

import warnings
from typing import Any

import modelport as mp
import pytest
from modelport._host._plugins import PluginHost
from modelport.cache import CacheBackend
from modelport.testing import MemoryCache, ScriptedServer, chat_completion


class Registers:
    def __init__(self, backend: Any) -> None:
        self.backend = backend

    @mp.hookimpl
    def register_caches(self, register: Any) -> None:
        register(self.backend, level=1)


class NoDelete:
    def get(self, key: str) -> None:
        return None

    def set(self, key: str, entry: dict[str, Any], ttl_s: float | None) -> None:
        pass


def test_a_backend_without_its_methods_is_skipped_with_the_plugin_named() -> None:
    host = PluginHost(blocked=["builtin-cache"])
    host.register(Registers(NoDelete()), name="half-cache")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert host.registry().caches == []
    text = " ".join(str(w.message) for w in caught)
    assert "half-cache" in text and "without delete" in text


def test_strict_mode_raises_instead() -> None:
    host = PluginHost(blocked=["builtin-cache"], strict=True)
    host.register(Registers(object()), name="no-cache")
    with pytest.raises(mp.ConfigurationError, match="without get, set, delete"):
        host.registry()


def test_memory_cache_is_a_backend_a_real_call_stores_into_and_hits() -> None:
    backend: CacheBackend = MemoryCache()
    host = PluginHost(blocked=["builtin-cache"])
    host.register(Registers(backend), name="memory")
    with ScriptedServer() as server:
        server.add(chat_completion("cached"))
        with mp.LLM(
            "openai-chat:m", base_url=server.base_url, api_key="k", plugins=host, temperature=0
        ) as llm:
            first = llm.complete("hi", cache_ttl_s=60)
            second = llm.complete("hi")
        assert len(server.requests) == 1
    assert (first.cache_source, second.cache_source) == ("miss", "l1")
    assert second.text == "cached"
    assert isinstance(backend, MemoryCache)
    assert list(backend.ttls.values()) == [60]
    (key,) = backend.data
    backend.delete(key)
    assert backend.data == {} and backend.get(key) is None
