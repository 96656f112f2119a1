"""docs/providers/bedrock-claude.md says what the code does: its capability and thinking tables
are the plugin's data, row for row."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from modelport_bedrock_claude import GENERATIONS
from modelport_bedrock_claude._shape import ADAPTIVE_EFFORTS, EFFORT_BUDGETS

DOC = Path(__file__).resolve().parents[3] / "docs" / "providers" / "bedrock-claude.md"
THINKING = {"none": "none", "manual_budget": "manual budget", "adaptive_effort": "adaptive"}


def _rows(header: str) -> list[list[str]]:
    text = DOC.read_text()
    table = text[text.index(header) :].split("\n\n", 1)[0].splitlines()[2:]
    return [[c.strip() for c in line.strip("|").split("|")] for line in table]


def test_capability_table_matches_the_data() -> None:
    rows = _rows("| Claude generation |")
    for gen in GENERATIONS:
        named = [r for r in rows if r[0] == gen.name or r[0].startswith(gen.name + " (")]
        assert len(named) == 1, f"{gen.name}: {len(named)} rows in the docs table"
        row = named[0]
        assert row[2].startswith(THINKING[gen.thinking]), (gen.name, row)
        assert row[1].startswith("accepted" if gen.sampling_params else "rejected"), gen.name
        window, out = (int(x.replace(",", "")) for x in re.findall(r"[\d,]+", row[3])[:2])
        assert (window, out) == (gen.context_window, gen.max_output_tokens), gen.name


def test_thinking_table_matches_the_data() -> None:
    rows = {r[0].strip("`"): r for r in _rows("| `reasoning_effort` |")}
    for effort, budget in EFFORT_BUDGETS.items():
        assert rows[effort][1] == str(budget)
        assert rows[effort][2] == f"`{ADAPTIVE_EFFORTS[effort]}`"


def _block(containing: str) -> str:
    for block in re.findall(r"```python\n(.*?)```", DOC.read_text(), re.S):
        if containing in block:
            return str(block)
    raise AssertionError(f"no python block with {containing!r} in {DOC.name}")


def test_pool_example_builds_a_pool_of_three_sets() -> None:
    import modelport as mp

    names: dict[str, Any] = {"mp": mp, "AK_1": "AKIDDOCSONE", "SECRET_1": "docs-secret-1"}
    names |= {"AK_2": "AKIDDOCSTWO", "SECRET_2": "docs-secret-2", "SESSION_TOKEN_2": "tok-2"}
    exec(_block("aws_keys("), names)
    llm = names["llm"]
    assert isinstance(llm, mp.LLM)
    shown = repr(llm) + repr(llm.provider)
    assert "docs-secret" not in shown and "tok-2" not in shown
    with llm:
        pass
