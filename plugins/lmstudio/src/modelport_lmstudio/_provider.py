"""``LMStudioProvider``: openai-chat's translator pointed at LM Studio, plus LM Studio's REST API.

LM Studio's ``/v1/chat/completions`` is OpenAI-compatible, so encoding, decoding, streaming and
error parsing are delegated to an ``OpenAIChatProvider`` held by composition (configured with
LM Studio's base URL), not copied. Composition rather than a subclass keeps openai-chat's
OpenAI defaults (base URL, required key, ``OPENAI_API_KEY``) from leaking in, and lets the
stream decoder be wrapped without overriding a narrower return type. This class adds:

- defaults: ``http://127.0.0.1:1234/v1``, no key required (``LM_API_TOKEN`` or ``api_key=`` is
  sent as a Bearer token when given, for servers with authentication turned on), and
  ``max_tokens`` rather than OpenAI's ``max_completion_tokens``;
- ``options={"api": "native"}``: chat through ``/api/v0/chat/completions``, whose responses add
  ``stats``/``model_info``/``runtime`` (see ``_native``);
- model listing through ``/api/v0/models`` (``options={"models_api": ...}`` picks another list);
- errors name ``lmstudio`` and "no models loaded"-style messages are ``ModelNotFoundError``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any, ClassVar
from urllib.parse import quote, urlsplit, urlunsplit

from modelport.provider import (
    BaseProvider,
    ConfigurationError,
    LLMError,
    ModelReport,
    ModelRequestError,
    ProviderSettings,
    Request,
    Response,
    WireRequest,
)
from modelport_openai_chat import OpenAIChatProvider

from . import __version__
from ._errors import relabel
from ._models import PROVIDER, LMStudioModel, model_ids, parse_model_info, profile_report
from ._native import LMStudioStreamDecoder, apply_native
from ._sdk_count import sdk_count

__all__ = ["LMStudioProvider"]

_APIS = ("openai", "native")
_MODEL_LISTS = {
    "v0": "/api/v0/models",
    "v1": "/api/v1/models",
    "openai": "/v1/models",
}


class LMStudioProvider(BaseProvider):
    """LM Studio's local server (``lmstudio:<model id>``).

    ``settings.options`` understood here, besides openai-chat's own:

    - ``api``: ``"openai"`` (default, ``{base_url}/chat/completions``) or ``"native"``
      (``{root}/api/v0/chat/completions``, with LM Studio's generation stats);
    - ``models_api``: ``"v0"`` (default, ``/api/v0/models``), ``"v1"`` (``/api/v1/models``,
      LM Studio 0.4+) or ``"openai"`` (``/v1/models``, ids only; for servers without the REST API).

    ``root`` is the base URL without its trailing ``/v1``.
    """

    name: ClassVar[str] = PROVIDER
    version: ClassVar[str] = __version__
    default_base_url: ClassVar[str | None] = "http://127.0.0.1:1234/v1"
    api_key_env: ClassVar[str | None] = "LM_API_TOKEN"
    requires_api_key: ClassVar[bool] = False

    def __init__(self, settings: ProviderSettings) -> None:
        options: dict[str, Any] = dict(settings.options)
        api = options.get("api", "openai")
        if api not in _APIS:
            raise ConfigurationError(
                f"lmstudio option api must be one of {list(_APIS)}, not {api!r}",
                provider=PROVIDER,
                model=settings.model,
            )
        models_api = options.get("models_api", "v0")
        if models_api not in _MODEL_LISTS:
            raise ConfigurationError(
                f"lmstudio option models_api must be one of {list(_MODEL_LISTS)}, "
                f"not {models_api!r}",
                provider=PROVIDER,
                model=settings.model,
            )
        # LM Studio documents max_tokens; openai-chat would pick max_completion_tokens for a
        # default (None) base URL because its default is OpenAI's.
        options.setdefault("max_tokens_field", "max_tokens")
        super().__init__(replace(settings, options=options))
        self.native: bool = api == "native"
        self._models_path = _MODEL_LISTS[str(models_api)]
        # The translator, aimed at this server. It never sees the key: authentication is
        # ours (BaseProvider's Bearer header), applied after shaping and cache keying.
        self.chat = OpenAIChatProvider(replace(self.settings, base_url=self.base_url, api_key=None))

    # -- URLs ------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """The OpenAI-compatible base; a bare ``http://host:port`` gets LM Studio's ``/v1``."""
        url = (self.settings.base_url or self.default_base_url or "").rstrip("/")
        parts = urlsplit(url)
        if parts.scheme and parts.netloc and parts.path in ("", "/"):
            return urlunsplit((parts.scheme, parts.netloc, "/v1", parts.query, parts.fragment))
        return url

    @property
    def root_url(self) -> str:
        """Where LM Studio's own REST API lives: the base URL without a trailing ``/v1``."""
        url = self.base_url
        return url[: -len("/v1")] if url.endswith("/v1") else url

    # -- chat ------------------------------------------------------------------------------

    def build_request(self, request: Request) -> WireRequest:
        wire = self.chat.build_request(request)
        if self.native:
            wire.url = f"{self.root_url}/api/v0/chat/completions"
        return wire

    def parse_response(self, body: bytes, request: Request) -> Response:
        try:
            response = self.chat.parse_response(body, request)
        except LLMError as err:
            raise relabel(err, model=self.settings.model) from None
        response.provider = PROVIDER
        return apply_native(response)

    def stream_decoder(self, request: Request) -> LMStudioStreamDecoder:
        return LMStudioStreamDecoder(
            self.chat.stream_decoder(request), model=self.settings.model, native=self.native
        )

    def parse_error(
        self, status: int, headers: Mapping[str, str], body: bytes
    ) -> ModelRequestError:
        err = relabel(self.chat.parse_error(status, headers, body), model=self.settings.model)
        assert isinstance(err, ModelRequestError)
        return err

    # -- token counting --------------------------------------------------------------------

    def count_tokens_locally(self, request: Request) -> int | None:
        """The loaded model's tokenizer through the ``lmstudio`` SDK (``modelport-lmstudio[sdk]``)
        over the messages' text, one per line (the chat template's framing is not counted);
        ``None`` without the SDK or when the model is not loaded (see ``_sdk_count``)."""
        text = "\n".join(m.text for m in request.messages)
        return sdk_count(self.root_url, request.model, text)

    def token_count_request(self, request: Request) -> WireRequest | None:
        """``None``: the SDK above, else the core's marked estimate. LM Studio's HTTP APIs (REST
        v0/v1, OpenAI- and Anthropic-compatible) have no counting endpoint, and a
        ``max_tokens=1`` request would generate. Not openai-chat's ``/tokenize``: LM Studio
        embeds llama.cpp without its HTTP server, so asking would only cost a 404."""
        return None

    # -- models ----------------------------------------------------------------------------

    def models_request(self) -> WireRequest | None:
        path = self._models_path
        url = f"{self.base_url}/models" if path == "/v1/models" else f"{self.root_url}{path}"
        return WireRequest(method="GET", url=url, headers={"Accept": "application/json"})

    def parse_models(self, body: bytes) -> list[str]:
        """Model ids from an /api/v0/models, /api/v1/models or /v1/models body."""
        return model_ids(body, model=self.settings.model)

    def profile_requests(self, model: str) -> list[WireRequest]:
        """``/api/v0/models/{model}`` (one model's native info), or the ``/api/v1/models``
        catalogue with ``models_api="v1"``; the OpenAI-compatible list has ids only."""
        accept = {"Accept": "application/json"}
        if self._models_path == "/api/v0/models":
            url = f"{self.root_url}/api/v0/models/{quote(model, safe='')}"
            return [WireRequest(method="GET", url=url, headers=accept)]
        if self._models_path == "/api/v1/models":
            return [WireRequest(method="GET", url=f"{self.root_url}/api/v1/models", headers=accept)]
        return []

    def parse_profile(self, wire: WireRequest, body: bytes, model: str) -> ModelReport:
        return profile_report(body, model)

    def parse_model_info(self, body: bytes) -> list[LMStudioModel]:
        """``parse_model_info`` of the body ``models_request()`` fetched."""
        return parse_model_info(body, model=self.settings.model)
