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
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ._errors import ConfigurationError

__all__ = [
    "DEFAULT_MAX_IMAGE_BYTES",
    "MAX_IMAGE_BYTES_ENV",
    "SEED_KEYS",
    "decode_base64",
    "decoded_length",
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
