"""End to end against the real llama.cpp server with tiny deterministic models (../shared/peers).

What the models answer is documented in ../shared/peers/README.md: "Hello from tiny model.",
reasoning " Thinking quietly" for the think model, `length` at max_tokens 3, and so on.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

import modelport as mp
import pytest
from llama_peer import LlamaServer
from pydantic import BaseModel

pytestmark = pytest.mark.peers
ANSWER = "Hello from tiny model."


def llm(server: LlamaServer, **kw: object) -> mp.LLM:
    kw.setdefault("max_tokens", 64)
    return mp.LLM("openai-chat:tiny", base_url=server.base_url, temperature=0, **kw)  # type: ignore[arg-type]


def test_plain_text_and_usage(llama_plain: LlamaServer) -> None:
    with llm(llama_plain) as model:
        r = model.complete("Say hello.", system="You are terse.")
    assert r.text == ANSWER and r.reasoning is None
    assert r.stop_reason == "stop" and r.provider == "openai-chat"
    assert r.usage.input_tokens > 0 and r.usage.output_tokens > 0
    assert r.latency_s is not None and r.latency_s > 0


def test_streaming_matches_non_streaming(llama_plain: LlamaServer) -> None:
    with llm(llama_plain) as model:
        events = list(model.stream("Say hello."))
        whole = model.complete("Say hello.")  # reuses the pool after llama.cpp closed it
    answer = "".join(e.content for e in events if e.type == "answer")
    final = events[-2].content
    assert answer == final.text == whole.text == ANSWER
    assert [e.type for e in events[-2:]] == ["final", "done"]
    assert final.usage.output_tokens == whole.usage.output_tokens  # include_usage chunk
    assert sum(e.type == "answer" for e in events) > 1  # really streamed, token by token
    assert whole.attempts == 1


def test_length_and_stop_sequences(llama_plain: LlamaServer) -> None:
    with llm(llama_plain) as model:
        cut = model.complete("Say hello.", max_tokens=3)
        stopped = model.complete("Say hello.", stop=["model"])
        streamed_cut = list(model.stream("Say hello.", max_tokens=3))
    assert cut.stop_reason == "length" and ANSWER.startswith(cut.text)
    assert stopped.text == "Hello from tiny " and stopped.stop_reason == "stop"
    assert streamed_cut[-2].content.stop_reason == "length"


def test_reasoning_content_streamed_and_not(llama_think: LlamaServer) -> None:
    with llm(llama_think) as model:
        r = model.complete("Say hello.")
        events = list(model.stream("Say hello."))
    assert (r.text, r.reasoning) == (ANSWER, " Thinking quietly")
    reasoning = "".join(e.content for e in events if e.type == "reasoning")
    answer = "".join(e.content for e in events if e.type == "answer")
    assert (answer, reasoning) == (ANSWER, " Thinking quietly")


def test_async_paths_and_concurrency(llama_plain: LlamaServer) -> None:
    async def run() -> list[str]:
        async with llm(llama_plain) as model:
            texts = [
                r.text for r in await asyncio.gather(*(model.acomplete("hi") for _ in range(4)))
            ]
            async for ev in model.astream("hi"):
                if ev.type == "final":
                    texts.append(ev.content.text)
            return texts

    assert asyncio.run(run()) == [ANSWER] * 5


def test_models_listing(llama_plain: LlamaServer) -> None:
    with llm(llama_plain) as model:
        assert "tiny" in model.models()


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"}
    return subprocess.run(
        [sys.executable, "-m", "modelport", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def test_cli_prompt_streams(llama_think: LlamaServer) -> None:
    out = run_cli(
        "prompt",
        "Say hello.",
        "-m",
        "openai-chat:tiny",
        "--base-url",
        llama_think.base_url,
        "--max-tokens",
        "64",
        "--temperature",
        "0",
        "--show-reasoning",
        "--system",
        "Be brief.",
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout == ANSWER + "\n"
    assert "Thinking quietly" in out.stderr


def test_cli_no_stream_and_models(llama_plain: LlamaServer) -> None:
    out = run_cli(
        "prompt",
        "hi",
        "-m",
        "openai-chat:tiny",
        "--base-url",
        llama_plain.base_url,
        "--max-tokens",
        "64",
        "--no-stream",
        "--usage",
        "--no-cache",
    )
    assert out.returncode == 0 and out.stdout == ANSWER + "\n"
    assert "input=" in out.stderr
    listed = run_cli("models", "-m", "openai-chat", "--base-url", llama_plain.base_url)
    assert listed.returncode == 0 and "openai-chat:tiny" in listed.stdout


def test_cli_errors_are_one_line_not_tracebacks() -> None:
    from modelport.testing import free_port

    bad_spec = run_cli("prompt", "hi", "-m", "no-colon")
    assert bad_spec.returncode == 2 and "provider:model" in bad_spec.stderr
    assert "Traceback" not in bad_spec.stderr
    unknown = run_cli("prompt", "hi", "-m", "nope:model")
    assert unknown.returncode == 2 and "unknown provider 'nope'" in unknown.stderr
    down = run_cli(
        "prompt", "hi", "-m", "openai-chat:tiny", "--base-url", f"http://127.0.0.1:{free_port()}/v1"
    )
    assert down.returncode == 1 and "ProviderConnectionError" in down.stderr
    assert "Traceback" not in down.stderr
    no_key = run_cli("prompt", "hi", "-m", "openai-chat:gpt-4o-mini")
    assert no_key.returncode == 2 and "OPENAI_API_KEY" in no_key.stderr


def test_context_overflow_is_typed_in_api_and_cli(llama_plain: LlamaServer) -> None:
    long_prompt = "hello " * 6000  # the server runs with -c 4096
    with llm(llama_plain) as model, pytest.raises(mp.ContextWindowExceededError) as info:
        model.complete(long_prompt)
    assert info.value.status == 400 and "context" in (info.value.provider_message or "")
    out = run_cli(
        "prompt",
        long_prompt,
        "-m",
        "openai-chat:tiny",
        "--base-url",
        llama_plain.base_url,
        "--max-tokens",
        "5",
    )
    assert out.returncode == 1 and "ContextWindowExceededError" in out.stderr
    assert "Traceback" not in out.stderr


def test_raw_think_tags_and_reasoning_content_give_the_same_response(
    llama_think: LlamaServer,
) -> None:
    """Issue 4: reasoning as reasoning_content, and as raw <think> tags parsed client-side."""
    raw = {"reasoning_format": "none"}
    with llm(llama_think) as model:
        field = model.complete("Say hello.")
        tags = model.complete("Say hello.", extra_body=raw)
        field_events = list(model.stream("Say hello."))
        tag_events = list(model.stream("Say hello.", extra_body=raw))
    assert tags.raw["choices"][0]["message"]["content"].startswith("<think>")
    assert (
        (tags.text, tags.reasoning)
        == (field.text, field.reasoning)
        == (
            ANSWER,
            " Thinking quietly",
        )
    )
    for events in (field_events, tag_events):
        answer = "".join(e.content for e in events if e.type == "answer")
        reasoning = "".join(e.content for e in events if e.type == "reasoning")
        assert (answer, reasoning) == (ANSWER, " Thinking quietly")
        assert (events[-2].content.text, events[-2].content.reasoning) == (answer, reasoning)


def test_custom_token_and_disabling(llama_think: LlamaServer) -> None:
    from modelport.thinking import CustomThinkingToken

    raw = {"reasoning_format": "none"}
    with llm(llama_think, thinking=False) as model:
        assert model.complete("Say hello.", extra_body=raw).text.startswith("<think>")
    with llm(llama_think, thinking=CustomThinkingToken("<reason>", "</reason>")) as model:
        r = model.complete("Say hello.", extra_body=raw)  # built-ins still apply
    assert (r.text, r.reasoning) == (ANSWER, " Thinking quietly")
    with llm(llama_think, hide_thinking=True) as model:
        hidden = model.complete("Say hello.", extra_body=raw)
        events = list(model.stream("Say hello.", extra_body=raw))
    assert (hidden.text, hidden.reasoning) == (ANSWER, None)
    assert not [e for e in events if e.type == "reasoning"]
    assert events[-2].content.reasoning is None


def lookup_weather(city: str, days: int = 1) -> str:
    """Weather forecast for a city.

    Args:
        city: City name.
        days: Number of days.
    """
    return f"sunny in {city} for {days} day(s)"


@pytest.mark.parametrize("mode", ["sync", "stream", "async"])
def test_tool_loop_end_to_end(llama_plain: LlamaServer, mode: str) -> None:
    """The tiny model calls the tool with schema-valid arguments, then answers in text."""
    with llm(llama_plain, cache="never") as model:
        if mode == "sync":
            r = model.complete("Weather?", tools=[lookup_weather])
        elif mode == "stream":
            events = list(model.stream("Weather?", tools=[lookup_weather]))
            r = events[-2].content
            assert [e.type for e in events].count("tool_result") == 1
        else:
            r = asyncio.run(model.acomplete("Weather?", tools=[lookup_weather]))
    assert len(r.tool_calls) == 1 and r.tool_calls[0].name == "lookup_weather"
    assert r.tool_results[0].error is None
    assert r.tool_results[0].content.startswith("sunny in ")
    assert r.text == ANSWER and r.stop_reason == "stop"
    assert [m.role for m in r.messages] == ["assistant", "tool", "assistant"]


class Reply(BaseModel):
    answer: str
    n: int


def test_structured_output_end_to_end(llama_plain: LlamaServer) -> None:
    no_think = {"chat_template_kwargs": {"enable_thinking": False}}
    with llm(llama_plain, cache="never") as model:
        r = model.complete("Answer.", response_format=Reply, extra_body=no_think)
        streamed = list(model.stream("Answer.", response_format=Reply, extra_body=no_think))
    assert isinstance(r.structured, Reply) and r.structured.answer
    assert streamed[-2].content.structured == r.structured


def test_verbose_metrics_are_real(llama_think: LlamaServer) -> None:
    """Issue 4: token counts from usage (not chunk counts), TTFT, tokens/s over generation."""
    with llm(llama_think, cache="never", verbose=True) as model:
        events = list(model.stream("Say hello."))
        server_count = model.complete("Say hello.").usage.output_tokens
    verbose = next(e for e in events if e.type == "verbose").content
    final = events[-2].content
    assert verbose["output_tokens"] == final.usage.output_tokens == server_count > 0
    assert 0 < verbose["time_to_first_token_s"] <= final.latency_s
    assert verbose["tokens_per_second"] == final.tokens_per_second > 0
    assert final.time_to_first_token_s == verbose["time_to_first_token_s"]


def test_stdlib_transport_against_llama(llama_plain: LlamaServer) -> None:
    """The http.client transport: streaming, then a call on the connection llama.cpp closed."""
    with llm(llama_plain, cache="never", transport=mp.StdlibTransport()) as model:
        events = list(model.stream("Say hello."))
        whole = model.complete("Say hello.")
        again = model.complete("Say hello.", max_tokens=3)
    assert "".join(e.content for e in events if e.type == "answer") == ANSWER
    assert whole.text == ANSWER and whole.attempts == 1
    assert again.stop_reason == "length"


def test_fn_decorators_end_to_end(llama_think: LlamaServer) -> None:
    from modelport.fn import llm_chat, llm_function

    model = llm(llama_think, cache="never")

    @llm_function(model)
    def greet(name: str) -> str:
        """Say hello to {name}."""

    @llm_chat(model)
    def chat(history: list[object], message: str) -> None:
        """You are a tiny test model."""

    with model:
        assert greet("Ann") == ANSWER
        pairs = list(chat([], "hi"))
    assert "".join(c for c, _ in pairs) == ANSWER
    assert pairs[-1][1][-1] == {"role": "assistant", "content": ANSWER}


@pytest.mark.parametrize("mode", ["sync", "stream"])
def test_a_tool_call_cut_off_by_max_tokens_is_answered_not_replayed(
    llama_plain: LlamaServer, mode: str
) -> None:
    """With max_tokens=36 the tiny model's tool call stops at '{'. The loop answers it with an
    error tool result and replays the call with valid (empty) arguments: llama.cpp answers 500
    to a history whose tool-call arguments are not JSON."""
    with llm(llama_plain, cache="never") as model:
        if mode == "sync":
            r = model.complete("Weather?", tools=[lookup_weather], max_tokens=36)
        else:
            events = list(model.stream("Weather?", tools=[lookup_weather], max_tokens=36))
            r = next(e.content for e in events if e.type == "final")
            assert any(e.type == "tool_error" for e in events)
    assert r.tool_calls[0].arguments == "{"  # what the model sent stays visible
    assert r.tool_results[0].error is not None and "invalid JSON" in r.tool_results[0].error
    assert r.messages[0].tool_calls[0].arguments == "{}"  # what is replayed is valid JSON
    assert r.text == ANSWER


def test_count_tokens_uses_the_servers_tokenizer(llama_plain: LlamaServer) -> None:
    with llm(llama_plain) as model:
        short = model.count_tokens("Hi")
        longer = model.count_tokens("Hello there, how are you doing today? " * 5)
    assert not short.estimated and short.source == "provider"
    assert 0 < short.tokens < longer.tokens
