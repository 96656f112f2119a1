"""Cache keys: deny-list hashing of the shaped wire request; read-through over levels."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from modelport._cache._levels import _BODY_DENY, CacheLevels, cache_key
from modelport._host._plugins import CacheRegistration
from modelport._wire import WireRequest

json_leaf = (
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=6)
)
json_value = st.recursive(
    json_leaf,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=12,
)
bodies = st.dictionaries(
    st.text(min_size=1, max_size=8).filter(lambda k: k not in _BODY_DENY),  # transport fields
    json_value,
    min_size=1,
    max_size=6,
)


def key(body: dict[str, Any], **kw: Any) -> str:
    wire = WireRequest(
        "POST", kw.pop("url", "http://h/v1/chat/completions"), kw.pop("headers", {}), body
    )
    return cache_key(kw.pop("provider", "p"), kw.pop("version", "1"), wire)


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(value, dict):
        for k, v in value.items():
            out += paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += paths(v, (*prefix, i))
    return out


def mutate(body: dict[str, Any], path: tuple[Any, ...]) -> dict[str, Any]:
    new = copy.deepcopy(body)
    parent: Any = new
    for part in path[:-1]:
        parent = parent[part]
    old = parent[path[-1]]
    parent[path[-1]] = ["changed", old]
    return new


@settings(max_examples=200, deadline=None)
@given(body=bodies, data=st.data())
def test_changing_any_field_changes_the_key(body: dict[str, Any], data: st.DataObject) -> None:
    path = data.draw(st.sampled_from([p for p in paths(body) if p]))
    assert key(mutate(body, path)) != key(body)


@settings(max_examples=100, deadline=None)
@given(body=bodies)
def test_key_ignores_dict_order_and_transport_fields(body: dict[str, Any]) -> None:
    reordered = dict(reversed(list(body.items())))
    streamed = {**body, "stream": True, "stream_options": {"include_usage": True}}
    assert key(reordered) == key(body) == key(streamed)


def test_key_covers_provider_version_url_and_headers_but_not_credentials() -> None:
    body = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}
    base = key(body)
    assert key(body, provider="q") != base
    assert key(body, version="2") != base
    assert key(body, url="http://other/v1/chat/completions") != base
    assert key(body, headers={"anthropic-beta": "x"}) != base
    assert key(body, headers={"Authorization": "Bearer sk-canary"}) == base
    assert key(body, url="http://h/v1/chat/completions?key=sk-canary") == base


class DictBackend:
    def __init__(self, fail: bool = False) -> None:
        self.data: dict[str, dict[str, Any]] = {}
        self.fail = fail

    def get(self, key: str) -> dict[str, Any] | None:
        if self.fail:
            raise OSError("backend down")
        return self.data.get(key)

    def set(self, key: str, entry: dict[str, Any], ttl_s: float | None) -> None:
        if self.fail:
            raise OSError("backend down")
        self.data[key] = entry

    def delete(self, key: str) -> None:
        self.data.pop(key, None)


def test_levels_read_through_and_backfill() -> None:
    l1, l2 = DictBackend(), DictBackend()
    levels = CacheLevels([CacheRegistration(l1, 1, "a"), CacheRegistration(l2, 2, "b")])
    l2.data["k"] = {"text": "x"}
    assert levels.get("k") == ({"text": "x"}, 2)
    assert l1.data["k"] == {"text": "x"}
    assert levels.get("k") == ({"text": "x"}, 1)


def test_a_failing_backend_is_a_warning_and_a_miss() -> None:
    down, up = DictBackend(fail=True), DictBackend()
    levels = CacheLevels([CacheRegistration(down, 1, "down"), CacheRegistration(up, 2, "up")])
    with pytest.warns(RuntimeWarning, match="plugin 'down' failed on set"):
        levels.set("k", {"text": "y"})
    with pytest.warns(RuntimeWarning) as record:
        assert levels.get("k") == ({"text": "y"}, 2)
    messages = [str(w.message) for w in record]
    assert any("failed on get" in m for m in messages)
    assert any("failed on backfill" in m for m in messages)
