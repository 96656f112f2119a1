"""``OpenAIResponsesProvider``: the sans-IO translator the core drives (see ``modelport.provider``).

It only wires the small modules together: ``_encode`` builds bodies, ``_decode`` reads
non-streamed bodies, ``_stream`` reads streams, ``_errors`` classifies failures. No I/O, no
retries and no credentials live here; ``BaseProvider.authenticate`` adds the Bearer header
after shaping hooks and cache-key computation, so keys never reach a hook or a cache key.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import ClassVar

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
from ._stream import ResponsesStreamDecoder

__all__ = ["OpenAIResponsesProvider"]


OPENAI_MAX_IMAGE_BYTES = 20 * 1024 * 1024  # OpenAI's documented per-image limit


class OpenAIResponsesProvider(BaseProvider):
    """The OpenAI Responses API (``POST {base}/responses``), and servers that speak it.

    ``settings.options`` understood here:

    - ``instructions`` (default true): leading system messages go to ``instructions``;
      false sends them as ``system`` message items;
    - ``reasoning_summary``: ``"auto"``, ``"concise"`` or ``"detailed"`` (``reasoning.summary``),
      without which OpenAI returns no reasoning text at all;
    - ``include_encrypted_reasoning``: ask for ``reasoning.encrypted_content``, needed to carry
      reasoning across turns with ``store: false``;
    - ``store``: sent as ``store`` when given.
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
        return WireRequest(
            method="POST",
            url=f"{self.base_url}/responses",
            headers=headers,
            body=encode_request(request, self.settings),
        )

    def parse_response(self, body: bytes, request: Request) -> Response:
        return decode_response(body, request, model=self.settings.model)

    def stream_decoder(self, request: Request) -> ResponsesStreamDecoder:
        return ResponsesStreamDecoder(model=self.settings.model)

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

    def parse_models(self, body: bytes) -> list[str]:
        """``{"data": [{"id": ...}]}``, the same list endpoint as the rest of the OpenAI API."""
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            raise protocol_error(
                f"model list is not JSON: {excerpt(body)}", model=self.settings.model
            ) from None
        items = data.get("data") if isinstance(data, dict) else data
        if not isinstance(items, list):
            raise protocol_error(
                f"model list has no data array: {excerpt(body)}", model=self.settings.model
            )
        return [
            item["id"]
            for item in items
            if isinstance(item, dict) and isinstance(item.get("id"), str) and item["id"]
        ]
