"""The provider without a server: URLs, options, authentication, model lists, streams."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from modelport._errors import ConfigurationError, LLMError, ProviderProtocolError
from modelport._messages import Message
from modelport._request import Request
from modelport.provider import (
    FinishDelta,
    MetaDelta,
    ProviderSettings,
    ReasoningDelta,
    TextDelta,
    UsageDelta,
    WireDelta,
)
from modelport_lmstudio import LMStudioProvider, parse_model_info
from modelport_lmstudio._native import stop_from_stats

from ._lmstudio import ANSWER, FAST, REASONING, corpus_json, provider, synth_stream

REQUEST = Request(
    model="qwen/qwen3-8b", messages=[Message(role="user", content="hi")], max_tokens=64
)


def make(
    base_url: str | None = None, api_key: str | None = None, **options: Any
) -> LMStudioProvider:
    return LMStudioProvider(
        ProviderSettings(model="qwen/qwen3-8b", base_url=base_url, api_key=api_key, options=options)
    )


@pytest.mark.parametrize(
    ("base_url", "chat", "native", "models"),
    [
        (
            None,
            "http://127.0.0.1:1234/v1/chat/completions",
            "http://127.0.0.1:1234/api/v0/chat/completions",
            "http://127.0.0.1:1234/api/v0/models",
        ),
        (
            "http://gpu-box:1234/v1/",
            "http://gpu-box:1234/v1/chat/completions",
            "http://gpu-box:1234/api/v0/chat/completions",
            "http://gpu-box:1234/api/v0/models",
        ),
        (
            "http://gpu-box:1234",  # LM Studio's /v1 is added to a bare host
            "http://gpu-box:1234/v1/chat/completions",
            "http://gpu-box:1234/api/v0/chat/completions",
            "http://gpu-box:1234/api/v0/models",
        ),
        (
            "https://proxy.example/lmstudio/v1",
            "https://proxy.example/lmstudio/v1/chat/completions",
            "https://proxy.example/lmstudio/api/v0/chat/completions",
            "https://proxy.example/lmstudio/api/v0/models",
        ),
    ],
)
def test_urls(base_url: str | None, chat: str, native: str, models: str) -> None:
    assert make(base_url).build_request(REQUEST).url == chat
    assert make(base_url, api="native").build_request(REQUEST).url == native
    wire = make(base_url).models_request()
    assert wire is not None and (wire.method, wire.url) == ("GET", models)


def test_models_api_option() -> None:
    v1 = make(models_api="v1").models_request()
    openai = make(models_api="openai").models_request()
    assert v1 is not None and v1.url == "http://127.0.0.1:1234/api/v1/models"
    assert openai is not None and openai.url == "http://127.0.0.1:1234/v1/models"


@pytest.mark.parametrize("options", [{"api": "v2"}, {"models_api": "v9"}])
def test_bad_options_are_configuration_errors(options: dict[str, Any]) -> None:
    with pytest.raises(ConfigurationError) as info:
        make(**options)
    assert info.value.provider == "lmstudio"


def test_body_is_openai_chat_with_max_tokens() -> None:
    for p in (make(), make(api="native")):
        wire = p.build_request(REQUEST)
        assert wire.method == "POST"
        assert wire.body == {
            "model": "qwen/qwen3-8b",
            "messages": [{"role": "user", "content": "hi"}],
            "max_tokens": 64,
        }
        assert wire.headers["Content-Type"] == "application/json"
    stream = make().build_request(REQUEST.model_copy(update={"stream": True}))
    assert stream.body is not None and stream.body["stream"] is True
    assert stream.headers["Accept"] == "text/event-stream"
    forced = make(max_tokens_field="max_completion_tokens").build_request(REQUEST)
    assert forced.body is not None and forced.body["max_completion_tokens"] == 64


def test_no_key_needed_and_a_given_key_is_a_bearer_token() -> None:
    anon = make()
    assert not anon.api_key_required()
    wire = anon.build_request(REQUEST)
    anon.authenticate(wire)
    assert "Authorization" not in wire.headers
    keyed = make(api_key="lms-token")
    wire = keyed.build_request(REQUEST)
    assert "Authorization" not in wire.headers  # credentials only after shaping
    keyed.authenticate(wire)
    assert wire.headers["Authorization"] == "Bearer lms-token"
    assert "lms-token" not in repr(wire)
    assert keyed.chat.settings.api_key is None  # the inner translator never holds the key


def test_class_attributes() -> None:
    assert LMStudioProvider.name == "lmstudio"
    assert LMStudioProvider.api_key_env == "LM_API_TOKEN"
    assert LMStudioProvider.default_base_url == "http://127.0.0.1:1234/v1"
    import modelport_lmstudio

    assert LMStudioProvider.version == modelport_lmstudio.__version__


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("eosFound", "stop"),
        ("stopStringFound", "stop"),
        ("toolCalls", "tool_calls"),
        ("maxPredictedTokensReached", "length"),
        ("contextLengthReached", "length"),
        ("modelUnloaded", "error"),
        ("failed", "error"),
        ("userStopped", "unknown"),
        ("somethingNew", "unknown"),
        (None, None),
        ("", None),
    ],
)
def test_stop_from_stats(raw: str | None, expected: str | None) -> None:
    assert stop_from_stats(raw) == expected


def test_parse_models_bare_list_and_bad_bodies() -> None:
    assert provider().parse_models(b'["a", {"id": "b"}, {"key": "c"}, {"nope": 1}, 3]') == [
        "a",
        "b",
        "c",
    ]
    with pytest.raises(ProviderProtocolError, match="not JSON"):
        provider().parse_models(b"<html>")
    assert parse_model_info({"data": []}) == []
    assert parse_model_info(corpus_json("real-api-v0-models.json"))[0].type == "embeddings"


# -- streams -------------------------------------------------------------------------------


def decode(chunks: list[bytes], **options: Any) -> list[WireDelta]:
    decoder = provider(model="qwen/qwen3-8b", **options).stream_decoder(REQUEST)
    out: list[WireDelta] = []
    for c in chunks:
        out.extend(decoder.feed(c))
    out.extend(decoder.close())
    return out


def summary(deltas: list[WireDelta]) -> dict[str, Any]:
    meta: dict[str, Any] = {}
    for d in deltas:
        if isinstance(d, MetaDelta) and d.metadata:
            meta.update(d.metadata)
    return {
        "reasoning": "".join(d.text for d in deltas if isinstance(d, ReasoningDelta)),
        "text": "".join(d.text for d in deltas if isinstance(d, TextDelta)),
        "finish": [d.reason for d in deltas if isinstance(d, FinishDelta)],
        "usage": [(d.input_tokens, d.output_tokens) for d in deltas if isinstance(d, UsageDelta)],
        "meta": meta,
    }


STATS = corpus_json("real-api-v0-chat-completions.json")["stats"]


def test_synthesized_stream_reasoning_and_text() -> None:
    s = summary(decode(synth_stream()))
    assert s == {
        "reasoning": "".join(REASONING),
        "text": "".join(ANSWER),
        "finish": ["stop"],
        "usage": [(12, 9)],
        "meta": {},
    }


def test_native_stream_carries_stats_and_falls_back_to_their_stop_reason() -> None:
    s = summary(decode(synth_stream(stats=STATS), api="native"))
    assert s["meta"] == {"stats": STATS} and s["finish"] == ["stop"]
    no_finish = synth_stream(
        finish=None, stats={**STATS, "stop_reason": "maxPredictedTokensReached"}
    )
    s = summary(decode(no_finish, api="native"))
    assert s["finish"] == ["length"] and s["text"] == "".join(ANSWER)
    # The OpenAI-compatible path does not look for stats.
    assert summary(decode(synth_stream(stats=STATS)))["meta"] == {}


def test_native_stream_given_as_a_json_body() -> None:
    """A server that ignores ``stream`` answers JSON; the native scan steps aside."""
    raw = json.dumps(corpus_json("real-api-v0-chat-completions.json")).encode()
    s = summary(decode([raw[:7], raw[7:]], api="native"))
    assert s["text"].startswith("Greetings, I'm a digital sprite")
    assert s["finish"] == ["stop"] and s["usage"] == [(14, 89)]


@FAST
@given(data=st.data(), native=st.booleans(), with_stats=st.booleans())
def test_any_chunking_gives_the_same_deltas(
    data: st.DataObject, native: bool, with_stats: bool
) -> None:
    events = synth_stream(stats=STATS if with_stats else None)
    whole = b"".join(events)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(whole)), max_size=12)))
    pieces = [whole[a:b] for a, b in zip([0, *cuts], [*cuts, len(whole)], strict=True)]
    options = {"api": "native"} if native else {}
    assert summary(decode(pieces, **options)) == summary(decode(events, **options))


@FAST
@given(raw=st.binary(max_size=300), native=st.booleans())
def test_garbage_never_hangs_or_passes_silently(raw: bytes, native: bool) -> None:
    options = {"api": "native"} if native else {}
    deltas: list[WireDelta] | None = None
    error: Exception | None = None
    try:
        deltas = decode([raw], **options)
    except Exception as exc:  # judged below: only a typed modelport error is acceptable
        error = exc
    if error is not None:
        assert isinstance(error, LLMError) and error.provider == "lmstudio"
    else:
        # Accepted input must have ended properly.
        assert deltas is not None
        assert any(isinstance(d, FinishDelta) for d in deltas) or b"[DONE]" in raw
