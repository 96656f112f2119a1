"""Shared fixtures: paths to ../shared, and the real llama.cpp server (session-scoped)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

from llama_peer import LlamaServer, shared_dir  # noqa: E402


def pytest_configure(config: pytest.Config) -> None:
    """Keep the built-in L1 cache of every test (and subprocess) out of the user's cache dir."""
    import os
    import tempfile

    os.environ.setdefault("MODELPORT_CACHE_DIR", tempfile.mkdtemp(prefix="modelport-test-cache-"))


@pytest.fixture(scope="session")
def conformance() -> Path:
    return shared_dir() / "conformance"


@pytest.fixture(scope="session")
def llama_think() -> Iterator[LlamaServer]:
    with LlamaServer("think") as server:
        yield server


@pytest.fixture(scope="session")
def llama_plain() -> Iterator[LlamaServer]:
    with LlamaServer("plain") as server:
        yield server


@pytest.fixture(autouse=True)
def _fresh_plugin_host(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test sees a plugin host built from the current environment, with an L1 cache of
    its own: a cache key names the server's port, and a scripted server may get a port an
    earlier test's server had, whose entries would then answer this test's calls."""
    from modelport.plugins import reset

    monkeypatch.setenv("MODELPORT_CACHE_DIR", str(tmp_path / "modelport-cache"))
    reset()
    yield
    reset()


@pytest.fixture(autouse=True)
def _no_own_prices() -> Iterator[None]:
    """Prices given with ``mp.set_price`` are process-wide: none leaks from one test to the next."""
    from modelport._cost._registry import _prices

    _prices.clear()
    yield
    _prices.clear()
