"""``llm.count_tokens(...)`` on lmstudio through the ``lmstudio`` SDK (``modelport-lmstudio[sdk]``),
against a scripted server speaking the SDK's WebSocket protocol (``_sdk_server``)."""

from __future__ import annotations

import json
import logging
import re
import socket
import sys
from pathlib import Path
from typing import Any

import modelport as mp
import pytest

from ._sdk_server import sdk_server, toy_count

pytest.importorskip("lmstudio")

MODEL = "phi-4-mini-instruct"
KEY = "lms-key-0123456789abcdef"


def _llm(api_host: str, **kw: Any) -> mp.LLM:
    return mp.LLM(f"lmstudio:{MODEL}", base_url=f"http://{api_host}/v1", **kw)


def test_the_loaded_models_tokenizer_counts_the_messages_text() -> None:
    with sdk_server([MODEL, "other-model"]) as server, _llm(server.api_host) as llm:
        count = llm.count_tokens("Hello, world! " * 7, system="Answer in one line.")
        calls = server.calls
    text = "Answer in one line.\n" + "Hello, world! " * 7
    assert (count.tokens, count.estimated, count.source) == (toy_count(text), False, "provider")
    assert [c["endpoint"] for c in calls] == ["listLoaded", "countTokens"]
    assert calls[1]["parameter"]["inputString"] == text
    assert calls[1]["parameter"]["specifier"]["query"]["identifier"] == MODEL


def test_a_model_that_is_not_loaded_is_estimated_and_never_loaded() -> None:
    with sdk_server(["other-model"]) as server, _llm(server.api_host) as llm:
        count = llm.count_tokens("Hello, world!")
        calls = server.calls
    assert (count.estimated, count.source) == (True, "estimate")
    assert [c["endpoint"] for c in calls] == ["listLoaded"]  # no getOrLoad, no loadModel


def test_nothing_listening_is_the_marked_estimate() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        host = f"127.0.0.1:{s.getsockname()[1]}"
    with _llm(host) as llm:  # the port is closed again: connections are refused
        count = llm.count_tokens("Hello, world!")
    assert (count.estimated, count.source) == (True, "estimate")


def test_without_the_sdk_the_estimate_stays(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "lmstudio", None)  # ``import lmstudio`` now fails
    with sdk_server([MODEL]) as server, _llm(server.api_host) as llm:
        count = llm.count_tokens("Hello, world!")
        received = list(server.received)
    assert (count.estimated, count.source) == (True, "estimate")
    assert received == []


def test_a_failed_count_is_a_typed_error_without_the_key(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with sdk_server([MODEL], fail_count=True) as server:
        with _llm(server.api_host, api_key=KEY) as llm, pytest.raises(mp.ProviderServerError) as e:
            llm.count_tokens("Hello, world!")
        passkey = server.received[0]["clientPasskey"]
        assert KEY not in json.dumps(server.received)  # the SDK is never given the key
    err = e.value
    assert (err.provider, err.model) == ("lmstudio", MODEL)
    assert "countTokens failed" in str(err)
    assert KEY not in str(err) and KEY not in repr(err) and KEY not in caplog.text
    assert passkey not in str(err) and passkey not in caplog.text


def test_a_refused_session_is_a_typed_error(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with sdk_server([MODEL], refuse_auth=True) as server:
        with _llm(server.api_host, api_key=KEY) as llm, pytest.raises(mp.ModelRequestError) as e:
            llm.count_tokens("Hello, world!")
        passkey = server.received[0]["clientPasskey"]
    assert "Authentication refused" in str(e.value)
    assert KEY not in str(e.value) and KEY not in caplog.text
    assert passkey not in str(e.value) and passkey not in caplog.text


def test_docs_example() -> None:
    """docs/providers/lmstudio.md's token-counting block, run with an LLM on the SDK server."""
    doc = Path(__file__).resolve().parents[3] / "docs" / "providers" / "lmstudio.md"
    section = doc.read_text().split("## Token counting", 1)[1].split("\n## ", 1)[0]
    block = re.findall(r"```python\n(.*?)```", section, re.S)[0]
    with sdk_server([MODEL]) as server, _llm(server.api_host) as llm:
        names: dict[str, Any] = {"llm": llm}
        exec(block, names)
    count = names["count"]
    assert (count.estimated, count.source) == (False, "provider")
    assert count.tokens == toy_count("Answer in one line.\nHello, world!")
