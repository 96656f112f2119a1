"""Tools that return images (``_tools/_content``): what the tool message holds, and the exact
request each provider sends with it, through a real ``mp.LLM`` tool loop against scripted
servers on 127.0.0.1; then the real llama.cpp server, which parses the image where each API
puts it.

The image is a real PNG written by Pillow. The wire facts: Chat Completions tool messages
take text only (``ChatCompletionToolMessageParam.content`` is a string or text parts), so
openai-chat sends the text and then a user message with the images; a Responses
``function_call_output.output`` may be a list of ``input_text`` / ``input_image``; a Claude
``tool_result`` block's content may hold ``image`` blocks.
"""

from __future__ import annotations

import base64
import importlib.util
import io
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import modelport as mp
import pytest
from llama_peer import LlamaServer
from modelport._tools._content import has_images, tool_content
from modelport.fn import llm_chat
from modelport.provider import Message, ProviderSettings, Request
from modelport.testing import Reply, ScriptedServer
from modelport_lmstudio import LMStudioProvider
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 3), (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


PNG = _png()
PNG_URL = "data:image/png;base64," + base64.b64encode(PNG).decode()


def _by_path(name: str, relative: str) -> ModuleType:
    """A test helper module of another test folder (not importable from here by name)."""
    spec = importlib.util.spec_from_file_location(name, ROOT / relative)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _package_module(folder: str, module: str) -> ModuleType:
    """A module of a test package in another folder, loaded with its package, so that its
    relative imports (``from ._bedrock import ...``) resolve."""
    package = "_helpers_" + Path(folder).name
    if package not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            package, ROOT / folder / "__init__.py", submodule_search_locations=[str(ROOT / folder)]
        )
        assert spec is not None and spec.loader is not None
        loaded = importlib.util.module_from_spec(spec)
        sys.modules[package] = loaded
        spec.loader.exec_module(loaded)
    return importlib.import_module(f"{package}.{module}")


def chart(data: str) -> tuple[str, mp.ImagePart]:
    """Draw a chart.

    Args:
        data: CSV numbers.
    """
    return f"Chart of {data}", mp.ImagePart.from_bytes(PNG)


def photo(name: str) -> mp.ImagePart:
    """Take a photo.

    Args:
        name: What to photograph.
    """
    return mp.ImagePart.from_bytes(PNG, detail="low")


def weather(city: str) -> dict[str, Any]:
    """Weather for a city.

    Args:
        city: The city.
    """
    return {"city": city, "sky": "clear"}


# -- what the tool message holds ---------------------------------------------------------------


def test_values_without_images_stay_text() -> None:
    for value, text in [
        ("plain", "plain"),
        ({"a": 1}, '{"a": 1}'),
        (["x", 2], '["x", 2]'),
        ({"nested": [mp.TextPart(text="t")]}, None),
    ]:
        shown = tool_content(value)
        assert isinstance(shown, str)
        if text is not None:
            assert shown == text
    # an image nested inside a dict is not looked for: only the top level counts
    assert not has_images({"img": mp.ImagePart.from_bytes(PNG)})


def test_an_image_and_mixed_sequences_become_parts() -> None:
    image = mp.ImagePart.from_bytes(PNG)
    assert tool_content(image) == [image]
    parts = tool_content(("caption", image, {"n": 1}, mp.TextPart(text="end")))
    assert isinstance(parts, list)
    assert [type(p).__name__ for p in parts] == ["TextPart", "ImagePart", "TextPart", "TextPart"]
    assert [getattr(p, "text", None) for p in parts] == ["caption", None, '{"n": 1}', "end"]


# -- openai-chat: the text in the tool message, the images in a user message after the turn ----


def _chat_call(calls: list[tuple[str, str, str]]) -> dict[str, Any]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "model": "vision",
        "choices": [
            {
                "index": 0,
                "finish_reason": "tool_calls",
                "message": {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {"id": i, "type": "function", "function": {"name": n, "arguments": a}}
                        for i, n, a in calls
                    ],
                },
            }
        ],
        "usage": {"prompt_tokens": 5, "completion_tokens": 5, "total_tokens": 10},
    }


def _chat_text(text: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-2",
        "object": "chat.completion",
        "model": "vision",
        "choices": [
            {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": text}}
        ],
        "usage": {"prompt_tokens": 9, "completion_tokens": 3, "total_tokens": 12},
    }


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    with ScriptedServer() as s:
        yield s


@pytest.mark.parametrize("streamed", [False, True])
def test_openai_chat_sends_the_text_then_the_images(server: ScriptedServer, streamed: bool) -> None:
    server.add(
        Reply.json(
            _chat_call(
                [
                    ("call_a", "chart", '{"data": "1,2"}'),
                    ("call_b", "weather", '{"city": "Oslo"}'),
                    ("call_c", "photo", '{"name": "cat"}'),
                ]
            )
        ),
        Reply.json(_chat_text("Seen.")),
    )
    tools = [chart, weather, photo]
    with mp.LLM("openai-chat:vision", base_url=server.base_url, api_key="sk-t") as llm:
        if streamed:
            events = list(llm.stream("Look", tools=tools, cache="never"))
            r = next(e.content for e in events if e.type == "final")
            sent = [e.content for e in events if e.type == "tool_result"]
            assert any(isinstance(c, tuple) for c in sent)  # the tool's own value, unchanged
        else:
            r = llm.complete("Look", tools=tools, cache="never")
    assert r.text == "Seen."
    body = server.requests[1].json()
    _by_path("_chat_schema", "tests/plugins/openai_chat/_openai_schema.py").validate_request_body(
        body
    )
    assert body["messages"][2:] == [
        {
            "role": "tool",
            "tool_call_id": "call_a",
            "content": "Chart of 1,2\n[the image is in the next user message]",
        },
        {"role": "tool", "tool_call_id": "call_b", "content": '{"city": "Oslo", "sky": "clear"}'},
        {
            "role": "tool",
            "tool_call_id": "call_c",
            "content": "[the image is in the next user message]",
        },
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "Image(s) returned by the tool call chart (call_a):"},
                {"type": "image_url", "image_url": {"url": PNG_URL}},
                {"type": "text", "text": "Image(s) returned by the tool call photo (call_c):"},
                {"type": "image_url", "image_url": {"url": PNG_URL, "detail": "low"}},
            ],
        },
    ]
    # The Response's own history keeps the parts (the provider decides the wire form).
    tool_messages = [m for m in r.messages if m.role == "tool"]
    assert isinstance(tool_messages[0].content, list)
    assert isinstance(tool_messages[1].content, str)


def test_a_user_message_after_the_tool_turn_stays_after_the_images() -> None:
    messages = [
        Message.user("Look"),
        Message.assistant(None, tool_calls=[mp.ToolCall(id="c1", name="photo", arguments="{}")]),
        Message(role="tool", tool_call_id="c1", name="photo", content=tool_content(photo("x"))),
        Message.user("And now?"),
    ]
    provider = LMStudioProvider(ProviderSettings(model="vision"))  # openai-chat's encoder
    wire = provider.build_request(Request(model="vision", messages=messages))
    assert wire.body is not None
    roles = [(m["role"], type(m["content"]).__name__) for m in wire.body["messages"]]
    assert roles == [("user", "str"), ("assistant", "NoneType"), ("tool", "str"),
                     ("user", "list"), ("user", "str")]  # fmt: skip


def test_llm_chat_history_keeps_the_image_and_replays_it(server: ScriptedServer) -> None:
    server.add(
        Reply.json(_chat_call([("call_a", "chart", '{"data": "3"}')])),
        Reply.json(_chat_text("A chart.")),
        Reply.json(_chat_text("Still a chart.")),
    )
    llm = mp.LLM("openai-chat:vision", base_url=server.base_url, api_key="sk-t", cache="never")

    @llm_chat(llm, tools=[chart], stream=False)
    def chat(message: str, history: list[dict[str, Any]] | None = None) -> None:
        """You look at charts."""

    _, history = chat("Draw 3")
    tool = next(m for m in history if m["role"] == "tool")
    assert tool["content"] == [
        {"type": "text", "text": "Chart of 3"},
        {"type": "image_url", "image_url": {"url": PNG_URL}},
    ]
    text, _ = chat("Again?", history)  # the history is valid input for the next turn
    assert text == "Still a chart."
    replay = server.requests[2].json()["messages"]
    assert [m["role"] for m in replay] == ["system", "user", "assistant", "tool", "user",
                                           "assistant", "user"]  # fmt: skip
    assert replay[4]["content"][1] == {"type": "image_url", "image_url": {"url": PNG_URL}}
    llm.close()


def test_a_streamed_llm_chat_shows_the_image_in_the_history_as_it_goes(
    server: ScriptedServer,
) -> None:
    server.add(
        Reply.json(_chat_call([("call_a", "chart", '{"data": "4"}')])),
        Reply.json(_chat_text("A chart.")),
    )
    llm = mp.LLM("openai-chat:vision", base_url=server.base_url, api_key="sk-t", cache="never")

    @llm_chat(llm, tools=[chart], stream=True)
    def chat(message: str, history: list[dict[str, Any]] | None = None) -> None:
        """You look at charts."""

    pairs = list(chat("Draw 4"))
    first_chunk = next(h for c, h in pairs if c)  # the history while the answer streams
    tool = next(m for m in first_chunk if m["role"] == "tool")
    assert tool["content"][1] == {"type": "image_url", "image_url": {"url": PNG_URL}}
    assert "".join(c for c, _ in pairs) == "A chart."
    llm.close()


# -- openai-responses: function_call_output with input_image -----------------------------------


def multiply(a: int, b: int) -> list[Any]:
    """Multiply, and show the working.

    Args:
        a: First.
        b: Second.
    """
    return [f"{a * b}", mp.ImagePart.from_bytes(PNG)]


def test_openai_responses_sends_input_image_in_the_output(
    server: ScriptedServer, conformance: Path
) -> None:
    folder = conformance / "openai-responses"
    server.add(
        Reply.from_file(folder / "responses-nonstream-function-call.json"),
        Reply.from_file(folder / "responses-nonstream-text.json"),
    )
    with mp.LLM("openai-responses:gpt-test", base_url=server.base_url, api_key="sk-t") as llm:
        r = llm.complete("1231 * 2331?", tools=[multiply], cache="never")
    assert r.text
    body = server.requests[1].json()
    schema = _by_path("_responses_schema", "tests/plugins/openai_responses/_schema.py")
    schema.validate_request_body(body)
    (output,) = [i for i in body["input"] if i.get("type") == "function_call_output"]
    assert output == {
        "type": "function_call_output",
        "call_id": "call_nJmCK7SJe3ajdYYplIbH0KgL",
        "output": [
            {"type": "input_text", "text": "2869461"},
            {"type": "input_image", "image_url": PNG_URL, "detail": "auto"},
        ],
    }


# -- bedrock-claude: image blocks inside the tool_result ---------------------------------------


@pytest.fixture
def bedrock(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    helpers = _package_module("tests/plugins/bedrock_claude", "_bedrock")
    if not helpers.CORPUS.is_dir():
        pytest.skip("the Bedrock conformance files are missing")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", helpers.ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", helpers.SECRET_KEY)
    for var in ("AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(var, raising=False)
    with ScriptedServer() as s:
        endpoint = _package_module("tests/plugins/bedrock_claude", "_signed").SignedEndpoint(s)
        yield helpers, endpoint
        assert endpoint.problems == []


def test_bedrock_claude_sends_image_blocks_in_the_tool_result(bedrock: Any) -> None:
    helpers, endpoint = bedrock
    first = {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "model": "claude",
        "content": [{"type": "tool_use", "id": "toolu_1", "name": "chart", "input": {"data": "5"}}],
        "stop_reason": "tool_use",
        "stop_sequence": None,
        "usage": {"input_tokens": 20, "output_tokens": 10},
    }
    second = {
        **first,
        "id": "msg_2",
        "content": [{"type": "text", "text": "A red chart."}],
        "stop_reason": "end_turn",
    }
    endpoint.add(Reply.json(first), Reply.json(second))
    with mp.LLM(
        f"bedrock-claude:{helpers.MODEL}",
        base_url=endpoint.server.url,
        options={"region": "us-east-1"},
        cache="never",
    ) as llm:
        r = llm.complete("Chart 5", tools=[chart])
    assert r.text == "A red chart."
    results = endpoint.bodies[1]["messages"][2]
    assert results == {
        "role": "user",
        "content": [
            {
                "type": "tool_result",
                "tool_use_id": "toolu_1",
                "content": [
                    {"type": "text", "text": "Chart of 5"},
                    {
                        "type": "image",
                        "source": {
                            "type": "base64",
                            "media_type": "image/png",
                            "data": base64.b64encode(PNG).decode(),
                        },
                    },
                ],
            }
        ],
    }


# -- the real llama.cpp server ------------------------------------------------------------------

NOT_SUPPORTED = "image input is not supported"


@pytest.mark.peers
@pytest.mark.parametrize("provider", ["openai-chat", "openai-responses"])
def test_llama_reads_the_image_where_each_api_puts_it(
    llama_plain: LlamaServer, provider: str
) -> None:
    """The tiny model has no vision projector, so llama.cpp refuses images with this message,
    raised only after it parsed the request and found an image part in it: the image of the
    tool result sits where that API expects one. Without the image the same loop answers."""
    with mp.LLM(
        f"{provider}:tiny",
        base_url=llama_plain.base_url,
        temperature=0,
        max_tokens=200,
        retry=0,
        cache="never",
    ) as llm:
        with pytest.raises(mp.ModelRequestError) as caught:
            llm.complete("Draw 1,2", tools=[chart])
        assert NOT_SUPPORTED in str(caught.value)
        assert caught.value.status == 500
        r = llm.complete("Weather in Oslo?", tools=[weather])
    assert r.tool_results[0].content["sky"] == "clear"
    assert r.text == "Hello from tiny model."
