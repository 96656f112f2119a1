"""Images through openai-chat: `image_url` parts valid for openai's own types, and one real
round trip through the scripted server showing that the PNG and JPEG bytes reach the wire."""

from __future__ import annotations

import base64
import struct
import zlib
from pathlib import Path
from typing import Any

import modelport as mp
import pytest
from modelport import ConfigurationError, ImagePart
from modelport.provider import Message, Request, TextPart
from modelport.testing import Reply, ScriptedServer

from ._corpus import provider
from ._openai_schema import validate_request_body


def png_1x1() -> bytes:
    """A valid 1x1 RGB PNG, chunk CRCs and all."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc

    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00\xff\x00\x00")
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


PNG = png_1x1()
# A complete baseline 1x1 greyscale JPEG (SOI, JFIF, DQT, SOF0, DHT, SOS, EOI): 159 bytes.
JPEG = base64.b64decode(
    "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAgGBgcGBQgHBwcJCQgKDBQNDAsLDBkSEw8UHRofHh0aHBwgJC4nICIs"
    "IxwcKDcpLDAxNDQ0Hyc5PTgyPC4zNDL/wAALCAABAAEBAREA/8QAFAABAAAAAAAAAAAAAAAAAAAAAP/EABQQAQAA"
    "AAAAAAAAAAAAAAAAAAD/2gAIAQEAAD8AP//Z"
)
PNG_B64 = base64.b64encode(PNG).decode()
JPEG_B64 = base64.b64encode(JPEG).decode()


def body_of(messages: list[Message]) -> dict[str, Any]:
    wire = provider().build_request(Request(model="gpt-4o-mini", messages=messages))
    assert wire.body is not None
    validate_request_body(wire.body)
    return wire.body


def test_each_image_form_is_an_image_url_part() -> None:
    body = body_of(
        [
            Message.user(
                [
                    TextPart(text="compare"),
                    ImagePart.from_bytes(PNG),
                    ImagePart.from_bytes(JPEG, detail="low"),
                    ImagePart.from_url("https://example.com/cat.webp", detail="high"),
                ]
            )
        ]
    )
    assert body["messages"][0]["content"] == [
        {"type": "text", "text": "compare"},
        {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG_B64}"}},
        {
            "type": "image_url",
            "image_url": {"url": f"data:image/jpeg;base64,{JPEG_B64}", "detail": "low"},
        },
        {
            "type": "image_url",
            "image_url": {"url": "https://example.com/cat.webp", "detail": "high"},
        },
    ]


def test_seed_dicts_encode_with_the_sniffed_media_type(tmp_path: Path) -> None:
    from modelport._messages import coerce_messages

    path = tmp_path / "photo.png"  # a JPEG under a misleading name
    path.write_bytes(JPEG)
    messages = coerce_messages(
        [
            {
                "role": "user",
                "content": [
                    {"type": "image", "image_path": str(path)},
                    {"type": "image", "image_base64": PNG_B64, "detail": "auto"},
                ],
            }
        ]
    )
    parts = body_of(messages)["messages"][0]["content"]
    assert parts[0]["image_url"]["url"] == f"data:image/jpeg;base64,{JPEG_B64}"
    assert parts[1]["image_url"] == {"url": f"data:image/png;base64,{PNG_B64}", "detail": "auto"}


@pytest.fixture
def server() -> Any:
    with ScriptedServer() as s:
        yield s


def test_images_reach_the_wire(server: ScriptedServer, conformance: Path, tmp_path: Path) -> None:
    server.add(Reply.from_file(conformance / "openai-chat" / "chat-nonstream-text.json"))
    jpeg_path = tmp_path / "a.jpg"
    jpeg_path.write_bytes(JPEG)
    messages = [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "what is in these?"},
                {"type": "image", "image_path": str(jpeg_path), "detail": "low"},
                {"type": "image", "image_base64": PNG_B64},
            ],
        }
    ]
    with mp.LLM("openai-chat:gpt-test", base_url=server.base_url, api_key="sk-test") as llm:
        r = llm.complete(messages)
    assert r.text
    (sent,) = server.requests
    body = sent.json()
    validate_request_body(body)
    parts = body["messages"][0]["content"]
    urls = [p["image_url"]["url"] for p in parts if p["type"] == "image_url"]
    assert [u.split(",")[0] for u in urls] == ["data:image/jpeg;base64", "data:image/png;base64"]
    assert [base64.b64decode(u.split(",", 1)[1]) for u in urls] == [JPEG, PNG]
    assert parts[1]["image_url"]["detail"] == "low"


def test_a_bad_image_fails_before_any_request(server: ScriptedServer, tmp_path: Path) -> None:
    bad = [
        [{"role": "user", "content": [{"type": "image", "image_path": str(tmp_path / "no.png")}]}],
        [{"role": "user", "content": [{"type": "image", "image_file": "a.png"}]}],
        [{"role": "user", "content": [{"type": "image", "image_base64": "aGVsbG8="}]}],
    ]
    with mp.LLM("openai-chat:gpt-test", base_url=server.base_url, api_key="sk-test") as llm:
        for messages in bad:
            with pytest.raises(ConfigurationError):
                llm.complete(messages)
    assert server.requests == []
