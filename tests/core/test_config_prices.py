"""``[prices]`` in modelport.toml: the user's prices for Response.cost, checked as set_price
checks its arguments, under set_price and over the price list, shown by ``modelport config``
and on the CLI's ``[stop]`` line.

Real files in tmp dirs, calls to a ScriptedServer on loopback replaying recorded OpenAI
answers, the CLI as a subprocess.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import modelport as mp
import pytest
from modelport._config import ConfigFileError, clear_cache
from modelport._cost._price import price
from modelport._cost._registry import _prices
from modelport._cost._types import Priced
from modelport.testing import Reply, ScriptedServer

M = Decimal(1_000_000)
OPENAI = "https://api.openai.com/v1/chat/completions"
# chat-nonstream-cached-tokens.json: 1149 tokens in (1024 of them cached), 353 out.
CACHED = mp.Usage(input_tokens=1149, output_tokens=353, cached_tokens=1024)
# gpt-4o-mini in genai-prices 0.2.3: $0.15 input, $0.075 cached input, $0.60 output per 1M.
MINI_TOTAL = (125 * Decimal("0.15") + 1024 * Decimal("0.075") + 353 * Decimal("0.6")) / M


@pytest.fixture(autouse=True)
def clean(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    for name in ("MODELPORT_CONFIG", "MODELPORT_MODEL", "XDG_CONFIG_HOME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))  # no real user config can leak in
    clear_cache()
    yield
    clear_cache()


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    with ScriptedServer() as s:
        yield s


@pytest.fixture
def chat(conformance: Path) -> Path:
    return conformance / "openai-chat"


def write(tmp_path: Path, text: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "modelport.toml"
    path.write_text(textwrap.dedent(text).lstrip())
    monkeypatch.setenv("MODELPORT_CONFIG", str(path))
    return path


PRICES = """
[prices."openai-chat:my-finetune"]
input = 0.5
output = 1.5

[prices."openai-chat:gateway-mini"]
like = "openai"

[prices."lmstudio:*"]
input = "0.10"
output = 0.4
cache_read = 0.05
cache_write = 0.2
"""


def at(model: str, url: str, usage: mp.Usage, provider: str = "openai-chat") -> Priced:
    return Priced(provider, model, model, url, usage)


# -- what an entry prices ----------------------------------------------------------------------


def test_the_files_prices_price_a_call(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, server: ScriptedServer, chat: Path
) -> None:
    write(tmp_path, PRICES, monkeypatch)
    server.add(Reply.from_file(chat / "chat-nonstream-cached-tokens.json"))
    with mp.LLM(
        "openai-chat:my-finetune", base_url=server.base_url, api_key="k", cache="never"
    ) as llm:
        r = llm.complete("hi")
    assert r.cost is not None
    # No cache_read rate given: cached tokens are billed at the input rate.
    assert r.cost.input == 1149 * Decimal("0.5") / M
    assert r.cost.cache_read == 1024 * Decimal("0.5") / M
    assert r.cost.output == 353 * Decimal("1.5") / M
    assert r.cost.total == r.cost.input + r.cost.output


def test_like_prices_a_model_as_the_list_has_its_vendors(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    write(tmp_path, PRICES, monkeypatch)
    gateway = "http://10.0.0.5:4000/v1/chat/completions"  # not OpenAI's endpoint
    served = Priced("openai-chat", "gateway-mini", "gpt-4o-mini-2024-07-18", gateway, CACHED)
    cost = price(served)
    assert cost is not None and cost.total == MINI_TOTAL
    assert price(at("other-model", gateway, CACHED)) is None  # no entry: unknown


def test_cache_rates_and_a_star_for_every_model_of_a_provider(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    write(tmp_path, PRICES, monkeypatch)
    usage = mp.Usage(input_tokens=4000, output_tokens=1000, cached_tokens=1000)
    usage = usage.model_copy(update={"cache_write_tokens": 1000})
    cost = price(at("qwen2.5-7b-instruct", "http://127.0.0.1:1234/api/v0", usage, "lmstudio"))
    assert cost is not None
    assert (cost.cache_read, cost.cache_write) == (Decimal("0.00005"), Decimal("0.0002"))
    assert cost.input == Decimal("0.00045")  # 2000 x 0.10 + 1000 x 0.05 + 1000 x 0.2, per 1M
    assert cost.output == Decimal("0.0004")


def test_set_price_wins_over_the_file_and_the_file_over_the_list(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    listed = price(at("gpt-4o-mini", OPENAI, CACHED))
    assert listed is not None and listed.total == MINI_TOTAL  # the list, with no file
    write(tmp_path, '[prices."openai-chat:gpt-4o-mini"]\ninput = 1\noutput = 1\n', monkeypatch)
    from_file = price(at("gpt-4o-mini", OPENAI, CACHED))
    assert from_file is not None and from_file.total == Decimal(1149 + 353) / M
    mp.set_price("openai-chat:*", input=2, output=2)  # code, even a provider-wide entry
    from_code = price(at("gpt-4o-mini", OPENAI, CACHED))
    assert from_code is not None and from_code.total == Decimal(2 * (1149 + 353)) / M
    mp.set_price("openai-chat:*")  # removed from code: the file's again
    assert price(at("gpt-4o-mini", OPENAI, CACHED)) == from_file


def test_an_edited_file_prices_the_next_cost_read(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    usage = mp.Usage(input_tokens=10**6, output_tokens=0)
    path = write(tmp_path, '[prices."openai-chat:m"]\ninput = 1\noutput = 1\n', monkeypatch)
    first = price(at("m", "http://127.0.0.1:9/v1", usage))
    path.write_text('[prices."openai-chat:m"]\ninput = 3\noutput = 1\n# a longer file\n')
    second = price(at("m", "http://127.0.0.1:9/v1", usage))
    assert first is not None and second is not None
    assert (first.total, second.total) == (1, 3)


def test_a_broken_file_is_an_error_where_a_cost_is_read(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, server: ScriptedServer, chat: Path
) -> None:
    """A price the file meant to give is not silently unknown."""
    path = write(tmp_path, '[prices."openai-chat:m"]\ninput = -1\noutput = 1\n', monkeypatch)
    server.add(Reply.from_file(chat / "chat-nonstream-text.json"))
    with mp.LLM("openai-chat:m", base_url=server.base_url, api_key="k", cache="never") as llm:
        r = llm.complete("hi")  # the call does not read the file
    assert r.text
    with pytest.raises(ConfigFileError) as info:
        _ = r.cost
    assert info.value.path == path and info.value.line == 2


# -- bad entries: set_price's rules, at the file's line -------------------------------------------

BAD = [
    ("not a table", 'prices = "cheap"\n', 1, "prices: must be a table"),
    ("entry not a table", '[prices]\n"openai-chat:m" = 1\n', 2, "must be a table"),
    ("key without provider", "[prices.gpt-4o]\ninput = 1\noutput = 1\n", 1, "'provider:model'"),
    (
        "key with a pattern",
        '[prices."openai-chat:gpt-*"]\ninput = 1\noutput = 1\n',
        1,
        "not a pattern",
    ),
    (
        "unknown key",
        '[prices."openai-chat:m"]\ninput = 1\noutput = 1\nprompt = 2\n',
        4,
        "unknown key 'prompt'",
    ),
    (
        "negative",
        '[prices."openai-chat:m"]\ninput = 1\noutput = -2\n',
        3,
        'prices."openai-chat:m".output: must be a finite amount >= 0',
    ),
    ("not a number", '[prices."openai-chat:m"]\ninput = "cheap"\noutput = 1\n', 2, "not a number"),
    ("a boolean", '[prices."openai-chat:m"]\ninput = true\noutput = 1\n', 2, "not a number"),
    ("infinite", '[prices."openai-chat:m"]\ninput = inf\noutput = 1\n', 2, "finite"),
    ("missing output", '[prices."openai-chat:m"]\ninput = 1\n', 1, "output= are required"),
    ("empty", '[prices."openai-chat:m"]\n', 1, "or like ="),
    (
        "prices and like",
        '[prices."openai-chat:m"]\ninput = 1\noutput = 1\nlike = "openai"\n',
        1,
        "not both",
    ),
    ("like not text", '[prices."openai-chat:m"]\nlike = 3\n', 2, "must be a non-empty string"),
    (
        "dotted keys",
        'prices."openai-chat:m".input = 1\nprices."openai-chat:m".output = []\n',
        2,
        "[]",
    ),
]


@pytest.mark.parametrize(("text", "line", "message"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_a_bad_price_names_the_file_and_the_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, text: str, line: int, message: str
) -> None:
    path = write(tmp_path, text, monkeypatch)
    with pytest.raises(ConfigFileError) as info:
        mp.LLM("a")  # an alias: the file is read, and checked as a whole
    error = info.value
    assert error.path == path and error.line == line, str(error)
    assert str(error).startswith(f"{path}:{line}: prices")
    assert message in str(error)


def test_set_price_has_the_same_rules() -> None:
    with pytest.raises(mp.ConfigurationError, match="not a pattern"):
        mp.set_price("openai-chat:gpt-*", input=1, output=1)
    with pytest.raises(mp.ConfigurationError, match="provider:model"):
        mp.set_price("*:m", input=1, output=1)
    with pytest.raises(mp.ConfigurationError, match="must name a provider"):
        mp.set_price("openai-chat:m", like=" ")
    assert not _prices  # nothing half-set


def test_modelport_config_on_a_bad_price_is_one_line_and_exit_2(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = write(tmp_path, '[prices."openai-chat:m"]\ninput = 1\noutput = "free"\n', monkeypatch)
    done = cli("config")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert f'{path}:3: prices."openai-chat:m".output: is not a number' in done.stderr


# -- shown by the CLI -----------------------------------------------------------------------------


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "modelport", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "NO_COLOR": "1"},
    )


def test_modelport_config_shows_the_prices(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    write(tmp_path, PRICES, monkeypatch)
    done = cli("config")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["prices"] == {
        "openai-chat:my-finetune": {"input": 0.5, "output": 1.5, "line": 1},
        "openai-chat:gateway-mini": {"like": "openai", "line": 5},
        "lmstudio:*": {
            "input": 0.1,
            "output": 0.4,
            "cache_read": 0.05,
            "cache_write": 0.2,
            "line": 8,
        },
    }


def test_the_cli_stop_line_shows_the_cost_the_file_prices(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, server: ScriptedServer, chat: Path
) -> None:
    write(tmp_path, PRICES, monkeypatch)
    server.route(
        "POST", "/v1/chat/completions", Reply.from_file(chat / "chat-stream-text-include-usage.sse")
    )
    argv = ["prompt", "hi", "-m", "openai-chat:my-finetune", "--base-url", server.base_url]
    done = cli(*argv, "--api-key", "sk-test", "--usage", "--no-cache")
    assert done.returncode == 0, done.stderr
    stop = [line for line in done.stderr.splitlines() if line.startswith("[stop]")]
    # 78 tokens in at $0.50 and 9 out at $1.50 per million.
    assert stop == ["[stop] input=78 output=9 reasoning=0 cached=0 cost=$0.0000525"], done.stderr
    other = [*argv[:3], "openai-chat:other", *argv[4:]]
    unpriced = cli(*other, "--api-key", "k", "--usage", "--no-cache")
    assert unpriced.returncode == 0, unpriced.stderr
    assert "cost=" not in unpriced.stderr  # a model the file does not price: unknown
