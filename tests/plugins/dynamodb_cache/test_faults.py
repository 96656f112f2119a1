"""A down or silent endpoint fails fast with a clear error, never a hang; through the core it is
a warning and a miss."""

from __future__ import annotations

import socket
import time
import warnings
from collections.abc import Iterator

import pytest
from modelport._cache._levels import CacheLevels
from modelport._host._plugins import CacheRegistration
from modelport_dynamodb_cache import DynamoDBCache, DynamoDBCacheError

from ._servers import free_port
from .conftest import assert_no_canary


@pytest.fixture
def closed_port() -> str:
    """A loopback port nothing listens on: connections are refused at once."""
    return f"http://127.0.0.1:{free_port()}"


@pytest.fixture
def silent_endpoint() -> Iterator[str]:
    """A socket that accepts TCP connections (the kernel's backlog) but never answers."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(16)
        yield f"http://127.0.0.1:{s.getsockname()[1]}"


@pytest.mark.parametrize("op", ["get", "set", "delete"])
def test_closed_port_fails_within_seconds(closed_port: str, op: str) -> None:
    backend = DynamoDBCache("modelport-cache", endpoint_url=closed_port, create_table=True)
    started = time.monotonic()
    with pytest.raises(DynamoDBCacheError) as info:
        if op == "get":
            backend.get("k")
        elif op == "set":
            backend.set("k", {"text": "hi"}, 60)
        else:
            backend.delete("k")
    assert time.monotonic() - started < 5
    text = str(info.value)
    assert "EndpointConnectionError" in text and "modelport-cache" in text
    assert_no_canary(text)


def test_silent_endpoint_times_out(silent_endpoint: str) -> None:
    backend = DynamoDBCache("modelport-cache", endpoint_url=silent_endpoint, timeout_s=0.5)
    started = time.monotonic()
    with pytest.raises(DynamoDBCacheError, match="ReadTimeoutError"):
        backend.get("k")
    # two attempts of 0.5 s plus at most 1 s of retry backoff
    assert time.monotonic() - started < 5


def test_down_endpoint_through_the_core_is_a_warning_and_a_miss(closed_port: str) -> None:
    backend = DynamoDBCache("modelport-cache", endpoint_url=closed_port)
    levels = CacheLevels([CacheRegistration(backend, 2, "dynamodb-cache")])
    started = time.monotonic()
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        assert levels.get("k") == (None, 0)
        levels.set("k", {"text": "hi"}, None)
        levels.delete("k")
    assert time.monotonic() - started < 15
    assert [w.category for w in seen] == [RuntimeWarning] * 3
    assert all("dynamodb-cache" in str(w.message) for w in seen)
    assert_no_canary(*(str(w.message) for w in seen))
