"""``llm_function`` arguments that are images (SimpleLLMFunc's ``ImgPath`` / ``ImgUrl``
parameters): the exact request, through a real call against a scripted server on 127.0.0.1."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

import modelport as mp
import pytest
from modelport.fn import llm_function
from modelport.testing import Reply, ScriptedServer
from PIL import Image


def _png(color: str) -> mp.ImagePart:
    out = io.BytesIO()
    Image.new("RGB", (2, 2), color).save(out, format="PNG")
    return mp.ImagePart.from_bytes(out.getvalue())


ANSWER = {
    "id": "c",
    "object": "chat.completion",
    "model": "m",
    "choices": [
        {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": "ok"}}
    ],
    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
}


@pytest.fixture
def llm() -> Iterator[tuple[mp.LLM, ScriptedServer]]:
    with (
        ScriptedServer() as server,
        mp.LLM("openai-chat:m", base_url=server.base_url, api_key="sk-t", cache="never") as model,
    ):
        yield model, server


def test_images_follow_the_prompt_with_their_labels(llm: tuple[mp.LLM, ScriptedServer]) -> None:
    model, server = llm
    server.add(Reply.json(ANSWER))
    red, blue = _png("red"), _png("blue")

    @llm_function(model)
    def compare(photos: list[mp.ImagePart], note: str, remote: mp.ImagePart) -> str:
        """Compare the photos."""

    url = mp.ImagePart.from_url("https://example.com/a.png")
    assert compare([red, blue], "be brief", url) == "ok"
    (message,) = server.requests[0].json()["messages"]
    content: list[dict[str, Any]] = message["content"]
    text = content[0]["text"]
    assert text.startswith("Compare the photos.\n\nInput:\n")
    assert json.loads(text.split("Input:\n", 1)[1]) == {
        "photos": "[images: photos]",
        "note": "be brief",
        "remote": "[image: remote]",
    }
    assert [p["type"] for p in content[1:]] == [
        "text",
        "image_url",
        "image_url",
        "text",
        "image_url",
    ]
    assert [p["text"] for p in content if p["type"] == "text"][1:] == [
        "[images: photos]",
        "[image: remote]",
    ]
    assert content[5]["image_url"]["url"] == "https://example.com/a.png"


def test_without_images_the_prompt_stays_a_string(llm: tuple[mp.LLM, ScriptedServer]) -> None:
    model, server = llm
    server.add(Reply.json(ANSWER))

    @llm_function(model)
    def echo(items: list[str]) -> str:
        """Echo {items}"""

    assert echo([]) == "ok"
    assert server.requests[0].json()["messages"] == [{"role": "user", "content": "Echo []"}]
