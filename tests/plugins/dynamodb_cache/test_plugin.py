"""The entry point: nothing without MODELPORT_DYNAMODB_TABLE, a level-2 backend with it, and
loading the plugin never imports botocore."""

from __future__ import annotations

import os
import subprocess
import sys

import modelport as mp
import pytest
from modelport import plugins
from modelport._host._plugins import PluginHost, default_host
from modelport_dynamodb_cache import DynamoDBCache


def host_caches() -> list:  # type: ignore[type-arg]
    host = PluginHost(allow={"dynamodb-cache"})
    info = {p.name: p for p in host.plugins()}
    assert "dynamodb-cache" in info, "the entry point is not installed (pip install -e ...)"
    assert info["dynamodb-cache"].error is None
    assert "register_caches" in info["dynamodb-cache"].hooks
    # only this plugin's registrations: built-in levels (the core's L1) are not our business
    return [c for c in host.registry().caches if c.plugin == "dynamodb-cache"]


def test_registers_nothing_without_a_table() -> None:
    assert host_caches() == []


def test_empty_table_variable_registers_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODELPORT_DYNAMODB_TABLE", "  ")
    assert host_caches() == []


def test_registers_a_level_2_backend_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODELPORT_DYNAMODB_TABLE", "modelport-cache")
    monkeypatch.setenv("MODELPORT_DYNAMODB_REGION", "eu-west-1")
    monkeypatch.setenv("MODELPORT_DYNAMODB_ENDPOINT_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("MODELPORT_DYNAMODB_CREATE_TABLE", "1")
    (reg,) = host_caches()
    assert reg.level == 2
    assert reg.plugin == "dynamodb-cache"
    backend = reg.backend
    assert isinstance(backend, DynamoDBCache)
    assert (backend.table, backend.region, backend.endpoint_url, backend.create_table) == (
        "modelport-cache",
        "eu-west-1",
        "http://127.0.0.1:9",
        True,
    )
    assert backend._client is None  # registering did no I/O


@pytest.mark.parametrize(("value", "allowed"), [("0", False), ("", False), ("true", True)])
def test_create_table_variable(monkeypatch: pytest.MonkeyPatch, value: str, allowed: bool) -> None:
    monkeypatch.setenv("MODELPORT_DYNAMODB_TABLE", "modelport-cache")
    monkeypatch.setenv("MODELPORT_DYNAMODB_CREATE_TABLE", value)
    backend = DynamoDBCache.from_env()
    assert backend is not None
    assert backend.create_table is allowed


def test_blocking_the_plugin_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODELPORT_DYNAMODB_TABLE", "modelport-cache")
    caches = PluginHost(blocked={"dynamodb-cache"}).registry().caches
    assert [c for c in caches if isinstance(c.backend, DynamoDBCache)] == []


class SharedCache:
    """The tiny plugin object the README documents."""

    def __init__(self, backend: DynamoDBCache) -> None:
        self.backend = backend

    @mp.hookimpl
    def register_caches(self, register):  # type: ignore[no-untyped-def]
        register(self.backend, level=2)


def test_documented_programmatic_registration() -> None:
    backend = DynamoDBCache("modelport-cache", region="eu-west-1", create_table=True)
    plugins.register(SharedCache(backend), name="shared-cache")
    caches = default_host().registry().caches
    ours = [(c.backend, c.level, c.plugin) for c in caches if isinstance(c.backend, DynamoDBCache)]
    assert ours == [(backend, 2, "shared-cache")]
    assert caches == sorted(caches, key=lambda c: c.level)  # a local L1, if any, is read first


CHECK_NO_BOTOCORE = """
import sys
import modelport_dynamodb_cache.plugin
from modelport._host._plugins import PluginHost
caches = PluginHost(allow={"dynamodb-cache"}).registry().caches
assert [c.level for c in caches if c.plugin == "dynamodb-cache"] == [2], caches
bad = sorted(m for m in sys.modules if m.split(".")[0] in ("botocore", "boto3"))
assert not bad, bad
print("ok")
"""


def test_loading_and_registering_does_not_import_botocore() -> None:
    env = {**os.environ, "MODELPORT_DYNAMODB_TABLE": "modelport-cache"}
    out = subprocess.run(
        [sys.executable, "-c", CHECK_NO_BOTOCORE],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


def test_import_time_has_no_botocore() -> None:
    """``-X importtime`` lists every module imported; botocore must not be among them."""
    out = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import modelport_dynamodb_cache.plugin"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    modules = [line.rsplit("|", 1)[-1].strip() for line in out.stderr.splitlines() if "|" in line]
    assert "modelport_dynamodb_cache.plugin" in modules
    assert not [m for m in modules if m.split(".")[0] in ("botocore", "boto3")]
