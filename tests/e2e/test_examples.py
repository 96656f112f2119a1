"""The documented examples run as written, against the real llama.cpp server."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from llama_peer import LlamaServer

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.peers


def test_tools_with_approval_example(llama_plain: LlamaServer) -> None:
    out = subprocess.run(
        [
            sys.executable,
            str(ROOT / "examples" / "tools_with_approval.py"),
            "--base-url",
            llama_plain.base_url,
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0] == "answer: Hello from tiny model."
    assert any(line.startswith("review: get_weather(") for line in lines)
    assert any("tool_result" in line for line in lines)
    assert lines[-1] == "async answer: Hello from tiny model."
