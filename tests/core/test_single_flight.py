"""Single flight: N concurrent identical cacheable calls make one upstream request."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import modelport as mp
import pytest
from modelport._host._plugins import PluginHost
from modelport.testing import Fault, MemoryCache, Reply, ScriptedServer


class CachePlugin:
    def __init__(self) -> None:
        self.backend = MemoryCache()

    @mp.hookimpl
    def register_caches(self, register: Any) -> None:
        register(self.backend, level=1)


@pytest.fixture
def setup(conformance: Path) -> Iterator[tuple[ScriptedServer, mp.LLM]]:
    host = PluginHost(blocked=["builtin-sqlite-cache"])
    host.register(CachePlugin(), name="memcache")
    body = conformance / "openai-chat" / "chat-nonstream-text.json"
    with ScriptedServer() as server:
        server.route(
            "POST", "/v1/chat/completions", Fault.slow_first_byte(Reply.from_file(body), delay=0.3)
        )
        llm = mp.LLM(
            "openai-chat:m", base_url=server.base_url, api_key="k", plugins=host, temperature=0
        )
        with llm:
            yield server, llm


def test_async_concurrent_identical_calls_share_one_request(
    setup: tuple[ScriptedServer, mp.LLM],
) -> None:
    server, llm = setup

    async def run() -> list[mp.Response]:
        return await asyncio.gather(*(llm.acomplete("same") for _ in range(10)))

    responses = asyncio.run(run())
    assert len(server.requests) == 1
    assert len({r.text for r in responses}) == 1
    assert sorted(r.cache_source for r in responses) == ["l1"] * 9 + ["miss"]


def test_threads_share_one_request_and_different_prompts_do_not(
    setup: tuple[ScriptedServer, mp.LLM],
) -> None:
    server, llm = setup
    results: list[str] = []

    def call(prompt: str) -> None:
        results.append(llm.complete(prompt).cache_source)

    threads = [threading.Thread(target=call, args=(p,)) for p in ["a"] * 6 + ["b"] * 2]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert len(server.requests) == 2
    assert sorted(results).count("miss") == 2 and len(results) == 8


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_follower_waits_no_longer_than_its_own_deadline(conformance: Path, mode: str) -> None:
    """The leader takes 1.5 s; an identical call with ``total=0.3`` stops waiting at its own
    deadline with a ``queued`` timeout instead of returning the leader's answer seconds late."""
    host = PluginHost(blocked=["builtin-sqlite-cache"])
    host.register(CachePlugin(), name="memcache")
    body = conformance / "openai-chat" / "chat-nonstream-text.json"
    with ScriptedServer() as server:
        slow = Fault.slow_first_byte(Reply.from_file(body), delay=1.5)
        server.route("POST", "/v1/chat/completions", slow)
        llm = mp.LLM(
            "openai-chat:m", base_url=server.base_url, api_key="k", plugins=host, temperature=0
        )
        short = mp.Timeouts(total=0.3)
        if mode == "sync":
            lead = threading.Thread(target=llm.complete, args=("same",))
            lead.start()
            server.wait_for_requests(1, timeout=5)
            with pytest.raises(mp.LLMTimeoutError) as info:
                llm.complete("same", timeout=short)
            lead.join(timeout=5)
        else:

            async def main() -> pytest.ExceptionInfo[mp.LLMTimeoutError]:
                lead = asyncio.ensure_future(llm.acomplete("same"))
                await asyncio.sleep(0.1)
                with pytest.raises(mp.LLMTimeoutError) as caught:
                    await llm.acomplete("same", timeout=short)
                await lead
                return caught

            info = asyncio.run(main())
    assert info.value.phase == "queued"
    assert len(server.requests) == 1  # the follower never sent its own request
