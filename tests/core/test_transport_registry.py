"""Transports are plugins: ``register_transports``, names and objects for ``LLM(transport=)``,
``MODELPORT_TRANSPORT``, lazy import, and conflicts handled as for providers."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import modelport as mp
import pytest
from modelport import ConfigurationError, hookimpl
from modelport._host._plugins import PluginHost

KW: dict[str, Any] = {"base_url": "http://127.0.0.1:9/v1", "api_key": "k"}


class Fake:
    """The four methods of the seam; never sends anything here."""

    made = 0

    def __init__(self) -> None:
        Fake.made += 1

    def send(self, request: Any, timeouts: Any) -> Any:
        raise NotImplementedError

    async def asend(self, request: Any, timeouts: Any) -> Any:
        raise NotImplementedError

    def close(self) -> None:
        pass

    async def aclose(self) -> None:
        pass


def plugin(*registrations: tuple[Any, str], tryfirst: bool = False) -> object:
    class Plugin:
        @staticmethod
        @hookimpl(tryfirst=tryfirst)
        def register_transports(register: Any) -> None:
            for target, name in registrations:
                register(target, name=name)

    return Plugin


def host(**kw: Any) -> PluginHost:
    return PluginHost(entry_points=False, **kw)


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Path]:
    sys.path.insert(0, str(tmp_path))
    yield tmp_path
    sys.path.remove(str(tmp_path))
    for name in [m for m in sys.modules if m.startswith("mp_transport_")]:
        del sys.modules[name]


def test_builtins_are_registered_by_name_and_listed() -> None:
    h = host()
    assert h.transport_names() == ["httpx2", "stdlib"]
    info = {p.name: p for p in h.plugins()}
    assert info["builtin-transports"].transports == ["httpx2", "stdlib"]
    assert info["builtin-transports"].as_dict()["transports"] == ["httpx2", "stdlib"]
    assert "transports" not in info["builtin-cache"].as_dict()


def test_names_resolve_to_new_instances_and_objects_pass_through() -> None:
    h = host()
    assert isinstance(h.transport(), mp.HttpxTransport)
    first, second = h.transport("stdlib"), h.transport("stdlib")
    assert isinstance(first, mp.StdlibTransport) and first is not second
    obj = Fake()
    assert h.transport(obj) is obj
    h = PluginHost(allow={"openai-chat"})
    with mp.LLM("openai-chat:m", plugins=h, transport="stdlib", **KW) as llm:
        assert isinstance(llm._transport, mp.StdlibTransport)
    with mp.LLM("openai-chat:m", plugins=h, transport=obj, **KW) as llm:
        assert llm._transport is obj


def test_not_a_transport_is_a_configuration_error() -> None:
    h = host()
    with pytest.raises(ConfigurationError, match=r"class StdlibTransport.*StdlibTransport\(\)"):
        h.transport(mp.StdlibTransport)  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match=r"not a transport \(no asend, close, aclose\)"):
        h.transport(type("OnlySend", (), {"send": lambda self: None})())  # type: ignore[arg-type]


def test_unknown_names_list_the_registered_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigurationError) as info:
        mp.LLM("openai-chat:m", plugins=PluginHost(allow={"openai-chat"}), transport="stdlb", **KW)
    text = str(info.value)
    assert "unknown transport 'stdlb' in LLM(transport=...)" in text
    assert "Did you mean 'stdlib'?" in text and "Available: httpx2, stdlib" in text
    with pytest.raises(ConfigurationError, match=r"'httpx2' in the default \(is the plugin"):
        host(blocked=["builtin-transports"]).transport()
    monkeypatch.setenv("MODELPORT_TRANSPORT", "nope")
    with pytest.raises(ConfigurationError, match="'nope' in MODELPORT_TRANSPORT"):
        host().transport()


def test_the_default_from_the_environment_or_the_host(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODELPORT_TRANSPORT", " stdlib ")
    assert isinstance(host().transport(), mp.StdlibTransport)
    with mp.LLM("openai-chat:m", **KW) as llm:  # the process-wide host reads it too
        assert isinstance(llm._transport, mp.StdlibTransport)
    assert isinstance(host(transport="httpx2").transport(), mp.HttpxTransport)  # code wins
    monkeypatch.setenv("MODELPORT_TRANSPORT", "")
    assert isinstance(host().transport(), mp.HttpxTransport)


def test_a_plugin_transport_is_imported_only_when_chosen(site: Path) -> None:
    (site / "mp_transport_lazy.py").write_text(
        textwrap.dedent(
            """
            class Lazy:
                def send(self, request, timeouts): ...
                async def asend(self, request, timeouts): ...
                def close(self): ...
                async def aclose(self): ...
            """
        )
    )
    h = host()
    h.register(plugin(("mp_transport_lazy:Lazy", "lazy")), name="lazy-plugin")
    assert h.transport_names() == ["httpx2", "lazy", "stdlib"]
    assert [p.transports for p in h.plugins() if p.name == "lazy-plugin"] == [["lazy"]]
    assert "mp_transport_lazy" not in sys.modules
    assert type(h.transport("lazy")).__name__ == "Lazy"
    assert "mp_transport_lazy" in sys.modules


def test_factories_registered_directly() -> None:
    h = host()
    h.register(plugin((Fake, "fake"), (lambda: Fake(), "fake-fn")), name="fakes")
    before = Fake.made
    assert isinstance(h.transport("fake"), Fake) and isinstance(h.transport("fake-fn"), Fake)
    assert Fake.made == before + 2


def test_a_bad_registration_names_the_plugin(site: Path) -> None:
    (site / "mp_transport_bad.py").write_text("def broken():\n    return object()\n")
    h = host()
    h.register(
        plugin(
            ("mp_transport_missing:X", "missing"),
            ("mp_transport_bad:nothing", "no-attr"),
            ("mp_transport_bad:broken", "returns-junk"),
        ),
        name="bad",
    )
    with pytest.warns(RuntimeWarning, match="no module named 'mp_transport_missing'"):
        h.transport_names()
    with pytest.raises(ConfigurationError, match=r"plugin 'bad' .* 'no-attr' .*no attribute"):
        h.transport("no-attr")
    with pytest.raises(ConfigurationError, match=r"'returns-junk' .* object is not a transport"):
        h.transport("returns-junk")
    strict = host(strict=True)
    strict.register(plugin(("m:X", None)), name="unnamed")  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="'unnamed' registered transport 'm:X' without"):
        strict.transport_names()


def test_same_priority_conflict_warns_and_tryfirst_overrides_silently() -> None:
    h = host()
    h.register(plugin((Fake, "stdlib")), name="mine")  # same priority as the built-in
    with pytest.warns(RuntimeWarning, match="'mine' and 'builtin-transports' both register"):
        winner = h.transport("stdlib")
    assert isinstance(winner, Fake)  # registered later, called first
    problems = {p.name: p.error for p in h.plugins()}
    assert "transport 'stdlib' shadowed" in str(problems["builtin-transports"])

    h = host(strict=True)
    h.register(plugin((Fake, "httpx2"), tryfirst=True), name="override")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert isinstance(h.transport(), Fake)  # the default name, overridden on purpose


def test_trace_shows_registration_and_import(capfd: pytest.CaptureFixture[str]) -> None:
    h = host(trace=True)
    h.transport("stdlib")
    err = capfd.readouterr().err.splitlines()
    assert "modelport hook register_transports -> builtin-transports" in err
    assert (
        "modelport register transport stdlib -> modelport._http._stdlib_transport:StdlibTransport "
        "(plugin builtin-transports, lazy)"
    ) in err
    assert err[-1] == (
        "modelport import transport stdlib -> modelport._http._stdlib_transport:StdlibTransport "
        "(plugin builtin-transports)"
    )


def test_listing_transports_imports_no_transport_module() -> None:
    code = (
        "import sys\n"
        "from modelport._host._plugins import PluginHost\n"
        "print(PluginHost(entry_points=False).transport_names(), sorted(m for m in sys.modules"
        " if m in ('modelport._http._stdlib_transport', 'httpx2')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "['httpx2', 'stdlib'] []", out.stderr
