"""OpenTelemetry is imported only once it could have been set up, never by ``import modelport``,
by listing plugins, by importing the plugin's package or by a program's calls that use no
OpenTelemetry; with no SDK set up, calls are not observed."""

from __future__ import annotations

import os
import subprocess
import sys

import modelport as mp
from modelport.testing import ScriptedServer

from .conftest import chat_reply


def imported_after(
    code: str, env: dict[str, str] | None = None, name: str = "opentelemetry"
) -> bool:
    probe = f"import sys\n{code}\nprint(any(m.startswith({name!r}) for m in sys.modules))"
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "MODELPORT_"))}
    out = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        env={**clean, **(env or {})},
    )
    return out.stdout.strip().splitlines()[-1] == "True"


def call_code(base_url: str) -> str:
    return (
        "import modelport as mp\n"
        f"with mp.LLM('openai-chat:m', base_url={base_url!r}, api_key='k', cache='never') as llm:\n"
        "    assert llm.complete('hi').text == 'ok'"
    )


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


def test_a_program_without_opentelemetry_never_imports_it(server: ScriptedServer) -> None:
    server.add(chat_reply())
    assert not imported_after(call_code(server.base_url))


def test_a_provider_named_in_the_environment_is_used(server: ScriptedServer) -> None:
    """The one global provider that needs no import of the API first: the API loads it."""
    server.add(chat_reply())
    env = {"OTEL_PYTHON_TRACER_PROVIDER": "sdk_tracer_provider"}
    assert imported_after(call_code(server.base_url), env, name="modelport_otel._spans")


def test_a_provider_set_by_the_program_is_used(server: ScriptedServer) -> None:
    server.add(chat_reply())
    setup = (
        "from opentelemetry import trace\n"
        "from opentelemetry.sdk.trace import TracerProvider\n"
        "trace.set_tracer_provider(TracerProvider())\n"
    )
    code = setup + call_code(server.base_url)
    assert imported_after(code, name="modelport_otel._spans")
