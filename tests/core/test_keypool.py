"""Key pools: the least-loaded key per attempt, cooldowns after 429, benching after 401/403,
no leaked counts, and no key anywhere it could be read.

Real calls against a scripted server on loopback that answers by the key it receives.
"""

from __future__ import annotations

import asyncio
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import modelport as mp
import pytest
from modelport.testing import RecordedRequest, Reply, ScriptedServer

KEY_A = "sk-pool-aaaaaaaaaaaaaaaaaaaaaaaa"
KEY_B = "sk-pool-bbbbbbbbbbbbbbbbbbbbbbbb"


def ok() -> Reply:
    return Reply.json(
        {
            "id": "c",
            "object": "chat.completion",
            "model": "m",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": "ok"},
                    "finish_reason": "stop",
                }
            ],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1},
        }
    )


def used_key(request: RecordedRequest) -> str:
    return request.headers["authorization"].removeprefix("Bearer ")


def by_key(answers: dict[str, Callable[[], Reply]], delay: float = 0.0) -> Any:
    def handle(request: RecordedRequest) -> Reply:
        time.sleep(delay)
        return answers[used_key(request)]()

    return handle


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    with ScriptedServer() as s:
        yield s


def make(server: ScriptedServer, keys: Any = (KEY_A, KEY_B), **kw: Any) -> mp.LLM:
    return mp.LLM(
        "openai-chat:pooled", base_url=server.base_url, api_key=list(keys), cache="never", **kw
    )


def test_each_attempt_takes_the_least_loaded_key(server: ScriptedServer) -> None:
    server.route("POST", "/v1/chat/completions", by_key({KEY_A: ok, KEY_B: ok}, delay=0.2))

    async def main() -> None:
        async with make(server) as llm:
            await asyncio.gather(*(llm.acomplete(f"q{i}") for i in range(4)))

    asyncio.run(main())
    keys = sorted(used_key(r) for r in server.requests)
    assert keys == [KEY_A, KEY_A, KEY_B, KEY_B]


def test_calls_one_at_a_time_take_turns(server: ScriptedServer) -> None:
    # Least-loaded alone would send every sequential call with the first key (all loads are
    # 0), and run into that key's own rate limit while the others stay idle.
    server.route("POST", "/v1/chat/completions", by_key({KEY_A: ok, KEY_B: ok}))
    with make(server) as llm:
        for i in range(4):
            assert llm.complete(f"q{i}").text == "ok"
    assert [used_key(r) for r in server.requests] == [KEY_A, KEY_B, KEY_A, KEY_B]


def test_a_429_cools_the_key_down_and_the_retry_moves_on_at_once(server: ScriptedServer) -> None:
    limited = Reply.status(429, {"error": {"message": "slow down"}}, headers={"retry-after": "30"})
    server.route("POST", "/v1/chat/completions", by_key({KEY_A: lambda: limited, KEY_B: ok}))
    with make(server) as llm:
        started = time.monotonic()
        r = llm.complete("hi")
        elapsed = time.monotonic() - started
        again = llm.complete("hi")  # A still cools down: B again
    assert r.text == again.text == "ok"
    assert elapsed < 5  # not the 30 s Retry-After
    assert [used_key(q) for q in server.requests] == [KEY_A, KEY_B, KEY_B]


def test_a_refused_key_is_benched_with_its_fingerprint_only(server: ScriptedServer) -> None:
    refused = Reply.status(401, {"error": {"message": f"bad key {KEY_A}"}})
    server.route("POST", "/v1/chat/completions", by_key({KEY_A: lambda: refused, KEY_B: ok}))
    with make(server) as llm, warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        assert llm.complete("hi").text == "ok"
        assert llm.complete("hi").text == "ok"
    assert [used_key(q) for q in server.requests] == [KEY_A, KEY_B, KEY_B]
    texts = [str(w.message) for w in seen if "refused" in str(w.message)]
    assert len(texts) == 1 and mp.KeyPool([KEY_A]).__repr__().split(": ")[1][:8] in texts[0]
    assert KEY_A not in texts[0] and KEY_A[-8:] not in texts[0]


def test_every_key_refused_is_an_authentication_error_without_keys(
    server: ScriptedServer,
) -> None:
    refused = Reply.status(403, {"error": {"message": f"nope {KEY_A} {KEY_B}"}})
    server.route("POST", "/v1/chat/completions", lambda request: refused)
    with make(server) as llm, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(mp.AuthenticationError) as info:
            llm.complete("hi")
    text = f"{info.value} {info.value!r} {info.value.provider_message}"
    assert KEY_A not in text and KEY_B not in text
    assert KEY_A not in repr(llm) and KEY_A not in repr(llm._engine.setup.pool)


def test_counts_never_leak_on_cancellation_or_failure(server: ScriptedServer) -> None:
    server.route("POST", "/v1/chat/completions", by_key({KEY_A: ok, KEY_B: ok}, delay=0.5))

    async def main() -> dict[str, int]:
        async with make(server) as llm:
            task = asyncio.ensure_future(llm.acomplete("slow"))
            await asyncio.sleep(0.1)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            pool = llm._engine.setup.pool
            assert pool is not None
            return pool.load()

    assert set(asyncio.run(main()).values()) == {0}


def test_a_stream_closed_early_returns_its_key(server: ScriptedServer) -> None:
    events = [
        b'data: {"id":"c","object":"chat.completion.chunk","model":"m","choices":[{"index":0,'
        b'"delta":{"content":"a"},"finish_reason":null}]}\n\n',
        b"data: [DONE]\n\n",
    ]
    server.route("POST", "/v1/chat/completions", Reply.sse(events, chunk_delay=0.05))
    with make(server) as llm:
        stream = llm.stream("hi")
        next(stream)
        pool = llm._engine.setup.pool
        assert pool is not None and sum(pool.load().values()) == 1
        stream.close()
        assert sum(pool.load().values()) == 0


def test_threads_share_one_pool(server: ScriptedServer) -> None:
    server.route("POST", "/v1/chat/completions", by_key({KEY_A: ok, KEY_B: ok}, delay=0.1))
    with make(server) as llm:
        threads = [threading.Thread(target=llm.complete, args=("t",)) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=10)
    assert sorted(used_key(r) for r in server.requests) == [KEY_A, KEY_A, KEY_B, KEY_B]


def test_bad_pools_are_configuration_errors() -> None:
    for keys in ([], [KEY_A, KEY_A], [KEY_A, ""]):
        with pytest.raises(mp.ConfigurationError) as info:
            mp.KeyPool(keys)
        assert KEY_A not in str(info.value)


def test_a_pool_backend_must_be_a_limit_backend() -> None:
    with pytest.raises(mp.ConfigurationError, match="backend"):
        mp.KeyPool(["sk-a"], backend=object())  # type: ignore[arg-type]


def test_a_cooldown_is_an_event_naming_the_fingerprint_only(server: ScriptedServer) -> None:
    limited = Reply.status(429, {"error": {"message": "slow down"}}, headers={"retry-after": "1"})
    server.route("POST", "/v1/chat/completions", by_key({KEY_A: lambda: limited, KEY_B: ok}))
    events: list[mp.ProgressEvent] = []
    with make(server, limits=mp.Limits(max_concurrency=2), on_progress=events.append) as llm:
        assert llm.complete("hi").text == "ok"
    cooled = [e.detail for e in events if e.kind == "key_cooldown"]
    assert cooled == [{"key": repr(mp.KeyPool([KEY_A])).split(": ")[1][:8], "seconds": 1.0}]
    assert [e.detail for e in events if e.kind == "rate_limited"] == [{"retry_after_s": 1.0}]
    assert not any(KEY_A in repr(e) for e in events)


def test_with_limits_a_429_on_one_key_does_not_pause_the_others(server: ScriptedServer) -> None:
    """The 429 is key A's own limit: the model's shared budget must not hold key B's retry
    back for A's Retry-After."""
    limited = Reply.status(429, {"error": {"message": "slow down"}}, headers={"retry-after": "30"})
    server.route("POST", "/v1/chat/completions", by_key({KEY_A: lambda: limited, KEY_B: ok}))
    with make(server, limits=mp.Limits(max_concurrency=2, requests_per_minute=600)) as llm:
        started = time.monotonic()
        assert llm.complete("hi").text == "ok"
        assert time.monotonic() - started < 10  # not the 30 s Retry-After
    assert [used_key(q) for q in server.requests] == [KEY_A, KEY_B]


def test_a_call_waiting_for_a_cooling_key_keeps_its_own_deadline(server: ScriptedServer) -> None:
    limited = Reply.status(429, {"error": {"message": "slow down"}}, headers={"retry-after": "30"})
    server.route("POST", "/v1/chat/completions", lambda request: limited)
    with make(server, retry=mp.RetryPolicy(max_retries=0)) as llm:
        with pytest.raises(mp.RateLimitError):
            llm.complete("first")  # no retries: one key tried, and it cools down
        with pytest.raises(mp.RateLimitError):
            llm.complete("second")  # the other key; now both cool down for 30 s

        async def waits() -> None:
            await llm.acomplete("third", timeout=mp.Timeouts(total=0.5))

        started = time.monotonic()
        with pytest.raises(mp.LLMTimeoutError) as info:
            asyncio.run(waits())
        assert time.monotonic() - started < 10  # its 0.5 s, not the keys' 30 s
    assert info.value.phase == "queued"
    assert len(server.requests) == 2  # the third call never went out
    pool = llm._engine.setup.pool
    assert pool is not None and set(pool.load().values()) == {0}
