"""Provider limit headers: the parsers (edge cases and properties: any text, never a crash),
the limiter's reaction (a budget at zero pauses until its reset; a 429 drains the buckets),
and real calls against a scripted server that sends OpenAI's headers."""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path
from typing import Any

import modelport as mp
import pytest
from hypothesis import given
from hypothesis import strategies as st
from modelport._limits import Limiter
from modelport._limits._headers import parse_duration, parse_remaining, parse_reset
from modelport.provider import LimitHeaders, LimitReading, read_limit_headers
from modelport.testing import RecordedRequest, Reply, ScriptedServer
from modelport_openai_chat import OpenAIChatProvider

ROOT = Path(__file__).resolve().parents[2]

OPENAI = OpenAIChatProvider.limit_headers
assert OPENAI is not None


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


# -- parsers -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("6m0s", 360.0),
        ("1s", 1.0),
        ("20ms", 0.02),
        ("0s", 0.0),
        ("1h2m3.5s", 3723.5),
        ("2.5s", 2.5),
        ("500us", 0.0005),
        ("1.5", 1.5),
        (" 12ms ", 0.012),
    ],
)
def test_durations_as_openai_writes_them(text: str, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize(
    "text", ["", "soon", "6m0", "-1s", "1s2", "s", "1x", "nan", "inf", "1e400", "m1s", "9999h"]
)
def test_bad_durations_are_none(text: str) -> None:
    assert parse_duration(text) is None


@pytest.mark.parametrize(
    ("text", "value"), [("0", 0), ("499", 499), ("149998385", 149998385), (" 7 ", 7)]
)
def test_remaining_counts(text: str, value: int) -> None:
    assert parse_remaining(text) == value


@pytest.mark.parametrize("text", ["", "-1", "1.5", "many", "²", "9" * 40])
def test_bad_remaining_counts_are_none(text: str) -> None:
    assert parse_remaining(text) is None


def test_rfc3339_resets_count_from_the_servers_date() -> None:
    headers = {"date": "Sat, 15 Mar 2025 08:58:00 GMT"}  # whatever our own clock says
    assert parse_reset("2025-03-15T08:58:28Z", "rfc3339", headers) == pytest.approx(28.0)
    assert parse_reset("2025-03-15T08:57:00Z", "rfc3339", headers) == 0.0  # already past
    assert parse_reset("2025-03-15T08:58:28", "rfc3339", headers) is None  # no zone: unknown
    assert parse_reset("tomorrow", "rfc3339", headers) is None
    assert parse_reset("2099-01-01T00:00:00Z", "rfc3339", headers) is None  # not believed
    assert parse_reset("2.5", "seconds", headers) == 2.5
    assert parse_reset("-2", "seconds", headers) is None


_units = st.sampled_from(["h", "m", "s", "ms", "us"])
_scale = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 1e-3, "us": 1e-6}


@given(st.lists(st.tuples(st.integers(0, 20), _units), min_size=1, max_size=4))
def test_any_sum_of_parts_is_read_exactly(parts: list[tuple[int, str]]) -> None:
    text = "".join(f"{n}{unit}" for n, unit in parts)
    total = sum(n * _scale[u] for n, u in parts)
    if total <= 86_400:
        assert parse_duration(text) == pytest.approx(total)
    else:  # a reset further off than a day is not believed
        assert parse_duration(text) is None


@given(st.text(max_size=40))
def test_no_text_crashes_the_duration_parser(text: str) -> None:
    result = parse_duration(text)
    assert result is None or 0.0 <= result <= 86_400.0


_names = st.sampled_from(
    [
        "x-ratelimit-remaining-requests",
        "x-ratelimit-remaining-tokens",
        "x-ratelimit-reset-requests",
        "x-ratelimit-reset-tokens",
        "date",
        "other",
    ]
)


@given(st.dictionaries(_names, st.text(max_size=30)), st.sampled_from(["duration", "rfc3339"]))
def test_no_header_values_crash_the_reader(headers: dict[str, str], form: Any) -> None:
    spec = LimitHeaders(
        remaining_requests="x-ratelimit-remaining-requests",
        remaining_tokens="x-ratelimit-remaining-tokens",
        reset_requests="x-ratelimit-reset-requests",
        reset_tokens="x-ratelimit-reset-tokens",
        reset_format=form,
    )
    reading = read_limit_headers(spec, headers)
    if reading is not None:
        assert reading.remaining_requests is not None or reading.remaining_tokens is not None
        for reset in (reading.reset_requests_s, reading.reset_tokens_s):
            assert reset is None or 0.0 <= reset <= 86_400.0


def test_openai_chat_reads_its_recorded_headers() -> None:
    provider = OpenAIChatProvider(mp.provider.ProviderSettings(model="gpt-4o-mini"))
    headers = {  # as recorded (../shared/conformance/openai-chat/index.json)
        "x-ratelimit-limit-requests": "30000",
        "x-ratelimit-remaining-requests": "29999",
        "x-ratelimit-remaining-tokens": "149999990",
        "x-ratelimit-reset-requests": "2ms",
        "x-ratelimit-reset-tokens": "0s",
    }
    assert provider.read_limit_headers(headers) == LimitReading(29999, 149999990, 0.002, 0.0)
    assert provider.read_limit_headers({"content-type": "application/json"}) is None


def test_the_anthropic_example_reads_its_recorded_headers() -> None:
    sys.path.insert(0, str(ROOT / "examples" / "anthropic-messages-plugin" / "src"))
    try:
        from modelport_anthropic_messages._provider import AnthropicMessagesProvider
    finally:
        sys.path.pop(0)
    provider = AnthropicMessagesProvider(mp.provider.ProviderSettings(model="claude"))
    headers = {  # as recorded, with the answer's Date
        "date": "Sat, 15 Mar 2025 08:58:27 GMT",
        "anthropic-ratelimit-requests-remaining": "0",
        "anthropic-ratelimit-requests-reset": "2025-03-15T08:58:28Z",
        "anthropic-ratelimit-tokens-remaining": "185000",
        "anthropic-ratelimit-tokens-reset": "2025-03-15T08:58:28Z",
    }
    reading = provider.read_limit_headers(headers)
    assert reading == LimitReading(0, 185000, 1.0, 1.0)
    assert reading is not None and reading.exhausted() == 1.0


# -- the limiter's reaction --------------------------------------------------------------------


def test_a_budget_at_zero_pauses_until_its_reset() -> None:
    clock = Clock()
    limiter = Limiter(mp.Limits(max_concurrency=10), clock=clock)
    limiter.observe(LimitReading(remaining_requests=0, reset_requests_s=2.0))
    t = limiter.enqueue(1, lambda: None)
    assert not t.granted and limiter.poll(t) == pytest.approx(2.0)
    clock.now += 2.0
    assert limiter.poll(t) == 0.0


def test_what_is_left_caps_the_bucket() -> None:
    clock = Clock()
    limiter = Limiter(mp.Limits(tokens_per_minute=6000), clock=clock)  # 100 a second
    limiter.observe(LimitReading(remaining_tokens=50, reset_tokens_s=1.0))  # others used it
    t = limiter.enqueue(400, lambda: None)
    assert not t.granted and limiter.poll(t) == pytest.approx(3.5)  # 350 missing at 100/s


def test_a_reading_with_budget_left_changes_nothing() -> None:
    limiter = Limiter(mp.Limits(requests_per_minute=60), clock=Clock())
    limiter.observe(LimitReading(remaining_requests=500, reset_requests_s=5.0))
    assert limiter.enqueue(1, lambda: None).granted


def test_after_a_429_the_budget_resumes_at_its_rate_not_in_a_burst() -> None:
    clock = Clock()
    limiter = Limiter(mp.Limits(requests_per_minute=60), clock=clock)  # one a second
    limiter.pause(2.0)  # what a 429 with Retry-After: 2 does
    clock.now += 2.0
    a = limiter.enqueue(1, lambda: None)
    assert not a.granted and limiter.poll(a) == pytest.approx(1.0)  # empty: refill first


# -- real calls --------------------------------------------------------------------------------


def completion(headers: dict[str, str] | None = None) -> Reply:
    body = {
        "id": "c",
        "object": "chat.completion",
        "model": "m",
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": "ok"}, "finish_reason": "stop"}
        ],
        "usage": {"prompt_tokens": 5, "completion_tokens": 1},
    }
    return Reply.json(body, headers=headers)


def test_a_server_at_zero_is_waited_for_before_the_next_request() -> None:
    exhausted = {"x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "400ms"}
    seen: list[float] = []

    def handler(request: RecordedRequest) -> Reply:
        seen.append(time.monotonic())
        return completion(exhausted if len(seen) == 1 else None)

    events: list[mp.ProgressEvent] = []
    with ScriptedServer() as server:
        server.route("POST", "/v1/chat/completions", handler)
        with mp.LLM(
            "openai-chat:headers-zero",
            base_url=server.base_url,
            api_key="sk-x",
            cache="never",
            limits=mp.Limits(max_concurrency=4),
            on_progress=events.append,
        ) as llm:
            llm.complete("first")
            llm.complete("second")
    assert len(seen) == 2
    assert seen[1] - seen[0] >= 0.39  # the limiter held it back until the reset
    queued = [e for e in events if e.kind == "queued"]
    assert len(queued) == 1  # the second call waited (from the headers' arrival, not its own)


def test_bad_header_values_are_ignored() -> None:
    junk = {
        "x-ratelimit-remaining-requests": "lots",
        "x-ratelimit-reset-requests": "soon",
        "x-ratelimit-remaining-tokens": "-5",
        "x-ratelimit-reset-tokens": "1y",
    }
    with ScriptedServer() as server:
        server.route("POST", "/v1/chat/completions", completion(junk))
        with mp.LLM(
            "openai-chat:headers-junk",
            base_url=server.base_url,
            api_key="sk-x",
            cache="never",
            limits=mp.Limits(max_concurrency=1),
        ) as llm:
            assert [llm.complete(f"q{i}").text for i in range(3)] == ["ok"] * 3
            limiter = llm._engine.setup.limiter
            assert limiter is not None and limiter.active == 0


def test_with_a_key_pool_the_exhausted_key_cools_down() -> None:
    exhausted = {"x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "30s"}
    lock = threading.Lock()
    keys_seen: list[str] = []

    def handler(request: RecordedRequest) -> Reply:
        with lock:
            keys_seen.append(request.headers["authorization"])
            first = len(keys_seen) == 1
        return completion(exhausted if first else None)

    with ScriptedServer() as server:
        server.route("POST", "/v1/chat/completions", handler)
        pool = mp.KeyPool(["sk-first", "sk-second"])
        with mp.LLM(
            "openai-chat:headers-pool",
            base_url=server.base_url,
            api_key=pool,
            cache="never",
        ) as llm:
            for i in range(3):
                llm.complete(f"q{i}")
    assert keys_seen == ["Bearer sk-first", "Bearer sk-second", "Bearer sk-second"]


def test_an_anthropic_reset_moment_is_waited_for_on_the_servers_clock() -> None:
    """The example plugin's headers, over a real socket: the reset is one second after the
    response's ``Date``, whatever our own clock says."""
    from email.utils import formatdate

    from modelport.plugins import PluginHost

    sys.path.insert(0, str(ROOT / "examples" / "anthropic-messages-plugin" / "src"))
    try:
        import modelport_anthropic_messages.plugin as entry_point
    finally:
        sys.path.pop(0)
    host = PluginHost(entry_points=False)
    host.register(entry_point, name="anthropic-messages")
    seen: list[float] = []

    def handler(request: RecordedRequest) -> Reply:
        seen.append(time.monotonic())
        now = int(time.time())
        reset = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now + 1))
        headers = {
            "date": formatdate(now, usegmt=True),
            "anthropic-ratelimit-requests-remaining": "0" if len(seen) == 1 else "99",
            "anthropic-ratelimit-requests-reset": reset,
        }
        body = {
            "id": "msg_1",
            "type": "message",
            "role": "assistant",
            "model": "claude",
            "content": [{"type": "text", "text": "ok"}],
            "stop_reason": "end_turn",
            "usage": {"input_tokens": 5, "output_tokens": 1},
        }
        return Reply.json(body, headers=headers)

    with ScriptedServer() as server:
        server.route("POST", "/v1/messages", handler)
        with mp.LLM(
            "anthropic-messages:claude",
            base_url=server.base_url,
            api_key="sk-ant-x",
            plugins=host,
            cache="never",
            max_tokens=16,
            limits=mp.Limits(max_concurrency=2),
        ) as llm:
            assert llm.complete("first").text == "ok"
            assert llm.complete("second").text == "ok"
    assert len(seen) == 2 and seen[1] - seen[0] >= 0.9
