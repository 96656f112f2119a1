"""Issue 5, end to end against the real llama.cpp server: the built-in SQLite L1 and the
DynamoDB L2 (moto) together. The second call is an L1 hit; a fresh L1 with a warm L2 is an L2
hit followed by an L1 hit; the API key is in no SQLite row and no DynamoDB item."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import modelport as mp
import pytest
from llama_peer import LlamaServer  # on sys.path through tests/conftest.py
from modelport._host._plugins import PluginHost
from modelport_dynamodb_cache import DynamoDBCache

from .conftest import scan_all

API_KEY = "sk-canary-TWOLEVEL-0123456789abcdef"
TABLE = "modelport-two-levels"
pytestmark = pytest.mark.peers


class L2:
    def __init__(self, backend: DynamoDBCache) -> None:
        self.backend = backend

    @mp.hookimpl
    def register_caches(self, register: object) -> None:
        register(self.backend, level=2)  # type: ignore[operator]


def make(server: LlamaServer, host: PluginHost) -> mp.LLM:
    return mp.LLM(
        "openai-chat:tiny",
        base_url=server.base_url,
        api_key=API_KEY,
        plugins=host,
        temperature=0,
        max_tokens=64,
    )


def test_l1_then_l2_then_backfill(
    llama_plain: LlamaServer, moto: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    backend = DynamoDBCache(TABLE, endpoint_url=moto, create_table=True)

    def host(cache_dir: Path) -> PluginHost:
        monkeypatch.setenv("MODELPORT_CACHE_DIR", str(cache_dir))
        h = PluginHost(allow={"openai-chat"})
        h.register(L2(backend), name="l2")
        return h

    machine_a, machine_b = tmp_path / "a", tmp_path / "b"
    with make(llama_plain, host(machine_a)) as llm:
        first = llm.complete("Say hello.")
        second = llm.complete("Say hello.")
    assert (first.cache_source, second.cache_source) == ("miss", "l1")
    assert second.text == first.text == "Hello from tiny model."

    with make(llama_plain, host(machine_b)) as llm:  # a fresh L1, the same L2
        third = llm.complete("Say hello.")
        fourth = llm.complete("Say hello.")
        streamed = list(llm.stream("Say hello."))
    assert (third.cache_source, fourth.cache_source) == ("l2", "l1")
    assert streamed[-2].content.cache_source == "l1"
    assert third.text == first.text and third.usage == first.usage

    rows = []
    for db in machine_a.glob("**/*.sqlite3"):
        with sqlite3.connect(db) as conn:
            rows += [repr(r) for r in conn.execute("SELECT * FROM entries_v1")]
    assert rows and all(API_KEY not in r for r in rows)
    items = scan_all(moto, TABLE)
    assert items and all(API_KEY not in repr(i) for i in items)
