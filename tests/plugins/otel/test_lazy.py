"""OpenTelemetry is imported on the first call, never by ``import modelport``, by listing
plugins or by importing the plugin's package; with no SDK set up, calls are not observed."""

from __future__ import annotations

import subprocess
import sys

import modelport as mp
from modelport.testing import ScriptedServer

from .conftest import chat_reply


def imported_after(code: str) -> bool:
    probe = f"import sys\n{code}\nprint(any(m.startswith('opentelemetry') for m in sys.modules))"
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    return out.stdout.strip().splitlines()[-1] == "True"


def test_opentelemetry_is_not_imported_until_a_call() -> None:
    assert not imported_after("import modelport")
    assert not imported_after("import modelport_otel")
    listing = (
        "import modelport.plugins as p\nassert 'otel' in {i['name'] for i in p.list_plugins()}"
    )
    assert not imported_after(listing)
    assert not imported_after("import modelport as mp\nmp.LLM('openai-chat:m', api_key='k')")


def test_without_an_sdk_calls_are_not_observed(server: ScriptedServer) -> None:
    """The API's default providers send spans nowhere: the plugin declines the call."""
    import modelport_otel
    from modelport_otel._active import telemetry_wanted

    modelport_otel.configure()
    assert not telemetry_wanted()
    server.add(chat_reply())
    with mp.LLM("openai-chat:m", base_url=server.base_url, api_key="k") as llm:
        assert llm.complete("hi").text == "ok"
