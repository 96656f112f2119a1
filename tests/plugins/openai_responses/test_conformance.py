"""Every recording in ../shared/conformance/openai-responses, with values read from the files.

A recording added to the corpus without an entry here fails ``test_every_recording_is_checked``.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from modelport._errors import BadRequestError
from modelport._messages import Message
from modelport._request import Request
from modelport_openai_responses._decode import ITEMS_KEY

from ._helpers import (
    FAST,
    assemble,
    completed_event,
    feed_chunks,
    feed_whole,
    index_entry,
    provider,
    recording,
    recordings,
    requires_corpus,
    split_at,
)
from ._schema import validate_request_body

pytestmark = requires_corpus

# name -> (text, reasoning prefix, reasoning length, calls, usage (in, out, reasoning, cached),
#          stop reason, raw stop reason, model, response id)
EXPECTED: dict[str, dict[str, Any]] = {
    "responses-nonstream-text.json": {
        "text": "pong",
        "reasoning": None,
        "calls": [],
        "usage": (11, 5, 0, 0),
        "stop": ("stop", "completed"),
        "model": "gpt-5.5-2026-04-23",
        "id": "resp_08ddf351751647d60169fab1b8a7ac81a081b9e2400e87fb63",
        "replay": None,
    },
    "responses-nonstream-function-call.json": {
        "text": "",
        "reasoning": None,
        "calls": [("call_nJmCK7SJe3ajdYYplIbH0KgL", "multiply", '{"a":1231,"b":2331}')],
        "usage": (58, 23, 0, 0),
        "stop": ("tool_calls", "function_call"),
        "model": "gpt-5.5-2026-04-23",
        "id": "resp_05c01d5dceb461c50169fab1bb5ec08196b7e38f8207aae2dd",
        "replay": None,
    },
    "responses-nonstream-reasoning-empty-summary.json": {
        "text": "3",
        "reasoning": None,
        "calls": [],
        "usage": (11, 131, 64, 0),
        "stop": ("stop", "completed"),
        "model": "gpt-5-nano-2025-08-07",
        "id": "resp_01f7ba91862c63a00069cbcbe348a48190a5460340c4f07e8a",
        "replay": [
            ("reasoning", "rs_01f7ba91862c63a00069cbcbe37d34819082744104112ff8ef"),
            ("message", "msg_01f7ba91862c63a00069cbcbe4bf0c8190b58a67c072b3ea3a"),
        ],
    },
    "responses-nonstream-reasoning-summary.json": {
        "text_start": "The sky looks blue mainly because of a phenomenon called Rayleigh"
        " scattering.",
        "text_len": 1016,
        "reasoning_start": "**Explaining sky color**\n\nI should answer the question about why",
        "reasoning_parts": 5,
        "reasoning_len": 3286,
        "calls": [],
        "usage": (12, 841, 576, 0),
        "stop": ("stop", "completed"),
        "model": "gpt-5-nano-2025-08-07",
        "id": "resp_02ea2b198e17d9660069cbcbe620188197b717d8550cdad041",
        "replay": [
            ("reasoning", "rs_02ea2b198e17d9660069cbcbe68d608197bc7d0983123b280d"),
            ("message", None),
        ],
    },
    "responses-stream-text.sse": {
        "text": "pong",
        "reasoning": None,
        "calls": [],
        "usage": (11, 5, 0, 0),
        "stop": ("stop", "completed"),
        "model": "gpt-5.5-2026-04-23",
        "id": "resp_00592e63e61b66660169fab1b9f8e481a2b321356198d7ac1b",
        "replay": None,
    },
    "responses-stream-function-call.sse": {
        "text": "",
        "reasoning": None,
        "calls": [("call_sVidsfFJ6zlzRpelrPkTPlpd", "multiply", '{"a":1231,"b":2331}')],
        "usage": (58, 23, 0, 0),
        "stop": ("tool_calls", "function_call"),
        "model": "gpt-5.5-2026-04-23",
        "id": "resp_00d64fa806f333310169fab1be69d081a08f8285661855594c",
        "replay": None,
    },
    "responses-stream-reasoning-summary.sse": {
        "text": "The word \u201cstrawberry\u201d has 10 letters:\n\ns t r a w b e r r y\n\n"
        "The letter \u201cr\u201d appears 3 times.",
        "reasoning_start": '**Counting letters in "strawberry"**\n\nThe user wants to know',
        "reasoning_parts": 2,
        "reasoning_len": 763,
        "calls": [],
        "usage": (36, 518, 448, 0),
        "stop": ("stop", "completed"),
        "model": "o4-mini-2025-04-16",
        "id": "resp_06a874b3b87dc3ad006a624e85069881948c6d1a09696312f5",
        "replay": [
            ("reasoning", "rs_06a874b3b87dc3ad006a624e85f1988194b69e12b8073d5d9d"),
            ("message", "msg_06a874b3b87dc3ad006a624e8b49c481948af1d9f8ce0f7a82"),
        ],
    },
    "responses-stream-reasoning-text-function-call.sse": {
        "text": "I\u2019ll check the capital lookup tool for \u201cPotatoLand.\u201d",
        "reasoning": None,
        "calls": [("call_LabG58Uhrq9kZvR52BYKjToD", "get_capital", '{"country":"PotatoLand"}')],
        "usage": (63, 69, 26, 0),
        "stop": ("tool_calls", "function_call"),
        "model": "gpt-5.5-2026-04-23",
        "id": None,  # read from the file below
        "replay": [
            ("reasoning", "rs_0fabc13af1ee0049006a691dfe60b081a1baa444d3cf19afba"),
            ("message", "msg_0fabc13af1ee0049006a691dfebdc881a1ae18d027c313d8ce"),
            ("function_call", "fc_0fabc13af1ee0049006a691dff0c1481a1b4a0eec7e3c753bb"),
        ],
    },
}
ERRORS = {
    "error-400-invalid-temperature.json": ("decimal_below_min_value", "Invalid 'temperature'"),
    "error-400-reasoning-item-without-following-item.json": (
        "invalid_request_error",
        "Item 'rs_68c42de022c881948db7ed1cc2529f2e0202c9ad459e0d23' of type 'reasoning' was "
        "provided without its required following item.",
    ),
}


def test_every_recording_is_checked() -> None:
    assert set(recordings()) == set(EXPECTED) | set(ERRORS)


def _response(name: str) -> Any:
    data = recording(name).read_bytes()
    if name.endswith(".sse"):
        return assemble(feed_whole(data))
    return provider().parse_response(data, Request(model="m", messages=[Message.user("x")]))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_recording_values(name: str) -> None:
    exp = EXPECTED[name]
    r = _response(name)
    if "text" in exp:
        assert r.text == exp["text"]
    else:
        assert r.text.startswith(exp["text_start"]) and len(r.text) == exp["text_len"]
    if "reasoning_start" in exp:
        assert r.reasoning.startswith(exp["reasoning_start"])
        assert len(r.reasoning) == exp["reasoning_len"]
        # summary parts are joined with a blank line, streamed or not
        assert r.reasoning.count("\n\n**") == exp["reasoning_parts"] - 1
    else:
        assert r.reasoning == exp["reasoning"]
    assert [(c.id, c.name, c.arguments) for c in r.tool_calls] == exp["calls"]
    u = r.usage
    assert (u.input_tokens, u.output_tokens, u.reasoning_tokens, u.cached_tokens) == exp["usage"]
    assert (r.stop_reason, r.raw_stop_reason) == exp["stop"]
    assert r.model == exp["model"]
    if exp["id"] is not None:
        assert r.provider_metadata["response_id"] == exp["id"]
    else:
        assert r.provider_metadata["response_id"].startswith("resp_")
    items = r.provider_metadata.get(ITEMS_KEY)
    if exp["replay"] is None:
        assert items is None
    else:
        assert [(i["type"], i.get("id")) for i in items][: len(exp["replay"])] == [
            (t, i if i is not None else items[n]["id"]) for n, (t, i) in enumerate(exp["replay"])
        ]


def test_recorded_encrypted_reasoning_is_kept_verbatim() -> None:
    data = recording("responses-stream-reasoning-text-function-call.sse").read_bytes()
    final = completed_event(data)["output"][0]
    r = assemble(feed_whole(data))
    assert r.provider_metadata[ITEMS_KEY][0] == final
    assert final["encrypted_content"].startswith("gAAAAABqaR3_")


@pytest.mark.parametrize("name", sorted(n for n in EXPECTED if n.endswith(".sse")))
def test_streamed_equals_non_streamed(name: str) -> None:
    """The stream's deltas assemble into what the final response object says."""
    data = recording(name).read_bytes()
    streamed = assemble(feed_whole(data))
    body = json.dumps(completed_event(data)).encode()
    whole = provider().parse_response(body, Request(model="m", messages=[Message.user("x")]))
    for field in ("text", "reasoning", "refusal", "usage", "stop_reason", "raw_stop_reason"):
        assert getattr(streamed, field) == getattr(whole, field), field
    assert [c.model_dump() for c in streamed.tool_calls] == [
        c.model_dump() for c in whole.tool_calls
    ]
    assert streamed.provider_metadata == whole.provider_metadata


@pytest.mark.parametrize("name", sorted(n for n in EXPECTED if n.endswith(".sse")))
@FAST
@given(data=st.data())
def test_any_chunking_gives_the_same_deltas(name: str, data: st.DataObject) -> None:
    raw = recording(name).read_bytes()
    cuts = data.draw(st.lists(st.integers(1, len(raw) - 1), max_size=40))
    assert feed_chunks(split_at(raw, cuts)) == feed_whole(raw)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_round_trip_request_is_valid_openai_input(name: str) -> None:
    """The assistant turn of each recording, sent back, is a valid request the API accepts."""
    r = _response(name)
    history = [Message.user("q"), r.assistant_message()]
    history += [Message.tool(c.id, "42") for c in r.tool_calls]
    wire = provider().build_request(Request(model="m", messages=history))
    assert wire.body is not None
    validate_request_body(wire.body)
    items = wire.body["input"]
    recorded = r.provider_metadata.get(ITEMS_KEY)
    if recorded:
        # reasoning items go back unchanged, each followed by the item it produced
        assert items[1 : 1 + len(recorded)][0] == recorded[0]
        assert [i.get("id") for i in items[1 : 1 + len(recorded)]] == [i["id"] for i in recorded]
    calls = [i for i in items if i.get("type") == "function_call"]
    assert [(c["call_id"], c["arguments"]) for c in calls] == [
        (c.id, c.arguments) for c in r.tool_calls
    ]
    outputs = [i for i in items if i.get("type") == "function_call_output"]
    assert [o["call_id"] for o in outputs] == [c.id for c in r.tool_calls]


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_error_bodies(name: str) -> None:
    entry = index_entry(name)
    status = entry["http"]["status"]
    err = provider().parse_error(status, {"x-request-id": "req_1"}, recording(name).read_bytes())
    code, message = ERRORS[name]
    assert isinstance(err, BadRequestError) and type(err) is BadRequestError
    assert err.status == 400 and err.code == code and err.request_id == "req_1"
    assert err.provider == "openai-responses"
    assert err.provider_message is not None and err.provider_message.startswith(message)


def test_the_rejected_replay_shape_is_not_what_we_send() -> None:
    """The 400 recording replayed a reasoning item followed by a plain assistant message; an
    unedited turn from us keeps the recorded message item (with its id) after the reasoning."""
    r = _response("responses-nonstream-reasoning-summary.json")
    wire = provider().build_request(
        Request(model="m", messages=[Message.user("q"), r.assistant_message(), Message.user("?")])
    )
    assert wire.body is not None
    items = wire.body["input"]
    assert items[1]["type"] == "reasoning"
    assert items[2]["type"] == "message" and items[2]["id"].startswith("msg_")
