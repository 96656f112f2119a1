"""``llm.model_info()`` for every first-party provider: the static profile merged with what the
server reports (llama.cpp ``/props`` from the real server, LM Studio's native model info
replayed from ../shared/conformance/lmstudio, an OpenAI-compatible ``/v1/models`` entry), and
a server that fails degrading to the static profile with one logged warning."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import modelport as mp
import pytest
from hypothesis import given
from hypothesis import strategies as st
from llama_peer import LlamaServer
from modelport.provider import ModelReport, WireRequest, parse_server_profile
from modelport.testing import Reply, ScriptedServer, free_port

SECRET = "sk-model-info-canary-0123456789"
REPORT_KEYS = {"context_window", "max_output_tokens", "thinking", "tools", "images"}


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    with ScriptedServer() as s:
        yield s


def _static(llm: mp.LLM, model: str | None = None) -> mp.ModelProfile:
    profile: mp.ModelProfile = llm.provider.profile(model or llm.model)
    return profile


# -- llama.cpp: the real /props --------------------------------------------------------------


@pytest.mark.parametrize("provider", ["openai-chat", "openai-responses"])
def test_llama_props_give_the_loaded_context_window(
    llama_plain: LlamaServer, provider: str
) -> None:
    with mp.LLM(f"{provider}:tiny", base_url=llama_plain.base_url) as llm:
        info = llm.model_info()
        static = _static(llm)
    assert info.context_window == llama_plain.ctx == 4096
    assert info.images is False and info.tools is True  # modalities.vision, template caps
    assert info.structured_output == static.structured_output


def test_async_model_info_runs_the_same_program(llama_plain: LlamaServer) -> None:
    async def main() -> mp.ModelProfile:
        async with mp.LLM("openai-chat:tiny", base_url=llama_plain.base_url) as llm:
            return await llm.amodel_info()

    with mp.LLM("openai-chat:tiny", base_url=llama_plain.base_url) as llm:
        assert asyncio.run(main()) == llm.model_info()


# -- OpenAI-compatible /v1/models --------------------------------------------------------------


def test_models_entry_when_the_server_has_no_props(server: ScriptedServer) -> None:
    # vLLM answers /props with 404 and reports max_model_len in its /v1/models entry (shape
    # from vLLM's OpenAI-compatible server docs; synthesized, no recording exists).
    server.route("GET", "/props", Reply.status(404, {"detail": "Not Found"}))
    entry = {"id": "qwen", "object": "model", "owned_by": "vllm", "max_model_len": 32768}
    other = {"id": "other", "object": "model", "max_model_len": 1024}
    server.route("GET", "/v1/models", Reply.json({"object": "list", "data": [other, entry]}))
    with mp.LLM("openai-chat:qwen", base_url=server.base_url, api_key=SECRET) as llm:
        info = llm.model_info()
        unknown = llm.model_info("not-listed")
    assert info.context_window == 32768
    assert unknown == _static(llm, "not-listed")  # an entry for another model says nothing
    assert [r.path for r in server.requests] == ["/props", "/v1/models"] * 2
    assert server.requests[0].headers["authorization"] == f"Bearer {SECRET}"


def test_openai_ids_only_list_reports_nothing(server: ScriptedServer, conformance: Path) -> None:
    server.route("GET", "/props", Reply.status(404, {"error": "nope"}))
    server.route(
        "GET", "/v1/models", Reply.from_file(conformance / "lmstudio" / "real-v1-models.json")
    )
    listed = json.loads((conformance / "lmstudio" / "real-v1-models.json").read_text())
    model = listed["data"][0]["id"]
    with mp.LLM(f"openai-chat:{model}", base_url=server.base_url) as llm:
        assert llm.model_info() == _static(llm)


def test_hosted_openai_is_not_asked() -> None:
    with mp.LLM("openai-chat:gpt-4o-mini", api_key=SECRET) as llm:
        assert llm.provider.profile_requests("gpt-4o-mini") == []
        assert llm.model_info() == _static(llm)


def test_a_failing_server_degrades_to_the_static_profile_with_a_warning(
    server: ScriptedServer, caplog: pytest.LogCaptureFixture
) -> None:
    server.route("GET", "/props", Reply.status(500, {"error": {"message": f"boom {SECRET}"}}))
    server.route("GET", "/v1/models", Reply.raw(200, b"not json", content_type="application/json"))
    with caplog.at_level(logging.WARNING, logger="modelport.profiles"):
        with mp.LLM("openai-chat:m", base_url=server.base_url, api_key=SECRET) as llm:
            info = llm.model_info()
    assert info == _static(llm)
    [record] = caplog.records
    text = record.getMessage()
    assert "/props" in text and "ProviderServerError" in text and "not JSON" in text
    assert SECRET not in text


def test_a_server_that_is_down_is_asked_once(caplog: pytest.LogCaptureFixture) -> None:
    url = f"http://127.0.0.1:{free_port()}/v1"
    with caplog.at_level(logging.WARNING, logger="modelport.profiles"):
        with mp.LLM("openai-chat:m", base_url=url, timeout=5) as llm:
            assert llm.model_info() == _static(llm)
    [record] = caplog.records
    assert "ProviderConnectionError" in record.getMessage() and "/models" not in record.getMessage()


# -- LM Studio's native model info -------------------------------------------------------------


def _v0_entry(conformance: Path, name: str, file: str = "real-api-v0-models.json") -> Any:
    data = json.loads((conformance / "lmstudio" / file).read_text())
    return next(m for m in data["data"] if m["id"] == name)


def test_lmstudio_native_info_of_a_model_not_loaded(
    server: ScriptedServer, conformance: Path
) -> None:
    entry = _v0_entry(conformance, "qwen3-4b-instruct-2507")
    server.route("GET", "/api/v0/models/qwen3-4b-instruct-2507", Reply.json(entry))
    with mp.LLM("lmstudio:qwen3-4b-instruct-2507", base_url=server.url) as llm:
        info = llm.model_info()
    assert info.context_window == 262144  # max_context_length: not loaded yet
    assert info.tools is True and info.images is False
    assert server.requests[0].path == "/api/v0/models/qwen3-4b-instruct-2507"


def test_lmstudio_loaded_vision_model(server: ScriptedServer, conformance: Path) -> None:
    # The documented v0 entry, loaded: LM Studio then adds loaded_context_length.
    entry = _v0_entry(conformance, "qwen2-vl-7b-instruct", "docs-api-v0-models.json")
    entry.update(state="loaded", loaded_context_length=8192)
    server.route("GET", "/api/v0/models/qwen2-vl-7b-instruct", Reply.json(entry))
    with mp.LLM("lmstudio:qwen2-vl-7b-instruct", base_url=server.url) as llm:
        info = llm.model_info()
    assert info.context_window == 8192 and info.images is True and info.tools is None


def test_lmstudio_v1_catalogue(server: ScriptedServer, conformance: Path) -> None:
    catalogue = json.loads((conformance / "lmstudio" / "docs-api-v1-models.json").read_text())
    loaded = next(m for m in catalogue["models"] if m["loaded_instances"])
    server.route("GET", "/api/v1/models", Reply.json(catalogue))
    with mp.LLM(
        f"lmstudio:{loaded['key']}", base_url=server.url, options={"models_api": "v1"}
    ) as llm:
        info = llm.model_info()
    assert info.context_window == loaded["loaded_instances"][0]["config"]["context_length"]
    assert info.images is loaded["capabilities"]["vision"]


def test_lmstudio_without_a_rest_api_reports_nothing() -> None:
    with mp.LLM("lmstudio:m", options={"models_api": "openai"}) as llm:
        assert llm.provider.profile_requests("m") == []
        assert llm.model_info() == _static(llm)


# -- Bedrock: the static profile (the control plane reports no context window) ---------------


def test_bedrock_profile_is_static(monkeypatch: pytest.MonkeyPatch, server: ScriptedServer) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
    model = "anthropic.claude-3-5-sonnet-20240620-v1:0"
    with mp.LLM(
        f"bedrock-claude:{model}", base_url=server.url, options={"region": "us-east-1"}
    ) as llm:
        assert llm.model_info() == _static(llm)
    assert server.requests == []


# -- the parsers -------------------------------------------------------------------------------

_json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 10**7) | st.floats(allow_nan=False) | st.text(),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=5)
    ),
    max_leaves=20,
)
_field_values = st.fixed_dictionaries(
    {},
    optional={
        "n_ctx": _json_values,
        "default_generation_settings": st.fixed_dictionaries({}, optional={"n_ctx": _json_values}),
        "modalities": st.fixed_dictionaries({}, optional={"vision": _json_values}),
        "data": st.lists(
            st.fixed_dictionaries(
                {"id": st.sampled_from(["m", "x"])},
                optional={
                    "max_model_len": _json_values,
                    "meta": st.fixed_dictionaries({}, optional={"n_ctx": _json_values}),
                    "supported_parameters": _json_values,
                },
            ),
            max_size=3,
        ),
    },
)


def _check_report(report: ModelReport) -> None:
    assert set(report) <= REPORT_KEYS
    for key in ("context_window", "max_output_tokens"):
        if key in report:
            value = report[key]  # type: ignore[literal-required]
            assert type(value) is int and value > 0
    for key in ("tools", "images"):
        if key in report:
            assert type(report[key]) is bool  # type: ignore[literal-required]


@given(data=_json_values | _field_values)
def test_any_json_gives_a_well_typed_report(data: Any) -> None:
    body = json.dumps(data).encode()
    for path in ("/props", "/v1/models"):
        _check_report(parse_server_profile(WireRequest("GET", f"http://h{path}", {}), body, "m"))


@given(body=st.binary(max_size=40))
def test_bytes_that_are_not_json_are_a_protocol_error(body: bytes) -> None:
    try:
        json.loads(body)
    except ValueError:
        with pytest.raises(mp.ProviderProtocolError):
            parse_server_profile(WireRequest("GET", "http://h/props", {}), body, "m")


@given(data=_json_values)
def test_lmstudio_reports_are_well_typed_for_any_json(data: Any) -> None:
    from modelport_lmstudio._models import profile_report

    try:
        report = profile_report(json.dumps(data).encode(), "m")
    except mp.ProviderProtocolError:
        return  # a list body without a model array: the documented failure
    _check_report(report)
