"""Fixtures: one real Redis server per session (flushed before each test), and a
``RedisLimits`` on it with a prefix of its own per test."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from modelport_redis import RedisLimits

from ._server import RedisServer, redis_server_binary


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = RedisServer(redis_server_binary(), Path(tmp_path_factory.mktemp("redis")))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def raw(redis_server: RedisServer) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_server.url)
    client.flushall()
    try:
        yield client
    finally:
        client.close()


@pytest.fixture
def backend(redis_server: RedisServer, raw: redis.Redis) -> Iterator[RedisLimits]:
    limits = RedisLimits(redis_server.url, prefix=f"t{uuid.uuid4().hex[:8]}")
    try:
        yield limits
    finally:
        limits.close()
