"""A small soak: hundreds of calls at once through one ``LLM`` with a limit and a three-key
pool, against a server that enforces its own per-key rate and concurrency (429 with
Retry-After over either, ``x-ratelimit-*`` on every answer). Nothing leaks, nothing hangs, the
server is never over its concurrency limit, and at most a handful of 429s come back.
(bench/soak_limits.py is the 10,000-call version, with its timings.)"""

from __future__ import annotations

import asyncio
import threading

import modelport as mp
import pytest
from modelport.testing import (
    ProviderLimits,
    RecordedRequest,
    Reply,
    ScriptedServer,
    chat_completion,
)

KEYS = [f"sk-soak-{c * 24}" for c in "abc"]
CALLS = 400
PER_KEY_CONCURRENCY = 2
PER_KEY_RPM = 130.0  # 390 across the keys; the client asks for 360
HUNG_S = 60.0  # a call still running after this is hung


def completion(request: RecordedRequest) -> Reply:
    return chat_completion()


def test_a_batch_through_a_limit_and_a_key_pool_leaks_and_hangs_nothing() -> None:
    provider = ProviderLimits(
        completion,
        requests_per_minute=PER_KEY_RPM,
        max_concurrency=PER_KEY_CONCURRENCY,
        latency_s=0.002,
    )
    limits = mp.Limits(max_concurrency=3 * PER_KEY_CONCURRENCY, requests_per_minute=360)
    rate_limited: list[float] = []
    lock = threading.Lock()

    def on_progress(event: mp.ProgressEvent) -> None:
        if event.kind == "rate_limited":
            with lock:
                rate_limited.append(1.0)

    async def batch(llm: mp.LLM) -> tuple[int, int, list[BaseException]]:
        async def one(i: int) -> str:
            r = await asyncio.wait_for(llm.acomplete(f"prompt {i}"), HUNG_S)
            return r.text

        results = await asyncio.gather(*(one(i) for i in range(CALLS)), return_exceptions=True)
        failed = [r for r in results if isinstance(r, BaseException)]
        hung = sum(isinstance(r, TimeoutError) for r in failed)
        return sum(r == "ok" for r in results), hung, failed

    with ScriptedServer(max_connections=64) as server:
        server.route("POST", "/v1/chat/completions", provider)
        pool = mp.KeyPool(KEYS)
        llm = mp.LLM(
            "openai-chat:soak",
            base_url=server.base_url,
            api_key=pool,
            limits=limits,
            cache="never",
            on_progress=on_progress,
        )
        ok, hung, failed = asyncio.run(batch(llm))
        limiter = llm._engine.setup.limiter
        assert limiter is not None
        held = limiter.active, limiter.waiting, sum(pool.load().values())
        llm.close()
    assert hung == 0 and failed == [], failed[:3]
    assert ok == CALLS
    assert held == (0, 0, 0)  # no slot, no place in the queue, no key left counted
    assert provider.most_per_key() <= PER_KEY_CONCURRENCY
    assert provider.most_in_flight <= 3 * PER_KEY_CONCURRENCY
    assert provider.refused <= 5  # a handful at most, not a storm
    assert len(rate_limited) == provider.refused  # each one was seen, as an event
    assert provider.answered == CALLS
    assert not any(k in repr(llm) for k in KEYS)


@pytest.mark.parametrize("bad", [dict(requests_per_minute=0), dict(latency_s=11.0)])
def test_provider_limits_reject_bad_settings(bad: dict[str, float]) -> None:
    settings: dict[str, float] = {"requests_per_minute": 60.0, "latency_s": 0.0}
    settings.update(bad)
    with pytest.raises(ValueError):
        ProviderLimits(completion, max_concurrency=1, **settings)
