"""Image bytes: reading, decoding, MIME sniffing and the size bound (no pydantic, no I/O but files).

``ImagePart`` (in ``_messages``) builds on these. Every failure is a ``ConfigurationError``
raised while the messages are built, so a bad image never costs a network call. PIL is
optional and imported only when a PIL image is given.
"""

from __future__ import annotations

import base64
import binascii
import importlib
import io
import os
import re
import struct
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ._errors import ConfigurationError

__all__ = [
    "DEFAULT_MAX_IMAGE_BYTES",
    "MAX_IMAGE_BYTES_ENV",
    "SEED_KEYS",
    "check_limits",
    "decode_base64",
    "decoded_length",
    "dimensions",
    "encode_base64",
    "max_image_bytes",
    "parse_data_url",
    "pil_to_bytes",
    "read_path",
    "require_size",
    "sniff",
    "sniff_base64",
]

DEFAULT_MAX_IMAGE_BYTES = 20 * 1024 * 1024
"""The default bound on one image's decoded size (OpenAI's documented per-image limit)."""

MAX_IMAGE_BYTES_ENV = "MODELPORT_MAX_IMAGE_BYTES"

SEED_KEYS = ("image_path", "image_pil", "image_url", "image_base64")
"""The image dict keys of the better-llm-sdk seed: ``{"type": "image", "image_path": ...}``."""

_SPACE = re.compile(r"\s+")
_PIL_FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg", "GIF": "image/gif", "WEBP": "image/webp"}


def max_image_bytes(override: int | None = None) -> int:
    """The bound in force: ``override``, else ``$MODELPORT_MAX_IMAGE_BYTES``, else 20 MiB."""
    if override is not None:
        if isinstance(override, bool) or not isinstance(override, int) or override <= 0:
            raise ConfigurationError(f"max_bytes must be a positive int, not {override!r}")
        return override
    raw = os.environ.get(MAX_IMAGE_BYTES_ENV, "").strip()
    if not raw:
        return DEFAULT_MAX_IMAGE_BYTES
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value <= 0:
        raise ConfigurationError(
            f"{MAX_IMAGE_BYTES_ENV} must be a positive number of bytes, not {raw!r}"
        )
    return value


def require_size(size: int, limit: int, what: str) -> None:
    if size > limit:
        raise ConfigurationError(
            f"ImagePart: {what} is {size} bytes, over the {limit}-byte bound (pass max_bytes= "
            f"or set {MAX_IMAGE_BYTES_ENV} to raise it; providers have their own limits too)"
        )
    if size == 0:
        raise ConfigurationError(f"ImagePart: {what} is empty")


def sniff(head: bytes) -> str | None:
    """The media type from the first bytes (PNG, JPEG, GIF, WEBP), or None for anything else."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if len(head) >= 12 and head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "image/webp"
    return None


def require_known(data: bytes, what: str) -> str:
    media = sniff(data[:16])
    if media is None:
        raise ConfigurationError(
            f"ImagePart: {what} is not a PNG, JPEG, GIF or WEBP image (it starts with {data[:8]!r})"
        )
    return media


def _compact(text: str) -> str:
    return _SPACE.sub("", text) if _SPACE.search(text) else text


def decode_base64(text: str, what: str) -> bytes:
    """Strict standard base64 (whitespace ignored); anything else is a ConfigurationError."""
    try:
        return base64.b64decode(_compact(text), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ConfigurationError(f"ImagePart: {what} is not valid base64 ({exc})") from None


def encode_base64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def decoded_length(text: str) -> int:
    """The decoded size of base64 text, without decoding it."""
    text = text.rstrip()
    padding = len(text) - len(text.rstrip("="))
    return len(text) * 3 // 4 - padding


def sniff_base64(text: str, what: str) -> str | None:
    """Sniff the media type from the start of base64 text, decoding only 18 bytes of it."""
    head = _compact(text[:64])[:24]
    head = head[: len(head) - len(head) % 4]
    try:
        raw = base64.b64decode(head, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ConfigurationError(f"ImagePart: {what} is not valid base64 ({exc})") from None
    return sniff(raw)


def parse_data_url(url: str) -> tuple[str | None, str]:
    """``data:[<media type>][;base64],<data>`` -> (declared media type or None, base64 text)."""
    header, comma, payload = url[5:].partition(",")
    if not comma:
        raise ConfigurationError("ImagePart: a data: URL needs a ',' before its data")
    params = header.split(";")
    if "base64" not in (p.strip().lower() for p in params[1:]):
        raise ConfigurationError(
            "ImagePart: only base64 data: URLs are accepted (data:image/png;base64,...)"
        )
    declared = params[0].strip().lower() or None
    return declared, payload


def read_path(path: str | os.PathLike[str], limit: int) -> bytes:
    """The bytes of an image file; a missing, unreadable or oversized file is a config error."""
    p = Path(path).expanduser()
    try:
        size = p.stat().st_size
        if not p.is_file():
            raise ConfigurationError(f"ImagePart: {str(p)!r} is not a file")
        require_size(size, limit, f"the file {str(p)!r}")
        data = p.read_bytes()
    except OSError as exc:
        raise ConfigurationError(
            f"ImagePart: cannot read the image file {str(p)!r}: {exc.strerror or exc}"
        ) from None
    require_size(len(data), limit, f"the file {str(p)!r}")
    return data


def pil_to_bytes(image: Any, image_format: str | None = None) -> tuple[bytes, str]:
    """Encode a PIL image (imported lazily) as (bytes, media type); the image is not changed.

    The image's own format is kept when it is PNG, JPEG, GIF or WEBP; any other becomes PNG.
    """
    try:
        pil = importlib.import_module("PIL.Image")
    except ImportError:
        raise ConfigurationError(
            "ImagePart.from_pil needs Pillow, which is not installed (pip install pillow)"
        ) from None
    if not isinstance(image, pil.Image):
        raise ConfigurationError(
            f"ImagePart.from_pil takes a PIL.Image.Image, not {type(image).__name__}"
        )
    fmt = (image_format or getattr(image, "format", None) or "PNG").upper()
    if fmt == "JPG":
        fmt = "JPEG"
    if fmt not in _PIL_FORMATS:
        if image_format is not None:
            raise ConfigurationError(
                f"ImagePart.from_pil: format must be one of {sorted(_PIL_FORMATS)}, "
                f"not {image_format!r}"
            )
        fmt = "PNG"
    buf = io.BytesIO()
    try:
        image.save(buf, format=fmt)
    except (OSError, ValueError, KeyError):
        # e.g. CMYK or I;16 as PNG, RGBA as JPEG: convert a copy, never the caller's image.
        buf = io.BytesIO()
        try:
            image.convert("RGBA" if fmt != "JPEG" else "RGB").save(buf, format=fmt)
        except (OSError, ValueError, KeyError) as exc:
            raise ConfigurationError(
                f"ImagePart.from_pil: cannot encode the image as {fmt}: {exc}"
            ) from None
    return buf.getvalue(), _PIL_FORMATS[fmt]


def describe_keys(part: Mapping[str, Any]) -> str:
    return ", ".join(repr(k) for k in sorted(map(str, part)))


_JPEG_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}  # start-of-frame markers


def dimensions(data: bytes) -> tuple[int, int] | None:
    """(width, height) from the image's header (PNG, GIF, WEBP, JPEG), or None when the
    bytes do not say (a truncated or unknown image): the header is read, nothing decoded."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and data[12:16] == b"IHDR" and len(data) >= 24:
        w, h = struct.unpack(">II", data[16:24])
        return int(w), int(h)
    if data.startswith((b"GIF87a", b"GIF89a")) and len(data) >= 10:
        w, h = struct.unpack("<HH", data[6:10])
        return int(w), int(h)
    if data.startswith(b"RIFF") and data[8:12] == b"WEBP":
        return _webp_dimensions(data)
    if data.startswith(b"\xff\xd8"):
        return _jpeg_dimensions(data)
    return None


def _webp_dimensions(data: bytes) -> tuple[int, int] | None:
    kind = data[12:16]
    if kind == b"VP8X" and len(data) >= 30:
        return 1 + int.from_bytes(data[24:27], "little"), 1 + int.from_bytes(data[27:30], "little")
    if kind == b"VP8 " and len(data) >= 30:
        w, h = struct.unpack("<HH", data[26:30])
        return w & 0x3FFF, h & 0x3FFF
    if kind == b"VP8L" and len(data) >= 25:
        b0, b1, b2, b3 = data[21:25]
        return 1 + (((b1 & 0x3F) << 8) | b0), 1 + (((b3 & 0x0F) << 10) | (b2 << 2) | (b1 >> 6))
    return None


def _jpeg_dimensions(data: bytes) -> tuple[int, int] | None:
    """Walk the marker segments to the first start-of-frame; each step moves forward, so the
    walk ends within ``len(data)`` steps whatever the bytes."""
    i = 2
    while i + 4 <= len(data):
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker == 0x01 or 0xD0 <= marker <= 0xD8:  # segments without a length
            i += 2
            continue
        (length,) = struct.unpack(">H", data[i + 2 : i + 4])
        if length < 2:
            return None
        if marker in _JPEG_SOF:
            if i + 9 > len(data):
                return None
            h, w = struct.unpack(">HH", data[i + 5 : i + 9])
            return int(w), int(h)
        i += 2 + length
    return None


def check_limits(
    data: str, max_bytes: int | None, max_side: int | None, what: str, whose: str
) -> None:
    """An inline image (base64 ``data``) against a model's limits; ``whose`` names the model in
    the error, which is raised before any request (the provider would refuse it anyway)."""
    if max_bytes is not None:
        size = decoded_length(data)
        if size > max_bytes:
            raise ConfigurationError(
                f"ImagePart: {what} is {size} bytes; {whose} takes images of at most "
                f"{max_bytes} bytes (resize or recompress it, or set max_image_bytes in the "
                "model's [profiles] entry)"
            )
    if max_side is not None:
        size_wh = dimensions(decode_base64(data, what))
        if size_wh is not None and max(size_wh) > max_side:
            raise ConfigurationError(
                f"ImagePart: {what} is {size_wh[0]}x{size_wh[1]} px; {whose} takes images of at "
                f"most {max_side} px on a side (resize it first)"
            )
