"""Several AWS credential sets as one key pool (``api_key=[...]``): a throttled or refused set
hands the attempt to the next one, each request is signed by the set it was given, and no
secret reaches an error, a warning, a log record or a repr."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterator
from pathlib import Path

import modelport as mp
import pytest
from modelport.provider import ConfigurationError, ProviderSettings, WireRequest
from modelport.testing import Reply, ScriptedServer
from modelport_bedrock_claude import BedrockClaudeProvider, aws_keys, aws_profile

from ._bedrock import MODEL, recording, requires_corpus
from ._signed import SignedEndpoint, aws_error, empty_aws

pytestmark = requires_corpus

AK1, SK1 = "AKIDPOOLONE000000001", "pool-SECRET-one-6c1f0e9a8b7d"
AK2, SK2 = "AKIDPOOLTWO000000002", "pool-SECRET-two-3e5a7c9b1d2f"
AK3, SK3, TOKEN3 = "ASIAPOOLTHREE0000003", "pool-SECRET-three-9f8e7d", "pool-TOKEN-three-1a2b3c"
SECRETS = (SK1, SK2, SK3, TOKEN3)


@pytest.fixture
def bedrock(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[SignedEndpoint]:
    empty_aws(monkeypatch, tmp_path)  # the chain finds nothing: only the pool's sets sign
    with ScriptedServer() as server:
        endpoint = SignedEndpoint(server, keys={AK1: SK1, AK2: SK2, AK3: SK3})
        yield endpoint
        assert endpoint.problems == []


def pooled(endpoint: SignedEndpoint, sets: list[str]) -> mp.LLM:
    return mp.LLM(
        f"bedrock-claude:{MODEL}",
        api_key=sets,
        base_url=endpoint.server.url,
        options={"region": "us-east-1"},
        retry=mp.RetryPolicy(max_retries=3, backoff_base=0.01, jitter=0),
        cache="never",
    )


def no_secret(*things: object) -> None:
    for thing in things:
        for secret in SECRETS:
            assert secret not in str(thing) and secret not in repr(thing)


def test_a_throttled_set_moves_the_retry_to_the_next(
    bedrock: SignedEndpoint, caplog: pytest.LogCaptureFixture
) -> None:
    bedrock.add(
        aws_error(429, "ThrottlingException", "Too many requests", **{"Retry-After": "30"}),
        Reply.from_file(recording("invoke-text.json")),
        Reply.from_file(recording("invoke-text.json")),
    )
    caplog.set_level(logging.DEBUG, logger="modelport")
    with pooled(bedrock, [aws_keys(AK1, SK1), aws_keys(AK2, SK2)]) as m:
        r = m.complete("hi", max_tokens=5)
        r2 = m.complete("hi again", max_tokens=5)  # the first set still cools down
        no_secret(m, r, r2)
    assert bedrock.signed_by == [AK1, AK2, AK2]
    no_secret(caplog.text)


def test_a_refused_set_is_benched_with_its_fingerprint_only(bedrock: SignedEndpoint) -> None:
    bedrock.add(
        aws_error(403, "UnrecognizedClientException", f"The security token {TOKEN3} is invalid"),
        Reply.from_file(recording("invoke-text.json")),
    )
    sets = [aws_keys(AK3, SK3, TOKEN3), aws_keys(AK1, SK1)]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pooled(bedrock, sets) as m:
            r = m.complete("hi", max_tokens=5)
    assert bedrock.signed_by == [AK3, AK1] and r.text
    texts = [str(w.message) for w in caught]
    first = repr(mp.KeyPool(sets)).split(": ", 1)[1].split(", ")[0]  # its fingerprint
    assert any("benched" in t and first in t for t in texts)
    no_secret(*texts)


def test_every_set_refused_is_one_clear_error(bedrock: SignedEndpoint) -> None:
    refusal = aws_error(403, "AccessDeniedException", f"denied for {AK2}")
    bedrock.add(refusal, refusal)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pooled(bedrock, [aws_keys(AK1, SK1), aws_keys(AK2, SK2)]) as m:
            with pytest.raises(mp.LLMError) as info:
                m.complete("hi", max_tokens=5)
    no_secret(info.value, repr(info.value))
    assert AK2 not in str(info.value)  # an access key id is scrubbed too


def test_a_profile_set_is_resolved_by_its_own_instance(
    bedrock: SignedEndpoint, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    credentials, _ = empty_aws(monkeypatch, tmp_path)
    credentials.write_text(f"[team-b]\naws_access_key_id = {AK2}\naws_secret_access_key = {SK2}\n")
    bedrock.add(
        aws_error(429, "ThrottlingException", "slow down"),
        Reply.from_file(recording("invoke-text.json")),
    )
    with pooled(bedrock, [aws_keys(AK1, SK1), aws_profile("team-b")]) as m:
        m.complete("hi", max_tokens=5)
    assert bedrock.signed_by == [AK1, AK2]


def test_credential_set_forms() -> None:
    def signed(api_key: str) -> WireRequest:
        p = BedrockClaudeProvider(
            ProviderSettings(model=MODEL, api_key=api_key, options={"region": "us-east-1"})
        )
        wire = p.build_request(mp.provider.Request(model=MODEL, messages=[mp.Message.user("x")]))
        wire.content = b"{}"
        assert not p.auth_pending()
        p.authenticate(wire)
        no_secret(p, wire)
        return wire

    assert signed(aws_keys(AK3, SK3, TOKEN3)).headers["X-Amz-Security-Token"] == TOKEN3
    assert f"Credential={AK1}/" in signed(aws_keys(AK1, SK1)).headers["Authorization"]
    bearer = signed("ABSKbedrockapikeyexample")
    assert bearer.headers["Authorization"] == "Bearer ABSKbedrockapikeyexample"
    assert "X-Amz-Date" not in bearer.headers
    for bad in ("aws:only-one", "aws:a:b:c:d", "aws::x", "profile:"):
        with pytest.raises(ConfigurationError) as info:
            BedrockClaudeProvider(ProviderSettings(model=MODEL, api_key=bad))
        assert bad not in str(info.value) or bad == "profile:"
    with pytest.raises(ConfigurationError):
        aws_keys(AK1, "has:colon")
