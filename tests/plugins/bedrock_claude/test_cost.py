"""Response.cost for Bedrock: the recorded prompt-cache bodies priced from the price list's
``aws`` entries, through the real plugin, SigV4 and a scripted endpoint on loopback."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal

import modelport as mp
import pytest
from modelport.testing import Reply, ScriptedServer

from ._bedrock import ACCESS_KEY, MODEL, SECRET_KEY, recording, requires_corpus
from ._signed import SignedEndpoint

pytestmark = requires_corpus
M = Decimal(1_000_000)


@pytest.fixture
def bedrock(monkeypatch: pytest.MonkeyPatch) -> Iterator[SignedEndpoint]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    for var in ("AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(var, raising=False)
    with ScriptedServer() as server:
        endpoint = SignedEndpoint(server)
        yield endpoint
        assert endpoint.problems == []


def llm(endpoint: SignedEndpoint) -> mp.LLM:
    return mp.LLM(
        f"bedrock-claude:{MODEL}",
        base_url=endpoint.server.url,
        options={"region": "us-east-1"},
        cache="never",
    )


@pytest.mark.parametrize("name", ["invoke-cache-write.json", "invoke-cache-read.json"])
def test_cache_reads_and_writes_have_their_own_rates(bedrock: SignedEndpoint, name: str) -> None:
    usage = json.loads(recording(name).read_text())["usage"]
    bedrock.add(Reply.from_file(recording(name)))
    mp.set_price("bedrock-claude:*", like="aws")  # loopback stands in for bedrock-runtime
    with llm(bedrock) as model:
        r = model.complete("hi")
    u = r.usage
    assert u.input_tokens == usage["input_tokens"] + 18131  # the cache is part of the input
    # claude-3-5-haiku on Bedrock, genai-prices 0.2.3: $0.80 in, $0.08 cache read,
    # $1.00 cache write, $4 out, per 1M tokens
    assert r.cost is not None
    assert r.cost.cache_read == u.cached_tokens * Decimal("0.08") / M
    assert r.cost.cache_write == u.cache_write_tokens * Decimal(1) / M
    plain = u.input_tokens - u.cached_tokens - u.cache_write_tokens
    assert r.cost.input == plain * Decimal("0.8") / M + r.cost.cache_read + r.cost.cache_write
    assert r.cost.output == usage["output_tokens"] * Decimal(4) / M
    assert r.cost.total == r.cost.input + r.cost.output


def test_an_inference_profile_id_is_priced() -> None:
    """The model as the caller names it (``us.``/``eu.``/``global.`` profiles, ARNs) finds
    the same list entry as the plain model id, by the bedrock-runtime endpoint."""
    from modelport._cost._price import price
    from modelport._cost._types import Priced

    url = "https://bedrock-runtime.eu-west-1.amazonaws.com/model/x/invoke"
    usage = mp.Usage(input_tokens=1000, output_tokens=100)
    ids = [
        "anthropic.claude-3-5-haiku-20241022-v1:0",
        "us.anthropic.claude-3-5-haiku-20241022-v1:0",
        "arn:aws:bedrock:us-east-1:123456789012:inference-profile/"
        "us.anthropic.claude-3-5-haiku-20241022-v1:0",
    ]
    costs = {price(Priced("bedrock-claude", m, "", url, usage)) for m in ids}
    assert costs == {
        mp.Cost(total=Decimal("0.0012"), input=Decimal("0.0008"), output=Decimal("0.0004"))
    }
