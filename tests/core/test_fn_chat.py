"""llm_chat as SimpleLLMFunc users write it: parameters bound by name, stream=True|False, the
whole history (tool calls and results included), a system message in the history, no tool
limit. Against the scripted OpenAI-compatible server on loopback; the model side answers from
the conversation each request carries, the tools are real functions run by the real loop."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from typing import Any

import modelport as mp
import pytest
from modelport.fn import AbortSignal, ChatReply, llm_chat
from modelport.testing import RecordedRequest, Reply, ScriptedServer

# -- the scripted model -------------------------------------------------------------------------

Script = Callable[[list[dict[str, Any]]], dict[str, Any]]


def say(text: str) -> dict[str, Any]:
    return {"role": "assistant", "content": text}


def call(name: str, arguments: dict[str, Any], call_id: str = "call_0") -> dict[str, Any]:
    return {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": call_id,
                "type": "function",
                "function": {"name": name, "arguments": json.dumps(arguments)},
            }
        ],
    }


def _whole(message: dict[str, Any]) -> Reply:
    finish = "tool_calls" if message.get("tool_calls") else "stop"
    return Reply.json(
        {
            "id": "c",
            "object": "chat.completion",
            "model": "m",
            "choices": [{"index": 0, "message": message, "finish_reason": finish}],
            "usage": {"prompt_tokens": 7, "completion_tokens": 3},
        }
    )


def _streamed(message: dict[str, Any]) -> Reply:
    base = {"id": "c", "object": "chat.completion.chunk", "model": "m"}
    chunks: list[dict[str, Any]] = []
    if message.get("content"):
        words = message["content"].split(" ")
        for i, word in enumerate(words):
            piece = word if i == len(words) - 1 else word + " "
            chunks.append({**base, "choices": [{"index": 0, "delta": {"content": piece}}]})
    for i, tc in enumerate(message.get("tool_calls") or []):
        args = tc["function"]["arguments"]
        first = {
            "index": i,
            "id": tc["id"],
            "type": "function",
            "function": {"name": tc["function"]["name"], "arguments": args[:2]},
        }
        rest = {"index": i, "function": {"arguments": args[2:]}}
        for part in (first, rest):
            chunks.append({**base, "choices": [{"index": 0, "delta": {"tool_calls": [part]}}]})
    finish = "tool_calls" if message.get("tool_calls") else "stop"
    chunks.append({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": finish}]})
    chunks.append({**base, "choices": [], "usage": {"prompt_tokens": 7, "completion_tokens": 3}})
    return Reply.sse([f"data: {json.dumps(c)}\n\n" for c in chunks] + ["data: [DONE]\n\n"])


def model(server: ScriptedServer, script: Script) -> None:
    """Every chat request is answered by ``script(messages)``, streamed or not as asked."""

    def handle(req: RecordedRequest) -> Reply:
        body = req.json()
        message = script(body["messages"])
        return _streamed(message) if body.get("stream") else _whole(message)

    server.route("POST", "/v1/chat/completions", handle)


def weather_then_answer(messages: list[dict[str, Any]]) -> dict[str, Any]:
    results = [m for m in messages if m["role"] == "tool"]
    if not results:
        return call("get_weather", {"city": "Paris"})
    return say(f"It is {json.loads(results[-1]['content'])['temp']} degrees.")


def get_weather(city: str) -> dict[str, Any]:
    """Current weather for a city."""
    return {"city": city, "temp": 21}


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    with ScriptedServer() as s:
        yield s


@pytest.fixture
def llm(server: ScriptedServer) -> Iterator[mp.LLM]:
    with mp.LLM("openai-chat:m", base_url=server.base_url, api_key="k", cache="never") as m:
        yield m


def sent(server: ScriptedServer, index: int = 0) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = server.requests[index].json()["messages"]
    return messages


# -- binding ------------------------------------------------------------------------------------


def test_message_first_and_history_with_a_default_as_in_the_seed(
    server: ScriptedServer, llm: mp.LLM
) -> None:
    @llm_chat(llm_interface=llm, stream=False)
    def chat(message: str, history: list[dict[str, Any]] | None = None) -> None:
        """You are terse."""

    model(server, lambda ms: say("Hi there"))
    text, history = chat("hello")
    assert text == "Hi there"
    assert history == [
        {"role": "user", "content": "hello"},
        {"role": "assistant", "content": "Hi there"},
    ]
    text, history = chat("again", history=history)
    assert [m["role"] for m in sent(server, 1)] == ["system", "user", "assistant", "user"]
    assert sent(server, 1)[0] == {"role": "system", "content": "You are terse."}
    assert len(history) == 4


def test_chat_history_by_keyword_and_in_any_position(server: ScriptedServer, llm: mp.LLM) -> None:
    @llm_chat(llm, stream=False)
    def chat(chat_history: list[Any], question: str) -> None:
        """Assistant."""

    model(server, lambda ms: say("ok"))
    past = [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}]
    _, h1 = chat(past, "q1")
    _, h2 = chat(question="q2", chat_history=past)
    assert h1[:2] == past and h2[:2] == past
    assert h1[2] == {"role": "user", "content": "q1"} and h2[2]["content"] == "q2"
    assert past == [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}]


def test_several_parameters_make_one_user_message(server: ScriptedServer, llm: mp.LLM) -> None:
    @llm_chat(llm, stream=False)
    def chat(history: list[Any], topic: str, words: int = 10, tone: str | None = None) -> None:
        """Write about the topic."""

    model(server, lambda ms: say("ok"))
    chat([], "cats", words=5)
    assert sent(server)[-1] == {"role": "user", "content": "topic: cats\nwords: 5"}


def test_a_system_message_in_the_history_replaces_the_docstring(
    server: ScriptedServer, llm: mp.LLM
) -> None:
    @llm_chat(llm, stream=False)
    def chat(history: list[Any], message: str) -> None:
        """The docstring prompt."""

    model(server, lambda ms: say("ok"))
    _, history = chat([{"role": "system", "content": "Talk like a pirate."}], "hi")
    assert [m for m in sent(server) if m["role"] == "system"] == [
        {"role": "system", "content": "Talk like a pirate."}
    ]
    assert history[0] == {"role": "system", "content": "Talk like a pirate."}


def test_bad_signatures_fail_at_decoration(llm: mp.LLM) -> None:
    with pytest.raises(mp.ConfigurationError, match="history"):

        @llm_chat(llm)
        def no_history(message: str) -> None:
            """x"""

    with pytest.raises(mp.ConfigurationError, match="message"):

        @llm_chat(llm)
        def no_message(history: list[Any]) -> None:
            """x"""

    with pytest.raises(mp.ConfigurationError, match="stream=True"):
        llm_chat(llm, stream=False, events=True)
    with pytest.raises(mp.ConfigurationError, match="once"):
        llm_chat(llm, llm_interface=llm)
    with pytest.raises(mp.ConfigurationError, match="needs an LLM"):
        llm_chat()


# -- stream=False -------------------------------------------------------------------------------


def test_whole_history_holds_tool_calls_and_results(server: ScriptedServer, llm: mp.LLM) -> None:
    @llm_chat(llm, stream=False, toolkit=[get_weather])
    def chat(message: str, history: list[Any] | None = None) -> None:
        """Weather bot."""

    model(server, weather_then_answer)
    text, history = chat("Weather in Paris?")
    assert text == "It is 21 degrees."
    assert [m["role"] for m in history] == ["user", "assistant", "tool", "assistant"]
    assistant, tool = history[1], history[2]
    assert assistant["tool_calls"] == [
        {
            "id": "call_0",
            "type": "function",
            "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
        }
    ]
    assert tool == {
        "role": "tool",
        "tool_call_id": "call_0",
        "name": "get_weather",
        "content": '{"city": "Paris", "temp": 21}',
    }
    # The history is valid input for the next turn: the server receives it as sent.
    model(server, lambda ms: say("You are welcome."))
    text, history = chat("thanks", history)
    roles = [m["role"] for m in sent(server, 2)]
    assert roles == ["system", "user", "assistant", "tool", "assistant", "user"]
    assert text == "You are welcome." and len(history) == 6


def test_async_whole_chat_is_awaitable_and_async_iterable(
    server: ScriptedServer, llm: mp.LLM
) -> None:
    @llm_chat(llm, stream=False)
    async def chat(message: str, history: list[Any] | None = None) -> None:
        """Assistant."""

    model(server, lambda ms: say("Hello you"))

    async def main() -> tuple[Any, list[Any]]:
        reply = chat("hi")
        assert isinstance(reply, ChatReply)
        awaited = await reply
        pairs = [pair async for pair in chat("hi", awaited[1])]
        return awaited, pairs

    (text, history), pairs = asyncio.run(main())
    assert text == "Hello you" and history[-1] == {"role": "assistant", "content": "Hello you"}
    assert len(pairs) == 1 and pairs[0][0] == "Hello you" and len(pairs[0][1]) == 4


def test_max_tool_calls_none_means_no_limit(server: ScriptedServer, llm: mp.LLM) -> None:
    """The core's default is 10 calls per request; None lets the model go on (here, 12)."""
    calls_made: list[int] = []

    def step(n: int) -> int:
        """One step."""
        calls_made.append(n)
        return n

    def script(messages: list[dict[str, Any]]) -> dict[str, Any]:
        done = len([m for m in messages if m["role"] == "tool"])
        if done < 12:
            return call("step", {"n": done}, call_id=f"call_{done}")
        return say("done")

    @llm_chat(llm, stream=False, tools=[step], max_tool_calls=None)
    def chat(history: list[Any], message: str) -> None:
        """Count."""

    model(server, script)
    text, history = chat([], "go")
    assert text == "done" and calls_made == list(range(12))
    assert [m["role"] for m in history].count("tool") == 12
    assert all("Error" not in m["content"] for m in history if m["role"] == "tool")


# -- stream=True --------------------------------------------------------------------------------


def test_streamed_pairs_end_with_the_whole_history(server: ScriptedServer, llm: mp.LLM) -> None:
    @llm_chat(llm, tools=[get_weather])
    def chat(message: str, history: list[Any] | None = None) -> None:
        """Weather bot."""

    model(server, weather_then_answer)
    pairs = list(chat("Weather?"))
    assert "".join(c for c, _ in pairs) == "It is 21 degrees."
    history = pairs[-1][1]
    assert [m["role"] for m in history] == ["user", "assistant", "tool", "assistant"]
    assert history[2]["content"] == '{"city": "Paris", "temp": 21}'
    # Each pair's history ends with the answer written so far.
    assert pairs[0][1][-1] == {"role": "assistant", "content": "It "}
    # The streamed history is the one a whole call returns.
    whole = llm_chat(llm, stream=False, tools=[get_weather])(chat.__wrapped__)
    assert whole("Weather?")[1] == history


def test_streamed_pairs_async(server: ScriptedServer, llm: mp.LLM) -> None:
    @llm_chat(llm, stream=True)
    async def chat(history: list[Any], message: str) -> None:
        """Assistant."""

    model(server, lambda ms: say("one two three"))

    async def main() -> list[tuple[str, list[Any]]]:
        return [pair async for pair in chat([], "count")]

    pairs = asyncio.run(main())
    assert [c for c, _ in pairs] == ["one ", "two ", "three"]
    assert pairs[-1][1][-1] == {"role": "assistant", "content": "one two three"}


def test_a_turn_without_text_still_ends_with_a_history_pair(
    server: ScriptedServer, llm: mp.LLM
) -> None:
    """tool_exec=False: the model's calls come back unexecuted; no chunk, one closing pair."""

    @llm_chat(llm, tools=[get_weather], tool_exec=False)
    def chat(history: list[Any], message: str) -> None:
        """Weather bot."""

    model(server, weather_then_answer)
    pairs = list(chat([], "Weather?"))
    assert len(pairs) == 1 and pairs[0][0] == ""
    assert pairs[0][1][-1]["tool_calls"][0]["function"]["name"] == "get_weather"


def test_abort_parameter_of_the_function_receives_the_signal(
    server: ScriptedServer, llm: mp.LLM
) -> None:
    @llm_chat(llm)
    def chat(history: list[Any], message: str, abort: AbortSignal | None = None) -> None:
        """Be long-winded."""

    model(server, lambda ms: say(" ".join(f"w{i}" for i in range(40))))
    signal = AbortSignal()
    seen = []
    history: list[Any] = []
    for chunk, so_far in chat([], "talk", signal):
        seen.append(chunk)
        history = so_far
        if len(seen) == 2:
            signal.abort("enough")
    assert seen[:2] == ["w0 ", "w1 "] and seen[-1] == ""
    assert history[-1] == {"role": "assistant", "content": "w0 w1 ", "interrupted": True}
    assert sent(server)[-1] == {"role": "user", "content": "talk"}  # not part of the message
    assert AbortSignal is mp.AbortSignal


def test_history_may_hold_messages_and_extra_keyword_parameters(
    server: ScriptedServer, llm: mp.LLM
) -> None:
    @llm_chat(llm, stream=False)
    def chat(history: list[Any], message: str, **context: Any) -> None:
        """Assistant."""

    model(server, lambda ms: say("ok"))
    past = [mp.Message.user("a"), mp.Message.assistant("b")]
    _, history = chat(past, "q", lang="fr")
    assert sent(server)[1:] == [
        {"role": "user", "content": "a"},
        {"role": "assistant", "content": "b"},
        {"role": "user", "content": "message: q\nlang: fr"},
    ]
    assert history[:2] == past and history[-1] == {"role": "assistant", "content": "ok"}
