"""The kit's opt-in checks of the reporting contract members (``_checks_reports``):
``paged_listing``, ``server_profile`` and ``limit_headers``, run on real providers over the
shared corpus, and the walk held to what was recorded.

Only the report checks run here (the whole kit of each provider runs in its own plugin's tests).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from modelport.provider import LimitReading
from modelport.testing.conformance import Case, Conformance
from modelport.testing.conformance._checks_reports import (
    ReportChecks,
    _reading_problems,
    _report_problems,
)
from modelport.testing.conformance._listing import walk_listing
from modelport_bedrock_claude import BedrockClaudeProvider
from modelport_lmstudio import LMStudioProvider
from modelport_openai_chat import OpenAIChatProvider

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
CORPUS = Path(os.environ.get("MODELPORT_SHARED", ROOT.parent / "shared")) / "conformance"
BEDROCK_KIT = ROOT / "tests" / "plugins" / "bedrock_claude" / "kit_recordings"

pytestmark = [
    pytest.mark.conformance,
    pytest.mark.skipif(not CORPUS.is_dir(), reason=f"conformance corpus not found at {CORPUS}"),
]


class TestLMStudioServerProfile(ReportChecks):
    """LM Studio's native model info, as recorded, is a server profile report."""

    conformance = Conformance(
        provider=LMStudioProvider,
        recordings=[CORPUS / "lmstudio" / "real-api-v0-models.json", HERE / "report_recordings"],
        model="qwen3-4b-instruct-2507",
        base_url="{server}/v1",
        api_key=None,
        capabilities={"streaming", "model_listing", "server_profile"},
    )


class TestOpenAIChatLimitHeaders(ReportChecks):
    """OpenAI's recorded ``x-ratelimit-*`` response headers read into a ``LimitReading``."""

    conformance = Conformance(
        provider=OpenAIChatProvider,
        recordings=CORPUS / "openai-chat",
        model="gpt-4o-mini",
        capabilities={"streaming", "tools", "credentials", "limit_headers"},
    )


def _bedrock(capabilities: set[str]) -> Conformance:
    return Conformance(
        provider=BedrockClaudeProvider,
        recordings=[CORPUS / "bedrock-claude", BEDROCK_KIT],
        model="anthropic.claude-3-7-sonnet-20250219-v1:0",
        options={"region": "us-east-1"},
        base_url="{server}",
        api_key=None,
        capabilities=capabilities,
    )


def _pages(conf: Conformance) -> list[Case]:
    return [c for c in conf.cases() if c.kind == "models"]


def test_the_walk_follows_every_recorded_page() -> None:
    conf = _bedrock({"model_listing", "paged_listing"})
    walked = walk_listing(conf, _pages(conf))
    assert [w.url.split("127.0.0.1:9", 1)[1] for w, _ in walked] == [
        "/foundation-models?byProvider=anthropic",
        "/inference-profiles?maxResults=1000",
        "/inference-profiles?maxResults=1000&nextToken=page-1",
    ]


def test_a_paging_provider_without_paged_listing_fails_the_one_page_walk() -> None:
    conf = _bedrock({"model_listing"})
    with pytest.raises(AssertionError, match="paged_listing not declared"):
        walk_listing(conf, _pages(conf)[:1])


def test_a_walk_that_stops_before_the_recorded_pages_end_fails() -> None:
    # Page 2 of the profiles is where Bedrock's walk ends; a fourth recorded page is not asked.
    conf = _bedrock({"model_listing", "paged_listing"})
    pages = _pages(conf)
    with pytest.raises(AssertionError, match="more recorded page"):
        walk_listing(conf, [*pages, pages[0]])


def test_a_walk_that_asks_past_the_recordings_fails() -> None:
    conf = _bedrock({"model_listing", "paged_listing"})
    with pytest.raises(AssertionError, match="after the last recorded page"):
        walk_listing(conf, _pages(conf)[:2])


def test_report_problems_name_wrong_keys_and_types() -> None:
    assert _report_problems({"context_window": 8192, "tools": True}) == []
    assert _report_problems({"context_window": "8192"}) == ["context_window='8192' is not int"]
    assert _report_problems({"context_window": True}) == ["context_window=True is not int"]
    assert _report_problems({"context_window": 0}) == ["context_window=0 is not positive"]
    assert _report_problems({"ctx": 1}) == ["unknown key 'ctx'"]
    assert _report_problems([1]) != []


def test_reading_problems_name_negative_and_non_finite_values() -> None:
    assert _reading_problems(None) == []
    assert _reading_problems(LimitReading(remaining_tokens=5, reset_tokens_s=0.5)) == []
    assert _reading_problems(LimitReading(remaining_tokens=-1)) == ["remaining_tokens=-1"]
    assert _reading_problems(LimitReading(reset_requests_s=float("nan"))) == [
        "reset_requests_s=nan"
    ]
    assert _reading_problems({"remaining_tokens": 1}) != []
