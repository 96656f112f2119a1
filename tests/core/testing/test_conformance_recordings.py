"""The recordings layout of the conformance suite: conventions, index.json, cases.json, several
folders, and the configuration (capabilities) that decides what is skipped."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from modelport.testing.conformance import CAPABILITIES, Conformance, RecordingsError
from modelport.testing.conformance._recordings import Case, load_cases
from test_conformance_toy import MODEL, ToyProvider, write_recordings


def write(folder: Path, files: dict[str, bytes | str | dict[str, object]]) -> Path:
    for name, data in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, dict):
            data = json.dumps(data)
        path.write_bytes(data.encode() if isinstance(data, str) else data)
    return folder


def by_name(cases: list[Case]) -> dict[str, Case]:
    return {c.name: c for c in cases}


def test_file_names_say_what_a_recording_is(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "a.sse": "data: {}\n\n",
            "a.json": "{}",
            "b.bin": b"\x00",
            "deep/c.sse": "data: {}\n\n",
            "error-429-slow.json": "{}",
            "chat-error-503.json": "{}",
            "stream-error-overloaded.sse": "data: {}\n\n",
            "error-400-context-length.json": "{}",
            "models.json": "{}",
            "v1-models.json": "{}",
            "notes.txt": "x",
            "a.decoded.jsonl": "x",
            "_scratch.json": "{}",
            ".hidden.sse": "x",
        },
    )
    cases = by_name(load_cases([tmp_path]))
    assert sorted(cases) == [
        "a.json",
        "a.sse",
        "b.bin",
        "chat-error-503.json",
        "deep/c.sse",
        "error-400-context-length.json",
        "error-429-slow.json",
        "models.json",
        "stream-error-overloaded.sse",
        "v1-models.json",
    ]
    assert (cases["a.sse"].kind, cases["a.sse"].format) == ("stream", "sse")
    assert cases["a.sse"].twin == tmp_path / "a.json"  # same stem: the same answer, twice
    assert (cases["b.bin"].kind, cases["b.bin"].format) == ("stream", "eventstream")
    assert cases["b.bin"].twin is None
    assert (cases["error-429-slow.json"].kind, cases["error-429-slow.json"].status) == (
        "error",
        429,
    )
    assert cases["chat-error-503.json"].status == 503
    assert cases["error-400-context-length.json"].error == "ContextWindowExceededError"
    assert cases["stream-error-overloaded.sse"].kind == "stream_error"
    assert cases["models.json"].kind == cases["v1-models.json"].kind == "models"
    assert cases["a.json"].kind == "response"


def test_index_json_lists_the_recordings_with_status_and_headers(tmp_path: Path) -> None:
    index = {
        "provider_dir": "x",
        "files": [
            {
                "file": "quota.json",
                "http": {"status": 429, "response_headers": {"Retry-After": ["3"], "X": []}},
            },
            {"file": "ok.json", "http": {"status": 200}},
            {"file": "prose.txt"},
        ],
    }
    write(
        tmp_path, {"index.json": index, "quota.json": "{}", "ok.json": "{}", "unlisted.json": "{}"}
    )
    cases = by_name(load_cases([tmp_path]))
    assert sorted(cases) == ["ok.json", "quota.json"]  # the index decides, not the scan
    assert cases["quota.json"].kind == "error" and cases["quota.json"].status == 429
    assert cases["quota.json"].headers == (("Retry-After", "3"),)


def test_cases_json_annotates_adds_and_skips(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "s.sse": "data: {}\n\n",
            "whole.json": "{}",
            "native.json": "{}",
            "odd.txt": "data: {}\n",
            "not-ours.sse": "x",
            "cases.json": {
                "cases": [
                    {"file": "s.sse", "twin": "whole.json", "ignore": ["usage"]},
                    {"file": "native.json", "options": {"api": "native"}, "stop_reason": None},
                    {"file": "odd.txt", "kind": "stream", "format": "raw", "requires": ["tools"]},
                    {"file": "not-ours.sse", "kind": "skip"},
                ]
            },
        },
    )
    cases = by_name(load_cases([tmp_path]))
    assert "not-ours.sse" not in cases
    assert cases["s.sse"].twin == tmp_path / "whole.json"
    assert cases["s.sse"].ignore == frozenset({"usage"})
    native = cases["native.json"]
    assert native.options == {"api": "native"}
    assert native.stop_given and native.stop_reason is None
    odd = cases["odd.txt"]
    assert (odd.kind, odd.format, odd.requires) == ("stream", "raw", frozenset({"tools"}))


def test_a_later_folder_annotates_an_earlier_one(tmp_path: Path) -> None:
    corpus = write(tmp_path / "corpus", {"s.sse": "data: {}\n\n", "e.json": "{}", "x.sse": "x"})
    ours = write(
        tmp_path / "ours",
        {
            "s.whole.json": "{}",
            "cases.json": {
                "cases": [
                    {"file": "s.sse", "twin": "s.whole.json"},
                    {"file": "e.json", "kind": "error", "status": 500},
                    {"file": "x.sse", "kind": "skip"},
                ]
            },
        },
    )
    cases = by_name(load_cases([corpus, ours]))
    assert sorted(cases) == ["e.json", "s.sse", "s.whole.json"]
    assert cases["s.sse"].path == corpus / "s.sse"
    assert cases["s.sse"].twin == ours / "s.whole.json"
    assert (cases["e.json"].kind, cases["e.json"].status) == ("error", 500)


def test_a_single_recording_file_brings_its_index_entry(tmp_path: Path) -> None:
    index = {"files": [{"file": "m.json", "http": {"status": 200}}]}
    corpus = write(tmp_path / "corpus", {"index.json": index, "m.json": "{}", "other.json": "{}"})
    cases = by_name(load_cases([corpus / "m.json"]))
    assert list(cases) == ["m.json"]


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"file": "a.json", "colour": "red"}, "unknown keys"),
        ({"file": "a.json", "kind": "movie"}, "kind must be one of"),
        ({"file": "a.json", "format": "xml"}, "format must be one of"),
        ({"file": "a.json", "kind": "error"}, 'needs "status"'),
        ({"file": "a.json", "ignore": ["everything"]}, "ignore may name only"),
        ({"file": "a.json", "requires": ["teleport"]}, "requires may name only"),
        ({"file": "gone.json"}, "not found"),
        ({"file": "a.sse", "twin": "gone.json"}, "twin 'gone.json' not found"),
        ({"file": "a.txt", "kind": "stream"}, "cannot tell its format"),
        ({"file": "a.json", "error": "Oops"}, "not an error class"),
        ({"file": "a.json", "xfail": {"chunking": "bug"}}, "xfail must map check names"),
        ({"file": "a.json", "xfail": ["test_x"]}, "xfail must map check names"),
    ],
)
def test_manifest_mistakes_fail_naming_the_file(
    tmp_path: Path, entry: dict[str, object], message: str
) -> None:
    write(tmp_path, {"a.json": "{}", "a.sse": "x", "a.txt": "x", "cases.json": {"cases": [entry]}})
    with pytest.raises(RecordingsError, match=message) as info:
        load_cases([tmp_path])
    assert str(tmp_path) in str(info.value)


def test_missing_folders_and_broken_manifests_are_errors(tmp_path: Path) -> None:
    with pytest.raises(RecordingsError, match="does not exist"):
        load_cases([tmp_path / "nowhere"])
    write(tmp_path, {"cases.json": "{not json"})
    with pytest.raises(RecordingsError, match="cannot be read as JSON"):
        load_cases([tmp_path])
    write(tmp_path, {"cases.json": {"files": []}})
    with pytest.raises(RecordingsError, match=r'expected \{"cases"'):
        load_cases([tmp_path])


# -- configuration ----------------------------------------------------------------------------


def test_capabilities_default_to_what_the_provider_says(tmp_path: Path) -> None:
    conf = Conformance(provider=ToyProvider, recordings=write_recordings(tmp_path), model=MODEL)
    # ToyProvider.profile: tools yes, images no, thinking "none"; it lists models; a key is set.
    assert conf.declared == {
        "streaming",
        "structured_output",
        "tools",
        "model_listing",
        "credentials",
    }
    assert conf.lacks({"images"}) == "provider declares no images"
    assert conf.lacks({"tools", "streaming"}) is None
    keyless = Conformance(provider=ToyProvider, recordings=tmp_path, model=MODEL, api_key=None)
    assert "credentials" not in keyless.declared


def test_explicit_capabilities_are_the_whole_set(tmp_path: Path) -> None:
    conf = Conformance(
        provider=ToyProvider, recordings=[str(tmp_path)], model=MODEL, capabilities={"tools"}
    )
    assert conf.declared == {"tools"}
    assert conf.lacks({"model_listing"}) == "provider declares no model listing"
    assert conf.folders == (tmp_path,)
    assert set(CAPABILITIES) >= conf.declared


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"capabilities": {"tools", "flying"}}, ValueError),
        ({"capabilities": "tools"}, TypeError),
        ({"provider": ToyProvider(None)}, TypeError),  # type: ignore[arg-type]
        ({"model": ""}, ValueError),
        ({"max_examples": 0}, ValueError),
        ({"base_url": "http://localhost:1234/v1"}, ValueError),
    ],
)
def test_a_wrong_configuration_fails_at_class_definition(
    tmp_path: Path, kwargs: dict[str, object], error: type[Exception]
) -> None:
    given: dict[str, object] = {"provider": ToyProvider, "recordings": tmp_path, "model": MODEL}
    given.update(kwargs)
    with pytest.raises(error):
        Conformance(**given)  # type: ignore[arg-type]


SHARED = Path(
    os.environ.get("MODELPORT_SHARED", Path(__file__).resolve().parents[3].parent / "shared")
)


@pytest.mark.skipif(not (SHARED / "conformance").is_dir(), reason="shared corpus not found")
def test_the_shared_corpus_reads_as_recordings() -> None:
    corpus = SHARED / "conformance"
    kinds = {}
    for folder in ("openai-chat", "openai-responses", "bedrock-claude"):
        cases = load_cases([corpus / folder])
        kinds[folder] = sorted({c.kind for c in cases})
        assert all(c.path.is_file() for c in cases)
    assert kinds["openai-chat"] == ["error", "response", "stream"]
    assert kinds["bedrock-claude"] == ["error", "response", "stream"]
    chat = by_name(load_cases([corpus / "openai-chat"]))
    assert chat["error-404-model-not-found.json"].status == 404
    assert chat["error-400-context-length.from-issue.json"].error == "ContextWindowExceededError"
    assert "error-429-rate-limit.from-issues.txt" not in chat  # prose, not a recording
