"""The capability table: every id form finds its row, and every row is a truthful profile."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from modelport.provider import ModelProfile
from modelport_bedrock_claude import GENERATIONS, BedrockClaudeProvider, Generation
from modelport_bedrock_claude._generations import find_generation, parse_model_id, profile_for

from ._bedrock import FAST, provider

SAMPLING = frozenset({"temperature", "top_p", "top_k"})

# (model id, row name, thinking mode, sampling accepted)
ROWS = [
    ("anthropic.claude-v2:1", "Claude 2 / Instant", "none", True),
    ("anthropic.claude-instant-v1", "Claude 2 / Instant", "none", True),
    ("anthropic.claude-3-haiku-20240307-v1:0", "Claude 3 Haiku", "none", True),
    ("anthropic.claude-3-sonnet-20240229-v1:0", "Claude 3 Sonnet", "none", True),
    ("anthropic.claude-3-opus-20240229-v1:0", "Claude 3 Opus", "none", True),
    ("anthropic.claude-3-5-haiku-20241022-v1:0", "Claude 3.5 Haiku", "none", True),
    ("anthropic.claude-3-5-sonnet-20240620-v1:0", "Claude 3.5 Sonnet", "none", True),
    ("anthropic.claude-3-5-sonnet-20241022-v2:0", "Claude 3.5 Sonnet", "none", True),
    ("anthropic.claude-3-7-sonnet-20250219-v1:0", "Claude Sonnet 3.7", "manual_budget", True),
    ("anthropic.claude-sonnet-4-20250514-v1:0", "Claude Sonnet 4.x", "manual_budget", True),
    ("anthropic.claude-sonnet-4-5-20250929-v1:0", "Claude Sonnet 4.x", "manual_budget", True),
    ("anthropic.claude-sonnet-4-6", "Claude Sonnet 4.x", "manual_budget", True),
    ("anthropic.claude-haiku-4-5-20251001-v1:0", "Claude Haiku 4.x", "manual_budget", True),
    ("anthropic.claude-opus-4-20250514-v1:0", "Claude Opus 4, 4.1", "manual_budget", True),
    ("anthropic.claude-opus-4-1-20250805-v1:0", "Claude Opus 4, 4.1", "manual_budget", True),
    ("anthropic.claude-opus-4-5-20251101-v1:0", "Claude Opus 4.5", "manual_budget", True),
    ("anthropic.claude-opus-4-6-v1", "Claude Opus 4.6", "adaptive_effort", True),
    ("anthropic.claude-opus-4-7", "Claude Opus 4.7 and later", "adaptive_effort", False),
    ("anthropic.claude-opus-4-8", "Claude Opus 4.7 and later", "adaptive_effort", False),
    (
        "anthropic.claude-opus-5-20270101-v1:0",
        "Claude Opus 4.7 and later",
        "adaptive_effort",
        False,
    ),
    ("anthropic.claude-sonnet-5-v1:0", "Claude Sonnet 5 and later", "adaptive_effort", False),
]


@pytest.mark.parametrize(("model", "row", "thinking", "sampling"), ROWS)
def test_every_generation_has_its_row(model: str, row: str, thinking: str, sampling: bool) -> None:
    found = find_generation(model)
    assert found is not None and found.name == row
    p = provider().profile(model)
    assert p.thinking == thinking
    assert p.sampling_params == (SAMPLING if sampling else frozenset())
    assert p.structured_output == "tool"
    # Claude never thinks under a forced tool choice: the core's two-pass strategy kicks in
    # for every model that thinks; for one that cannot, the question does not arise.
    assert p.thinking_with_forced_tools is (None if thinking == "none" else False)
    assert p.context_window is not None and p.max_output_tokens is not None


BASE = "anthropic.claude-opus-4-6-v1"
FORMS = [
    BASE,
    f"us.{BASE}",
    f"eu.{BASE}",
    f"apac.{BASE}",
    f"global.{BASE}",
    f"us-gov.{BASE}",
    f"arn:aws:bedrock:us-east-1::foundation-model/{BASE}",
    f"arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.{BASE}",
    f"arn:aws-us-gov:bedrock:us-gov-west-1:123456789012:inference-profile/us-gov.{BASE}",
    "arn%3Aaws%3Abedrock%3Aus-east-1%3A%3Afoundation-model%2Fanthropic.claude-opus-4-6-v1",
]


@pytest.mark.parametrize("model", FORMS)
def test_every_id_form_resolves(model: str) -> None:
    parsed = parse_model_id(model)
    assert parsed is not None and (parsed.family, parsed.version) == ("opus", (4, 6))
    assert profile_for(model).thinking == "adaptive_effort"


@pytest.mark.parametrize(
    "model",
    [
        "meta.llama3-8b-instruct-v1:0",
        "amazon.nova-pro-v1:0",
        "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3",
        "anthropic.claude-unknownfamily-9",
    ],
)
def test_unknown_ids_have_an_unknown_profile(model: str) -> None:
    # Only Bedrock's own facts: images go as base64 (a URL is fetched), within its limits.
    assert profile_for(model) == ModelProfile(
        structured_output="tool", image_urls=False, max_image_bytes=3_932_160, max_image_side=8000
    )


def test_application_profile_arn_names_its_model_by_option() -> None:
    arn = "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3"
    p = provider(claude_model="anthropic.claude-opus-4-7")
    p.settings.model = arn
    assert p.profile(arn).thinking == "adaptive_effort"
    assert p.profile(arn).sampling_params == frozenset()


def test_the_table_is_data_a_subclass_replaces() -> None:
    row = Generation("Claude Opus 4.6 (test)", "opus", (4, 6), (4, 7), "manual_budget",
                     SAMPLING, 1_000_000, 64_000)  # fmt: skip

    class Custom(BedrockClaudeProvider):
        generations = (row, *GENERATIONS)

    custom = Custom(provider().settings)
    assert custom.profile(BASE).thinking == "manual_budget"
    assert custom.profile(BASE).context_window == 1_000_000
    assert provider().profile(BASE).thinking == "adaptive_effort"


@given(
    row=st.sampled_from([r[0] for r in ROWS]),
    geo=st.sampled_from(["", "us.", "eu.", "apac.", "global.", "us-gov.", "jp."]),
    arn=st.sampled_from(["", "foundation-model", "inference-profile"]),
    account=st.from_regex(r"\A\d{12}\Z"),
    region=st.sampled_from(["us-east-1", "eu-central-1", "ap-northeast-1"]),
)
@FAST
def test_any_wrapping_of_an_id_resolves_like_the_id(
    row: str, geo: str, arn: str, account: str, region: str
) -> None:
    wrapped = geo + row
    if arn == "foundation-model":
        wrapped = f"arn:aws:bedrock:{region}::foundation-model/{row}"
    elif arn == "inference-profile":
        wrapped = f"arn:aws:bedrock:{region}:{account}:inference-profile/{geo or 'us.'}{row}"
    assert parse_model_id(wrapped) == parse_model_id(row)
    assert profile_for(wrapped) == profile_for(row)
