"""``BedrockClaudeProvider``: the sans-IO translator the core drives (see ``modelport.provider``).

It wires the small modules together: ``_encode`` builds Anthropic Messages bodies, ``_decode``
reads InvokeModel answers, ``_stream`` decodes event streams, ``_errors`` classifies failures and
``_sigv4`` signs. There is no API key: credentials come from botocore's standard chain
(environment, shared config/credentials files and profiles, SSO, container and instance
metadata), resolved on the first ``authenticate`` and never at import or construction. The core
serializes the body before ``authenticate``, so the signature covers the final bytes.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from typing import Any, ClassVar
from urllib.parse import quote

from modelport._errors import ConfigurationError, ModelRequestError
from modelport._request import Request
from modelport._response import Response
from modelport.provider import BaseProvider, ProviderSettings, WireRequest, merge_headers

from . import __version__
from ._decode import decode_response
from ._encode import encode_request
from ._errors import PROVIDER, error_from_http
from ._sigv4 import sign
from ._stream import BedrockStreamDecoder

__all__ = ["BedrockClaudeProvider"]

_JSON = "application/json"
_EVENTSTREAM = "application/vnd.amazon.eventstream"


class BedrockClaudeProvider(BaseProvider):
    """Claude on AWS Bedrock: ``POST {base}/model/{modelId}/invoke[-with-response-stream]``.

    ``settings.options`` understood here:

    - ``region``: the AWS region (else ``AWS_REGION`` / ``AWS_DEFAULT_REGION`` / the profile's
      region from botocore's config); the default base URL is
      ``https://bedrock-runtime.{region}.amazonaws.com``;
    - ``profile``: a named profile of the shared AWS config (else ``AWS_PROFILE``/default);
    - ``default_max_tokens``: ``max_tokens`` sent when the call gives none (default 4096;
      Claude requires the field);
    - ``anthropic_version``: default ``"bedrock-2023-05-31"``.
    """

    name: ClassVar[str] = PROVIDER
    version: ClassVar[str] = __version__
    default_base_url: ClassVar[str | None] = None
    api_key_env: ClassVar[str | None] = None
    requires_api_key: ClassVar[bool] = False
    structured_output: ClassVar[str] = "tool"

    def __init__(self, settings: ProviderSettings) -> None:
        super().__init__(settings)
        self._lock = threading.Lock()
        self._session: Any = None
        self._credentials: Any = None
        self._region: str | None = None

    def __repr__(self) -> str:
        return f"BedrockClaudeProvider(model={self.settings.model!r})"

    def api_key_required(self) -> bool:
        return False

    # -- configuration -----------------------------------------------------------------------

    def _botocore_session(self) -> Any:
        with self._lock:
            if self._session is None:
                import botocore.session  # type: ignore[import-untyped]

                profile = self.settings.options.get("profile")
                self._session = botocore.session.Session(profile=profile)
            return self._session

    @property
    def region(self) -> str:
        """``options["region"]``, else the environment, else botocore's configured region."""
        if self._region is None:
            region = (
                self.settings.options.get("region")
                or os.environ.get("AWS_REGION")
                or os.environ.get("AWS_DEFAULT_REGION")
            )
            if not region:
                try:
                    region = self._botocore_session().get_config_variable("region")
                except Exception:  # a broken config file: reported as "no region" below
                    region = None
            if not region:
                raise ConfigurationError(
                    "bedrock-claude needs an AWS region: pass options={'region': 'us-east-1'} "
                    "or set AWS_REGION",
                    provider=PROVIDER,
                    model=self.settings.model,
                )
            self._region = str(region)
        return self._region

    @property
    def base_url(self) -> str:
        if self.settings.base_url:
            return self.settings.base_url.rstrip("/")
        return f"https://bedrock-runtime.{self.region}.amazonaws.com"

    def _frozen_credentials(self) -> Any:
        creds = self._credentials
        if creds is None:
            session = self._botocore_session()
            try:
                creds = session.get_credentials()
            except Exception as exc:  # botocore's own errors name the failing source only
                raise ConfigurationError(
                    f"could not load AWS credentials: {type(exc).__name__}",
                    provider=PROVIDER,
                    model=self.settings.model,
                ) from None
            if creds is None:
                raise ConfigurationError(
                    "no AWS credentials found (botocore's standard chain: environment, "
                    "shared credentials/config files, SSO, container or instance metadata)",
                    provider=PROVIDER,
                    model=self.settings.model,
                )
            self._credentials = creds
        # Refreshable credentials (SSO, assumed roles) renew themselves here.
        return creds.get_frozen_credentials()

    def secrets(self) -> list[str]:
        """The secret parts of resolved credentials: the core scrubs them from every error."""
        creds = self._credentials
        if creds is None:
            return []
        try:
            frozen = creds.get_frozen_credentials()
        except Exception:
            return []
        return [s for s in (frozen.secret_key, frozen.token) if s]

    # -- the provider interface --------------------------------------------------------------

    def build_request(self, request: Request) -> WireRequest:
        model_id = quote(request.model or self.settings.model, safe="")
        action = "invoke-with-response-stream" if request.stream else "invoke"
        headers = merge_headers(
            {"Content-Type": _JSON, "Accept": _EVENTSTREAM if request.stream else _JSON},
            request.extra_headers,
        )
        return WireRequest(
            method="POST",
            url=f"{self.base_url}/model/{model_id}/{action}",
            headers=headers,
            body=encode_request(request, self.settings),
        )

    def authenticate(self, wire: WireRequest) -> None:
        sign(wire, self._frozen_credentials(), self.region)

    def parse_response(self, body: bytes, request: Request) -> Response:
        return decode_response(body, request, model=self.settings.model)

    def stream_decoder(self, request: Request) -> BedrockStreamDecoder:
        return BedrockStreamDecoder(model=self.settings.model, secrets=self.secrets)

    def parse_error(
        self, status: int, headers: Mapping[str, str], body: bytes
    ) -> ModelRequestError:
        return error_from_http(
            status, headers, body, model=self.settings.model, secrets=self.secrets()
        )
