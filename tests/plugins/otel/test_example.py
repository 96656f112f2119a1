"""examples/otel_console.py runs as documented against the real llama.cpp server and prints
the spans and metrics docs/observability.md describes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from llama_peer import LlamaServer

ROOT = Path(__file__).resolve().parents[3]
pytestmark = pytest.mark.peers


def printed_objects(text: str) -> list[dict[str, Any]]:
    """The console exporters print one JSON document per span (and one for the metrics)."""
    decoder = json.JSONDecoder()
    found: list[dict[str, Any]] = []
    i = 0
    while True:
        while i < len(text) and text[i].isspace():
            i += 1
        if i >= len(text):
            return found
        obj, i = decoder.raw_decode(text, i)
        found.append(obj)


def test_the_console_example(llama_plain: LlamaServer) -> None:
    out = subprocess.run(
        [
            sys.executable,
            str(ROOT / "examples" / "otel_console.py"),
            "--base-url",
            llama_plain.base_url,
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert "answer: Hello from tiny model." in out.stderr.splitlines()
    printed = printed_objects(out.stdout)
    spans: dict[str, list[dict[str, Any]]] = {}
    for obj in printed:
        if "attributes" in obj and "context" in obj:
            spans.setdefault(obj["name"], []).append(obj)
    job = spans["weather job"][0]
    chats = spans["chat tiny"]
    assert len(chats) == 2
    assert {c["parent_id"] for c in chats} == {job["context"]["span_id"]}
    tool_loop = next(c for c in chats if c["attributes"]["modelport.streaming"] is False)
    streamed = next(c for c in chats if c["attributes"]["modelport.streaming"] is True)
    attrs = tool_loop["attributes"]
    assert attrs["gen_ai.provider.name"] == "openai"
    assert attrs["gen_ai.usage.input_tokens"] > 0
    assert "gen_ai.input.messages" in attrs  # the example turns content capture on
    (tool,) = spans["execute_tool lookup_weather"]
    assert tool["parent_id"] == tool_loop["context"]["span_id"]
    assert tool["attributes"]["gen_ai.tool.call.result"].startswith("sunny in ")
    posts = spans["POST"]
    assert sorted(p["parent_id"] for p in posts) == sorted(
        [tool_loop["context"]["span_id"]] * 2 + [streamed["context"]["span_id"]]
    )
    assert streamed["attributes"]["gen_ai.response.finish_reasons"] == ["stop"]
    metric_names = {
        m["name"]
        for obj in printed
        for r in obj.get("resource_metrics", [])
        for s in r["scope_metrics"]
        for m in s["metrics"]
    }
    assert {"gen_ai.client.token.usage", "gen_ai.client.operation.duration"} <= metric_names
