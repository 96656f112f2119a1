"""Response.cost priced: the genai-prices list (by endpoint, at the call's time), the user's
own prices, None for the unknown, and the optional extra really optional."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import modelport as mp
import pytest
from modelport._cost._price import endpoint_of, price
from modelport._cost._types import Priced
from modelport.testing import Reply, ScriptedServer

OPENAI = "https://api.openai.com/v1/chat/completions"
M = Decimal(1_000_000)
# gpt-4o-mini in genai-prices 0.2.3: $0.15 input, $0.075 cached input, $0.60 output per 1M.
MINI_CACHED = {  # chat-nonstream-cached-tokens.json: 1149 in (1024 cached), 353 out
    "input": (125 * Decimal("0.15") + 1024 * Decimal("0.075")) / M,
    "cache_read": 1024 * Decimal("0.075") / M,
    "output": 353 * Decimal("0.6") / M,
}
MINI_CACHED_TOTAL = MINI_CACHED["input"] + MINI_CACHED["output"]  # $0.00030735


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    with ScriptedServer() as s:
        yield s


@pytest.fixture
def chat(conformance: Path) -> Path:
    return conformance / "openai-chat"


def piece(model: str, endpoint: str, usage: mp.Usage, provider: str = "openai-chat") -> Priced:
    return Priced(provider, model, model, endpoint, usage)


# -- pricing, without HTTP ---------------------------------------------------------------------


def test_the_price_list_finds_openai_by_its_endpoint() -> None:
    usage = mp.Usage(input_tokens=1149, output_tokens=353, cached_tokens=1024)
    cost = price(Priced("openai-chat", "gpt-4o-mini", "gpt-4o-mini-2024-07-18", OPENAI, usage))
    assert cost is not None
    assert cost.input == MINI_CACHED["input"]
    assert cost.cache_read == MINI_CACHED["cache_read"]
    assert cost.output == MINI_CACHED["output"]
    assert cost.cache_write == 0
    assert cost.total == MINI_CACHED_TOTAL == Decimal("0.00030735")
    assert str(cost) == "$0.00030735"


@pytest.mark.parametrize(
    "model",
    [
        "us.anthropic.claude-3-5-sonnet-20241022-v2:0",  # a cross-region inference profile
        "eu.anthropic.claude-sonnet-4-20250514-v1:0",
        "anthropic.claude-3-5-sonnet-20241022-v2:0",  # the plain model id
    ],
)
def test_bedrock_model_ids_and_inference_profiles_are_priced(model: str) -> None:
    url = f"https://bedrock-runtime.us-east-1.amazonaws.com/model/{model}/invoke"
    usage = mp.Usage(input_tokens=18135, output_tokens=50, cached_tokens=18131)
    cost = price(piece(model, url, usage, provider="bedrock-claude"))
    assert cost is not None  # $3 input, $0.30 cache read, $15 output per 1M
    assert cost.cache_read == 18131 * Decimal("0.3") / M
    assert cost.input == 4 * Decimal(3) / M + cost.cache_read
    assert cost.total == cost.input + 50 * Decimal(15) / M


@pytest.mark.parametrize(
    ("model", "url"),
    [
        ("gpt-4o", "http://127.0.0.1:8080/v1/chat/completions"),  # a local server's alias
        ("qwen2.5-0.5b-instruct", "http://localhost:1234/api/v0/chat/completions"),
        ("no-such-model-xyz", OPENAI),
    ],
)
def test_unknown_is_none_never_a_guess(model: str, url: str) -> None:
    assert price(piece(model, url, mp.Usage(input_tokens=10, output_tokens=5))) is None


def test_a_call_is_priced_at_the_time_it_was_made() -> None:
    """DeepSeek's list prices depend on the hour (UTC): the call's, not the reading's."""
    from datetime import UTC, datetime

    url = "https://api.deepseek.com/chat/completions"
    usage = mp.Usage(input_tokens=1_000_000, output_tokens=0)
    noon = datetime(2026, 1, 5, 12, 0, tzinfo=UTC).timestamp()
    evening = datetime(2026, 1, 5, 20, 0, tzinfo=UTC).timestamp()
    peak = price(Priced("openai-chat", "deepseek-chat", "", url, usage, at=noon))
    off = price(Priced("openai-chat", "deepseek-chat", "", url, usage, at=evening))
    assert peak is not None and off is not None
    assert (peak.total, off.total) == (Decimal("0.27"), Decimal("0.135"))


def test_no_reported_usage_is_none() -> None:
    assert price(piece("gpt-4o-mini", OPENAI, mp.Usage())) is None
    inconsistent = mp.Usage(input_tokens=5, output_tokens=1, cached_tokens=9)
    assert price(piece("gpt-4o-mini", OPENAI, inconsistent)) is None


def test_endpoint_drops_credentials() -> None:
    url = "https://user:secret@api.example.com:8443/v1/chat?key=sk-123&x=1#frag"
    assert endpoint_of(url) == "https://api.example.com:8443/v1/chat"


def test_own_prices_per_million_tokens() -> None:
    mp.set_price("lmstudio:qwen2.5-7b-instruct", input="0.10", output=0.4, cache_read=0.05)
    usage = mp.Usage(input_tokens=3000, output_tokens=1000, cached_tokens=1000)
    cost = price(piece("qwen2.5-7b-instruct", "http://127.0.0.1:1234/api/v0", usage, "lmstudio"))
    assert cost is not None
    assert cost.cache_read == Decimal("0.00005")
    assert cost.input == Decimal("0.00025")  # 2000 x 0.10 + 1000 x 0.05, per 1M
    assert cost.output == Decimal("0.0004")
    assert cost.total == Decimal("0.00065")
    mp.set_price("lmstudio:qwen2.5-7b-instruct")  # no price: the entry is removed
    assert price(piece("qwen2.5-7b-instruct", "http://127.0.0.1:1234", usage, "lmstudio")) is None


def test_own_prices_win_over_the_list_and_a_star_covers_a_provider() -> None:
    mp.set_price("openai-chat:*", input=1, output=2)
    cost = price(piece("gpt-4o-mini", OPENAI, mp.Usage(input_tokens=10**6, output_tokens=10**6)))
    assert cost is not None and cost.total == 3


def test_like_prices_a_gateway_as_its_vendor() -> None:
    mp.set_price("openai-chat:*", like="openai")
    usage = mp.Usage(input_tokens=1149, output_tokens=353, cached_tokens=1024)
    cost = price(piece("gpt-4o-mini-2024-07-18", "http://10.0.0.5:4000/v1/chat", usage))
    assert cost is not None and cost.total == MINI_CACHED_TOTAL


@pytest.mark.parametrize(
    ("spec", "kw", "match"),
    [
        ("no-colon", {"input": 1, "output": 1}, "provider:model"),
        ("p:m", {"input": 1}, "required"),
        ("p:m", {"input": -1, "output": 1}, ">= 0"),
        ("p:m", {"input": "cheap", "output": 1}, "not a number"),
        ("p:m", {"input": float("nan"), "output": 1}, "finite"),
        ("p:m", {"input": 1, "output": 1, "like": "openai"}, "not both"),
    ],
)
def test_bad_prices_are_configuration_errors(spec: str, kw: dict[str, Any], match: str) -> None:
    with pytest.raises(mp.ConfigurationError, match=match):
        mp.set_price(spec, **kw)


def test_costs_add_up() -> None:
    a = mp.Cost(total=Decimal(3), input=Decimal(1), output=Decimal(2), cache_read=Decimal("0.5"))
    b = a + a
    assert (b.total, b.input, b.output, b.cache_read, b.cache_write) == tuple(
        map(Decimal, (6, 2, 4, 1, 0))
    )
    assert mp.Response().cost is None and mp.Response().cost_saved is None


# -- the optional extra is optional ----------------------------------------------------------

_BLOCKED = """
import sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name == "genai_prices" or name.startswith("genai_prices."):
            raise ImportError("genai_prices is blocked for this test")
sys.meta_path.insert(0, Block())
"""


def test_without_genai_prices_cost_is_none_and_nothing_fails(
    server: ScriptedServer, chat: Path
) -> None:
    body = chat / "chat-nonstream-cached-tokens.json"
    server.route("POST", "/v1/chat/completions", Reply.from_file(body))
    code = _BLOCKED + textwrap.dedent(
        f"""
        import modelport as mp
        mp.set_price("openai-chat:*", like="openai")
        events = []
        with mp.LLM("openai-chat:gpt-4o-mini", base_url={server.base_url!r}, api_key="k",
                    cache="never", on_progress=events.append) as llm:
            cost = llm.complete("hi").cost
            done = [e.detail["cost"] for e in events if e.kind == "done"]
            mp.set_price("openai-chat:*", input=1, output=1)  # own prices need no extra
            own = int(llm.complete("hi").cost.total * 10**6)
        print(cost, done, own, "genai_prices" in sys.modules)
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["None", "[None]", "1502", "False"]


def test_import_modelport_does_not_import_genai_prices() -> None:
    code = "import sys, modelport as mp; mp.Response().cost; print('genai_prices' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "False", out.stderr
