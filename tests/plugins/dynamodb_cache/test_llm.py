"""Through ``LLM``: a second identical request is an L2 hit served from DynamoDB (moto), the
upstream is called once, and the API key is in no item. The upstream is the core's scripted
loopback server replaying a recorded OpenAI response."""

from __future__ import annotations

import asyncio
import warnings
import zlib
from collections.abc import Iterator
from pathlib import Path

import modelport as mp
import pytest
from modelport._host._plugins import PluginHost
from modelport.testing import Reply, ScriptedServer
from modelport_dynamodb_cache import DynamoDBCache

from .conftest import assert_no_canary, scan_all
from .test_plugin import SharedCache

API_KEY = "sk-canary-DDB0123456789abcdefCANARY"
TABLE = "modelport-cache"


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    with ScriptedServer() as s:
        yield s


def host_with(backend: DynamoDBCache) -> PluginHost:
    """openai-chat and the DynamoDB backend only: the core's local L1 (``builtin-cache``) is
    blocked, so a hit here can only have come from DynamoDB."""
    host = PluginHost(allow={"openai-chat"}, blocked={"builtin-cache"})
    host.register(SharedCache(backend), name="shared-cache")
    return host


def test_second_call_is_an_l2_hit(moto: str, server: ScriptedServer, conformance: Path) -> None:
    server.add(Reply.from_file(conformance / "openai-chat" / "chat-nonstream-text.json"))
    backend = DynamoDBCache(TABLE, endpoint_url=moto, create_table=True)
    seen: list[mp.ProgressEvent] = []
    with mp.LLM(
        "openai-chat:gpt-test",
        base_url=server.base_url,
        api_key=API_KEY,
        plugins=host_with(backend),
        on_progress=seen.append,
    ) as llm:
        first = llm.complete("hi", temperature=0)
        second = llm.complete("hi", temperature=0)
    assert first.cache_source == "miss"
    assert second.cache_source == "l2"
    assert second.cache_key == first.cache_key
    assert second.text == first.text
    assert len(server.requests) == 1
    assert [e.detail.get("source") for e in seen if e.kind == "cache_hit"] == ["l2"]

    items = scan_all(moto, TABLE)
    assert [i["cache_key"]["S"] for i in items] == [first.cache_key]
    blobs = [zlib.decompress(i["entry"]["B"]).decode() for i in items if "B" in i["entry"]]
    for item in items:
        assert API_KEY not in repr(item)
    for blob in blobs:
        assert API_KEY not in blob
    assert_no_canary(items, *blobs)


def test_async_call_hits_l2(moto: str, server: ScriptedServer, conformance: Path) -> None:
    server.add(Reply.from_file(conformance / "openai-chat" / "chat-nonstream-text.json"))
    backend = DynamoDBCache(TABLE, endpoint_url=moto, create_table=True)

    async def run() -> tuple[mp.Response, mp.Response]:
        async with mp.LLM(
            "openai-chat:gpt-test",
            base_url=server.base_url,
            api_key=API_KEY,
            plugins=host_with(backend),
        ) as llm:
            return await llm.acomplete("hi", temperature=0), await llm.acomplete(
                "hi", temperature=0
            )

    first, second = asyncio.run(run())
    assert (first.cache_source, second.cache_source) == ("miss", "l2")
    assert len(server.requests) == 1


def test_down_cache_never_fails_a_request(server: ScriptedServer, conformance: Path) -> None:
    from ._servers import free_port

    for _ in range(2):
        server.add(Reply.from_file(conformance / "openai-chat" / "chat-nonstream-text.json"))
    backend = DynamoDBCache(TABLE, endpoint_url=f"http://127.0.0.1:{free_port()}")
    with (
        warnings.catch_warnings(record=True) as seen,
        mp.LLM(
            "openai-chat:gpt-test",
            base_url=server.base_url,
            api_key=API_KEY,
            plugins=host_with(backend),
        ) as llm,
    ):
        warnings.simplefilter("always")
        first = llm.complete("hi", temperature=0)
        second = llm.complete("hi", temperature=0)
    assert seen and all("EndpointConnectionError" in str(w.message) for w in seen)
    assert_no_canary(*(str(w.message) for w in seen))
    assert all(API_KEY not in str(w.message) for w in seen)
    assert first.text == second.text
    assert (first.cache_source, second.cache_source) == ("miss", "miss")
    assert len(server.requests) == 2
