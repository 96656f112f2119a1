"""Images: every constructor, the seed's dict forms, MIME sniffing, the size bound, errors, and
that the caller's messages are never changed. Real images, written from bytes here."""

from __future__ import annotations

import base64
import copy
import struct
import sys
import zlib
from pathlib import Path
from typing import Any

import modelport as mp
import pytest
from modelport import ConfigurationError, ImagePart
from modelport._images import decoded_length, sniff
from modelport._messages import coerce_messages


def png_1x1() -> bytes:
    """A valid 1x1 RGB PNG, chunk CRCs and all."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)  # 1x1, 8-bit, truecolour
    idat = zlib.compress(b"\x00\xff\x00\x00")  # filter 0, one red pixel
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


PNG = png_1x1()
# A complete baseline 1x1 greyscale JPEG (SOI, JFIF, DQT, SOF0, DHT, SOS, EOI): 159 bytes.
JPEG = base64.b64decode(
    "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAgGBgcGBQgHBwcJCQgKDBQNDAsLDBkSEw8UHRofHh0aHBwgJC4nICIs"
    "IxwcKDcpLDAxNDQ0Hyc5PTgyPC4zNDL/wAALCAABAAEBAREA/8QAFAABAAAAAAAAAAAAAAAAAAAAAP/EABQQAQAA"
    "AAAAAAAAAAAAAAAAAAD/2gAIAQEAAD8AP//Z"
)
GIF = base64.b64decode("R0lGODdhAQABAIEAAICAgAAAAAAAAAAAACwAAAAAAQABAAAIBAABBAQAOw==")
WEBP = base64.b64decode("UklGRiQAAABXRUJQVlA4IBgAAABQAQCdASoBAAEAAUAmJaQABHQAAORAAAA=")
PNG_B64 = base64.b64encode(PNG).decode()
JPEG_B64 = base64.b64encode(JPEG).decode()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def pil_or_skip() -> Any:
    return pytest.importorskip("PIL.Image", reason="Pillow is not installed")


# -- the test images themselves are real ---------------------------------------------------------


def test_the_test_images_decode_with_pillow() -> None:
    image_mod = pil_or_skip()
    import io

    for data, fmt in ((PNG, "PNG"), (JPEG, "JPEG"), (GIF, "GIF"), (WEBP, "WEBP")):
        with image_mod.open(io.BytesIO(data)) as im:
            im.load()
            assert (im.format, im.size) == (fmt, (1, 1))


# -- sniffing ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "media"),
    [(PNG, "image/png"), (JPEG, "image/jpeg"), (GIF, "image/gif"), (WEBP, "image/webp")],
)
def test_media_type_is_sniffed_from_the_bytes(data: bytes, media: str) -> None:
    assert sniff(data) == media
    part = ImagePart.from_bytes(data)
    assert part.media_type == media
    assert part.to_bytes() == data
    assert part.as_url() == f"data:{media};base64,{b64(data)}"


@pytest.mark.parametrize(
    "junk", [b"hello world", b"RIFF\x00\x00\x00\x00WAVEfmt ", b"\x89PN", b"<svg></svg>"]
)
def test_bytes_that_are_no_known_image_are_refused(junk: bytes) -> None:
    assert sniff(junk) is None
    with pytest.raises(ConfigurationError, match="not a PNG, JPEG, GIF or WEBP"):
        ImagePart.from_bytes(junk)


def test_a_wrong_declared_media_type_loses_to_the_bytes() -> None:
    assert ImagePart(data=JPEG_B64, media_type="image/png").media_type == "image/jpeg"
    assert ImagePart.from_url(f"data:image/png;base64,{JPEG_B64}").media_type == "image/jpeg"
    assert ImagePart.from_base64(JPEG_B64, media_type="image/png").media_type == "image/jpeg"


# -- constructors --------------------------------------------------------------------------------


def test_from_path_reads_now(tmp_path: Path) -> None:
    path = tmp_path / "photo.bin"  # the extension does not matter: the bytes do
    path.write_bytes(JPEG)
    part = ImagePart.from_path(path, detail="low")
    path.unlink()
    assert (part.media_type, part.detail, part.url) == ("image/jpeg", "low", None)
    assert part.to_bytes() == JPEG
    assert ImagePart.from_path(str(_write(tmp_path / "a.png", PNG))).media_type == "image/png"


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_from_path_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="cannot read the image file"):
        ImagePart.from_path(tmp_path / "missing.png")
    with pytest.raises(ConfigurationError, match="is not a file"):
        ImagePart.from_path(tmp_path)
    with pytest.raises(ConfigurationError, match="not a PNG, JPEG"):
        ImagePart.from_path(_write(tmp_path / "notes.png", b"just text"))
    with pytest.raises(ConfigurationError, match="empty"):
        ImagePart.from_path(_write(tmp_path / "empty.png", b""))
    with pytest.raises(ConfigurationError, match="takes a path"):
        ImagePart.from_path(42)  # type: ignore[arg-type]


def test_from_base64() -> None:
    part = ImagePart.from_base64(PNG_B64)
    assert (part.media_type, part.to_bytes()) == ("image/png", PNG)
    wrapped = "\n".join(PNG_B64[i : i + 20] for i in range(0, len(PNG_B64), 20))
    assert ImagePart.from_base64(wrapped).to_bytes() == PNG  # MIME-style line breaks
    assert ImagePart.from_base64(PNG_B64.encode()).to_bytes() == PNG
    assert ImagePart.from_base64(f"data:image/png;base64,{PNG_B64}").to_bytes() == PNG
    with pytest.raises(ConfigurationError, match="not valid base64"):
        ImagePart.from_base64("not base64 at all!")
    with pytest.raises(ConfigurationError, match="not a PNG, JPEG"):
        ImagePart.from_base64(b64(b"plain text, validly encoded"))


def test_from_url() -> None:
    remote = ImagePart.from_url("https://example.com/cat.png", detail="high")
    assert (remote.url, remote.data, remote.detail) == ("https://example.com/cat.png", None, "high")
    assert remote.as_url() == "https://example.com/cat.png"
    inline = ImagePart.from_url(f"data:image/jpeg;base64,{JPEG_B64}")
    assert (inline.url, inline.media_type, inline.to_bytes()) == (None, "image/jpeg", JPEG)
    with pytest.raises(ConfigurationError, match="remote URL"):
        remote.to_bytes()


@pytest.mark.parametrize(
    ("url", "match"),
    [
        ("ftp://example.com/a.png", "http"),
        ("/tmp/a.png", "from_path"),
        ("https://", "http"),
        ("data:image/png,rawtext", "only base64"),
        ("data:image/png;base64", "','"),
        (f"data:image/png;base64,{b64(b'text')}", "not a PNG"),
        ("data:image/png;base64,", "empty"),
    ],
)
def test_from_url_errors(url: str, match: str) -> None:
    with pytest.raises(ConfigurationError, match=match):
        ImagePart.from_url(url)


def test_invalid_detail_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="detail"):
        ImagePart.from_bytes(PNG, detail="ultra")  # type: ignore[arg-type]


def test_from_pil() -> None:
    image_mod = pil_or_skip()
    import io

    red = image_mod.new("RGB", (2, 2), (255, 0, 0))
    part = ImagePart.from_pil(red)
    assert part.media_type == "image/png"
    with image_mod.open(io.BytesIO(part.to_bytes())) as back:
        assert back.size == (2, 2) and back.getpixel((0, 0)) == (255, 0, 0)
    with image_mod.open(io.BytesIO(JPEG)) as loaded:  # keeps its own format
        assert ImagePart.from_pil(loaded).media_type == "image/jpeg"
    assert ImagePart.from_pil(red, format="jpeg").media_type == "image/jpeg"
    cmyk = image_mod.new("CMYK", (1, 1))  # PNG cannot hold CMYK: a converted copy is sent
    assert ImagePart.from_pil(cmyk).media_type == "image/png"
    assert cmyk.mode == "CMYK"
    with pytest.raises(ConfigurationError, match="format must be one of"):
        ImagePart.from_pil(red, format="BMP")
    with pytest.raises(ConfigurationError, match=r"PIL\.Image\.Image"):
        ImagePart.from_pil(b"bytes")


def test_from_pil_without_pillow_is_a_configuration_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "PIL.Image", None)  # import now fails, installed or not
    with pytest.raises(ConfigurationError, match="pip install pillow"):
        ImagePart.from_pil(object())
    with pytest.raises(ConfigurationError, match="pip install pillow"):
        mp.Message.user([{"type": "image", "image_pil": object()}])  # type: ignore[list-item]


# -- the plain constructor -----------------------------------------------------------------------


def test_plain_constructor() -> None:
    assert ImagePart(data=PNG_B64).media_type == "image/png"  # sniffed, not assumed
    # An unknown format is sent only with an explicit image/* media type (the escape hatch).
    assert ImagePart(data="AAAA", media_type="image/heic").media_type == "image/heic"
    with pytest.raises(ConfigurationError, match="give its media_type"):
        ImagePart(data="AAAA")
    with pytest.raises(ConfigurationError, match="needs an image"):
        ImagePart()
    with pytest.raises(ConfigurationError, match="one image source"):
        ImagePart(url="https://x/a.png", data=PNG_B64)
    with pytest.raises(ConfigurationError, match="from_bytes"):
        ImagePart(data=PNG)  # type: ignore[arg-type]
    inline = ImagePart(url=f"data:image/png;base64,{JPEG_B64}")  # a data: URL is decoded
    assert (inline.url, inline.media_type, inline.data) == (None, "image/jpeg", JPEG_B64)


def test_round_trip_through_a_dict() -> None:
    for part in (ImagePart.from_bytes(JPEG, detail="low"), ImagePart.from_url("https://x/a.png")):
        assert ImagePart.model_validate(part.model_dump()) == part
        assert ImagePart.model_validate_json(part.model_dump_json()) == part


def test_repr_does_not_print_megabytes() -> None:
    part = ImagePart.from_bytes(JPEG)
    assert len(repr(part)) < 200 and "chars>" in repr(part)


# -- the size bound ------------------------------------------------------------------------------


def test_decoded_length() -> None:
    for n in range(12):
        assert decoded_length(b64(b"x" * n)) == n


def test_size_bound(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _write(tmp_path / "a.jpg", JPEG)
    for build in (
        lambda: ImagePart.from_bytes(JPEG, max_bytes=100),
        lambda: ImagePart.from_path(path, max_bytes=100),
        lambda: ImagePart.from_base64(JPEG_B64, max_bytes=100),
        lambda: ImagePart.from_url(f"data:image/jpeg;base64,{JPEG_B64}", max_bytes=100),
    ):
        with pytest.raises(ConfigurationError, match="over the 100-byte bound"):
            build()
    assert ImagePart.from_bytes(JPEG, max_bytes=len(JPEG)).to_bytes() == JPEG

    monkeypatch.setenv("MODELPORT_MAX_IMAGE_BYTES", "100")
    with pytest.raises(ConfigurationError, match="MODELPORT_MAX_IMAGE_BYTES"):
        ImagePart.from_bytes(JPEG)
    with pytest.raises(ConfigurationError, match="over the 100-byte bound"):
        ImagePart(data=JPEG_B64)
    with pytest.raises(ConfigurationError, match="over the 100-byte bound"):
        mp.Message.user([{"type": "image", "image_path": str(path)}])  # type: ignore[list-item]
    assert ImagePart.from_bytes(JPEG, max_bytes=1000).media_type == "image/jpeg"  # per call wins
    monkeypatch.setenv("MODELPORT_MAX_IMAGE_BYTES", "lots")
    with pytest.raises(ConfigurationError, match="positive number of bytes"):
        ImagePart.from_bytes(PNG)
    monkeypatch.delenv("MODELPORT_MAX_IMAGE_BYTES")
    with pytest.raises(ConfigurationError, match="positive int"):
        ImagePart.from_bytes(PNG, max_bytes=0)


def test_default_bound_is_20_mib() -> None:
    big = b"\xff\xd8\xff" + b"\x00" * (20 * 1024 * 1024)
    with pytest.raises(ConfigurationError, match="20971520-byte bound"):
        ImagePart.from_bytes(big)


# -- message dicts (coerce_messages) -------------------------------------------------------------


def _user(*parts: Any) -> list[dict[str, Any]]:
    return [{"role": "user", "content": [{"type": "text", "text": "what is this?"}, *parts]}]


def _image_of(messages: list[mp.Message]) -> ImagePart:
    content = messages[-1].content
    assert isinstance(content, list)
    image = content[1]
    assert isinstance(image, ImagePart)
    return image


def test_seed_dict_forms(tmp_path: Path) -> None:
    path = _write(tmp_path / "a.jpg", JPEG)
    forms: list[tuple[dict[str, Any], str]] = [
        ({"type": "image", "image_path": str(path)}, "image/jpeg"),
        ({"type": "image", "image_path": path, "detail": "low"}, "image/jpeg"),
        ({"type": "image", "image_base64": PNG_B64}, "image/png"),
        ({"type": "image", "image_url": f"data:image/png;base64,{JPEG_B64}"}, "image/jpeg"),
        (
            {"type": "image_url", "image_url": {"url": f"data:image/jpeg;base64,{JPEG_B64}"}},
            "image/jpeg",
        ),
        ({"type": "image_url", "image_url": f"data:image/png;base64,{PNG_B64}"}, "image/png"),
        ({"type": "image", "data": PNG_B64, "media_type": "image/png"}, "image/png"),
    ]
    for form, media in forms:
        image = _image_of(coerce_messages(_user(form)))
        assert image.media_type == media, form
        assert image.to_bytes() in (PNG, JPEG)
        assert not image.as_url().endswith("base64,")


def test_seed_remote_url_forms() -> None:
    for form in (
        {"type": "image", "image_url": "https://example.com/a.png", "detail": "high"},
        {"type": "image_url", "image_url": {"url": "https://example.com/a.png", "detail": "high"}},
    ):
        image = _image_of(coerce_messages(_user(form)))
        assert (image.url, image.detail) == ("https://example.com/a.png", "high")


def test_seed_pil_form() -> None:
    image_mod = pil_or_skip()
    pic = image_mod.new("RGB", (1, 1), (0, 0, 255))
    before = pic.tobytes()
    image = _image_of(coerce_messages(_user({"type": "image", "image_pil": pic})))
    assert image.media_type == "image/png"
    assert pic.tobytes() == before and pic.mode == "RGB"


@pytest.mark.parametrize(
    ("form", "match"),
    [
        ({"type": "image", "image_file": "a.png"}, "unknown key"),
        ({"type": "image", "image_path": "a.png", "alt": "x"}, "unknown key"),
        ({"type": "image"}, "needs an image"),
        ({"type": "image", "image_path": "a.png", "image_url": "https://x/a"}, "one image source"),
        ({"type": "image", "image_path": "/definitely/not/here.png"}, "cannot read"),
        ({"type": "image", "image_base64": "%%%"}, "not valid base64"),
        ({"type": "image", "image_url": "file:///a.png"}, "http"),
        ({"type": "image_url", "image_url": {"url": "https://x/a", "size": 3}}, "unknown key"),
        ({"type": "image_url", "image_url": {"detail": "low"}}, "URL string"),
        ({"type": "image_url", "image_url": "https://x/a", "alt": "x"}, "unknown key"),
        ({"type": "image", "image_url": "https://x/a", "detail": "max"}, "detail"),
        ({"type": "image", "url": "https://x/a", "detail": "max"}, "detail"),
    ],
)
def test_bad_image_dicts_are_configuration_errors(form: dict[str, Any], match: str) -> None:
    with pytest.raises(ConfigurationError, match=match):
        coerce_messages(_user(form))


def test_seed_dicts_work_in_message_constructors_too(tmp_path: Path) -> None:
    path = _write(tmp_path / "a.png", PNG)
    message = mp.Message.user([{"type": "image", "image_path": str(path)}])  # type: ignore[list-item]
    assert isinstance(message.content, list) and message.content[0] == ImagePart.from_bytes(PNG)


def test_the_callers_messages_are_never_changed(tmp_path: Path) -> None:
    path = _write(tmp_path / "a.jpg", JPEG)
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": "be brief"},
        *_user(
            {"type": "image", "image_path": str(path), "detail": "low"},
            {"type": "image", "image_base64": PNG_B64},
            {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}},
        ),
    ]
    before = copy.deepcopy(messages)
    out = coerce_messages(messages)
    assert messages == before
    again = coerce_messages(messages)
    assert out == again  # and coercing twice gives the same parts
    parts = messages[1]["content"]
    assert all(isinstance(p, dict) for p in parts)
