"""``RedisLimits`` against the real Redis server, one script at a time: slots, leases, buckets,
pauses, cooldowns, and the ``NOSCRIPT`` fallback."""

from __future__ import annotations

import hashlib
import time

import modelport as mp
import pytest
import redis
from modelport.provider import LimitBackend, LimitGrant
from modelport_redis import RedisLimits
from modelport_redis import _scripts as scripts


def test_it_is_a_limit_backend_and_shows_no_password() -> None:
    backend = RedisLimits("redis://:hunter2-secret@127.0.0.1:6390/0")
    assert isinstance(backend, LimitBackend)
    assert "hunter2" not in repr(backend) and "127.0.0.1:6390" in repr(backend)
    assert mp.Limits(max_concurrency=1, backend=backend).backend is backend


def test_slots_go_in_order_and_come_back(backend: RedisLimits) -> None:
    limits = mp.Limits(max_concurrency=2)
    assert backend.acquire("s", "a", limits, 1, 10).granted
    assert backend.acquire("s", "b", limits, 1, 10).granted
    assert backend.acquire("s", "c", limits, 1, 10) == LimitGrant(False, None, 0)
    assert not backend.acquire("s", "d", limits, 1, 10).granted
    backend.release("s", "a", limits, 0)
    # d asked after c: c has the free slot, even though d asks first now.
    assert not backend.acquire("s", "d", limits, 1, 10).granted
    assert backend.acquire("s", "c", limits, 1, 10).granted
    backend.release("s", "b", limits, 0)
    assert backend.acquire("s", "d", limits, 1, 10).granted


def test_a_slot_whose_holder_stopped_renewing_expires(
    backend: RedisLimits, raw: redis.Redis
) -> None:
    limits = mp.Limits(max_concurrency=1)
    assert backend.acquire("s", "dead", limits, 1, 0.2).granted
    assert not backend.acquire("s", "alive", limits, 1, 10).granted
    time.sleep(0.3)  # the lease ran out on the server's clock
    assert backend.acquire("s", "alive", limits, 1, 10).granted
    slots = backend._keys("s")[0]
    assert raw.zrange(slots, 0, -1) == [b"alive"]


def test_renewing_extends_only_live_holders(backend: RedisLimits, raw: redis.Redis) -> None:
    limits = mp.Limits(max_concurrency=3)
    backend.acquire("s", "a", limits, 1, 1.0)
    slots = backend._keys("s")[0]
    before = raw.zscore(slots, "a")
    backend.renew("s", ["a", "never-granted"], 30.0)
    after = raw.zscore(slots, "a")
    assert before is not None and after is not None and after - before > 20_000
    assert raw.zscore(slots, "never-granted") is None
    assert raw.pttl(slots) > 20_000


def test_the_request_bucket_refills_on_the_servers_clock(backend: RedisLimits) -> None:
    limits = mp.Limits(requests_per_minute=60)  # one a second after the burst
    for i in range(60):
        assert backend.acquire("s", f"h{i}", limits, 1, 10).granted
    grant = backend.acquire("s", "late", limits, 1, 10)
    assert not grant.granted and grant.retry_in_s is not None and 0 < grant.retry_in_s <= 1.0


def test_tokens_are_reserved_then_corrected(backend: RedisLimits) -> None:
    limits = mp.Limits(tokens_per_minute=600)  # 10 a second
    assert backend.acquire("s", "a", limits, 400, 10) == LimitGrant(True, None, 400)
    waiting = backend.acquire("s", "b", limits, 400, 10)
    assert not waiting.granted and waiting.retry_in_s == pytest.approx(20.0, abs=0.5)
    backend.release("s", "a", limits, 350)  # used 50 of its 400
    assert backend.acquire("s", "b", limits, 400, 10).granted


def test_a_request_larger_than_the_bucket_takes_a_full_bucket(backend: RedisLimits) -> None:
    grant = backend.acquire("s", "big", mp.Limits(tokens_per_minute=100), 10_000, 10)
    assert grant == LimitGrant(True, None, 100)


def test_a_pause_drains_the_buckets_so_no_burst_follows(backend: RedisLimits) -> None:
    limits = mp.Limits(requests_per_minute=600)
    backend.pause("s", limits, 0.3, drain=True)
    paused = backend.acquire("s", "a", limits, 1, 10)
    assert not paused.granted and paused.retry_in_s is not None and paused.retry_in_s <= 0.3
    time.sleep(0.35)
    # The pause is over; the bucket refills from empty at 10 a second (a full bucket would
    # have allowed 600 at once): sixty take six seconds.
    granted = 0
    for i in range(60):
        granted += backend.acquire("s", f"b{i}", limits, 1, 10).granted
    assert granted < 60


def test_cooldowns_are_named_by_fingerprint_and_only_grow(backend: RedisLimits) -> None:
    backend.cool_down("abcd1234", 5.0)
    backend.cool_down("abcd1234", 0.1)  # a shorter one does not shorten it
    left = backend.cooling(["abcd1234", "ffff0000"])
    assert set(left) == {"abcd1234"} and 4.0 < left["abcd1234"] <= 5.0


def test_a_flushed_script_cache_falls_back_to_eval(backend: RedisLimits, raw: redis.Redis) -> None:
    raw.script_flush()
    sha = hashlib.sha1(scripts.ACQUIRE.encode()).hexdigest()
    assert raw.script_exists(sha) == [False]
    assert backend.acquire("s", "a", mp.Limits(max_concurrency=1), 1, 10).granted
    assert raw.script_exists(sha) == [True]  # EVAL cached it: the next call is an EVALSHA
