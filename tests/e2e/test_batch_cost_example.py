"""The batch-cost recipe (examples/batch_cost.py) runs as documented: against a scripted
server priced as OpenAI (exact figures, then the same batch from the cache: nothing spent,
all saved), and against the real llama.cpp server (unpriced, then with the user's prices)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Awaitable, Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import cast

import pytest
from llama_peer import LlamaServer
from modelport.testing import Reply, ScriptedServer

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "examples" / "batch_cost.py"
SUMMARY = re.compile(
    r"^(\d+) calls: spent \$([\d.]+), saved \$([\d.]+) by the cache, (\d+) without a known price$"
)


def run(cache_dir: Path, *args: str) -> tuple[int, Decimal, Decimal, int, str]:
    env = {**os.environ, "MODELPORT_CACHE_DIR": str(cache_dir)}
    out = subprocess.run(
        [sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=180, env=env
    )
    assert out.returncode == 0, out.stderr
    match = SUMMARY.match(out.stdout.strip().splitlines()[-1])
    assert match, out.stdout
    calls, spent, saved, unpriced = match.groups()
    return int(calls), Decimal(spent), Decimal(saved), int(unpriced), out.stderr


@pytest.fixture
def server(conformance: Path) -> Iterator[ScriptedServer]:
    body = conformance / "openai-chat" / "chat-nonstream-cached-tokens.json"
    with ScriptedServer() as s:
        s.route("POST", "/v1/chat/completions", Reply.from_file(body))
        yield s


def test_a_batch_priced_from_the_list_then_saved_by_the_cache(
    server: ScriptedServer, tmp_path: Path
) -> None:
    args = ["--model", "openai-chat:gpt-4o-mini", "--base-url", server.base_url]
    args += ["--api-key", "sk-test", "-n", "5", "--like", "openai"]
    calls, spent, saved, unpriced, bar = run(tmp_path, *args)
    one = Decimal("0.00030735")  # the recording's usage at gpt-4o-mini's list prices
    assert (calls, spent, saved, unpriced) == (5, 5 * one, Decimal(0), 0)
    assert "[########################] 5/5 spent $0.00153675" in bar
    steps = [line for line in bar.splitlines() if "/5 spent $" in line]  # \r read as \n
    assert len(steps) == 6  # the empty bar, then one step per answer
    again = run(tmp_path, *args)[:4]
    assert again == (5, Decimal(0), 5 * one, 0)  # temperature 0: every answer from the cache
    assert len(server.requests) == 5


@pytest.mark.peers
def test_a_local_batch_is_unpriced_until_given_prices(
    llama_plain: LlamaServer, tmp_path: Path
) -> None:
    args = ["--model", "openai-chat:tiny", "--base-url", llama_plain.base_url, "-n", "3"]
    calls, spent, saved, unpriced, bar = run(tmp_path / "a", *args)
    assert (calls, spent, saved, unpriced) == (3, Decimal(0), Decimal(0), 3)
    assert "(3 unpriced)" in bar
    calls, spent, saved, unpriced, _ = run(tmp_path / "b", *args, "--price", "0.10", "0.40")
    assert calls == 3 and unpriced == 0 and spent > 0


def test_the_recipe_in_the_docs_runs_as_written(
    server: ScriptedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    """The docs' snippet, up to its ``main`` (which names the real OpenAI), run against the
    scripted server priced as OpenAI."""
    import asyncio

    import modelport as mp
    from modelport._cost._registry import _prices

    doc = (ROOT / "docs" / "observability.md").read_text()
    recipe = doc.split("## Recipe: a progress bar and a running cost over a batch", 1)[1]
    code = recipe.split("```python\n", 1)[1].split("```", 1)[0]
    namespace: dict[str, object] = {}
    exec(compile(code.split("async def main", 1)[0], "observability.md", "exec"), namespace)
    mp.set_price("openai-chat:*", like="openai")
    try:

        async def batch() -> None:
            async with mp.LLM(
                "openai-chat:gpt-4o-mini", base_url=server.base_url, api_key="k", cache="never"
            ) as llm:
                run_batch = cast(
                    "Callable[[mp.LLM, list[str]], Awaitable[None]]", namespace["run_batch"]
                )
                await run_batch(llm, ["a", "b", "c"])

        asyncio.run(batch())
    finally:
        _prices.clear()
    out = capsys.readouterr()
    assert "[########################] 3/3 spent $0.00092205" in out.err
    assert out.out.strip() == "spent $0.00092205, saved $0 by the cache, 0 without a known price"
