"""Images through openai-responses: `input_image` parts, valid for openai's own types."""

from __future__ import annotations

import base64
import struct
import zlib
from typing import Any

from modelport import ImagePart
from modelport.provider import Message, Request, TextPart

from ._helpers import provider
from ._schema import validate_request_body


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


def test_each_image_form_is_an_input_image_part() -> None:
    body = body_of(
        [
            Message.user(
                [
                    TextPart(text="compare"),
                    ImagePart.from_bytes(PNG),
                    ImagePart.from_base64(JPEG_B64, detail="low"),
                    ImagePart.from_url("https://example.com/cat.png", detail="high"),
                ]
            )
        ]
    )
    assert body["input"] == [
        {
            "type": "message",
            "role": "user",
            "content": [
                {"type": "input_text", "text": "compare"},
                {
                    "type": "input_image",
                    "image_url": f"data:image/png;base64,{PNG_B64}",
                    "detail": "auto",
                },
                {
                    "type": "input_image",
                    "image_url": f"data:image/jpeg;base64,{JPEG_B64}",
                    "detail": "low",
                },
                {
                    "type": "input_image",
                    "image_url": "https://example.com/cat.png",
                    "detail": "high",
                },
            ],
        }
    ]


def test_a_data_url_is_resniffed() -> None:
    part = ImagePart.from_url(f"data:image/png;base64,{JPEG_B64}")
    (item,) = body_of([Message.user([part])])["input"]
    assert item["content"][0]["image_url"] == f"data:image/jpeg;base64,{JPEG_B64}"
