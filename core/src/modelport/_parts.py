"""Content parts of a message: text, and images in every form a user holds them.

An image is checked when the part is built (readable, a known format sniffed from its bytes,
within the size bound), so a bad image is a ``ConfigurationError`` before any request; the
bytes travel as base64 with their real media type, and each provider encodes them its way.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, Literal
from urllib.parse import urlsplit

from . import _images
from ._errors import ConfigurationError
from ._record import Frozen, check_str, invalid

__all__ = ["ContentPart", "ImageDetail", "ImagePart", "TextPart", "content_part"]


class TextPart(Frozen):
    """Plain text inside a multi-part message."""

    _fields = ("type", "text")
    __slots__ = _fields
    type: Literal["text"]
    text: str

    def __init__(self, *, text: str, type: Literal["text"] = "text") -> None:
        if type != "text":
            raise invalid("TextPart", "type", "'text'", type)
        object.__setattr__(self, "type", "text")
        object.__setattr__(self, "text", check_str("TextPart", "text", text))


ImageDetail = Literal["auto", "low", "high"]
_DETAILS = frozenset({"auto", "low", "high"})


class ImagePart(Frozen):
    """An image in a message: a remote http(s) URL, or base64 ``data`` with its ``media_type``.

    Build one with ``from_path``, ``from_bytes``, ``from_pil``, ``from_url`` or
    ``from_base64``: they read and check the image at once (a missing file, bytes that are no
    PNG, JPEG, GIF or WEBP image, or an image over the size bound is a ``ConfigurationError``
    before any network call), and take the media type from the bytes themselves. In message
    dicts, ``{"type": "image", "image_path" | "image_pil" | "image_url" | "image_base64": ...}``
    (the better-llm-sdk forms) and OpenAI's ``{"type": "image_url", ...}`` are accepted too.

    The plain constructor ``ImagePart(data=..., media_type=...)`` is the low-level form: it
    sniffs the media type from the data when it can (the bytes win over a wrong
    ``media_type``) and trusts the given ``media_type`` only when the format is not one it
    knows. docs/images.md has the details.
    """

    _fields = ("type", "url", "data", "media_type", "detail")
    __slots__ = _fields
    type: Literal["image"]
    url: str | None
    data: str | None
    media_type: str | None
    detail: ImageDetail | None

    def __init__(
        self,
        *,
        type: Literal["image"] = "image",
        url: str | None = None,
        data: str | None = None,
        media_type: str | None = None,
        detail: ImageDetail | None = None,
        **seed: Any,
    ) -> None:
        given = {"type": type, "url": url, "data": data, "media_type": media_type}
        fields = _image_fields({**given, "detail": detail, **seed}, None)
        self._set(fields.get("url"), fields.get("data"), fields.get("media_type"), detail)

    def _set(self, url: Any, data: Any, media_type: Any, detail: Any) -> None:
        if detail is not None and detail not in _DETAILS:
            raise ConfigurationError(
                f"ImagePart: detail must be one of {sorted(_DETAILS)!r}, not {detail!r}"
            )
        object.__setattr__(self, "type", "image")
        object.__setattr__(self, "url", url)
        object.__setattr__(self, "data", data)
        object.__setattr__(self, "media_type", media_type)
        object.__setattr__(self, "detail", detail)

    @classmethod
    def model_validate(cls, obj: Any) -> ImagePart:
        """An image dict in any accepted form (unknown keys are an error, not dropped)."""
        if isinstance(obj, ImagePart):
            return obj
        if not isinstance(obj, Mapping):
            raise ConfigurationError(f"ImagePart takes an image dict, not {type(obj).__name__}")
        return cls._validated(dict(obj), None)

    def _repr_value(self, name: str) -> Any:
        value = getattr(self, name)
        if name == "data" and isinstance(value, str) and len(value) > 40:
            return f"{value[:24]}...<{len(value)} chars>"
        return value

    # -- constructors ------------------------------------------------------------------------

    @classmethod
    def from_bytes(
        cls,
        data: bytes | bytearray | memoryview,
        *,
        detail: ImageDetail | None = None,
        max_bytes: int | None = None,
    ) -> ImagePart:
        """An image from its encoded bytes (a PNG, JPEG, GIF or WEBP file's content)."""
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise ConfigurationError(f"ImagePart.from_bytes takes bytes, not {type(data).__name__}")
        limit = _images.max_image_bytes(max_bytes)
        raw = bytes(data)
        _images.require_size(len(raw), limit, "the image")
        media = _images.require_known(raw, "the bytes")
        return cls._checked(_images.encode_base64(raw), media, detail, limit)

    @classmethod
    def from_path(
        cls,
        path: str | os.PathLike[str],
        *,
        detail: ImageDetail | None = None,
        max_bytes: int | None = None,
    ) -> ImagePart:
        """An image read from a file now (not at send time)."""
        if not isinstance(path, (str, os.PathLike)):
            raise ConfigurationError(f"ImagePart.from_path takes a path, not {type(path).__name__}")
        limit = _images.max_image_bytes(max_bytes)
        raw = _images.read_path(path, limit)
        media = _images.require_known(raw, f"the file {os.fspath(path)!r}")
        return cls._checked(_images.encode_base64(raw), media, detail, limit)

    @classmethod
    def from_base64(
        cls,
        data: str | bytes,
        *,
        media_type: str | None = None,
        detail: ImageDetail | None = None,
        max_bytes: int | None = None,
    ) -> ImagePart:
        """An image from base64 text (a ``data:`` URL is accepted too).

        The media type is read from the decoded bytes; ``media_type`` is accepted for
        compatibility and ignored when it disagrees with them.
        """
        del media_type  # the bytes decide; see the docstring
        if isinstance(data, bytes):
            data = data.decode("ascii", errors="replace")
        if not isinstance(data, str):
            raise ConfigurationError(
                f"ImagePart.from_base64 takes a str, not {type(data).__name__}"
            )
        if data[:5].lower() == "data:":
            return cls.from_url(data, detail=detail, max_bytes=max_bytes)
        limit = _images.max_image_bytes(max_bytes)
        _images.require_size(_images.decoded_length(data), limit, "the base64 image")
        raw = _images.decode_base64(data, "the base64 image")
        _images.require_size(len(raw), limit, "the base64 image")
        media = _images.require_known(raw, "the base64 image")
        return cls._checked(_images.encode_base64(raw), media, detail, limit)

    @classmethod
    def from_url(
        cls, url: str, *, detail: ImageDetail | None = None, max_bytes: int | None = None
    ) -> ImagePart:
        """An image by URL: ``http(s)://`` is sent as a URL, ``data:`` is decoded and checked.

        A remote URL is not fetched: providers that take URLs (openai-chat, openai-responses)
        fetch it themselves; bedrock-claude refuses it (docs/images.md).
        """
        if not isinstance(url, str):
            raise ConfigurationError(f"ImagePart.from_url takes a str, not {type(url).__name__}")
        url = url.strip()
        if url[:5].lower() == "data:":
            _, payload = _images.parse_data_url(url)
            return cls.from_base64(payload, detail=detail, max_bytes=max_bytes)
        scheme = urlsplit(url).scheme.lower()
        if scheme not in ("http", "https") or not urlsplit(url).netloc:
            raise ConfigurationError(
                f"ImagePart.from_url takes an http(s):// or data: URL, not {url[:80]!r} "
                "(use ImagePart.from_path for a local file)"
            )
        return cls._validated({"url": url, "detail": detail}, None)

    @classmethod
    def from_pil(
        cls,
        image: Any,
        *,
        format: str | None = None,
        detail: ImageDetail | None = None,
        max_bytes: int | None = None,
    ) -> ImagePart:
        """An image from a ``PIL.Image.Image`` (Pillow is imported only here).

        The image keeps its own format when it is PNG, JPEG, GIF or WEBP, and is encoded as
        PNG otherwise (or as ``format``). The caller's image is not changed.
        """
        limit = _images.max_image_bytes(max_bytes)
        raw, media = _images.pil_to_bytes(image, format)
        _images.require_size(len(raw), limit, "the encoded PIL image")
        return cls._checked(_images.encode_base64(raw), media, detail, limit)

    @classmethod
    def _checked(cls, data: str, media: str, detail: ImageDetail | None, limit: int) -> ImagePart:
        del limit  # the caller checked the bytes against it
        return cls._made(None, data, media, detail)

    @classmethod
    def _validated(cls, fields: dict[str, Any], limit: int | None) -> ImagePart:
        checked = _image_fields(fields, limit)
        url, data, media = checked.get("url"), checked.get("data"), checked.get("media_type")
        return cls._made(url, data, media, checked.get("detail"))

    @classmethod
    def _made(cls, url: Any, data: Any, media_type: Any, detail: Any) -> ImagePart:
        part = object.__new__(cls)
        part._set(url, data, media_type, detail)
        return part

    # -- reading -----------------------------------------------------------------------------

    def as_url(self) -> str:
        """A URL form every OpenAI-style API accepts (data: URL for inline data)."""
        if self.url is not None:
            return self.url
        return f"data:{self.media_type or 'image/png'};base64,{self.data or ''}"

    def to_bytes(self) -> bytes:
        """The decoded image; a ``ConfigurationError`` for an image known only by remote URL."""
        if self.data is None:
            raise ConfigurationError(
                f"ImagePart: {self.url!r} is a remote URL; its bytes are not fetched"
            )
        return _images.decode_base64(self.data, "the image data")


_RAW_KEYS = frozenset({"type", "url", "data", "media_type", "detail"})
_IMAGE_KEYS = _RAW_KEYS | frozenset(_images.SEED_KEYS)
_SOURCES = ("url", "data", *_images.SEED_KEYS)


def _image_fields(value: Mapping[str, Any], limit: int | None) -> dict[str, Any]:
    """An image dict (any accepted form) as ImagePart's own fields, checked."""
    unknown = [str(k) for k in value if k not in _IMAGE_KEYS]
    if unknown:
        raise ConfigurationError(
            f"ImagePart: unknown key(s) {sorted(unknown)!r} in an image part; an image takes "
            "one of 'image_path', 'image_pil', 'image_url', 'image_base64', 'url' or 'data' "
            "(with 'media_type'), and optionally 'detail'"
        )
    if value.get("type", "image") != "image":
        raise ConfigurationError(f"ImagePart: type must be 'image', not {value.get('type')!r}")
    sources = [k for k in _SOURCES if value.get(k) is not None]
    if not sources:
        raise ConfigurationError(
            "ImagePart needs an image: one of 'image_path', 'image_pil', 'image_url', "
            "'image_base64', 'url' or 'data'"
        )
    if len(sources) > 1:
        raise ConfigurationError(f"ImagePart takes one image source, not {sources!r}")
    source = sources[0]
    given = value[source]
    detail = value.get("detail")
    media_type = value.get("media_type")
    part: ImagePart
    if source == "image_path":
        part = ImagePart.from_path(given, detail=detail, max_bytes=limit)
    elif source == "image_pil":
        part = ImagePart.from_pil(given, detail=detail, max_bytes=limit)
    elif source == "image_base64":
        part = ImagePart.from_base64(given, detail=detail, max_bytes=limit)
    elif source == "image_url" or (isinstance(given, str) and given[:5].lower() == "data:"):
        part = ImagePart.from_url(given, detail=detail, max_bytes=limit)
    elif source == "url":
        if not isinstance(given, str):
            raise ConfigurationError(f"ImagePart: url must be a str, not {type(given).__name__}")
        return {"url": given, "media_type": media_type, "detail": detail}
    else:
        return _raw_data_fields(given, media_type, detail, limit)
    return {"url": part.url, "data": part.data, "media_type": part.media_type, "detail": detail}


def _raw_data_fields(data: Any, media_type: Any, detail: Any, limit: int | None) -> dict[str, Any]:
    """``ImagePart(data=..., media_type=...)``: checked cheaply, without decoding it all."""
    if not isinstance(data, str):
        raise ConfigurationError(
            f"ImagePart: data must be base64 text, not {type(data).__name__} "
            "(use ImagePart.from_bytes for raw bytes)"
        )
    bound = _images.max_image_bytes(limit)
    _images.require_size(_images.decoded_length(data), bound, "the image data")
    sniffed = _images.sniff_base64(data, "the image data")
    if sniffed is None:
        if not (isinstance(media_type, str) and media_type.lower().startswith("image/")):
            raise ConfigurationError(
                "ImagePart: the data is not a PNG, JPEG, GIF or WEBP image; give its "
                "media_type ('image/...') to send it anyway"
            )
        sniffed = media_type.lower()
    return {"data": data, "media_type": sniffed, "detail": detail}


ContentPart = TextPart | ImagePart


def content_part(owner: str, value: Any) -> ContentPart:
    """One part of a message's content: a part, or its dict (``type`` says which)."""
    if isinstance(value, TextPart | ImagePart):
        return value
    if isinstance(value, Mapping):
        kind = value.get("type")
        if kind == "text":
            extra = sorted(str(k) for k in value if k not in ("type", "text"))
            if extra:
                raise ValueError(f"{owner}: unknown key(s) {extra!r} in a text part")
            return TextPart(text=value.get("text"))  # type: ignore[arg-type]
        if kind == "image":
            return ImagePart._validated(dict(value), None)
        raise ValueError(f"{owner}: a content part's type must be 'text' or 'image', not {kind!r}")
    raise invalid(owner, "content", "a str or a list of TextPart / ImagePart", value)
