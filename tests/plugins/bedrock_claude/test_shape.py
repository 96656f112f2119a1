"""Capability-aware shaping, through ``mp.LLM`` and the SigV4-verifying scripted Bedrock server:
the exact body each row of the table is sent, the warnings (once per LLM and model), strict
mode, budgets and efforts."""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import modelport as mp
import pytest
from modelport.testing import Reply, ScriptedServer
from pydantic import BaseModel

from ._bedrock import (
    ACCESS_KEY,
    MODEL,
    SECRET_KEY,
    chunk_frame,
    message_events,
    recording,
    requires_corpus,
)
from ._signed import SignedEndpoint

pytestmark = requires_corpus

MANUAL = "us.anthropic.claude-sonnet-4-20250514-v1:0"
OPUS_46 = (
    "arn:aws:bedrock:us-east-1:123456789012:inference-profile/global.anthropic.claude-opus-4-6-v1"
)
OPUS_47 = "global.anthropic.claude-opus-4-7"
ALL = (MODEL, MANUAL, OPUS_46, OPUS_47)
PROMPT = [{"role": "user", "content": "Plan a trip."}]
VERSION = "bedrock-2023-05-31"
EVENTSTREAM = "application/vnd.amazon.eventstream"


@pytest.fixture
def bedrock(monkeypatch: pytest.MonkeyPatch) -> Iterator[SignedEndpoint]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    for var in ("AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(var, raising=False)
    with ScriptedServer() as server:
        endpoint = SignedEndpoint(server, models=ALL)
        yield endpoint
        assert endpoint.problems == []


def llm(endpoint: SignedEndpoint, model: str, **kw: Any) -> mp.LLM:
    return mp.LLM(
        f"bedrock-claude:{model}",
        base_url=endpoint.server.url,
        options={"region": "us-east-1"},
        cache="never",
        **kw,
    )


def sent(endpoint: SignedEndpoint, model: str, **call: Any) -> tuple[dict[str, Any], list[str]]:
    """The body one call sends, and the warnings it raised."""
    endpoint.add(Reply.from_file(recording("invoke-text.json")))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with llm(endpoint, model) as m:
            m.complete(PROMPT, **call)
    return endpoint.bodies[-1], [str(w.message) for w in caught if w.category is UserWarning]


CALL = {"reasoning_effort": "high", "temperature": 0, "max_tokens": 1000}


def test_row_3x_drops_reasoning_with_a_warning(bedrock: SignedEndpoint) -> None:
    body, warned = sent(bedrock, MODEL, **CALL)
    assert body == {
        "anthropic_version": VERSION,
        "max_tokens": 1000,
        "messages": PROMPT,
        "temperature": 0,
    }
    assert len(warned) == 1 and "reasoning_effort is not sent" in warned[0]


def test_row_manual_budget(bedrock: SignedEndpoint) -> None:
    body, warned = sent(bedrock, MANUAL, **CALL)
    assert body == {
        "anthropic_version": VERSION,
        "max_tokens": 16384 + 1000,
        "messages": PROMPT,
        "thinking": {"type": "enabled", "budget_tokens": 16384},
    }
    assert warned == []  # temperature while thinking is removed as before, silently
    assert bedrock.paths[-1] == "/model/us.anthropic.claude-sonnet-4-20250514-v1%3A0/invoke"


def test_row_opus_46_adaptive(bedrock: SignedEndpoint) -> None:
    body, warned = sent(bedrock, OPUS_46, **CALL)
    assert body == {
        "anthropic_version": VERSION,
        "max_tokens": 1000,
        "messages": PROMPT,
        "thinking": {"type": "adaptive"},
        "output_config": {"effort": "high"},
    }
    assert warned == []
    assert bedrock.paths[-1].startswith("/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012")
    # Without reasoning, the sampling parameters Opus 4.6 accepts are sent as given.
    body, warned = sent(bedrock, OPUS_46, temperature=0, top_p=0.9, top_k=5, max_tokens=10)
    assert (body["temperature"], body["top_p"], body["top_k"]) == (0, 0.9, 5)
    assert "thinking" not in body and warned == []


def test_row_opus_47_rejects_sampling_and_is_adaptive(bedrock: SignedEndpoint) -> None:
    body, warned = sent(bedrock, OPUS_47, **CALL)
    assert body == {
        "anthropic_version": VERSION,
        "max_tokens": 1000,
        "messages": PROMPT,
        "thinking": {"type": "adaptive"},
        "output_config": {"effort": "high"},
    }
    assert len(warned) == 1 and "temperature is not sent" in warned[0]
    body, warned = sent(bedrock, OPUS_47, temperature=0.5, top_p=0.9, top_k=40, max_tokens=10)
    assert body == {"anthropic_version": VERSION, "max_tokens": 10, "messages": PROMPT}
    assert [w.split(" is not sent")[0] for w in warned] == [
        "bedrock-claude: temperature",
        "bedrock-claude: top_p",
        "bedrock-claude: top_k",
    ]


def test_each_drop_warns_once_per_llm_and_model(bedrock: SignedEndpoint) -> None:
    for _ in range(3):
        bedrock.add(Reply.from_file(recording("invoke-text.json")))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with llm(bedrock, OPUS_47) as m:
            for _ in range(3):
                m.complete(PROMPT, temperature=0, max_tokens=5)
    assert [str(w.message).count("temperature") for w in caught] == [1]
    assert all("temperature" not in b for b in bedrock.bodies)
    # A new LLM is told again: the warning is per LLM, not per process.
    _, warned = sent(bedrock, OPUS_47, temperature=0, max_tokens=5)
    assert len(warned) == 1


@pytest.mark.parametrize(
    ("model", "call"),
    [
        (MODEL, {"reasoning_effort": "high"}),
        (MODEL, {"budget_tokens": 2048}),
        (OPUS_47, {"temperature": 0}),
        (OPUS_47, {"top_k": 3}),
        (OPUS_46, {"budget_tokens": 5000}),
    ],
)
def test_strict_turns_drops_into_configuration_errors(
    bedrock: SignedEndpoint, model: str, call: dict[str, Any]
) -> None:
    with llm(bedrock, model, strict=True) as m, pytest.raises(mp.ConfigurationError) as info:
        m.complete(PROMPT, max_tokens=5, **call)
    assert "strict mode" in str(info.value) and info.value.model == model
    assert bedrock.bodies == []  # nothing was sent


def test_strict_plugin_mode_is_strict_too(bedrock: SignedEndpoint) -> None:
    host = mp.plugins.PluginHost(strict=True)
    m = mp.LLM(
        f"bedrock-claude:{OPUS_47}",
        base_url=bedrock.server.url,
        options={"region": "us-east-1"},
        plugins=host,
        cache="never",
    )
    with m, pytest.raises(mp.ConfigurationError, match="temperature"):
        m.complete(PROMPT, temperature=0)


def test_explicit_budget_overrides_the_effort_mapping(bedrock: SignedEndpoint) -> None:
    body, _ = sent(bedrock, MANUAL, reasoning_effort="low", budget_tokens=6000, max_tokens=100)
    assert body["thinking"] == {"type": "enabled", "budget_tokens": 6000}
    assert body["max_tokens"] == 6100
    body, _ = sent(bedrock, MANUAL, budget_tokens=2048, max_tokens=8000)
    assert body["thinking"] == {"type": "enabled", "budget_tokens": 2048}
    assert body["max_tokens"] == 8000
    with llm(bedrock, MANUAL) as m, pytest.raises(mp.ConfigurationError, match="at least 1024"):
        m.complete(PROMPT, budget_tokens=512)


@pytest.mark.parametrize(
    ("budget", "effort"), [(1024, "low"), (3000, "medium"), (12000, "high"), (64000, "max")]
)
def test_budget_on_adaptive_is_the_nearest_effort(
    bedrock: SignedEndpoint, budget: int, effort: str
) -> None:
    body, warned = sent(bedrock, OPUS_46, budget_tokens=budget, max_tokens=100)
    assert body["thinking"] == {"type": "adaptive"}
    assert body["output_config"] == {"effort": effort}
    assert len(warned) == 1 and f"nearest effort, {effort!r}" in warned[0]


@pytest.mark.parametrize(
    ("effort", "budget", "adaptive"),
    [
        ("minimal", 1024, "low"),
        ("low", 1024, "low"),
        ("medium", 4096, "medium"),
        ("high", 16384, "high"),
        ("max", 32768, "max"),
    ],
)
def test_effort_table(bedrock: SignedEndpoint, effort: str, budget: int, adaptive: str) -> None:
    body, _ = sent(bedrock, MANUAL, reasoning_effort=effort, max_tokens=50000)
    assert body["thinking"]["budget_tokens"] == budget
    body, _ = sent(bedrock, OPUS_47, reasoning_effort=effort, max_tokens=100)
    assert body["output_config"] == {"effort": adaptive}


def test_reasoning_off_sends_no_thinking_even_with_a_budget(bedrock: SignedEndpoint) -> None:
    body, warned = sent(bedrock, MANUAL, reasoning_effort="none", budget_tokens=4096, max_tokens=9)
    assert "thinking" not in body and warned == []


class Plan(BaseModel):
    steps: list[str]


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


@pytest.mark.parametrize("model", ALL)
def test_one_calling_code_for_every_generation(bedrock: SignedEndpoint, model: str) -> None:
    """``reasoning_effort="high", response_format=Plan, temperature=0``: a valid request for
    every row, and the thinking text kept wherever the model thinks (two passes)."""
    thinks = model != MODEL
    if thinks:
        bedrock.add(Reply.from_file(recording("anthropic-api-equivalent/messages-thinking.json")))
    bedrock.add(_plan_reply())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with llm(bedrock, model) as m:
            r = m.complete(PROMPT, reasoning_effort="high", response_format=Plan, temperature=0)
    assert r.structured == Plan(steps=["go"])
    for body in bedrock.bodies:  # what Claude rejects is never sent together
        forced = body.get("tool_choice", {}).get("type") in ("any", "tool")
        assert not (forced and "thinking" in body)
        if "thinking" in body:
            assert not {"temperature", "top_p", "top_k"} & set(body)
    if thinks:
        first, second = bedrock.bodies
        assert "thinking" in first and "tools" not in first
        assert second["tool_choice"]["type"] == "tool" and "thinking" not in second
        assert r.reasoning is not None and r.reasoning.startswith("Let me count")
    else:
        [only] = bedrock.bodies
        assert only["tool_choice"]["type"] == "tool" and only["temperature"] == 0


def _plan_message() -> dict[str, Any]:
    return {
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


@pytest.mark.parametrize("model", [MANUAL, OPUS_47])
def test_two_passes_streamed_then_served_whole_from_one_cache_entry(
    bedrock: SignedEndpoint, model: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from modelport.plugins import reset

    monkeypatch.setenv("MODELPORT_CACHE_DIR", str(tmp_path / "cache"))
    reset()
    thinking = json.loads(recording("anthropic-api-equivalent/messages-thinking.json").read_text())
    for message in (thinking, _plan_message()):
        frames = [chunk_frame(e) for e in message_events(message)]
        bedrock.add(Reply.raw(200, content_type=EVENTSTREAM, chunks=frames))
    call = {"reasoning_effort": "high", "response_format": Plan, "max_tokens": 500}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with mp.LLM(
            f"bedrock-claude:{model}",
            base_url=bedrock.server.url,
            options={"region": "us-east-1"},
            cache="always",
        ) as m:
            events = list(m.stream(PROMPT, **call))
            again = m.complete(PROMPT, **call)
    kinds = [e.type for e in events]
    # Pass 1's reasoning streams first, then pass 2's structured answer, then the end.
    last_reasoning = len(kinds) - 1 - kinds[::-1].index("reasoning")
    assert last_reasoning < kinds.index("structured") < kinds.index("final")
    final = next(e.content for e in events if e.type == "final")
    assert final.structured == Plan(steps=["go"]) and final.reasoning.startswith("Let me count")
    assert len(bedrock.bodies) == 2  # the whole call came from the one cache entry
    assert again.cache_source == "l1" and again.structured == Plan(steps=["go"])
    assert again.reasoning == final.reasoning
    first, second = bedrock.bodies
    assert "thinking" in first and "thinking" not in second and "tool_choice" in second


APP_ARN = "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3"


class _Adaptive:
    """A plugin that knows a model the table cannot (an application profile's ARN)."""

    @mp.hookimpl
    def model_profile(self, provider: str, model: str, profile: mp.ModelProfile) -> Any:
        if provider == "bedrock-claude" and model == APP_ARN:
            return profile.merged(thinking="adaptive_effort", sampling_params=frozenset())
        return None


def test_a_hook_override_shapes_the_request(bedrock: SignedEndpoint) -> None:
    bedrock.serve(APP_ARN)
    bedrock.add(Reply.from_file(recording("invoke-text.json")))
    host = mp.plugins.PluginHost()
    host.register(_Adaptive(), name="adaptive-override")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with mp.LLM(
            f"bedrock-claude:{APP_ARN}",
            base_url=bedrock.server.url,
            options={"region": "us-east-1"},
            plugins=host,
            cache="never",
        ) as m:
            assert m.model_info().thinking == "adaptive_effort"
            m.complete(PROMPT, reasoning_effort="medium", temperature=0, max_tokens=50)
    [body] = bedrock.bodies
    assert body["thinking"] == {"type": "adaptive"}
    assert body["output_config"] == {"effort": "medium"} and "temperature" not in body
    assert any("temperature is not sent" in str(w.message) for w in caught)


def test_a_config_override_shapes_the_request(
    bedrock: SignedEndpoint, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """``[profiles]`` in modelport.toml: a user corrects the table for one model."""
    config = tmp_path / "modelport.toml"
    config.write_text(
        f'[profiles."bedrock-claude:{MANUAL}"]\nthinking = "none"\nsampling_params = ["top_p"]\n'
    )
    monkeypatch.setenv("MODELPORT_CONFIG", str(config))
    body, warned = sent(bedrock, MANUAL, reasoning_effort="high", temperature=0, top_p=0.5)
    assert body == {
        "anthropic_version": VERSION,
        "max_tokens": 4096,
        "messages": PROMPT,
        "top_p": 0.5,
    }
    assert sorted(w.split(" is not sent")[0] for w in warned) == [
        "bedrock-claude: reasoning_effort",
        "bedrock-claude: temperature",
    ]
