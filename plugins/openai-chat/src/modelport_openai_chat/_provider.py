"""``OpenAIChatProvider``: the sans-IO translator the core drives (see ``modelport.provider``).

It only wires the small modules together: ``_encode`` builds bodies, ``_decode`` reads
non-streamed bodies, ``_stream`` reads streams, ``_errors`` classifies failures. No I/O, no
retries and no credentials live here; ``BaseProvider.authenticate`` adds the Bearer header
after shaping hooks and cache-key computation, so keys never reach a hook or a cache key.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, ClassVar

from modelport.provider import (
    OPENAI_LIMIT_HEADERS,
    BaseProvider,
    LimitHeaders,
    ModelProfile,
    ModelReport,
    ModelRequestError,
    Request,
    Response,
    WireRequest,
    parse_server_profile,
    server_profile_requests,
)

from . import __version__
from ._decode import decode_response
from ._encode import encode_request
from ._errors import PROVIDER, error_from_body, excerpt, protocol_error

if TYPE_CHECKING:
    from ._stream import ChatStreamDecoder

__all__ = ["OpenAIChatProvider"]


OPENAI_MAX_IMAGE_BYTES = 20 * 1024 * 1024  # OpenAI's documented per-image limit


class OpenAIChatProvider(BaseProvider):
    """OpenAI Chat Completions, and any server that speaks it (``base_url=``).

    ``settings.options`` understood here:

    - ``max_tokens_field``: ``"max_tokens"`` or ``"max_completion_tokens"``, overriding the
      choice made from the base URL;
    - ``include_usage`` (default true): ask for usage in streams; a few old servers reject
      ``stream_options``, and turning it off is the fix.
    """

    name: ClassVar[str] = PROVIDER
    version: ClassVar[str] = __version__
    default_base_url: ClassVar[str | None] = "https://api.openai.com/v1"
    api_key_env: ClassVar[str | None] = "OPENAI_API_KEY"
    requires_api_key: ClassVar[bool] = True
    # OpenAI's rate-limit headers (resets as durations: "6m0s", "1s", "20ms"); the limiter
    # pauses a budget at zero until its reset instead of running into a 429.
    limit_headers: ClassVar[LimitHeaders | None] = OPENAI_LIMIT_HEADERS

    def build_request(self, request: Request) -> WireRequest:
        headers = {
            "Content-Type": "application/json",
            "Accept": "text/event-stream" if request.stream else "application/json",
        }
        # Positional (method, url, headers, body): a class called with keywords costs more.
        body = encode_request(request, self.settings)
        return WireRequest("POST", f"{self.base_url}/chat/completions", headers, body)

    def parse_response(self, body: bytes, request: Request) -> Response:
        return decode_response(body, request, model=self.settings.model)

    def stream_decoder(self, request: Request) -> ChatStreamDecoder:
        from ._stream import ChatStreamDecoder  # a whole-body call never loads the decoder

        return ChatStreamDecoder(model=self.settings.model, expect_usage=self.asks_usage(request))

    def asks_usage(self, request: Request) -> bool:
        """Whether the streamed request asks for a usage chunk (``stream_options``), as built
        by the encoder or as the caller's ``extra_body`` overrides it."""
        options = request.extra_body.get("stream_options")
        if isinstance(options, dict) and "include_usage" in options:
            return bool(options["include_usage"])
        return request.stream and bool(self.settings.options.get("include_usage", True))

    def parse_error(
        self, status: int, headers: Mapping[str, str], body: bytes
    ) -> ModelRequestError:
        return error_from_body(status, headers, body, model=self.settings.model)

    def models_request(self) -> WireRequest | None:
        return WireRequest(
            method="GET", url=f"{self.base_url}/models", headers={"Accept": "application/json"}
        )

    def profile(self, model: str) -> ModelProfile:
        """api.openai.com fetches image URLs itself and takes images of up to 20 MB. A server
        of one's own (a base URL) may do neither: its profile leaves both unknown, and
        ``image_urls = false`` in its ``[profiles]`` entry makes the core fetch them."""
        base = super().profile(model)
        if self.settings.base_url is not None:
            return base
        return base.merged(image_urls=True, max_image_bytes=OPENAI_MAX_IMAGE_BYTES)

    def profile_requests(self, model: str) -> list[WireRequest]:
        """A server of one's own (a base URL): llama.cpp's ``/props``, else its ``/models``
        entry. api.openai.com reports nothing a profile holds, so it is not asked."""
        if self.settings.base_url is None:
            return []
        return server_profile_requests(self.base_url)

    def parse_profile(self, wire: WireRequest, body: bytes, model: str) -> ModelReport:
        return parse_server_profile(wire, body, model)

    def token_count_request(self, request: Request) -> WireRequest | None:
        """llama.cpp's ``/tokenize`` (at the server's root, beside ``/v1``) for a local server;
        api.openai.com has no tokenizer endpoint, so the core estimates there. The count is
        of the messages' text, without the chat template's own tokens."""
        if self.settings.base_url is None:
            return None
        root = self.base_url.removesuffix("/v1")
        return WireRequest(
            method="POST",
            url=f"{root}/tokenize",
            headers={"Content-Type": "application/json", "Accept": "application/json"},
            body={"content": _prompt_text(request)},
        )

    def parse_token_count(self, body: bytes) -> int:
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            raise protocol_error(
                f"token count is not JSON: {excerpt(body)}", model=self.settings.model
            ) from None
        tokens = data.get("tokens") if isinstance(data, dict) else None
        if not isinstance(tokens, list):
            raise protocol_error(
                f"token count has no tokens list: {excerpt(body)}", model=self.settings.model
            )
        return len(tokens)

    def parse_models(self, body: bytes) -> list[str]:
        """``{"data": [{"id": ...}]}`` (OpenAI, llama.cpp, vLLM, LM Studio); a bare list too."""
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            raise protocol_error(
                f"model list is not JSON: {excerpt(body)}", model=self.settings.model
            ) from None
        items = data.get("data", data.get("models")) if isinstance(data, dict) else data
        if not isinstance(items, list):
            raise protocol_error(
                f"model list has no data array: {excerpt(body)}", model=self.settings.model
            )
        ids: list[str] = []
        for item in items:
            if isinstance(item, dict):
                ident = item.get("id") or item.get("model") or item.get("name")
                if isinstance(ident, str) and ident:
                    ids.append(ident)
            elif isinstance(item, str):
                ids.append(item)
        return ids


def _prompt_text(request: Request) -> str:
    """The text of every message, in order: what a tokenizer endpoint can count."""
    parts = []
    for message in request.messages:
        if message.text:
            parts.append(message.text)
        for call in message.tool_calls:
            parts.append(f"{call.name} {call.arguments}")
    return "\n".join(parts)
