"""Each hookspec exercised by a real test plugin, through ``LLM`` against the scripted server."""

from __future__ import annotations

import json
import pickle
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import modelport as mp
import pytest
from modelport._host._plugins import PluginHost
from modelport._wire import TextDelta, WireDelta, WireRequest
from modelport.testing import MemoryCache, Reply, ScriptedServer

CANARY = "sk-canary-cache-0123456789"


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    with ScriptedServer() as s:
        yield s


@pytest.fixture
def chat(conformance: Path) -> Path:
    return conformance / "openai-chat"


class Shaper:
    @mp.hookimpl
    def shape_request(self, provider: str, model: str, request: Any, wire: WireRequest) -> None:
        assert wire.body is not None
        wire.body.pop("seed", None)  # pretend the model rejects seed
        wire.headers["x-shaped-by"] = "test"
        assert "authorization" not in {k.lower() for k in wire.headers}  # no credentials yet


class Normalizer:
    @mp.hookimpl
    def normalize_response(self, provider: str, model: str, request: Any, response: Any) -> None:
        response.text = response.text.upper()

    @mp.hookimpl
    def normalize_delta(self, provider: str, model: str, delta: WireDelta) -> WireDelta | None:
        if isinstance(delta, TextDelta):
            return TextDelta(delta.text.replace("o", "0"))
        return None


class CachePlugin:
    def __init__(self) -> None:
        self.backend = MemoryCache()
        self.salt = "v1"

    @mp.hookimpl
    def register_caches(self, register: Any) -> None:
        register(self.backend, level=1)

    @mp.hookimpl
    def cache_key_parts(self, provider: str, model: str, wire: WireRequest) -> dict[str, Any]:
        return {"salt": self.salt}


class Observer:
    def __init__(self) -> None:
        self.kinds: list[str] = []

    @mp.hookimpl
    def on_progress(self, event: mp.ProgressEvent) -> None:
        self.kinds.append(event.kind)


def llm_with(host: PluginHost, server: ScriptedServer, **kw: Any) -> mp.LLM:
    return mp.LLM(
        "openai-chat:gpt-test", base_url=server.base_url, api_key=CANARY, plugins=host, **kw
    )


def test_shape_request_edits_the_wire(server: ScriptedServer, chat: Path) -> None:
    host = PluginHost()
    host.register(Shaper(), name="shaper")
    server.add(Reply.from_file(chat / "chat-nonstream-text.json"))
    with llm_with(host, server) as llm:
        llm.complete("hi", seed=7)
    sent = server.requests[0]
    assert "seed" not in sent.json() and sent.headers["x-shaped-by"] == "test"


def test_normalize_response_and_delta(server: ScriptedServer, chat: Path) -> None:
    host = PluginHost()
    host.register(Normalizer(), name="normalizer")
    server.add(Reply.from_file(chat / "chat-nonstream-text.json"))
    server.add(Reply.from_file(chat / "chat-stream-text.sse"))
    with llm_with(host, server) as llm:
        assert llm.complete("hi").text.startswith("WHY DID")
        events = list(llm.stream("hi"))
    answer = "".join(e.content for e in events if e.type == "answer")
    assert "o" not in answer and "0" in answer
    assert events[-2].content.text == answer.upper()


def test_the_assistant_turn_is_built_from_the_finished_response(
    server: ScriptedServer, chat: Path
) -> None:
    """``Response.messages`` of a finished call is built on first read: from the response as
    the hooks left it, and the same after a copy or a pickle made before that read."""
    host = PluginHost()
    host.register(Normalizer(), name="normalizer")
    server.add(Reply.from_file(chat / "chat-nonstream-text.json"))
    with llm_with(host, server) as llm:
        response = llm.complete("hi")
    restored = pickle.loads(pickle.dumps(response))  # before ``messages`` was read
    copied = response.model_copy(update={"text": "edited"})
    assert response.text == response.text.upper() and response.text
    assert copied.messages == response.messages == [response.assistant_message()]
    assert response.messages[0].content == response.text  # the hook's edit included
    assert restored.messages == response.messages and restored == response
    assert mp.Response(text="built by hand").messages == []  # only a finished call builds one


def test_cache_backend_and_key_parts(server: ScriptedServer, chat: Path) -> None:
    host = PluginHost()
    plugin = CachePlugin()
    host.register(plugin, name="memcache")
    for _ in range(4):
        server.add(Reply.from_file(chat / "chat-nonstream-text.json"))
    with llm_with(host, server, temperature=0) as llm:
        first = llm.complete("hi")
        second = llm.complete("hi")
        streamed = list(llm.stream("hi"))  # stream flags are not part of the key: a hit
        assert (first.cache_source, second.cache_source) == ("miss", "l1")
        assert first.cache_key == second.cache_key and second.text == first.text
        assert streamed[-2].content.cache_source == "l1"
        assert "".join(e.content for e in streamed if e.type == "answer") == first.text
        plugin.salt = "v2"  # a key part changed: a miss
        assert llm.complete("hi").cache_source == "miss"
        assert llm.complete("hi", temperature=0.7).cache_source == "miss"  # sampling: no cache
        assert llm.complete("hi", cache="never").cache_source == "miss"
    assert len(server.requests) == 4  # miss, salt change, sampling, cache="never"
    assert plugin.backend.data
    for key, entry in plugin.backend.data.items():
        assert CANARY not in key and CANARY not in json.dumps(entry)


def test_on_progress_hook_and_callback(server: ScriptedServer, chat: Path) -> None:
    host = PluginHost()
    observer = Observer()
    host.register(observer, name="observer")
    server.add(Reply.from_file(chat / "chat-stream-text.sse"))
    seen: list[str] = []
    with llm_with(host, server, on_progress=lambda e: seen.append(e.kind)) as llm:
        list(llm.stream("hi"))
    assert observer.kinds == seen
    assert seen[0] == "started" and "first_token" in seen and seen[-1] == "done"


def test_a_raising_observer_never_fails_the_request(server: ScriptedServer, chat: Path) -> None:
    server.add(Reply.from_file(chat / "chat-nonstream-text.json"))

    def boom(event: mp.ProgressEvent) -> None:
        raise RuntimeError("observer bug")

    with mp.LLM("openai-chat:m", base_url=server.base_url, api_key="k", on_progress=boom) as llm:
        with pytest.warns(RuntimeWarning, match="observer bug"):
            assert llm.complete("hi").text


def test_register_thinking_adds_a_pattern(server: ScriptedServer) -> None:
    class Reasoner:
        @mp.hookimpl
        def register_thinking(self, register: Any) -> None:
            register("<reason>", "</reason>")

    host = PluginHost()
    host.register(Reasoner(), name="reasoner")
    body = {
        "id": "x",
        "object": "chat.completion",
        "model": "m",
        "choices": [
            {
                "index": 0,
                "finish_reason": "stop",
                "message": {"role": "assistant", "content": "<reason>because</reason>Answer"},
            }
        ],
    }
    server.add(Reply.json(body))
    with llm_with(host, server) as llm:
        r = llm.complete("hi")
    assert (r.reasoning, r.text) == ("because", "Answer")


def test_same_request_built_two_ways_has_one_key(server: ScriptedServer, chat: Path) -> None:
    """LLM-wide defaults vs per-call kwargs, a str prompt vs message dicts: one key."""
    host = PluginHost()
    host.register(CachePlugin(), name="memcache")
    server.add(Reply.from_file(chat / "chat-nonstream-text.json"))
    server.add(Reply.from_file(chat / "chat-nonstream-text.json"))
    with llm_with(host, server, temperature=0, max_tokens=20) as by_defaults:
        first = by_defaults.complete("hi", system="be brief")
    with llm_with(host, server) as by_kwargs:
        second = by_kwargs.complete(
            [{"role": "system", "content": "be brief"}, {"role": "user", "content": "hi"}],
            max_tokens=20,
            temperature=0,
        )
        other = by_kwargs.complete("hi", system="be brief", temperature=0, max_tokens=21)
    assert second.cache_source == "l1" and second.cache_key == first.cache_key
    assert other.cache_source == "miss" and other.cache_key not in (None, first.cache_key)
    assert len(server.requests) == 2


def test_provider_resolved_secrets_are_scrubbed_from_core_errors(
    server: ScriptedServer, chat: Path
) -> None:
    from modelport_openai_chat import OpenAIChatProvider

    secret = "aws-secret-canary-0123456789abcdef"

    class Leaky(OpenAIChatProvider):
        name = "leaky"

        def secrets(self) -> list[str]:
            return [secret]

        def parse_response(self, body: bytes, request: Any) -> Any:
            raise ValueError(f"could not sign with {secret}")

    class LeakyPlugin:
        @mp.hookimpl
        def register_providers(self, register: Any) -> None:
            register(Leaky)

    host = PluginHost()
    host.register(LeakyPlugin(), name="leaky")
    server.add(Reply.from_file(chat / "chat-nonstream-text.json"))
    with mp.LLM("leaky:m", base_url=server.base_url, api_key="k", plugins=host) as llm:
        with pytest.raises(mp.ProviderProtocolError) as info:
            llm.complete("hi", cache="never")
    assert secret not in str(info.value) and "[REDACTED]" in str(info.value)
