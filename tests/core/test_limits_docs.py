"""docs/limits.md's batch example, run as written against a scripted server that enforces a
provider's per-key limits (only the base URL, the key and the rate are the test's own: a
500-per-minute limit would make 1,000 prompts take a minute)."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import pytest
from modelport.testing import ProviderLimits, RecordedRequest, Reply, ScriptedServer

DOC = Path(__file__).resolve().parents[2] / "docs" / "limits.md"


def block_after(heading: str) -> str:
    text = DOC.read_text()
    section = text[text.index(heading) :]
    match = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert match is not None
    return match.group(1)


def answer(request: RecordedRequest) -> Reply:
    prompt = request.json()["messages"][-1]["content"]
    return Reply.json(
        {
            "id": "c",
            "object": "chat.completion",
            "model": "gpt-4o-mini",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": f"re: {prompt}"},
                    "finish_reason": "stop",
                }
            ],
            "usage": {"prompt_tokens": 9, "completion_tokens": 3},
        }
    )


def test_the_batch_example_runs_with_a_progress_bar(capsys: pytest.CaptureFixture[str]) -> None:
    code = block_after("## A batch of 1,000 prompts")
    assert "requests_per_minute=500" in code and "range(1000)" in code
    code = code.replace("requests_per_minute=500", "requests_per_minute=60_000")
    scope: dict[str, Any] = {"__name__": "docs_example"}
    exec(compile(code, str(DOC), "exec"), scope)
    provider = ProviderLimits(answer, requests_per_minute=100_000, max_concurrency=16)
    prompts = [f"Summarize fact {i} in one line." for i in range(1000)]
    with ScriptedServer(max_connections=64) as server:
        server.route("POST", "/v1/chat/completions", provider)
        texts = asyncio.run(
            scope["main"](prompts, base_url=server.base_url, api_key="sk-x", cache="never")
        )
    assert texts == [f"re: {p}" for p in prompts]  # every answer, in the prompts' order
    assert provider.most_in_flight <= 16  # the limit's max_concurrency
    assert provider.refused == 0
    last = capsys.readouterr().out.rstrip("\n").split("\r")[-1]
    assert last.startswith("[" + "#" * 30 + "] 1000/1000 done, 0 failed")


def test_the_provider_limits_example_runs_as_written() -> None:
    code = block_after("### Trying a batch against a provider's limits")
    scope: dict[str, Any] = {"__name__": "docs_example"}
    exec(compile(code, str(DOC), "exec"), scope)  # its own assertions hold
    assert len(scope["answers"]) == 100 and scope["provider"].answered == 100
    assert all(a.text == "ok" for a in scope["answers"])
