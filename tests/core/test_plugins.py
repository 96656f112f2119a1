"""Plugin loading: laziness, isolation, blocking, allow-list, strict mode, tracing, validation,
pluggy's call order for registrations, and providers registered lazily by import path.

Plugins here are real distributions: a ``*.dist-info`` with ``entry_points.txt`` on ``sys.path``,
found by importlib.metadata exactly as an installed package would be.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from modelport import ConfigurationError
from modelport._host._plugins import PluginHost

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
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.syspath_prepend(str(tmp_path))
    for var in (
        "MODELPORT_DISABLE_PLUGINS",
        "MODELPORT_LOAD_PLUGINS",
        "MODELPORT_STRICT_PLUGINS",
        "MODELPORT_TRACE_PLUGINS",
    ):
        monkeypatch.delenv(var, raising=False)
    yield tmp_path
    # Each test writes its own modules under the same names: forget the last test's.
    for module in [m for m in sys.modules if m.startswith("mp_")]:
        del sys.modules[module]


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


# -- order: the plugin pluggy calls first wins ------------------------------------------------


def provider_module(version: str, *, name: str = "echo", cls: str = "EchoProvider") -> str:
    """A module with one complete provider class; ``version`` tells the registrations apart."""
    return f"""
from modelport.provider import BaseProvider

class {cls}(BaseProvider):
    name = {name!r}
    version = {version!r}

    def build_request(self, request):
        raise NotImplementedError

    def parse_response(self, body, request):
        raise NotImplementedError

    def stream_decoder(self, request):
        raise NotImplementedError
"""


def plugin_module(body: str, marker: str = "") -> str:
    """An entry-point module implementing ``register_providers`` with ``body``."""
    return f"""
import modelport

@modelport.hookimpl{marker}
def register_providers(register):
{textwrap.indent(textwrap.dedent(body).strip(), "    ")}
"""


def write_module(site: Path, module: str, source: str) -> None:
    (site / f"{module}.py").write_text(textwrap.dedent(source))


def echo_plugin(site: Path, ep: str, version: str, marker: str = "") -> None:
    """A plugin named ``ep`` registering provider ``echo`` (its own class, lazily)."""
    module = f"mp_{ep.replace('-', '_')}"
    write_module(site, f"{module}_provider", provider_module(version))
    body = f"register('{module}_provider:EchoProvider', name='echo')"
    make_dist(site, ep, module, plugin_module(body, marker))


def test_tryfirst_overrides_a_provider_silently(site: Path) -> None:
    # "a-override" registers first, so without its marker "echo" (registered later) would win.
    echo_plugin(site, "a-override", "override", "(tryfirst=True)")
    echo_plugin(site, "echo", "original")
    host = PluginHost()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert host.provider_class("echo").version == "override"
        info = names(host)
    assert info["a-override"]["providers"] == ["echo"]
    assert "providers" not in info["echo"] and "error" not in info["echo"]
    assert host.registry().provider_plugin["echo"] == "a-override"


def test_trylast_is_a_silent_fallback(site: Path) -> None:
    echo_plugin(site, "echo", "original")
    echo_plugin(site, "z-fallback", "fallback", "(trylast=True)")
    host = PluginHost(strict=True)  # a deliberate order is no conflict, not even in strict mode
    assert host.provider_class("echo").version == "original"


def test_same_priority_conflict_names_both_plugins(site: Path) -> None:
    echo_plugin(site, "echo", "first-registered")
    echo_plugin(site, "echo2", "last-registered")
    host = PluginHost()
    with pytest.warns(RuntimeWarning, match=r"'echo2' and 'echo' both register provider 'echo'"):
        cls = host.provider_class("echo")
    assert cls.version == "last-registered"  # pluggy calls the latest registered plugin first
    assert "shadowed" in str(names(host)["echo"]["error"])


def test_same_priority_conflict_is_an_error_in_strict_mode(site: Path) -> None:
    echo_plugin(site, "echo", "1")
    echo_plugin(site, "echo2", "2")
    with pytest.raises(ConfigurationError, match=r"'echo2' and 'echo' both register.*tryfirst"):
        PluginHost(strict=True).provider_class("echo")


def test_provider_winner_is_the_plugin_pluggy_calls_first(site: Path) -> None:
    """The registry's choice agrees with pluggy's own call of the hook, markers included."""
    echo_plugin(site, "a-first", "a", "(tryfirst=True)")
    echo_plugin(site, "b-plain", "b")
    echo_plugin(site, "c-last", "c", "(trylast=True)")
    echo_plugin(site, "d-plain", "d")
    host = PluginHost(allow={"a-first", "b-plain", "c-last", "d-plain"})
    host.load()
    called: list[str] = []
    host.pm.hook.register_providers(register=lambda target, name: called.append(target[3]))
    assert called == ["a", "d", "b", "c"]  # tryfirst, latest registered, earlier, trylast
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # every loser lost to a marker: no accidental conflict
        assert host.provider_class("echo").version == "a"


THINKING = """
import modelport
from modelport.testing import MemoryCache

class Named(MemoryCache):
    def __init__(self, name):
        super().__init__()
        self.name = name

@modelport.hookimpl{marker}
def register_thinking(register):
    register({start!r}, {end!r})

@modelport.hookimpl{marker}
def register_caches(register):
    register(Named({start!r}), level=1)
"""


def test_caches_and_thinking_follow_pluggy_order(site: Path) -> None:
    for ep, marker in (
        ("a-first", "(tryfirst=True)"),
        ("b-plain", ""),
        ("c-last", "(trylast=True)"),
    ):
        source = THINKING.format(marker=marker, start=f"<{ep}>", end=f"</{ep}>")
        make_dist(site, ep, f"mp_{ep.replace('-', '_')}", source)
    host = PluginHost(blocked=["builtin-cache"])
    host.load()
    called: list[str] = []
    host.pm.hook.register_thinking(register=lambda start, end: called.append(start))
    reg = host.registry()
    assert [t.start for t in reg.thinking] == called
    assert called == ["<a-first>", "<b-plain>", "<think>", "<thinking>", "[THINK]", "<c-last>"]
    assert [c.backend.name for c in reg.caches] == ["<a-first>", "<b-plain>", "<c-last>"]  # type: ignore[attr-defined]


# -- tracing ----------------------------------------------------------------------------------


def test_trace_shows_loading_and_registrations(
    site: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    make_dist(site, "echo", "mp_echo_plugin", GOOD)
    echo_plugin(site, "lazy", "2")  # shadows "echo" with the same priority
    make_dist(site, "marker", "mp_marker_plugin", MARKER)
    monkeypatch.setenv("MODELPORT_TRACE_PLUGINS", "1")
    monkeypatch.setenv("MODELPORT_DISABLE_PLUGINS", "marker")
    host = PluginHost()
    with pytest.warns(RuntimeWarning):
        host.provider_class("echo")
    lines = capfd.readouterr().err.splitlines()
    for line in (
        "modelport load plugin builtin-thinking -> modelport._thinking._builtin",
        "modelport load plugin echo -> mp_echo_plugin",
        "modelport skip plugin marker (blocked)",
        "modelport hook register_providers -> lazy",
        "modelport register provider echo -> mp_lazy_provider:EchoProvider (plugin lazy, lazy)",
        "modelport hook register_providers -> echo",
        "modelport register provider echo -> mp_echo_plugin:EchoProvider (plugin echo) "
        "shadowed by plugin lazy",
        "modelport hook register_thinking -> builtin-thinking",
        "modelport register thinking '<think>' '</think>' (plugin builtin-thinking)",
        "modelport hook register_caches -> builtin-cache",
        "modelport register cache level 1 -> SQLiteCache (plugin builtin-cache)",
        "modelport import provider echo -> mp_lazy_provider:EchoProvider (plugin lazy)",
    ):
        assert line in lines, (line, lines)
    assert lines[-1].startswith("modelport import provider echo")  # on use, after registering


def test_trace_keeps_pluggy_tracing_and_hook_call_format(
    site: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    from modelport._host._hook_calls import call_hook

    make_dist(site, "marker", "mp_marker_plugin", MARKER)
    host = PluginHost(trace=True, allow={"marker"})
    host.load()
    host.pm.hook.register_providers(register=lambda cls: None)  # through pluggy: its trace
    call_hook(host, "on_progress", ConfigurationError, event=None)
    err = capfd.readouterr().err
    assert "register_providers [hook]" in err
    assert "modelport hook on_progress -> marker" in err


# -- lazy registration ------------------------------------------------------------------------


def lazy_plugin(site: Path, body: str, *, provider: str | None = None) -> None:
    """Plugin ``lazy`` (module ``mp_lazy``), and optionally module ``mp_lazy_provider``."""
    if provider is not None:
        write_module(site, "mp_lazy_provider", provider)
    make_dist(site, "lazy", "mp_lazy", plugin_module(body))


def test_lazy_provider_is_imported_on_first_resolve(site: Path) -> None:
    lazy_plugin(
        site,
        "register('mp_lazy_provider:EchoProvider', name='echo')",
        provider=provider_module("3.1"),
    )
    host = PluginHost(strict=True, allow={"lazy"})
    assert host.provider_names() == ["echo"]
    info = names(host)["lazy"]
    assert info["providers"] == ["echo"] and info["version"] == "1.0"
    assert "mp_lazy_provider" not in sys.modules  # listing imported nothing
    cls = host.provider_class("echo")
    assert cls.version == "3.1" and "mp_lazy_provider" in sys.modules
    assert host.provider_class("echo") is cls


def test_lazy_provider_serves_an_llm(site: Path) -> None:
    import modelport as mp

    lazy_plugin(
        site,
        "register('mp_lazy_provider:EchoProvider', name='echo')",
        provider=provider_module("3.1"),
    )
    llm = mp.LLM("echo:m", plugins=PluginHost(strict=True))
    assert type(llm.provider).__module__ == "mp_lazy_provider"


def test_lazy_import_failure_names_plugin_and_target(site: Path) -> None:
    write_module(site, "mp_counter", "runs = 0\n")
    provider = "import mp_counter\nmp_counter.runs += 1\nraise RuntimeError('translator broke')\n"
    lazy_plugin(site, "register('mp_lazy_provider:EchoProvider', name='echo')", provider=provider)
    host = PluginHost()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert "error" not in names(host)["lazy"]  # found, so listing is fine
    for _ in range(2):
        with pytest.raises(ConfigurationError) as caught:
            host.provider_class("echo")
        text = str(caught.value)
        assert "plugin 'lazy'" in text and "'mp_lazy_provider:EchoProvider'" in text
        assert "RuntimeError: translator broke" in text
        assert isinstance(caught.value.__cause__, RuntimeError)
    import mp_counter  # type: ignore[import-not-found]

    assert mp_counter.runs == 1  # the failure is remembered: the module ran once


@pytest.mark.parametrize(
    ("provider", "match"),
    [
        (provider_module("1", cls="Other"), r"has no attribute 'EchoProvider'"),
        ("class EchoProvider:\n    name = 'echo'\n", r"missing or invalid: version, api_key_env"),
        (provider_module("1", name="not-echo"), r"name is 'not-echo', not the registered name"),
    ],
    ids=["missing-attribute", "contract", "name-mismatch"],
)
def test_lazy_class_problems_are_configuration_errors(
    site: Path, provider: str, match: str
) -> None:
    lazy_plugin(site, "register('mp_lazy_provider:EchoProvider', name='echo')", provider=provider)
    host = PluginHost(strict=True, allow={"lazy"})
    assert host.provider_names() == ["echo"]
    with pytest.raises(ConfigurationError, match=match) as caught:
        host.provider_class("echo")
    assert "plugin 'lazy' registered provider 'echo' as 'mp_lazy_provider:EchoProvider'" in str(
        caught.value
    )


def test_missing_module_is_reported_when_listing(site: Path) -> None:
    lazy_plugin(site, "register('mp_lazy_nowhere:EchoProvider', name='echo')")
    host = PluginHost()
    with pytest.warns(RuntimeWarning, match=r"plugin 'lazy'.*'mp_lazy_nowhere:EchoProvider'"):
        info = names(host)["lazy"]
    assert "no module named 'mp_lazy_nowhere'" in str(info["error"])
    with pytest.raises(ConfigurationError, match="ModuleNotFoundError"):
        host.provider_class("echo")
    with pytest.raises(ConfigurationError, match="no module named 'mp_lazy_nowhere'"):
        PluginHost(strict=True).plugins()


@pytest.mark.parametrize(
    ("body", "match"),
    [
        ("register('mp_lazy_provider:EchoProvider')", r"without a name.*name='\.\.\.'"),
        ("register('mp_lazy_provider.EchoProvider', name='echo')", r"'package.module:Class'"),
        ("register('mp_lazy_provider:EchoProvider', name='a:b')", r"without ':'"),
        ("from mp_lazy_provider import EchoProvider\nregister(EchoProvider, name='x')", "as 'x'"),
    ],
    ids=["no-name", "no-colon", "bad-name", "class-name-mismatch"],
)
def test_bad_registrations_are_plugin_failures(site: Path, body: str, match: str) -> None:
    lazy_plugin(site, body, provider=provider_module("1"))
    with pytest.warns(RuntimeWarning, match=r"'lazy' failed in register_providers"):
        info = names(PluginHost())["lazy"]
    assert re.search(match, str(info["error"]))
    with pytest.raises(ConfigurationError, match=match):
        PluginHost(strict=True).plugins()


FIRST_PARTY = {
    "openai-chat": "modelport_openai_chat._provider",
    "openai-responses": "modelport_openai_responses._provider",
    "lmstudio": "modelport_lmstudio._provider",
    "bedrock-claude": "modelport_bedrock_claude._provider",
}

CLEAN_INTERPRETER = """
import json, sys
import modelport as mp
from modelport.cli import main

providers = {providers!r}
def loaded():
    return sorted(name for name, module in providers.items() if module in sys.modules)

assert main(["plugins"]) == 0 and main(["models"]) == 0
listed = loaded()
llm = mp.LLM("openai-chat:gpt-test", base_url="http://127.0.0.1:9/v1", api_key="k")
print(json.dumps({{"listing": listed, "after_llm": loaded()}}))
"""


def _clean_env() -> dict[str, str]:
    keep = {"MODELPORT_CACHE_DIR"}
    return {k: v for k, v in os.environ.items() if not k.startswith("MODELPORT_") or k in keep}


def test_first_llm_imports_only_its_own_provider() -> None:
    code = CLEAN_INTERPRETER.format(providers=FIRST_PARTY)
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=_clean_env(), timeout=60
    )
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert report == {"listing": [], "after_llm": ["openai-chat"]}, out.stdout


def test_first_party_plugins_register_lazily_and_resolve() -> None:
    host = PluginHost(allow=set(FIRST_PARTY), strict=True)
    listed = {p.name: p for p in host.plugins()}
    for name, module in FIRST_PARTY.items():
        assert listed[name].providers == [name]
        assert host.registry().providers[name].lazy
        cls = host.provider_class(name)
        assert cls.name == name and cls.__module__ == module
