"""Plugin loading: laziness, isolation, blocking, allow-list, strict mode, tracing, validation.

Plugins here are real distributions: a ``*.dist-info`` with ``entry_points.txt`` on ``sys.path``,
found by importlib.metadata exactly as an installed package would be.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from modelport import ConfigurationError
from modelport._plugins import PluginHost

GOOD = """
import modelport
from modelport.provider import BaseProvider

class EchoProvider(BaseProvider):
    name = "echo"
    version = "9.9"

    def build_request(self, request):
        raise NotImplementedError

    def parse_response(self, body, request):
        raise NotImplementedError

    def stream_decoder(self, request):
        raise NotImplementedError

@modelport.hookimpl
def register_providers(register):
    register(EchoProvider)
"""

BROKEN = "raise RuntimeError('boom at import')\n"

MISSPELLED = """
import modelport

@modelport.hookimpl
def register_provider(register):
    pass
"""

CRASHING_REGISTER = """
import modelport

@modelport.hookimpl
def register_providers(register):
    raise ValueError('cannot register')
"""

MARKER = """
import sys
sys.modules[__name__].imported = True
import modelport

@modelport.hookimpl
def on_progress(event):
    pass
"""


def make_dist(site: Path, name: str, module: str, source: str) -> None:
    (site / f"{module}.py").write_text(textwrap.dedent(source))
    info = site / f"{module}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {module}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(f"[modelport]\n{name} = {module}\n")


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.syspath_prepend(str(tmp_path))
    for var in (
        "MODELPORT_DISABLE_PLUGINS",
        "MODELPORT_LOAD_PLUGINS",
        "MODELPORT_STRICT_PLUGINS",
        "MODELPORT_TRACE_PLUGINS",
    ):
        monkeypatch.delenv(var, raising=False)
    return tmp_path


def names(host: PluginHost) -> dict[str, dict[str, object]]:
    return {p.name: p.as_dict() for p in host.plugins()}


def test_import_modelport_loads_no_plugins_and_no_http_stack() -> None:
    code = (
        "import sys, modelport; "
        "bad = [m for m in ('httpx2', 'openai', 'botocore', 'pydantic', 'modelport_openai_chat') "
        "if m in sys.modules]; print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_good_plugin_registers_its_provider(site: Path) -> None:
    make_dist(site, "echo", "mp_echo_plugin", GOOD)
    host = PluginHost()
    assert host.provider_class("echo").version == "9.9"
    info = names(host)["echo"]
    assert info["version"] == "1.0" and info["hooks"] == ["register_providers"]


def test_broken_plugin_is_named_and_skipped(site: Path) -> None:
    make_dist(site, "echo", "mp_echo_plugin", GOOD)
    make_dist(site, "broken", "mp_broken_plugin", BROKEN)
    host = PluginHost()
    with pytest.warns(RuntimeWarning, match=r"'broken' failed to load.*boom at import"):
        info = names(host)
    assert "boom at import" in str(info["broken"]["error"])
    assert host.provider_class("echo")  # the others still work


def test_strict_mode_raises(site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_dist(site, "broken", "mp_broken_plugin", BROKEN)
    monkeypatch.setenv("MODELPORT_STRICT_PLUGINS", "1")
    with pytest.raises(ConfigurationError, match="'broken' failed to load"):
        PluginHost().plugins()


def test_blocked_plugin_is_never_imported(site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_dist(site, "marker", "mp_marker_plugin", MARKER)
    monkeypatch.setenv("MODELPORT_DISABLE_PLUGINS", "marker, other")
    host = PluginHost()
    assert "marker" not in names(host)
    assert "mp_marker_plugin" not in sys.modules


def test_block_in_code_after_loading(site: Path) -> None:
    make_dist(site, "echo", "mp_echo_plugin", GOOD)
    host = PluginHost()
    host.provider_class("echo")
    host.block("echo")
    with pytest.raises(ConfigurationError, match="unknown provider 'echo'"):
        host.provider_class("echo")


def test_allow_list(site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_dist(site, "echo", "mp_echo_plugin", GOOD)
    make_dist(site, "marker", "mp_marker_plugin", MARKER)
    monkeypatch.setenv("MODELPORT_LOAD_PLUGINS", "echo")
    loaded = names(PluginHost())
    assert "echo" in loaded and "marker" not in loaded
    assert "builtin-thinking" in loaded  # built-ins stay unless blocked


def test_builtin_plugins_can_be_blocked(site: Path) -> None:
    host = PluginHost(blocked=["builtin-thinking"])
    assert "builtin-thinking" not in names(host)
    assert host.registry().thinking == []


def test_misspelled_hook_is_detected(site: Path) -> None:
    make_dist(site, "typo", "mp_typo_plugin", MISSPELLED)
    host = PluginHost()
    with pytest.warns(
        RuntimeWarning, match=r"unknown hook 'register_provider'.*register_providers"
    ):
        info = names(host)
    assert "register_provider" in str(info["typo"]["error"])


def test_crash_inside_a_hook_is_isolated(site: Path) -> None:
    make_dist(site, "echo", "mp_echo_plugin", GOOD)
    make_dist(site, "crash", "mp_crash_plugin", CRASHING_REGISTER)
    host = PluginHost()
    with pytest.warns(RuntimeWarning, match=r"'crash' failed in register_providers"):
        assert host.provider_class("echo")


def test_duplicate_provider_name_is_reported(site: Path) -> None:
    make_dist(site, "echo", "mp_echo_plugin", GOOD)
    make_dist(site, "echo2", "mp_echo2_plugin", GOOD)
    host = PluginHost()
    with pytest.warns(RuntimeWarning, match="already registered by plugin 'echo'"):
        assert host.provider_class("echo")


def test_trace_prints_hook_calls(site: Path, capfd: pytest.CaptureFixture[str]) -> None:
    make_dist(site, "echo", "mp_echo_plugin", GOOD)
    host = PluginHost(trace=True)
    host.pm.hook.register_providers(register=lambda cls: None)
    assert "register_providers" in capfd.readouterr().err


def test_unknown_provider_suggests_a_name(site: Path) -> None:
    make_dist(site, "echo", "mp_echo_plugin", GOOD)
    with pytest.raises(ConfigurationError, match="did you mean 'echo'"):
        PluginHost().provider_class("ecko")


def test_cli_plugins_survives_a_broken_plugin(site: Path) -> None:
    make_dist(site, "broken", "mp_broken_plugin", BROKEN)
    env = {**os.environ, "PYTHONPATH": f"{site}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    out = subprocess.run(
        [sys.executable, "-m", "modelport", "plugins"], capture_output=True, text=True, env=env
    )
    assert out.returncode == 0, out.stderr
    listed = {p["name"]: p for p in json.loads(out.stdout)}
    assert "boom at import" in listed["broken"]["error"]
    assert "failed to load" in out.stderr
