"""A key refused (401/403) in one process is benched in every process sharing the Redis
backend, for an hour (the TTL of a key named by the fingerprint), never by the key itself."""

from __future__ import annotations

import subprocess
import sys
import uuid
import warnings
from pathlib import Path

import modelport as mp
import pytest
import redis
from modelport.testing import RecordedRequest, Reply, ScriptedServer, chat_completion
from modelport_redis import RedisLimits

from ._server import RedisServer
from .test_llm import wait_until

WORKER = Path(__file__).with_name("_pool_worker.py")

FOREVER_S = 3600.0  # what the pool asks for (KeyPool's BENCH_S)


def fp(key: str) -> str:
    return repr(mp.KeyPool([key])).split(": ")[1][:8]


def test_a_bench_is_an_expiring_key_named_by_fingerprint(
    backend: RedisLimits, raw: redis.Redis
) -> None:
    backend.bench_key("abcd1234", 60.0)
    backend.bench_key("abcd1234", 1.0)  # never shortened
    left = backend.benched_keys(["abcd1234", "ffff0000"])
    assert set(left) == {"abcd1234"} and 59.0 < left["abcd1234"] <= 60.0
    assert backend.cooling(["abcd1234"]) == {}  # a bench is not a cooldown
    assert raw.keys(f"{backend.prefix}:key:*") == [
        f"{backend.prefix}:key:abcd1234:benched".encode()
    ]


def test_a_key_benched_here_is_benched_there_for_an_hour(
    backend: RedisLimits, raw: redis.Redis, caplog: pytest.LogCaptureFixture
) -> None:
    keys = [f"sk-{uuid.uuid4().hex}", f"sk-{uuid.uuid4().hex}"]
    here = mp.KeyPool(keys, backend=backend)
    there = mp.KeyPool(keys, backend=backend)  # another process, as far as state goes
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        assert here.bench(keys[0]) is True
    assert any("1 h" in str(w.message) and fp(keys[0]) in str(w.message) for w in seen)
    name = f"{backend.prefix}:key:{fp(keys[0])}:benched"
    for _ in range(250):  # the write happens on the pool's worker thread: bounded wait
        if raw.exists(name):
            break
        there.sync()
    assert FOREVER_S - 60 < raw.pttl(name) / 1000 <= FOREVER_S
    there.sync()
    assert there.benched() == [fp(keys[0])]
    assert any("another process" in r.getMessage() for r in caplog.records)
    for _ in range(3):  # the other key only, even with no load on either
        key, _ = there.take()
        assert key == keys[1]
        there.give_back(key)
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        assert here.bench(keys[1]) is False  # no key left here
    for _ in range(250):
        if raw.exists(f"{backend.prefix}:key:{fp(keys[1])}:benched"):
            break
        there.sync()
    there.sync()
    with pytest.raises(mp.ConfigurationError, match="refused"):  # both benched: no wait helps
        there.take()


def test_a_401_in_one_llm_keeps_the_key_out_of_another(
    backend: RedisLimits, raw: redis.Redis
) -> None:
    bad, good = f"sk-bad-{uuid.uuid4().hex}", f"sk-good-{uuid.uuid4().hex}"

    def handler(request: RecordedRequest) -> Reply:
        if request.headers["authorization"] == f"Bearer {bad}":
            return Reply.status(401, {"error": {"message": "invalid key"}})
        return chat_completion(input_tokens=5)

    with ScriptedServer() as server, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        server.route("POST", "/v1/chat/completions", handler)
        first = mp.KeyPool([bad, good], backend=backend)
        with mp.LLM("openai-chat:m", base_url=server.base_url, api_key=first, cache="never") as llm:
            assert llm.complete("hi").text == "ok"  # bad refused, good answered
        for _ in range(250):
            if raw.exists(f"{backend.prefix}:key:{fp(bad)}:benched"):
                break
            first.sync()
        second = mp.KeyPool([bad, good], backend=backend)  # a process started later
        second.sync()  # what its first use does in the background within a quarter second
        with mp.LLM(
            "openai-chat:m", base_url=server.base_url, api_key=second, cache="never"
        ) as llm:
            for i in range(3):
                assert llm.complete(f"q{i}").text == "ok"
    sent = [r.headers["authorization"] for r in server.requests]
    assert sent == [f"Bearer {bad}"] + [f"Bearer {good}"] * 4
    assert bad.encode() not in b"".join(raw.keys("*"))


def test_a_key_refused_in_another_process_is_learned_in_the_background(
    backend: RedisLimits, raw: redis.Redis, redis_server: RedisServer
) -> None:
    bad, good = f"sk-bad-{uuid.uuid4().hex}", f"sk-good-{uuid.uuid4().hex}"

    def handler(request: RecordedRequest) -> Reply:
        if request.headers["authorization"] == f"Bearer {bad}":
            return Reply.status(401, {"error": {"message": "invalid key"}})
        return chat_completion(input_tokens=5)

    here = mp.KeyPool([bad, good], backend=backend)  # made before the other process starts
    with ScriptedServer() as server:
        server.route("POST", "/v1/chat/completions", handler)
        argv = [sys.executable, str(WORKER), server.base_url, redis_server.url, backend.prefix]
        out = subprocess.run(
            [*argv, f"{bad},{good}", "2"], capture_output=True, text=True, timeout=60
        )
        assert out.returncode == 0, out.stderr
        assert out.stdout.split() == ["ok", "2", fp(bad)]
        assert raw.exists(f"{backend.prefix}:key:{fp(bad)}:benched")

        def learned() -> bool:
            key, _ = here.take()  # each use refreshes, at most every quarter second
            if key is not None:
                here.give_back(key)
            return fp(bad) in here.benched()

        assert wait_until(learned)
        seen_by_worker = len(server.requests)
        with mp.LLM(
            "openai-chat:pooled", base_url=server.base_url, api_key=here, cache="never"
        ) as llm:
            for i in range(3):
                assert llm.complete(f"here {i}").text == "ok"
        sent = [r.headers["authorization"] for r in server.requests]
    assert sent[:seen_by_worker] == [f"Bearer {bad}", f"Bearer {good}", f"Bearer {good}"]
    assert sent[seen_by_worker:] == [f"Bearer {good}"] * 3  # this process never tried it


def test_a_bench_learned_from_the_backend_ends_with_its_ttl(backend: RedisLimits) -> None:
    keys = [f"sk-{uuid.uuid4().hex}", f"sk-{uuid.uuid4().hex}"]
    pool = mp.KeyPool(keys, backend=backend)
    backend.bench_key(fp(keys[0]), 0.3)  # another process's bench, with a short TTL
    pool.sync()
    assert pool.benched() == [fp(keys[0])]
    assert wait_until(lambda: pool.benched() == [] and backend.benched_keys([fp(keys[0])]) == {})
    pool.sync()
    key, _ = pool.take()  # usable again: the least recently used of two idle keys
    assert key == keys[0]
