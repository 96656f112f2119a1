"""Every recording in ../shared/conformance/{openai-chat,openai-compat-servers,thinking}.

Expected values below were read from the recordings themselves (text, ids, arguments, token
counts, finish reasons). A recording added to the corpus without an entry here fails
``test_every_recording_has_expectations``, so nothing in the corpus goes unchecked.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from modelport._errors import (
    BadRequestError,
    ContextWindowExceededError,
    ModelNotFoundError,
    ProviderProtocolError,
    RateLimitError,
)
from modelport._messages import Message
from modelport._request import Request

from ._corpus import (
    CORPUS,
    FAST,
    assemble,
    corpus_file,
    feed_chunks,
    feed_whole,
    index_entry,
    is_byte_exact,
    provider,
    recordings,
    requires_corpus,
    split_at,
)

pytestmark = requires_corpus

REQUEST = Request(model="requested-model", messages=[Message.user("hi")])

# text / reasoning specs: an exact string, or (prefix, suffix, length) for long ones
TextSpec = str | tuple[str, str, int]


@dataclass
class Expect:
    text: TextSpec = ""
    reasoning: TextSpec = ""
    calls: list[tuple[str, str, str]] = field(default_factory=list)
    usage: tuple[int, int, int, int] | None = None  # input, output, reasoning, cached
    stop: str | None = "stop"
    raw_stop: str | None = "stop"
    model: str = ""
    response_id: str = ""
    refusal: str | None = None


NONSTREAMED: dict[str, Expect] = {
    "chat-nonstream-text.json": Expect(
        text="Why did the Opentelemetry developer go broke?\n\nBecause every time they tried to "
        "trace their expenses, they ended up with a 500 Internal Server Error!",
        usage=(15, 31, 0, 0),
        model="gpt-3.5-turbo-0125",
        response_id="chatcmpl-DPTBnLVEU6gLtntz301fthMFXeE4C",
    ),
    "chat-nonstream-text-legacy-2024.json": Expect(
        text="Why did Opentelemetry break up with Tracing? Because it couldn't handle the baggage!",
        usage=(15, 19, 0, 0),
        model="gpt-3.5-turbo-0125",
        response_id="chatcmpl-908MD9ivBBLb6EaIjlqwFokntayQK",
    ),
    "chat-nonstream-reasoning-tokens.json": Expect(
        text="3\n\nThere are three 'r' letters in \"strawberry\" (positions 3, 8, and 9).",
        usage=(11, 228, 192, 0),
        model="gpt-5-nano-2025-08-07",
        response_id="chatcmpl-C6DUm0Lah8z5kRsRhhtk97oh5ey0B",
    ),
    "chat-nonstream-cached-tokens.json": Expect(
        text=(
            "1. **Open-Source Library OpenLLMetry Brings LLM Fu",
            " previously deemed unsolvable.",
            1951,
        ),
        usage=(1149, 353, 0, 1024),
        model="gpt-4o-mini-2024-07-18",
        response_id="chatcmpl-BNi420iFNtIOHzy8Gq2fVS5utTus7",
    ),
    "chat-nonstream-tool-calls-parallel.json": Expect(
        calls=[
            (
                "call_rU416PaA6UFgxje2GemBVAwt",
                "get_current_weather",
                '{"location": "San Francisco"}',
            ),
            ("call_iqCZB6DkOW5TPjHK29vpiAFa", "get_current_weather", '{"location": "Boston"}'),
        ],
        usage=(70, 46, 0, 0),
        stop="tool_calls",
        raw_stop="tool_calls",
        model="gpt-3.5-turbo-0125",
        response_id="chatcmpl-DPTOrBCHCedndAglQ0w1ginYRg8my",
    ),
    "chat-structured-json-schema.json": Expect(
        text='{"joke":"Why did the developer bring Opentelemetry to the party? Because it knew '
        'how to trace all the fun!","rating":7}',
        usage=(83, 32, 0, 0),
        model="gpt-4.1-nano-2025-04-14",
        response_id="chatcmpl-DPTCnpK0L3UE9r5iW9lWjgzM2o6a3",
    ),
    "chat-structured-refusal.json": Expect(
        refusal="I'm very sorry, but I can't assist with that request.",
        usage=(65, 13, 0, 0),
        stop="refusal",
        raw_stop="stop",
        model="gpt-4o-2024-08-06",
        response_id="chatcmpl-DPTCcQvXw6Bqczqe9IyaFG0kdUBo0",
    ),
    "chat-nonstream-finish-length.json": Expect(
        text="This image depicts a series of smooth, undulating shapes that resemble dunes or",
        usage=(438, 16, 0, 0),
        stop="length",
        raw_stop="length",
        model="gpt-4-1106-vision-preview",
        response_id="chatcmpl-8wq4EsSXTQC0JbGzob3SBHg6pS7Tt",
    ),
    "llamacpp-chat-nonstream-timings.json": Expect(
        text="Hi! \U0001f60a  How can I help you today? \n",
        usage=(11, 14, 0, 0),
        model="gemma-2-2b-it-Q4_K_M",
        response_id="chatcmpl-xgtB09W0CAf7hbpo0k0RtvshoSMHRha1",
    ),
    "vllm-chat-nonstream.json": Expect(
        text=(
            "Why did the OpenTelemetry metric go to therapy?\n\nB",
            'anted to "release" its stress.',
            151,
        ),
        usage=(43, 36, 0, 0),
        model="meta-llama/Llama-3.2-1B-Instruct",
        response_id="chat-43f4347c3299481e9704ab77439fbdb8",
    ),
    "deepseek-reasoner-nonstream-reasoning-content.json": Expect(
        text=(
            "Crossing the street safely involves careful observ",
            "rt until you've fully crossed.",
            1568,
        ),
        reasoning=("Okay, the user is asking how to cross th", "", 1997),
        usage=(12, 789, 415, 0),
        model="deepseek-reasoner",
        response_id="181d9669-2b3a-445e-bd13-2ebff2c378f6",
    ),
    "cerebras-gpt-oss-120b-reasoning-field.json": Expect(
        text="4",
        reasoning='The user asks: "What is 2+2? Reply with just the number." So answer: "4". '
        "Should be just the number, no extra text.",
        usage=(80, 45, 34, 0),
        model="gpt-oss-120b",
        response_id="chatcmpl-38aef496-e471-49d5-a302-935a4387c86b",
    ),
    "groq-gpt-oss-120b-reasoning-field.json": Expect(
        text="4",
        reasoning=('The user asks: "What is 2+2? Reply with just the number."', "answer: 4.", 376),
        usage=(84, 105, 95, 0),
        model="openai/gpt-oss-120b",
        response_id="chatcmpl-8b82e2e1-4f3a-447e-b229-58eba0666160",
    ),
    # Inline <think> tags stay in the text: the core's thinking parser owns them.
    "groq-qwen3-32b-think-tags-nonstream.json": Expect(
        text=(
            "<think>\nOkay, let's see... The user is asking for ",
            "t any explanation.\n</think>\n\n4",
            720,
        ),
        usage=(21, 173, 0, 0),
        model="qwen/qwen3-32b",
        response_id="chatcmpl-48e23aac-1cab-4d4c-806f-b9493b71287e",
    ),
    "together-deepseek-r1-think-tags-nonstream.json": Expect(
        text=(
            '<think>\nHmm, the user just said "hello".',
            "</think>\nHello! \U0001f44b How can I help you today?",
            871,
        ),
        usage=(4, 197, 0, 0),
        model="deepseek-ai/DeepSeek-R1",
        response_id="oV1mmQk-28Eivz-9c4b14712ea45a45",
    ),
    "llamacpp-deepseek-r1-distill-reasoning-content.json": Expect(
        text=(
            "The angle between the hour and minute hands at 6:0",
            "180 degrees. \n\n**Answer:** 180",
            282,
        ),
        reasoning=(
            "Okay, so I have this problem where a clock shows 6:00",
            "So, the answer should be 180.",
            1051,
        ),
        usage=(63, 381, 0, 0),
        model="DeepSeek-R1-Distill-Qwen-1.5B-Q4_K_M",
        response_id="chatcmpl-apbKyhgpDWbByNkuUPEffVotX6P2aLsd",
    ),
    "llamacpp-deepseek-r1-distill-length-mid-reasoning.json": Expect(
        text="",
        reasoning="First, I need to determine the positions of both the hour and minute hands on",
        usage=(106, 16, 0, 0),
        stop="length",
        raw_stop="length",
        model="DeepSeek-R1-Distill-Qwen-1.5B-Q4_K_M",
        response_id="chatcmpl-oLECLLoHmQWFuKx1UDdWT6HUt51B1tsu",
    ),
}

STREAMED: dict[str, Expect] = {
    "chat-stream-text.sse": Expect(
        text="Why did the opentelemetry developer go broke? \n\nBecause they spent all their "
        "time tracking down bugs!",
        model="gpt-3.5-turbo-0125",
        response_id="chatcmpl-DPTC1rHeUCQ57Mrv1HvWByfPXivn9",
    ),
    "chat-stream-text-legacy-2024.sse": Expect(
        text="Why did the developer break up with Opentelemetry? Because it couldn't handle the "
        "baggage of all their tracing requests!",
        model="gpt-3.5-turbo-0125",
        response_id="chatcmpl-9AGW3t9akkLW9f5f93B7mOhiqhNMC",
    ),
    "chat-stream-text-include-usage.sse": Expect(
        text="The capital of the UK is London.",
        usage=(78, 9, 0, 0),
        model="gpt-4o-mini-2024-07-18",
        response_id="chatcmpl-Dx0Xq5Xx9rHB2ehcHZCRDsnuymUXc",
    ),
    "chat-stream-tool-call-include-usage.sse": Expect(
        calls=[("call_ZR5UUuTt3pf61kjwAJIYdVMj", "get_capital", '{"country":"UK"}')],
        usage=(53, 15, 0, 0),
        stop="tool_calls",
        raw_stop="tool_calls",
        model="gpt-4o-mini-2024-07-18",
        response_id="chatcmpl-Dx0XpqH8w09uBXwq1zFGYdETjtnEl",
    ),
    "chat-stream-tool-calls-parallel.sse": Expect(
        calls=[
            (
                "call_u0T52evs3Y0byXDiUv5Al8dG",
                "get_current_weather",
                '{"location": "San Francisco"}',
            ),
            ("call_iXfR9wmFaDTHUw5YaVxD1uFH", "get_current_weather", '{"location": "Boston"}'),
        ],
        stop="tool_calls",
        raw_stop="tool_calls",
        model="gpt-3.5-turbo-0125",
        response_id="chatcmpl-DPTOvF5JuGlXgYrrfyNsKaLXC8lPH",
    ),
    "chat-stream-tool-calls-parallel-legacy-2024.sse": Expect(
        calls=[
            (
                "call_cCPjAyfwTzboEKjVlqFrArNF",
                "get_current_weather",
                '{"location": "San Francisco"}',
            ),
            ("call_Zi4He1Ns0mozwT6f85nW1BOW", "get_current_weather", '{"location": "Boston"}'),
        ],
        stop="tool_calls",
        raw_stop="tool_calls",
        model="gpt-3.5-turbo-0125",
        response_id="chatcmpl-9g58noIjRkOeNNxfFsFfcNjhXlul7",
    ),
    "vllm-chat-stream-finish-length.sse": Expect(
        text="<|im_end|>doctor\n<|im_end|>supervisor\n<",
        stop="length",
        raw_stop="length",
        model="facebook/opt-125m",
        response_id="chat-22c24755532348e6b6ff75297b1a71b3",
    ),
    "deepseek-reasoner-stream-reasoning-content.sse": Expect(
        text="Hello there! \U0001f60a How can I help you today?",
        reasoning=(
            'Hmm, the user just said "Hello". It\'s a ',
            "further - and that's okay too.",
            882,
        ),
        usage=(6, 212, 198, 0),
        model="deepseek-reasoner",
        response_id="33be18fc-3842-486c-8c29-dd8e578f7f20",
    ),
    "openrouter-claude-stream-reasoning-and-details.sse": Expect(
        text="2 + 2 = 4",
        reasoning="This is a simple arithmetic question. 2+2 equals 4.",
        usage=(43, 36, 13, 0),
        model="anthropic/claude-sonnet-4.5",
        response_id="gen-1765226419-AGrwjunAftQIAgweibL8",
    ),
    "together-deepseek-r1-think-tags-stream.sse": Expect(
        text=(
            '<think>\nOkay, the user asked "How do I cross the s',
            "ime\u2014it could save your life! \U0001f31f",
            4002,
        ),
        usage=(10, 955, 0, 0),
        model="deepseek-ai/DeepSeek-R1",
        response_id="oV1nHvx-28Eivz-9c4b16f37c27e605",
    ),
    "zai-glm-stream-reasoning-content.sse": Expect(
        text="4",
        reasoning=(
            "\n1.  **Analyze the User's Request:** The",
            'aft the final response:** "4".',
            2173,
        ),
        usage=(13, 564, 561, 0),
        model="glm-4.7",
        response_id="202607010739425543ff9439144b2c",
    ),
}

# error bodies -> (class, code); the HTTP status comes from index.json (or the file name)
ERRORS: dict[str, tuple[type[Exception], str]] = {
    "error-400-invalid-image-url.json": (BadRequestError, "invalid_image_url"),
    "error-400-unsupported-value.json": (BadRequestError, "unsupported_value"),
    "error-404-model-not-found.json": (ModelNotFoundError, "model_not_found"),
    "error-400-context-length.from-issue.json": (
        ContextWindowExceededError,
        "context_length_exceeded",
    ),
}

PROSE = {"error-429-rate-limit.from-issues.txt"}
NOT_OPENAI_COMPATIBLE = {"ollama-native-chat-thinking.json"}

# Same request recorded streamed and non-streamed (separate samples: ids differ, calls match).
PAIRS = [
    ("chat-stream-tool-calls-parallel.sse", "chat-nonstream-tool-calls-parallel.json"),
    ("chat-stream-tool-calls-parallel-legacy-2024.sse", "chat-nonstream-tool-calls-parallel.json"),
]


def _find(name: str) -> Path:
    for folder in ("openai-chat", "openai-compat-servers", "thinking"):
        path = corpus_file(folder, name)
        if path.exists():
            return path
    raise FileNotFoundError(name)


def _check_text(actual: str, spec: TextSpec, what: str) -> None:
    if isinstance(spec, str):
        assert actual == spec, what
    else:
        prefix, suffix, length = spec
        assert actual.startswith(prefix), what
        assert actual.endswith(suffix), what
        assert len(actual) == length, what


def test_every_recording_has_expectations() -> None:
    names = {p.name for p in recordings("")}
    covered = set(NONSTREAMED) | set(STREAMED) | set(ERRORS) | PROSE | NOT_OPENAI_COMPATIBLE
    assert names - covered == set(), "new recordings need expectations in this file"
    assert covered - names == set(), f"expected recordings missing from {CORPUS}"


# -- non-streamed ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(NONSTREAMED))
def test_nonstreamed_recording(name: str) -> None:
    expect = NONSTREAMED[name]
    r = provider().parse_response(_find(name).read_bytes(), REQUEST)
    _check_text(r.text, expect.text, "text")
    _check_text(r.reasoning or "", expect.reasoning, "reasoning")
    assert [(c.id, c.name, c.arguments) for c in r.tool_calls] == expect.calls
    assert expect.usage is not None
    assert (
        r.usage.input_tokens,
        r.usage.output_tokens,
        r.usage.reasoning_tokens,
        r.usage.cached_tokens,
    ) == expect.usage
    assert (r.stop_reason, r.raw_stop_reason) == (expect.stop, expect.raw_stop)
    assert r.model == expect.model
    assert r.provider == "openai-chat"
    assert r.provider_metadata["response_id"] == expect.response_id
    assert r.refusal == expect.refusal
    assert r.raw == json.loads(_find(name).read_bytes())
    for call in r.tool_calls:
        assert isinstance(call.parsed_arguments(), dict)


@pytest.mark.parametrize("name", sorted(n for n in NONSTREAMED if is_byte_exact(_find(n))))
def test_byte_exact_bodies_agree_with_openai_types(name: str) -> None:
    from openai.types.chat import ChatCompletion

    body = _find(name).read_bytes()
    r = provider().parse_response(body, REQUEST)
    ref = ChatCompletion.model_validate(r.raw)
    message = ref.choices[0].message
    assert r.text == (message.content or "")
    assert r.refusal == message.refusal
    assert r.raw_stop_reason == ref.choices[0].finish_reason
    assert r.model == ref.model
    assert r.provider_metadata["response_id"] == ref.id
    assert [(c.id, c.name, c.arguments) for c in r.tool_calls] == [
        (c.id, c.function.name, c.function.arguments)  # type: ignore[union-attr]
        for c in message.tool_calls or []
    ]
    assert ref.usage is not None
    assert r.usage.input_tokens == ref.usage.prompt_tokens
    assert r.usage.output_tokens == ref.usage.completion_tokens
    details = ref.usage.prompt_tokens_details
    assert r.usage.cached_tokens == ((details.cached_tokens or 0) if details else 0)
    cdetails = ref.usage.completion_tokens_details
    assert r.usage.reasoning_tokens == ((cdetails.reasoning_tokens or 0) if cdetails else 0)


def test_ollama_native_body_is_rejected_not_misparsed() -> None:
    body = corpus_file("thinking", "ollama-native-chat-thinking.json").read_bytes()
    with pytest.raises(ProviderProtocolError, match="no choices"):
        provider().parse_response(body, REQUEST)
    with pytest.raises(ProviderProtocolError):
        feed_whole(body)  # the same body where a stream was expected


# -- errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_error_recording(name: str) -> None:
    path = _find(name)
    entry = index_entry(path)
    status = int(entry["http"]["status"]) if "http" in entry else int(name.split("-")[1])
    headers = {
        k.lower(): v[0] for k, v in entry.get("http", {}).get("response_headers", {}).items()
    }
    cls, code = ERRORS[name]
    body = path.read_bytes()
    err = provider().parse_error(status, headers, body)
    assert type(err) is cls
    assert err.status == status
    assert err.code == code
    assert err.provider == "openai-chat"
    assert err.provider_message == json.loads(body)["error"]["message"]
    assert err.request_id == headers.get("x-request-id")


def test_context_length_message_from_issue_is_recognized_without_the_code() -> None:
    # The later report (crewAI-examples#121) quoted the same message; the phrase alone suffices.
    body = json.loads(_find("error-400-context-length.from-issue.json").read_bytes())
    body["error"]["code"] = None
    err = provider().parse_error(400, {}, json.dumps(body).encode())
    assert isinstance(err, ContextWindowExceededError)


RATE_LIMIT_MESSAGES = [
    # (message as quoted in the issue, type, retry hint in seconds)
    (
        "Rate limit reached for gpt-4 in organization org-uVqpjtJiKqvVJMVfvpaounIh on tokens per "
        "min (TPM): Limit 10000, Used 8554, Requested 3082. Please try again in 9.816s. Visit "
        "https://platform.openai.com/account/rate-limits to learn more.",
        "tokens",
        9.816,
    ),
    (
        "Rate limit reached for gpt-4o in organization org-uOtiSEwvUnroadaOnJJquBEC on tokens per "
        "min (TPM): Limit 30000, Used 29937, Requested 385. Please try again in 644ms.",
        "tokens",
        0.644,
    ),
    (
        "Request too large for gpt-4o in organization org-78asdf87asdf9aaa8976 on tokens per min "
        "(TPM): Limit 30000, Requested 31538.",
        "tokens",
        None,
    ),
]


@pytest.mark.parametrize(("message", "kind", "hint"), RATE_LIMIT_MESSAGES)
def test_rate_limit_texts_from_issues(message: str, kind: str, hint: float | None) -> None:
    prose = _find("error-429-rate-limit.from-issues.txt").read_text()
    assert " ".join(message.split()) in " ".join(prose.split())  # quoted, not invented
    body = {
        "error": {"message": message, "type": kind, "param": None, "code": "rate_limit_exceeded"}
    }
    encoded = json.dumps(body).encode()

    err = provider().parse_error(429, {}, encoded)
    assert isinstance(err, RateLimitError)
    assert (err.status, err.code) == (429, "rate_limit_exceeded")
    assert err.retry_after == (pytest.approx(hint) if hint is not None else None)
    err = provider().parse_error(429, {"retry-after": "3"}, encoded)
    assert isinstance(err, RateLimitError)
    assert err.retry_after == pytest.approx(3.0)

    # The same object mid-stream: no HTTP status, same class.
    with pytest.raises(RateLimitError) as info:
        feed_whole(b"data: " + encoded + b"\n\n")
    assert info.value.status is None


# -- streamed --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(STREAMED))
def test_streamed_recording(name: str) -> None:
    expect = STREAMED[name]
    deltas = feed_whole(_find(name).read_bytes())
    a = assemble(deltas)
    _check_text(a.text, expect.text, "text")
    _check_text(a.reasoning, expect.reasoning, "reasoning")
    assert [(c["id"], c["name"], c["arguments"]) for c in a.tool_calls] == expect.calls
    if expect.usage is None:
        assert a.usage is None
    else:
        assert a.usage is not None
        assert (
            a.usage.input_tokens,
            a.usage.output_tokens,
            a.usage.reasoning_tokens,
            a.usage.cached_tokens,
        ) == expect.usage
    assert a.finish == [expect.raw_stop]
    assert (a.model, a.response_id) == (expect.model, expect.response_id)
    assert a.metas == 1
    assert a.refusal == ""
    for call in a.tool_calls:
        assert isinstance(json.loads(call["arguments"]), dict)


def test_openrouter_signature_arrives_once() -> None:
    a = assemble(
        feed_whole(_find("openrouter-claude-stream-reasoning-and-details.sse").read_bytes())
    )
    assert len(a.signatures) == 1
    assert a.signatures[0].startswith("Et0BCkgIChACGAIqQA2s7h7tA7IG35fbwVkou9PM2hANVJNU")
    assert a.signatures[0].endswith("sqQC0uAEUZy0GX0Rq1AXjvIcYAQ==")


@pytest.mark.parametrize("name", sorted(STREAMED))
def test_streamed_recording_agrees_with_openai_chunk_types(name: str) -> None:
    """An independent accumulation through openai's ChatCompletionChunk gives the same result."""
    from openai.types.chat import ChatCompletionChunk

    text, reasoning = [], []
    calls: dict[int, dict[str, str]] = {}
    finish: list[str] = []
    for line in _find(name).read_bytes().decode().splitlines():
        if not line.startswith("data: ") or line == "data: [DONE]":
            continue
        raw = json.loads(line[len("data: ") :])
        ref = ChatCompletionChunk.model_validate(raw)
        for choice, raw_choice in zip(ref.choices, raw["choices"], strict=True):
            delta = choice.delta
            text.append(delta.content or "")
            raw_delta = raw_choice.get("delta") or {}
            reasoning.append(raw_delta.get("reasoning_content") or raw_delta.get("reasoning") or "")
            for tc in delta.tool_calls or []:
                slot = calls.setdefault(tc.index, {"id": "", "name": "", "arguments": ""})
                slot["id"] = slot["id"] or (tc.id or "")
                if tc.function is not None:
                    slot["name"] = slot["name"] or (tc.function.name or "")
                    slot["arguments"] += tc.function.arguments or ""
            if choice.finish_reason:
                finish.append(choice.finish_reason)
    a = assemble(feed_whole(_find(name).read_bytes()))
    assert a.text == "".join(text)
    assert a.reasoning == "".join(reasoning)
    assert [(c["id"], c["name"], c["arguments"]) for c in a.tool_calls] == [
        (c["id"], c["name"], c["arguments"]) for _, c in sorted(calls.items())
    ]
    assert a.finish == finish


@pytest.mark.parametrize(("streamed", "nonstreamed"), PAIRS)
def test_streamed_equals_nonstreamed(streamed: str, nonstreamed: str) -> None:
    a = assemble(feed_whole(_find(streamed).read_bytes()))
    r = provider().parse_response(_find(nonstreamed).read_bytes(), REQUEST)
    assert [(c["name"], c["arguments"]) for c in a.tool_calls] == [
        (c.name, c.arguments) for c in r.tool_calls
    ]
    assert a.text == r.text
    assert a.finish == [r.raw_stop_reason]


# -- any chunking of every recorded stream ---------------------------------------------------

SSE_FILES = sorted(STREAMED)
_WHOLE: dict[str, list[Any]] = {}


def _whole(name: str) -> list[Any]:
    if name not in _WHOLE:
        _WHOLE[name] = feed_whole(_find(name).read_bytes())
    return _WHOLE[name]


@pytest.mark.parametrize("name", SSE_FILES)
def test_one_byte_at_a_time(name: str) -> None:
    data = _find(name).read_bytes()
    assert feed_chunks(data[i : i + 1] for i in range(len(data))) == _whole(name)


@pytest.mark.parametrize("name", SSE_FILES)
@FAST
@given(data=st.data())
def test_any_chunking_gives_the_same_deltas(name: str, data: st.DataObject) -> None:
    body = _find(name).read_bytes()
    cuts = data.draw(st.lists(st.integers(0, len(body)), max_size=40), label="cuts")
    assert feed_chunks(split_at(body, cuts)) == _whole(name)


@pytest.mark.parametrize("name", SSE_FILES)
def test_crlf_line_endings_give_the_same_deltas(name: str) -> None:
    body = _find(name).read_bytes().replace(b"\n", b"\r\n")
    assert feed_whole(body) == _whole(name)
    # A CR at the end of one chunk and its LF at the start of the next.
    cut = body.index(b"\r\n") + 1
    assert feed_chunks([body[:cut], body[cut:]]) == _whole(name)


@pytest.mark.parametrize("name", SSE_FILES)
def test_recorded_stream_cut_before_its_end_is_an_error(name: str) -> None:
    body = _find(name).read_bytes()
    # Cut just before the finish_reason chunk: neither [DONE] nor a finish reason was seen.
    cut = body.rfind(
        b"data: ",
        0,
        body.find(b'"finish_reason":"')
        if b'"finish_reason":"' in body
        else body.find(b'"finish_reason": "'),
    )
    assert cut > 0
    with pytest.raises(ProviderProtocolError, match="ended before the response was complete"):
        feed_whole(body[:cut])
