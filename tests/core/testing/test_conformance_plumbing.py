"""How the conformance suite ships: the pytest11 plugin, what importing it costs, the scripted
server's prefix-free URL, and the helpers the checks stand on (hang bound, header lookup,
replies framed like the provider's)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request
from importlib.metadata import entry_points
from pathlib import Path

import pytest
from modelport.testing import Reply, ScriptedServer
from modelport.testing.conformance._decode import Headers, bounded
from modelport.testing.conformance._harness import reply_for
from modelport.testing.conformance._recordings import load_cases
from test_conformance_toy import write_recordings

pytest_plugins = ["pytester"]


def run_python(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_pytest_plugin_is_an_entry_point() -> None:
    (ep,) = [e for e in entry_points(group="pytest11") if e.name == "modelport"]
    assert ep.value == "modelport.testing.conformance.plugin"


def test_importing_modelport_or_its_testing_package_imports_no_suite() -> None:
    out = run_python(
        "import sys, modelport, modelport.testing\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('pytest', 'hypothesis', '_pytest')"
        " or m.startswith('modelport.testing.conformance')]\n"
        "print(bad)"
    )
    assert out.strip() == "[]"


def test_the_plugin_module_imports_only_pytest() -> None:
    # pytest loads it in every run of every project that has modelport installed.
    out = run_python(
        "import sys, modelport.testing.conformance.plugin\n"
        "print([m for m in sys.modules if m.startswith(('hypothesis', 'modelport.provider',"
        " 'modelport.testing.conformance._', 'pydantic', 'httpx2'))])"
    )
    assert out.strip() == "[]"


def test_without_hypothesis_the_testing_package_still_works() -> None:
    out = run_python(
        "import sys\n"
        "sys.modules['hypothesis'] = None  # as if not installed\n"
        "from modelport.testing import ScriptedServer, Reply\n"
        "from modelport.testing.conformance import Conformance\n"
        "try:\n"
        "    from modelport.testing.conformance import ProviderConformance\n"
        "except ImportError as exc:\n"
        "    print('suite needs', exc.name)\n"
    )
    assert out.strip() == "suite needs hypothesis"


def test_the_marker_and_option_are_registered(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_inprocess("--markers")
    result.stdout.fnmatch_lines(["@pytest.mark.conformance:*"])
    result = pytester.runpytest_inprocess("--help")
    result.stdout.fnmatch_lines(["*--conformance-max-examples=N*"])


# -- the scripted server's URLs -----------------------------------------------------------------


def test_scripted_server_gives_a_prefix_free_url() -> None:
    with ScriptedServer() as server:
        assert server.url == f"http://127.0.0.1:{server.port}"
        assert server.base_url == server.url + "/v1"
        server.add(Reply.json({"ok": True}))
        with urllib.request.urlopen(server.url + "/model/m/invoke", data=b"{}") as response:
            assert json.loads(response.read()) == {"ok": True}
        assert server.requests[0].path == "/model/m/invoke"
    with ScriptedServer(api_prefix="") as bare:
        assert bare.base_url == bare.url
    with ScriptedServer(api_prefix="/api/v0/") as lm:
        assert lm.base_url == lm.url + "/api/v0"


# -- helpers ------------------------------------------------------------------------------------


def test_bounded_reports_a_hang_and_passes_results_and_errors_through() -> None:
    started = time.monotonic()
    with pytest.raises(AssertionError, match=r"did not return within 0\.2s"):
        bounded(lambda: time.sleep(2), "a sleepy step", seconds=0.2)
    assert time.monotonic() - started < 1.5
    assert bounded(lambda: 42, "x") == 42
    with pytest.raises(KeyError):
        bounded(lambda: {}["missing"], "x")


def test_headers_are_case_insensitive_like_the_core_s() -> None:
    headers = Headers([("Retry-After", "3"), ("x-amzn-ErrorType", "ThrottlingException")])
    assert headers["retry-after"] == headers.get("RETRY-AFTER") == "3"
    assert "X-Amzn-Errortype" in headers
    assert list(headers) == ["Retry-After", "x-amzn-ErrorType"]
    assert headers.get("missing") is None


def test_replies_are_framed_like_the_recording(tmp_path: Path) -> None:
    cases = {c.name: c for c in load_cases([write_recordings(tmp_path)])}
    stream = reply_for(cases["stream-text.sse"])
    assert stream.chunks is not None and len(stream.chunks) == 7  # one chunk per SSE event
    assert b"".join(stream.chunks) == cases["stream-text.sse"].body()
    assert stream.content_type == "text/event-stream"
    error = reply_for(cases["error-404-no-such-model.json"])
    assert (error.status_code, error.chunks, error.content_type) == (404, None, "application/json")
