"""``llm.models()`` and ``modelport models -m bedrock-claude``: the control plane's foundation
models and inference profiles (paged), SigV4-signed, against the scripted Bedrock server."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import modelport as mp
import pytest
from modelport.provider import ProviderProtocolError, ProviderSettings
from modelport.testing import ScriptedServer
from modelport_bedrock_claude import BedrockClaudeProvider

from ._bedrock import ACCESS_KEY, SECRET_KEY
from ._signed import SignedEndpoint, aws_error

ARN = "arn:aws:bedrock:us-east-1::foundation-model/"


def summary(model_id: str, *, kinds: tuple[str, ...] = ("ON_DEMAND",)) -> dict[str, Any]:
    return {
        "modelArn": ARN + model_id,
        "modelId": model_id,
        "modelName": model_id,
        "providerName": "Anthropic",
        "inputModalities": ["TEXT", "IMAGE"],
        "outputModalities": ["TEXT"],
        "responseStreamingSupported": True,
        "customizationsSupported": [],
        "inferenceTypesSupported": list(kinds),
        "modelLifecycle": {"status": "ACTIVE"},
    }


def profile(pid: str, model_id: str, *, kind: str = "SYSTEM_DEFINED", status: str = "ACTIVE"):  # type: ignore[no-untyped-def]
    arn = f"arn:aws:bedrock:us-east-1:123456789012:inference-profile/{pid}"
    if kind == "APPLICATION":
        arn = f"arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/{pid}"
    return {
        "inferenceProfileName": pid,
        "inferenceProfileArn": arn,
        "inferenceProfileId": pid,
        "models": [{"modelArn": ARN + model_id}],
        "status": status,
        "type": kind,
    }


MODELS = {
    "modelSummaries": [
        summary("anthropic.claude-3-haiku-20240307-v1:0"),
        summary("anthropic.claude-3-5-sonnet-20240620-v1:0", kinds=("ON_DEMAND", "PROVISIONED")),
        # Reachable only through an inference profile: not listed by its own id.
        summary("anthropic.claude-opus-4-6-v1", kinds=("INFERENCE_PROFILE",)),
        {**summary("anthropic.claude-3-haiku-20240307-v1:0:48k"), "outputModalities": ["EMBED"]},
    ]
}
PAGE_1 = {
    "inferenceProfileSummaries": [
        profile("us.anthropic.claude-opus-4-6-v1", "anthropic.claude-opus-4-6-v1"),
        profile("us.meta.llama3-2-1b-instruct-v1:0", "meta.llama3-2-1b-instruct-v1:0"),
        profile("eu.anthropic.claude-old", "anthropic.claude-old", status="DELETING"),
    ],
    "nextToken": "page-1",
}
PAGE_2 = {
    "inferenceProfileSummaries": [
        profile("global.anthropic.claude-opus-4-6-v1", "anthropic.claude-opus-4-6-v1"),
        profile("a1b2c3", "anthropic.claude-opus-4-6-v1", kind="APPLICATION"),
    ]
}
EXPECTED = [
    "anthropic.claude-3-haiku-20240307-v1:0",
    "anthropic.claude-3-5-sonnet-20240620-v1:0",
    "us.anthropic.claude-opus-4-6-v1",
    "global.anthropic.claude-opus-4-6-v1",
    "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3",
]


@pytest.fixture
def bedrock(monkeypatch: pytest.MonkeyPatch) -> Iterator[SignedEndpoint]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    for var in ("AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(var, raising=False)
    with ScriptedServer() as server:
        endpoint = SignedEndpoint(server, models=())
        yield endpoint
        assert endpoint.problems == []


def test_models_lists_models_and_profiles_signed(bedrock: SignedEndpoint) -> None:
    bedrock.listing(MODELS, PAGE_1, PAGE_2)
    with mp.LLM("bedrock-claude:anthropic.claude-3-haiku-20240307-v1:0",
                base_url=bedrock.server.url) as m:  # fmt: skip
        assert m.models() == EXPECTED
    assert bedrock.listed == [
        "/foundation-models?byProvider=anthropic",
        "/inference-profiles?maxResults=1000",
        "/inference-profiles?maxResults=1000&nextToken=page-1",
    ]


def test_page_tokens_are_encoded_and_signed(bedrock: SignedEndpoint) -> None:
    odd = {**PAGE_1, "nextToken": "a/b+c=="}
    bedrock.listing(MODELS, odd)
    p = BedrockClaudeProvider(
        ProviderSettings(model="m", base_url=bedrock.server.url, options={"region": "us-east-1"})
    )
    first = p.models_request()
    assert first is not None
    nxt = p.next_models_request(
        p.next_models_request(first, b"{}") or first, b'{"nextToken": "a/b+c=="}'
    )
    assert nxt is not None and nxt.url.endswith("&nextToken=a%2Fb%2Bc%3D%3D")
    assert p.next_models_request(nxt, b'{"inferenceProfileSummaries": []}') is None


def test_control_plane_url() -> None:
    def url(base: str | None, **options: Any) -> str:
        settings = ProviderSettings(
            model="m", base_url=base, options={"region": "eu-west-1", **options}
        )
        wire = BedrockClaudeProvider(settings).models_request()
        assert wire is not None and wire.method == "GET"
        return wire.url.split("?")[0]

    assert url(None) == "https://bedrock.eu-west-1.amazonaws.com/foundation-models"
    vpc = "https://vpce-1.bedrock-runtime.eu-west-1.vpce.amazonaws.com"
    assert url(vpc) == "https://vpce-1.bedrock.eu-west-1.vpce.amazonaws.com/foundation-models"
    assert url(None, control_url="http://proxy:9/") == "http://proxy:9/foundation-models"


def test_listing_errors_are_typed(bedrock: SignedEndpoint) -> None:
    bedrock.server.route(
        "GET", "/foundation-models", aws_error(403, "AccessDeniedException", "not allowed")
    )
    with mp.LLM("bedrock-claude:x", base_url=bedrock.server.url) as m:
        with pytest.raises(mp.AuthenticationError) as info:
            m.models()
    assert info.value.status == 403 and SECRET_KEY not in str(info.value)
    p = BedrockClaudeProvider(ProviderSettings(model="m", options={"region": "us-east-1"}))
    for bad in (b"nope", b"[]", b'{"other": 1}', b'{"modelSummaries": 3}'):
        with pytest.raises(ProviderProtocolError):
            p.parse_models(bad)


def test_cli_models_lists_with_profiles(bedrock: SignedEndpoint) -> None:
    bedrock.listing(MODELS, PAGE_1, PAGE_2)
    env = {**os.environ, "AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SECRET_KEY}
    out = subprocess.run(
        [sys.executable, "-m", "modelport", "models", "-m", "bedrock-claude",
         "--base-url", bedrock.server.url],
        capture_output=True, text=True, timeout=120, env=env, check=False,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    for model in EXPECTED:
        assert f"bedrock-claude:{model}" in out.stdout
    lines = {line.split()[0]: line for line in out.stdout.splitlines()[1:] if line.strip()}
    assert " none " in lines["bedrock-claude:anthropic.claude-3-haiku-20240307-v1:0"]
    assert "adaptive_effort" in lines["bedrock-claude:us.anthropic.claude-opus-4-6-v1"]
    assert SECRET_KEY not in out.stdout + out.stderr
