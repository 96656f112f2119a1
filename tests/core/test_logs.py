"""Standard logging: each part logs under ``modelport.*``; no record ever holds a secret."""

from __future__ import annotations

import logging
import subprocess
import sys
from collections.abc import Iterator

import modelport as mp
import pytest
from modelport._logs import safe_url
from modelport.testing import Fault, Reply, ScriptedServer

CANARY = "sk-canary-logs-0123456789abcdef"


def ok() -> Reply:
    message = {"role": "assistant", "content": "ok"}
    return Reply.json(
        {
            "id": "c",
            "object": "chat.completion",
            "model": "m",
            "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
        }
    )


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    with ScriptedServer() as s:
        yield s


def test_attempts_retries_and_cache_are_logged(
    server: ScriptedServer, caplog: pytest.LogCaptureFixture
) -> None:
    server.add(Reply.status(503, {"error": "busy"}, headers={"retry-after-ms": "10"}), ok())
    caplog.set_level(logging.DEBUG, logger="modelport")
    with mp.LLM("openai-chat:m", base_url=server.base_url, api_key=CANARY, temperature=0) as llm:
        llm.complete("hi")
        llm.complete("hi")  # a cache hit
    by_logger: dict[str, list[str]] = {}
    for record in caplog.records:
        by_logger.setdefault(record.name, []).append(record.getMessage())
    attempts = by_logger["modelport.transport"]
    assert any("-> 503" in m for m in attempts) and any("-> 200" in m for m in attempts)
    assert all("POST http://127.0.0.1:" in m for m in attempts)
    assert any("retrying in 0.01 s" in m for m in by_logger["modelport.retry"])
    cache = by_logger["modelport.cache"]
    assert any(m.startswith("cache miss") for m in cache)
    assert any(m.startswith("cache hit (l1)") for m in cache)
    retry = next(r for r in caplog.records if r.name == "modelport.retry")
    assert retry.levelno == logging.INFO


def test_no_record_holds_the_key_at_debug(
    server: ScriptedServer, caplog: pytest.LogCaptureFixture
) -> None:
    """Every record at DEBUG, its arguments and its formatted message, over errors that echo
    the key, retries and a stream."""
    echo = {"error": {"message": f"Incorrect API key provided: {CANARY}"}}
    server.add(Reply.status(500, echo), Reply.status(401, echo))
    server.add(Fault.reset_mid_stream(Reply.sse([b"data: {}\n\n", b"data: {}\n\n"])))
    caplog.set_level(logging.DEBUG)
    with mp.LLM("openai-chat:m", base_url=server.base_url, api_key=CANARY, retry=1) as llm:
        with pytest.raises(mp.AuthenticationError):
            llm.complete("hi")
        with pytest.raises(mp.LLMError):
            list(llm.stream("hi"))
    assert caplog.records
    for record in caplog.records:
        text = f"{record.getMessage()} {record.args!r} {record.msg!r}"
        assert CANARY not in text and CANARY[-8:] not in text, record.name


def test_urls_lose_credentials() -> None:
    assert safe_url("https://u:pw@api.x.com:8443/v1/chat?key=abc&mode=1") == (
        "https://api.x.com:8443/v1/chat?key=%5BREDACTED%5D&mode=1"
    )


def test_no_handler_is_installed_on_import() -> None:
    code = (
        "import logging, modelport as mp; mp.LLM; import modelport._logs; "
        "print([n for n in logging.root.manager.loggerDict if n.startswith('modelport') "
        "and logging.getLogger(n).handlers])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "[]", out.stderr
