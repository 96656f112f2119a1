"""A streamed and a non-streamed copy of one request share one response-cache entry, on every
first-party provider: the stream flag (in the body, or in Bedrock's URL: ``invoke`` vs
``invoke-with-response-stream``) is how the answer travels, not what it is (docs/caching.md).

Each case answers the first call over a real socket from the recorded corpus and checks that
the second, asked the other way, is served from the level-1 cache without a request."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import modelport as mp
import pytest
from modelport.testing import Reply, ScriptedServer


@dataclass(frozen=True)
class Case:
    spec: str
    stream_file: str
    whole_file: str
    base: str  # the base URL's path under the server
    options: dict[str, Any]
    api_key: str | None = "sk-test"


EVENTSTREAM = "application/vnd.amazon.eventstream"
CASES = {
    "openai-chat": Case(
        "openai-chat:gpt-4o-mini",
        "openai-chat/chat-stream-text-include-usage.sse",
        "openai-chat/chat-nonstream-text.json",
        "/v1",
        {},
    ),
    "openai-responses": Case(
        "openai-responses:gpt-5.5",
        "openai-responses/responses-stream-text.sse",
        "openai-responses/responses-nonstream-text.json",
        "/v1",
        {},
    ),
    "bedrock-claude": Case(
        "bedrock-claude:anthropic.claude-3-sonnet-20240229-v1:0",
        "bedrock-claude/stream-text.bin",
        "bedrock-claude/invoke-text.json",
        "",
        {"region": "us-east-1"},
        api_key=None,
    ),
    "lmstudio": Case(
        "lmstudio:qwen3-4b",
        "openai-chat/chat-stream-text-include-usage.sse",
        "openai-chat/chat-nonstream-text.json",
        "",
        {},
        api_key=None,
    ),
}


@pytest.fixture
def fresh_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    from modelport.plugins import reset

    monkeypatch.setenv("MODELPORT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLESTREAMKEY")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "stream-key-secret")
    for var in ("AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(var, raising=False)
    reset()
    yield
    reset()


def _reply(conformance: Path, name: str) -> Reply:
    path = conformance / name
    if path.suffix == ".bin":
        data = path.read_bytes()
        chunks = [data[i : i + 97] for i in range(0, len(data), 97)]
        return Reply.raw(200, content_type=EVENTSTREAM, chunks=chunks)
    return Reply.from_file(path)


def _llm(server: ScriptedServer, case: Case) -> mp.LLM:
    return mp.LLM(
        case.spec,
        api_key=case.api_key,
        base_url=server.url + case.base,
        options=case.options,
        cache="always",
    )


@pytest.mark.parametrize("provider", sorted(CASES))
@pytest.mark.parametrize("first", ["stream", "complete"])
def test_stream_and_complete_share_one_entry(
    conformance: Path, fresh_cache: None, provider: str, first: str
) -> None:
    case = CASES[provider]
    prompt = [{"role": "user", "content": "Say something about ports."}]
    with ScriptedServer() as server, _llm(server, case) as llm:
        if first == "stream":
            server.add(_reply(conformance, case.stream_file))
            events = list(llm.stream(prompt, max_tokens=64))
            original = next(e.content for e in events if e.type == "final")
            again = llm.complete(prompt, max_tokens=64)
        else:
            server.add(_reply(conformance, case.whole_file))
            original = llm.complete(prompt, max_tokens=64)
            events = list(llm.stream(prompt, max_tokens=64))
            again = next(e.content for e in events if e.type == "final")
        assert len(server.requests) == 1, [r.path for r in server.requests]
    assert original.cache_source == "miss" and again.cache_source == "l1"
    assert again.text == original.text and again.text
    assert again.cache_key == original.cache_key
    assert "".join(e.content for e in events if e.type == "answer") == original.text
