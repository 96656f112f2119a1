"""Prompt caching: where ``cache_control`` goes, and cache reads and writes in ``Usage``, checked
against the recorded Bedrock bodies (invoke-cache-write/read, the newer haiku-4.5 usage shape),
whole and streamed, through the SigV4-verifying scripted server."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import modelport as mp
import pytest
from modelport.provider import (
    ConfigurationError,
    Message,
    Request,
    ToolCall,
    ToolSpec,
    add_cache_breakpoints,
)
from modelport.testing import Reply, ScriptedServer

from ._bedrock import (
    ACCESS_KEY,
    MODEL,
    SECRET_KEY,
    THINKER,
    chunk_frame,
    index_entry,
    message_events,
    provider,
    recording,
    requires_corpus,
)
from ._signed import SignedEndpoint

EPHEMERAL = {"type": "ephemeral"}


def body(**kw: Any) -> dict[str, Any]:
    kw.setdefault("messages", [Message.user("hi")])
    wire = provider().build_request(Request(model=MODEL, **kw))
    assert wire.body is not None
    return wire.body


def test_breakpoints_on_tools_system_and_last_message() -> None:
    b = body(
        messages=[Message.system("Be brief."), Message.user("a"), Message.user("b")],
        tools=[ToolSpec(name="one"), ToolSpec(name="two")],
        prompt_cache=True,
    )
    assert "cache_control" not in b["tools"][0]
    assert b["tools"][1]["cache_control"] == EPHEMERAL
    assert b["system"] == [{"type": "text", "text": "Be brief.", "cache_control": EPHEMERAL}]
    assert b["messages"] == [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "a"},
                {"type": "text", "text": "b", "cache_control": EPHEMERAL},
            ],
        }
    ]


def test_one_hour_ttl_and_off() -> None:
    b = body(prompt_cache="1h")
    assert b["messages"][-1]["content"][-1]["cache_control"] == {"type": "ephemeral", "ttl": "1h"}
    for off in (None, False):
        assert "cache_control" not in json.dumps(body(prompt_cache=off))
    assert "cache_control" in json.dumps(body(prompt_cache="5m"))


def test_string_content_becomes_a_block_and_tool_results_carry_it() -> None:
    b = body(messages=[Message.user("hello")], prompt_cache=True)
    assert b["messages"] == [
        {"role": "user", "content": [{"type": "text", "text": "hello", "cache_control": EPHEMERAL}]}
    ]
    call = ToolCall(id="t1", name="f", arguments="{}")
    history = [
        Message.user("q"),
        Message(role="assistant", tool_calls=[call]),
        Message(role="tool", tool_call_id="t1", content="42"),
    ]
    last = body(messages=history, prompt_cache=True)["messages"][-1]["content"][-1]
    assert last == {
        "type": "tool_result",
        "tool_use_id": "t1",
        "content": "42",
        "cache_control": EPHEMERAL,
    }


def test_thinking_blocks_never_carry_a_breakpoint() -> None:
    wire_body: dict[str, Any] = {
        "messages": [
            {
                "role": "assistant",
                "content": [
                    {"type": "text", "text": "partial"},
                    {"type": "thinking", "thinking": "t", "signature": "s"},
                    {"type": "text", "text": ""},
                ],
            }
        ]
    }
    assert add_cache_breakpoints(wire_body, True) == 1
    blocks = wire_body["messages"][0]["content"]
    assert blocks[0]["cache_control"] == EPHEMERAL
    assert "cache_control" not in blocks[1] and "cache_control" not in blocks[2]


def test_never_more_than_four_breakpoints() -> None:
    marked = {"type": "text", "text": "x", "cache_control": EPHEMERAL}
    wire_body: dict[str, Any] = {
        "system": [dict(marked), dict(marked), dict(marked)],
        "tools": [{"name": "a", "input_schema": {}}],
        "messages": [{"role": "user", "content": "q"}],
    }
    assert add_cache_breakpoints(wire_body, True) == 1  # 3 were there; Claude allows 4
    assert wire_body["tools"][0]["cache_control"] == EPHEMERAL
    assert wire_body["messages"][0]["content"] == "q"


def test_bad_setting_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="prompt_cache"):
        add_cache_breakpoints({"messages": []}, "forever")
    with mp.LLM(f"bedrock-claude:{MODEL}", options={"region": "us-east-1"}) as m:
        with pytest.raises(ConfigurationError, match="prompt_cache"):
            m.complete("hi", prompt_cache="10m")


@requires_corpus
def test_placement_matches_the_recorded_cache_request() -> None:
    """The recorded cache write marked the user's text block: ``prompt_cache=True`` on the same
    conversation sends that block exactly so."""
    recorded = json.loads(index_entry("invoke-cache-write.json")["request_body"])
    sent = body(
        messages=[Message.system(recorded["system"]), Message.user("How do I write js?")],
        prompt_cache=True,
    )
    assert sent["messages"] == recorded["messages"]


# -- usage, through the server ------------------------------------------------------------------


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


# recording -> (input incl. cache, cache read, cache write, output)
USAGE = {
    "invoke-cache-write.json": (4 + 18131, 0, 18131, 50),
    "invoke-cache-read.json": (4 + 18131, 18131, 0, 50),
    "invoke-cache-read-haiku45.json": (3 + 9511 + 1956, 9511, 1956, 44),
}


@requires_corpus
@pytest.mark.parametrize("name", sorted(USAGE))
@pytest.mark.parametrize("streamed", [False, True])
def test_cache_reads_and_writes_are_reported_apart(
    bedrock: SignedEndpoint, name: str, streamed: bool
) -> None:
    message = json.loads(recording(name).read_bytes())
    if streamed:
        frames = [chunk_frame(e) for e in message_events(message)]
        bedrock.add(
            Reply.raw(200, content_type="application/vnd.amazon.eventstream", chunks=frames)
        )
    else:
        bedrock.add(Reply.from_file(recording(name)))
    with mp.LLM(
        f"bedrock-claude:{THINKER}",
        base_url=bedrock.server.url,
        options={"region": "us-east-1"},
        cache="never",
    ) as m:
        if streamed:
            events = list(m.stream("How do I write js?", prompt_cache=True))
            r = next(e.content for e in events if e.type == "final")
        else:
            r = m.complete("How do I write js?", prompt_cache=True)
    u = r.usage
    assert (u.input_tokens, u.cached_tokens, u.cache_write_tokens, u.output_tokens) == USAGE[name]
    [sent] = bedrock.bodies
    assert sent["messages"][-1]["content"][-1]["cache_control"] == EPHEMERAL
