"""Images through bedrock-claude: base64 `image` blocks with the sniffed media type; a remote URL
is a clear ConfigurationError (Bedrock's InvokeModel takes no URLs, and modelport does not fetch
them yet)."""

from __future__ import annotations

import base64
import struct
import zlib
from pathlib import Path
from typing import Any

import pytest
from modelport import ImagePart
from modelport.provider import ConfigurationError, Message, Request, TextPart

from ._bedrock import MODEL, provider


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
    wire = provider().build_request(Request(model=MODEL, messages=messages))
    assert wire.body is not None
    return wire.body


def test_images_are_base64_blocks(tmp_path: Path) -> None:
    path = tmp_path / "scan.png"  # the name says PNG, the bytes say JPEG: the bytes win
    path.write_bytes(JPEG)
    body = body_of(
        [
            Message.user(
                [
                    TextPart(text="compare"),
                    ImagePart.from_bytes(PNG),
                    ImagePart.from_path(path, detail="high"),  # detail is OpenAI's; ignored
                ]
            )
        ]
    )
    assert body["messages"] == [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "compare"},
                {
                    "type": "image",
                    "source": {"type": "base64", "media_type": "image/png", "data": PNG_B64},
                },
                {
                    "type": "image",
                    "source": {"type": "base64", "media_type": "image/jpeg", "data": JPEG_B64},
                },
            ],
        }
    ]


def test_a_data_url_becomes_a_base64_block() -> None:
    part = ImagePart.from_url(f"data:image/jpeg;base64,{JPEG_B64}")
    (block,) = body_of([Message.user([part])])["messages"][0]["content"]
    assert block["source"] == {"type": "base64", "media_type": "image/jpeg", "data": JPEG_B64}


def test_a_remote_url_is_a_configuration_error() -> None:
    part = ImagePart.from_url("https://example.com/cat.png")
    with pytest.raises(ConfigurationError, match="takes images as base64 data only"):
        body_of([Message.user([TextPart(text="what is this"), part])])


def test_a_media_type_claude_does_not_take_is_refused() -> None:
    part = ImagePart(data="AAAA", media_type="image/heic")
    with pytest.raises(ConfigurationError, match="not 'image/heic'"):
        body_of([Message.user([part])])


def test_images_in_tool_results() -> None:
    messages = [
        Message.user("look"),
        Message.assistant(None, tool_calls=[{"id": "t1", "name": "shot", "arguments": "{}"}]),
        Message(role="tool", tool_call_id="t1", content=[ImagePart.from_bytes(PNG)]),
    ]
    result = body_of(messages)["messages"][2]["content"][0]
    assert result["type"] == "tool_result"
    assert result["content"][0]["source"]["media_type"] == "image/png"
