"""The conformance suite judged by running it: a correct third-party-style provider passes every
check, and each deliberately broken variant (test_conformance_toy.py) is reported by the checks
that exist to catch its bug.

Each run is a separate ``python -m pytest`` in a fresh folder, exactly as a plugin's own test
run imports the suite (the entry-point plugin, ``--strict-markers``), isolated from this
process's already-imported modules. Outcomes are read from the run's JUnit XML report.
"""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import pytest

TOY = Path(__file__).with_name("test_conformance_toy.py")

HEADER = """
import json
from pathlib import Path
from modelport.testing.conformance import Conformance, ProviderConformance
import conformance_toy as toy

RECORDINGS = toy.write_recordings(Path(__file__).parent / "recordings")
"""
CLASS = """

class Test{name}(ProviderConformance):
    conformance = Conformance(
        provider=toy.{provider}, recordings={recordings}, model=toy.MODEL{extra}
    )
"""


@dataclass(frozen=True)
class Outcome:
    cls: str
    check: str
    param: str
    outcome: str  # passed, failed, skipped, xfailed
    message: str


@dataclass
class Run:
    outcomes: list[Outcome]
    output: str
    returncode: int

    def of(self, outcome: str, cls: str | None = None) -> list[Outcome]:
        return [o for o in self.outcomes if o.outcome == outcome and cls in (None, o.cls)]

    def reasons(self, check: str) -> set[str]:
        return {o.message for o in self.of("skipped") if o.check == check}


def run_pytest(folder: Path, module: str, *args: str) -> Run:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "conformance_toy.py").write_text(TOY.read_text())
    (folder / "test_toy.py").write_text(module)
    report = folder / "report.xml"
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--strict-markers",
         "--conformance-max-examples=15", f"--junitxml={report}", "-q", *args],
        cwd=folder, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    outcomes = []
    if report.exists():
        for case in ET.parse(report).getroot().iter("testcase"):
            name = case.get("name", "")
            check, _, param = name.partition("[")
            outcome, message = "passed", ""
            for child in case:
                if child.tag in ("failure", "error"):
                    outcome, message = "failed", child.get("message", "")
                elif child.tag == "skipped":
                    xfail = child.get("type") == "pytest.xfail"
                    outcome = "xfailed" if xfail else "skipped"
                    message = child.get("message", "")
            cls = case.get("classname", "").rpartition(".")[2]
            outcomes.append(Outcome(cls, check, param.rstrip("]"), outcome, message))
    return Run(outcomes, done.stdout + done.stderr, done.returncode)


def suite(folder: Path, provider: str, *args: str, extra: str = "") -> Run:
    module = HEADER + CLASS.format(
        name="Toy", provider=provider, recordings="RECORDINGS", extra=extra
    )
    return run_pytest(folder, module, *args)


def test_a_correct_provider_passes_every_check(tmp_path: Path) -> None:
    run = suite(tmp_path, "ToyProvider")
    assert not run.of("failed"), run.of("failed")[:3] or run.output[-3000:]
    assert len(run.of("passed")) > 70
    # The toy declares neither images nor thinking (its profile says so), nor any opt-in
    # capability: skipped, with why.
    assert {o.message for o in run.of("skipped")} == {
        "provider declares no images",
        "provider declares no thinking",
        "provider declares no paged model listing",
        "provider declares no server profile reports",
        "provider declares no rate-limit headers",
    }


BROKEN = {
    "DropsStopReason": ["test_stop_reason_is_normalized"],
    "LeaksKey": ["test_build_request_carries_no_credentials"],
    "ShortOnTruncation": ["test_truncated_at_event_boundaries_is_never_a_short_answer"],
    "FlushesPartialEvent": ["test_truncated_at_random_points_is_never_a_short_answer"],
    "ChunkSensitive": [
        "test_any_chunking_gives_the_same_deltas",
        "test_one_byte_chunks_give_the_same_deltas",
    ],
    "CrashesOnBadJson": [
        "test_corrupt_event_is_a_typed_error",
        "test_garbage_stream_is_a_typed_error",
    ],
    "StatusBlind": [
        "test_status_maps_to_error_class",
        "test_rate_limit_reads_retry_after",
        "test_recorded_error_is_typed",
        "test_server_error_then_success_is_retried",
    ],
    "IgnoresRetryAfter": ["test_rate_limit_reads_retry_after"],
    "NonceInBody": ["test_build_request_is_deterministic", "test_cache_key_is_stable"],
    "PreSerialized": ["test_extra_body_and_headers_reach_the_wire"],
    "StreamedUsageDiffers": ["test_streamed_equals_non_streamed"],
    "LooseToolFragments": [
        "test_tool_call_fragments_carry_id_or_index",
        "test_interleaved_tool_fragments_assemble_the_same",
    ],
    "SwallowsErrorEvents": ["test_error_event_mid_stream_is_typed"],
    "KeyInErrorCode": ["test_key_never_appears_in_errors"],
}


@pytest.fixture(scope="module")
def broken_run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    """One run for every broken variant, each class limited to the checks aimed at its bug."""
    module = HEADER + "".join(
        CLASS.format(name=name, provider=name, recordings="RECORDINGS", extra="") for name in BROKEN
    )
    selection = " or ".join(
        f"(Test{name} and ({' or '.join(checks)}))" for name, checks in BROKEN.items()
    )
    return run_pytest(tmp_path_factory.mktemp("broken"), module, "-k", selection)


@pytest.mark.parametrize("provider", sorted(BROKEN))
def test_a_broken_provider_is_reported(broken_run: Run, provider: str) -> None:
    failing = {o.check for o in broken_run.of("failed", f"Test{provider}")}
    missed = set(BROKEN[provider]) - failing
    assert not missed, f"{provider}: not reported by {missed}\n{broken_run.output[-2000:]}"


def test_missing_capabilities_skip_with_the_reason(tmp_path: Path) -> None:
    run = suite(tmp_path, "ToyProvider", extra=', capabilities={"streaming", "credentials"}')
    assert not run.of("failed"), run.of("failed")[:3]
    assert run.reasons("test_tools_reach_the_body") == {"provider declares no tools"}
    assert run.reasons("test_tool_calls_are_whole") == {"provider declares no tools"}
    assert run.reasons("test_model_list_parses") == {"provider declares no model listing"}
    assert run.reasons("test_models_through_the_llm") == {"provider declares no model listing"}
    assert run.reasons("test_response_format_reaches_the_body") == {
        "provider declares no structured output"
    }
    # A recording that needs tools is skipped by the checks that run over every answer, too,
    # while the other recordings still run.
    assert "provider declares no tools" in run.reasons("test_stop_reason_is_normalized")
    assert any(o.check == "test_stop_reason_is_normalized" for o in run.of("passed"))


def test_a_provider_without_streaming_skips_every_stream_check(tmp_path: Path) -> None:
    extra = ', capabilities={"tools", "credentials", "model_listing", "structured_output"}'
    run = suite(tmp_path, "ChunkSensitive", extra=extra)
    assert not run.of("failed")  # its bug is in streaming, which it does not claim
    skipped = {o.check for o in run.of("skipped") if o.message == "provider declares no streaming"}
    assert {
        "test_any_chunking_gives_the_same_deltas",
        "test_garbage_stream_is_a_typed_error",
        "test_llm_stream_matches_the_decoder",
        "test_stall_mid_stream_times_out",
        "test_error_event_mid_stream_is_typed",
    } <= skipped


def test_an_empty_group_is_one_visible_skip(tmp_path: Path) -> None:
    module = (
        HEADER
        + 'for name in ("models.json", "stream-error-overloaded.sse"):\n'
        + "    (RECORDINGS / name).unlink()\n"
        + CLASS.format(name="Toy", provider="ToyProvider", recordings="RECORDINGS", extra="")
    )
    run = run_pytest(tmp_path, module, "-k", "model_list_parses or mid_stream")
    assert not run.of("failed")
    reasons = sorted(o.message for o in run.of("skipped"))
    assert len(reasons) == 2
    assert reasons[0].startswith("no recorded model lists (*models.json) in ")
    assert reasons[1].startswith("no recorded streams ending in an error event")


def test_the_class_must_configure_the_suite(tmp_path: Path) -> None:
    module = "from modelport.testing.conformance import ProviderConformance\n\n\n"
    module += "class TestNothing(ProviderConformance):\n    pass\n"
    run = run_pytest(tmp_path, module)
    assert run.returncode != 0
    assert "must set `conformance = Conformance(" in run.output


XFAIL = """
(RECORDINGS / "cases.json").write_text(json.dumps({{"cases": [{{
    "file": "stream-text.sse", "xfail": {{"{check}": "known bug"}}
}}]}}))
"""


@pytest.mark.parametrize(
    ("provider", "outcome"), [("ChunkSensitive", "xfailed"), ("ToyProvider", "failed")]
)
def test_a_known_bug_is_a_strict_xfail(tmp_path: Path, provider: str, outcome: str) -> None:
    check = "test_one_byte_chunks_give_the_same_deltas"
    module = HEADER + XFAIL.format(check=check)
    module += CLASS.format(name="Toy", provider=provider, recordings="RECORDINGS", extra="")
    run = run_pytest(tmp_path, module, "-k", f"{check} and stream-text")
    # Once fixed, the xfail passes and strict mode makes that a failure: remove the entry.
    assert [o.outcome for o in run.outcomes] == [outcome], run.output[-2000:]


def test_an_xfail_for_an_unknown_check_fails_collection(tmp_path: Path) -> None:
    module = HEADER + XFAIL.format(check="test_nope")
    module += CLASS.format(name="Toy", provider="ToyProvider", recordings="RECORDINGS", extra="")
    run = run_pytest(tmp_path, module)
    assert run.returncode != 0
    assert "xfail names unknown checks ['test_nope']" in run.output, run.output[-3000:]
