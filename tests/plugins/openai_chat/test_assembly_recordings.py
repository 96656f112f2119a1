"""Issue 3 item 5 on real recordings: every recorded tool-call stream, decoded by the plugin and
assembled by the core under any chunking, gives the same calls as feeding it whole, and those
calls equal what the stream's own fragments spell out (ids, names, argument JSON)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from modelport._engine._assemble import StreamAssembler
from modelport._request import Request
from modelport.provider import ProviderSettings
from modelport_openai_chat import OpenAIChatProvider

CONFORMANCE = Path(__file__).resolve().parents[3].parent / "shared" / "conformance"
STREAMS = sorted(
    p
    for folder in ("openai-chat", "openai-compat-servers", "thinking")
    for p in (CONFORMANCE / folder).glob("*.sse")
    if b'"tool_calls"' in p.read_bytes()
)


def assemble(data: bytes, cuts: list[int]) -> list[tuple[str, str, str]]:
    provider = OpenAIChatProvider(ProviderSettings(model="m", base_url="http://x/v1"))
    request = Request(model="m", messages=[], stream=True)
    decoder = provider.stream_decoder(request)
    asm = StreamAssembler("openai-chat", "m")
    points = sorted({c % (len(data) + 1) for c in cuts})
    last = 0
    for p in [*points, len(data)]:
        for d in decoder.feed(data[last:p]):
            asm.add(d)
        last = p
    for d in decoder.close():
        asm.add(d)
    return [(c.id, c.name, c.arguments) for c in asm.finish().tool_calls]


def expected_calls(path: Path) -> list[tuple[str, str, str]]:
    """Read straight from the recorded JSON, independently of the plugin and the core."""
    calls: dict[int, list[str]] = {}
    order: list[int] = []
    for line in path.read_bytes().splitlines():
        if not line.startswith(b"data: {"):
            continue
        for choice in json.loads(line[6:]).get("choices", []):
            for tc in choice.get("delta", {}).get("tool_calls") or []:
                entry = calls.setdefault(tc["index"], ["", "", ""])
                if tc["index"] not in order:
                    order.append(tc["index"])
                entry[0] = entry[0] or tc.get("id") or ""
                fn = tc.get("function", {})
                entry[1] = entry[1] or fn.get("name") or ""
                entry[2] += fn.get("arguments") or ""
    return [tuple(calls[i]) for i in sorted(order)]  # type: ignore[misc]


def test_there_are_tool_call_recordings() -> None:
    assert len(STREAMS) >= 3


@pytest.mark.parametrize("path", STREAMS, ids=lambda p: p.name)
def test_whole_stream_assembles_to_the_recorded_calls(path: Path) -> None:
    got = assemble(path.read_bytes(), [])
    assert got == expected_calls(path)
    for _, _, arguments in got:
        json.loads(arguments)  # each call's argument text is complete JSON


@pytest.mark.parametrize("path", STREAMS, ids=lambda p: p.name)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cuts=st.lists(st.integers(min_value=0, max_value=100_000), max_size=40))
def test_any_chunking_assembles_the_same(path: Path, cuts: list[int]) -> None:
    data = path.read_bytes()
    assert assemble(data, cuts) == assemble(data, [])
