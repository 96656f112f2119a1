"""``llm.count_tokens(prompt)``: what the provider's server counts, else a marked estimate.

The count is asked first of the provider's ``count_tokens_locally`` (a counter that is no
plain HTTP request, such as LM Studio's SDK), then through its ``token_count_request``
(llama.cpp's tokenizer, a count-tokens API) and the same transport as a call. ``count_tokens``
is sync only (an async caller runs it in a worker thread). A provider without one, or a server that
answers 404/405 (no such endpoint), gives an estimate of about 4 characters a token, and
``TokenCount.estimated`` says so: a limiter or a budget check can choose to trust it or not.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ._side_requests import SideRequests

if TYPE_CHECKING:
    from ._client import LLM
    from ._request import Request

__all__ = ["TokenCount", "count_tokens"]

_CHARS_PER_TOKEN = 4


@dataclass(frozen=True, slots=True)
class TokenCount:
    """``tokens`` for the prompt's messages; ``estimated``: not counted by the provider."""

    tokens: int
    estimated: bool
    source: str  # "provider" or "estimate"


def _estimate(request: Request) -> TokenCount:
    text = json.dumps([m.model_dump(exclude_none=True) for m in request.messages])
    return TokenCount(max(1, len(text) // _CHARS_PER_TOKEN), estimated=True, source="estimate")


def _counted_locally(llm: LLM, request: Request) -> TokenCount | None:
    """The provider's own counter (an SDK's RPC): tried first, its errors scrubbed too."""
    with SideRequests(llm).guarded():
        tokens = llm.provider.count_tokens_locally(request)
    return None if tokens is None else TokenCount(tokens, estimated=False, source="provider")


def count_tokens(llm: LLM, request: Request) -> TokenCount:
    local = _counted_locally(llm, request)
    if local is not None:
        return local
    provider = llm.provider
    wire = provider.token_count_request(request)
    if wire is None:
        return _estimate(request)
    if wire.body is not None and wire.content is None:
        wire.content = json.dumps(wire.body, separators=(",", ":")).encode()
    side = SideRequests(llm)
    with side.guarded():
        status, headers, body = side.send(wire)
        if status in (404, 405, 501):  # the server has no such endpoint
            return _estimate(request)
        if status >= 400:
            raise provider.parse_error(status, headers, body)
        return TokenCount(provider.parse_token_count(body), estimated=False, source="provider")
