"""An explicit ``budget_tokens=`` asks for thinking as ``reasoning_effort=`` does: with
``response_format`` it runs two passes on Claude, through the SigV4-verifying scripted
Bedrock server, on a manual-budget model and on an adaptive one."""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from typing import Any

import modelport as mp
import pytest
from modelport.testing import Reply, ScriptedServer
from pydantic import BaseModel

from ._bedrock import ACCESS_KEY, SECRET_KEY, recording, requires_corpus
from ._signed import SignedEndpoint

pytestmark = requires_corpus

MANUAL = "us.anthropic.claude-sonnet-4-20250514-v1:0"
ADAPTIVE = "global.anthropic.claude-opus-4-6-v1"
PROMPT = [{"role": "user", "content": "Plan a trip."}]
INSTRUCTION = (
    "Now give the answer you just wrote as one JSON value that follows the requested schema. "
    "Use only what that answer says, and write nothing else."
)


class Plan(BaseModel):
    steps: list[str]


@pytest.fixture
def bedrock(monkeypatch: pytest.MonkeyPatch) -> Iterator[SignedEndpoint]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    for var in ("AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(var, raising=False)
    with ScriptedServer() as server:
        endpoint = SignedEndpoint(server, models=(MANUAL, ADAPTIVE))
        yield endpoint
        assert endpoint.problems == []


def _plan_reply() -> Reply:
    return Reply.json(
        {
            "id": "msg_plan",
            "type": "message",
            "role": "assistant",
            "model": "claude",
            "content": [
                {"type": "tool_use", "id": "toolu_1", "name": "Plan", "input": {"steps": ["go"]}}
            ],
            "stop_reason": "tool_use",
            "usage": {"input_tokens": 20, "output_tokens": 7},
        }
    )


def _two_passes(bedrock: SignedEndpoint, model: str, **call: Any) -> tuple[mp.Response, list[str]]:
    bedrock.add(
        Reply.from_file(recording("anthropic-api-equivalent/messages-thinking.json")),
        _plan_reply(),
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with mp.LLM(
            f"bedrock-claude:{model}",
            base_url=bedrock.server.url,
            options={"region": "us-east-1"},
            cache="never",
        ) as m:
            r = m.complete(PROMPT, response_format=Plan, **call)
    return r, [str(w.message) for w in caught if w.category is UserWarning]


def _thinking_answer() -> tuple[str, str]:
    """(thinking, answer text) of the recorded thinking message pass 1 gets."""
    message = json.loads(recording("anthropic-api-equivalent/messages-thinking.json").read_text())
    thinking = next(b["thinking"] for b in message["content"] if b["type"] == "thinking")
    text = "".join(b["text"] for b in message["content"] if b["type"] == "text")
    return thinking, text


def _second_pass_checks(second: dict[str, Any], text: str) -> None:
    assert "thinking" not in second and "output_config" not in second
    assert second["tool_choice"] == {"type": "tool", "name": "Plan"}
    assert [t["name"] for t in second["tools"]] == ["Plan"]
    assert second["messages"] == [
        {"role": "user", "content": "Plan a trip."},
        {"role": "assistant", "content": text},
        {"role": "user", "content": INSTRUCTION},
    ]


def test_budget_alone_thinks_on_a_manual_budget_model(bedrock: SignedEndpoint) -> None:
    r, warned = _two_passes(bedrock, MANUAL, budget_tokens=2048, max_tokens=4000)
    thinking, text = _thinking_answer()
    first, second = bedrock.bodies
    assert first["thinking"] == {"type": "enabled", "budget_tokens": 2048}
    assert first["max_tokens"] == 4000
    assert "tools" not in first and "tool_choice" not in first
    assert first["messages"] == [{"role": "user", "content": "Plan a trip."}]
    _second_pass_checks(second, text)
    assert second["max_tokens"] == 4000
    assert warned == []  # nothing dropped: the thinking is kept, not warned away
    assert r.reasoning == thinking and r.structured == Plan(steps=["go"])
    assert r.attempts == 2


def test_budget_alone_thinks_on_an_adaptive_model_as_the_nearest_effort(
    bedrock: SignedEndpoint,
) -> None:
    r, warned = _two_passes(bedrock, ADAPTIVE, budget_tokens=12000, max_tokens=900)
    thinking, text = _thinking_answer()
    first, second = bedrock.bodies
    assert first["thinking"] == {"type": "adaptive"}
    assert first["output_config"] == {"effort": "high"}
    assert "tools" not in first and "tool_choice" not in first
    _second_pass_checks(second, text)
    # the one warning is the budget mapped to an effort, never "thinking dropped"
    assert len(warned) == 1 and "nearest effort" in warned[0]
    assert r.reasoning == thinking and r.structured == Plan(steps=["go"])


def test_a_budget_with_thinking_switched_off_is_one_pass(bedrock: SignedEndpoint) -> None:
    bedrock.add(_plan_reply())
    with mp.LLM(
        f"bedrock-claude:{MANUAL}",
        base_url=bedrock.server.url,
        options={"region": "us-east-1"},
        cache="never",
    ) as m:
        r = m.complete(PROMPT, response_format=Plan, budget_tokens=2048, reasoning_effort="none")
    [only] = bedrock.bodies
    assert "thinking" not in only and only["tool_choice"]["type"] == "tool"
    assert r.structured == Plan(steps=["go"]) and r.reasoning is None
