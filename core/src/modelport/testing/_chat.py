"""``chat_completion``: the reply most tests script, an OpenAI-style ``chat.completion`` body.

OpenAI's chat shape is what openai-chat, LM Studio, llama.cpp and most gateways answer, so a
test of the core (limits, caching, retries, the tool loop's last turn) usually needs one
plain answer of it; written here once instead of in every test file.
"""

from __future__ import annotations

from typing import Any

from ._script import Reply

__all__ = ["chat_completion"]


def chat_completion(
    text: str = "ok",
    *,
    model: str = "m",
    finish_reason: str = "stop",
    input_tokens: int = 3,
    output_tokens: int = 1,
    headers: dict[str, str] | None = None,
) -> Reply:
    """A 200 ``chat.completion`` whose one choice answers ``text``, with its usage."""
    body: dict[str, Any] = {
        "id": "chatcmpl-scripted",
        "object": "chat.completion",
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text},
                "finish_reason": finish_reason,
            }
        ],
        "usage": {
            "prompt_tokens": input_tokens,
            "completion_tokens": output_tokens,
            "total_tokens": input_tokens + output_tokens,
        },
    }
    return Reply.json(body, headers=headers)
