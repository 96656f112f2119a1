"""What a tool's return value becomes in the tool message the model reads: text, or parts.

SimpleLLMFunc's tools return images (``ImgPath``, ``ImgUrl``, or a ``(text, image)`` tuple) and
the model sees the picture. Here a tool returns an ``ImagePart``, or a list or tuple mixing
text and ``ImagePart``s; the tool message then carries content parts instead of a string, and
each provider encodes them the way its API allows (a ``tool_result`` with image blocks, a
``function_call_output`` with ``input_image``, or, where tool messages take text only, the
text plus a user message with the images). Any other value stays text, as before.
"""

from __future__ import annotations

from typing import Any

from .._parts import ContentPart, ImagePart, TextPart
from ._exec import result_text

__all__ = ["has_images", "tool_content"]


def has_images(value: Any) -> bool:
    """True for an ``ImagePart``, or a list or tuple holding one at its top level."""
    if isinstance(value, ImagePart):
        return True
    return isinstance(value, (list, tuple)) and any(isinstance(v, ImagePart) for v in value)


def tool_content(value: Any) -> str | list[ContentPart]:
    """The tool message's content for a tool's return value.

    Only the top level is looked at: a list holding images becomes one part per item (strings
    and ``TextPart``s as text, images as images, anything else as its usual text); a value
    without images is the text it always was, so existing tools see no change.
    """
    if not has_images(value):
        return result_text(value)
    items = [value] if isinstance(value, ImagePart) else list(value)
    parts: list[ContentPart] = []
    for item in items:
        if isinstance(item, (ImagePart, TextPart)):
            parts.append(item)
        else:
            parts.append(TextPart(text=result_text(item)))
    return parts
