"""Limits in Redis through real calls: several processes against one budget and a scripted
server that counts what reaches it; a process that dies; Redis down; cancellation; key pools;
and no secret in any Redis key or value."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import modelport as mp
import pytest
import redis
from modelport.testing import (
    ProviderLimits,
    RecordedRequest,
    Reply,
    ScriptedServer,
    chat_completion,
)
from modelport_redis import RedisLimits

from ._server import RedisServer, free_port

WORKER = Path(__file__).with_name("_worker.py")


def in_flight(delay: float = 0.2) -> ProviderLimits:
    """A handler that holds each request ``delay`` seconds and counts the most at once
    (``most_in_flight``); its limits are far beyond any test's, so it refuses nothing."""
    return ProviderLimits(
        lambda _: chat_completion(input_tokens=5),
        requests_per_minute=1e9,
        max_concurrency=10_000,
        latency_s=delay,
    )


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    with ScriptedServer() as s:
        yield s


def make(server: ScriptedServer, limits: mp.Limits, **kw: Any) -> mp.LLM:
    kw.setdefault("api_key", "sk-x")
    return mp.LLM(
        "openai-chat:shared", base_url=server.base_url, cache="never", limits=limits, **kw
    )


def wait_until(check: Any, timeout: float = 5.0) -> bool:
    for _ in range(int(timeout / 0.02)):  # bounded
        if check():
            return True
        time.sleep(0.02)
    return bool(check())


def test_three_processes_share_one_concurrency_budget(
    server: ScriptedServer, backend: RedisLimits, redis_server: RedisServer
) -> None:
    handler = in_flight(delay=0.2)
    server.route("POST", "/v1/chat/completions", handler)
    args = [server.base_url, redis_server.url, backend.prefix, "4", "2", "15"]
    procs = [
        subprocess.Popen([sys.executable, str(WORKER), *args], stdout=subprocess.PIPE, text=True)
        for _ in range(3)
    ]
    outputs = []
    for proc in procs:
        out, _ = proc.communicate(timeout=60)
        outputs.append(out.strip())
        assert proc.returncode == 0
    assert outputs == ["ok 4"] * 3
    assert len(server.requests) == 12
    assert 1 <= handler.most_in_flight <= 2  # never more than the shared limit at the server


def test_three_processes_stay_under_one_requests_per_minute(
    server: ScriptedServer, backend: RedisLimits, redis_server: RedisServer
) -> None:
    """60 a minute: a burst of 60, then one a second, for all three processes together. At
    the server, the k-th request (from 1) never arrives before the budget allowed it."""
    arrivals: list[float] = []
    lock = threading.Lock()

    def handler(request: RecordedRequest) -> Reply:
        with lock:
            arrivals.append(time.monotonic())
        return chat_completion(input_tokens=5)

    server.route("POST", "/v1/chat/completions", handler)
    args = [server.base_url, redis_server.url, backend.prefix, "22", "0", "15", "60"]
    procs = [
        subprocess.Popen([sys.executable, str(WORKER), *args], stdout=subprocess.PIPE, text=True)
        for _ in range(3)
    ]
    for proc in procs:
        out, _ = proc.communicate(timeout=90)
        assert proc.returncode == 0 and out.strip() == "ok 22"
    assert len(arrivals) == 66
    arrivals.sort()
    start = arrivals[0]
    for k, at in enumerate(arrivals, start=1):
        allowed = 60 + (at - start) * 1.0 + 1  # the burst, the refill since, one of slack
        assert k <= allowed, f"request {k} arrived {at - start:.2f} s in"


def test_a_dead_processs_slot_expires(
    server: ScriptedServer, backend: RedisLimits, redis_server: RedisServer, raw: redis.Redis
) -> None:
    freed = threading.Event()
    first = threading.Event()

    def handler(request: RecordedRequest) -> Reply:
        if not first.is_set():
            first.set()
            freed.wait(20)  # bounded: the test sets it at the end
        return chat_completion(input_tokens=5)

    server.route("POST", "/v1/chat/completions", handler)
    args = [server.base_url, redis_server.url, backend.prefix, "1", "1", "1.0"]
    proc = subprocess.Popen([sys.executable, str(WORKER), *args], stdout=subprocess.DEVNULL)
    try:
        assert first.wait(30), "the worker's call never arrived"
        slots = [k for k in raw.keys(f"{backend.prefix}:limit:*:slots")]
        assert len(slots) == 1 and raw.zcard(slots[0]) == 1  # it holds the one slot
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        mine = RedisLimits(redis_server.url, prefix=backend.prefix, lease_s=1.0)
        limits = mp.Limits(max_concurrency=1, backend=mine)
        with make(server, limits, timeout=mp.Timeouts(total=15)) as llm:
            assert llm.complete("after the crash").text == "ok"
        mine.close()
    finally:
        freed.set()
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


def test_redis_down_warns_once_and_limits_locally(
    server: ScriptedServer, caplog: pytest.LogCaptureFixture
) -> None:
    handler = in_flight(delay=0.1)
    server.route("POST", "/v1/chat/completions", handler)
    nowhere = RedisLimits(f"redis://127.0.0.1:{free_port()}/0", timeout_s=0.2)
    limits = mp.Limits(max_concurrency=1, backend=nowhere)
    caplog.set_level(logging.WARNING, logger="modelport.limits")

    async def main() -> list[mp.Response]:
        async with make(server, limits) as llm:
            return await asyncio.gather(*(llm.acomplete(f"q{i}") for i in range(4)))

    answers = asyncio.run(main())
    assert [a.text for a in answers] == ["ok"] * 4
    assert handler.most_in_flight == 1  # still limited, locally
    warnings = [r for r in caplog.records if r.name == "modelport.limits"]
    assert len(warnings) == 1 and "local limits" in warnings[0].getMessage()


def test_async_calls_share_the_budget_and_give_everything_back(
    server: ScriptedServer, backend: RedisLimits, raw: redis.Redis
) -> None:
    handler = in_flight(delay=0.15)
    server.route("POST", "/v1/chat/completions", handler)
    limits = mp.Limits(max_concurrency=2, backend=backend)

    async def main() -> None:
        async with make(server, limits) as llm:
            await asyncio.gather(*(llm.acomplete(f"q{i}") for i in range(5)))
            holder = asyncio.ensure_future(llm.acomplete("hold"))
            other = asyncio.ensure_future(llm.acomplete("hold too"))
            await asyncio.sleep(0.05)
            waiter = asyncio.ensure_future(llm.acomplete("wait"))
            await asyncio.sleep(0.05)
            waiter.cancel()
            with pytest.raises(asyncio.CancelledError):
                await waiter
            await asyncio.gather(holder, other)

    asyncio.run(main())
    assert handler.most_in_flight <= 2 and len(server.requests) == 7
    prefix = backend.prefix

    def empty() -> bool:
        held = sum(raw.zcard(k) for k in raw.keys(f"{prefix}:limit:*:slots"))
        queued = sum(raw.zcard(k) for k in raw.keys(f"{prefix}:limit:*:wait"))
        return held == 0 and queued == 0

    assert wait_until(empty)  # releases reach Redis from the worker thread


def test_a_sync_stream_holds_its_slot_until_closed(
    server: ScriptedServer, backend: RedisLimits, raw: redis.Redis
) -> None:
    chunks = [
        b'data: {"id":"c","object":"chat.completion.chunk","model":"m","choices":[{"index":0,'
        b'"delta":{"content":"a"},"finish_reason":null}]}\n\n',
        b"data: [DONE]\n\n",
    ]
    server.route("POST", "/v1/chat/completions", Reply.sse(chunks))
    limits = mp.Limits(max_concurrency=3, backend=backend)
    with make(server, limits) as llm:
        stream = llm.stream("hi")
        next(stream)
        slots = raw.keys(f"{backend.prefix}:limit:*:slots")
        assert len(slots) == 1 and raw.zcard(slots[0]) == 1
        stream.close()
        assert wait_until(lambda: raw.zcard(slots[0]) == 0)


def test_a_backend_by_name_from_the_environment(
    server: ScriptedServer, redis_server: RedisServer, raw: redis.Redis, monkeypatch: Any
) -> None:
    monkeypatch.setenv("MODELPORT_REDIS_URL", redis_server.url)
    monkeypatch.setenv("MODELPORT_REDIS_PREFIX", "named")
    server.route("POST", "/v1/chat/completions", chat_completion(input_tokens=5))
    limits = mp.Limits(requests_per_minute=100, backend="redis")
    with make(server, limits) as llm:
        assert llm.complete("hi").text == "ok"
    assert raw.keys("named:limit:*:req")


def test_an_unknown_backend_name_is_a_configuration_error(server: ScriptedServer) -> None:
    with pytest.raises(mp.ConfigurationError, match="no limit backend is registered"):
        make(server, mp.Limits(max_concurrency=1, backend="no-such-backend"))


def test_key_cooldowns_reach_every_pool_on_the_backend(backend: RedisLimits) -> None:
    keys = [f"sk-{uuid.uuid4().hex}", f"sk-{uuid.uuid4().hex}"]
    here = mp.KeyPool(keys, backend=backend)
    there = mp.KeyPool(keys, backend=backend)  # another process, as far as state goes
    here.cool_down(keys[0], 5.0)

    def moved() -> bool:
        there.sync()
        key, _ = there.take()
        if key is not None:
            there.give_back(key)
        return key == keys[1]

    assert wait_until(moved)


def test_no_secret_reaches_a_redis_key_or_value(
    server: ScriptedServer, backend: RedisLimits, raw: redis.Redis
) -> None:
    canaries = [f"sk-canary-{uuid.uuid4().hex}", f"sk-canary-{uuid.uuid4().hex}"]
    answered: list[int] = []

    def handler(request: RecordedRequest) -> Reply:
        answered.append(1)
        if len(answered) == 1:  # one 429: a key cools down, the budget pauses
            return Reply.status(429, {"error": {"message": "slow"}}, headers={"retry-after": "1"})
        return chat_completion(input_tokens=5)

    server.route("POST", "/v1/chat/completions", handler)
    limits = mp.Limits(
        max_concurrency=2, requests_per_minute=600, tokens_per_minute=100_000, backend=backend
    )
    pool = mp.KeyPool(canaries, backend=backend)
    with make(server, limits, api_key=pool) as llm:
        for i in range(3):
            assert llm.complete(f"q{i}").text == "ok"
    pool.cool_down(canaries[1], 30.0)  # a cooldown still there when Redis is read below
    assert wait_until(lambda: bool(raw.keys(f"{backend.prefix}:key:*")))
    dump: list[bytes] = []
    for name in raw.keys("*"):
        dump.append(name)
        kind = raw.type(name)
        if kind == b"string":
            dump.append(raw.get(name) or b"")
        elif kind == b"hash":
            for k, v in raw.hgetall(name).items():
                dump += [k, v]
        elif kind == b"zset":
            dump += list(raw.zrange(name, 0, -1))
    text = b"\n".join(dump)
    assert text  # there is state to look at
    for secret in canaries:
        assert secret.encode() not in text
        assert secret[3:20].encode() not in text  # not even a piece of it
