"""``BedrockClaudeProvider``: the sans-IO translator the core drives (see ``modelport.provider``).

It wires the small modules together: ``_encode`` builds Anthropic Messages bodies, ``_decode``
reads InvokeModel answers, ``_stream`` decodes event streams, ``_errors`` classifies failures,
``_credentials`` resolves and caches AWS credentials, ``_sigv4`` signs and ``_count_tokens``
asks CountTokens for ``llm.count_tokens``. There is no API key.

Credentials follow the core's two-step auth contract: ``auth_pending`` (a cheap check) says
whether ``prepare_auth`` must run; ``prepare_auth`` walks botocore's chain, which may block on
IMDS, SSO or STS, and the core runs it in a worker thread on the async path; ``authenticate``
then only signs, from the cached frozen credentials, with no I/O. The core serializes the body
before ``authenticate``, so the signature covers the final bytes.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import ClassVar
from urllib.parse import quote

from modelport.provider import (
    BaseProvider,
    ConfigurationError,
    ModelProfile,
    ModelRequestError,
    ProviderSettings,
    Request,
    Response,
    StructuredStrategy,
    WireRequest,
)

from . import __version__
from ._count_tokens import count_request, counting_model, parse_count
from ._credentials import CredentialCache
from ._decode import decode_response
from ._encode import encode_request
from ._errors import PROVIDER, error_from_http
from ._generations import GENERATIONS, Generation, profile_for
from ._keys import credential_set
from ._listing import control_url, first_listing, next_listing, parse_listing
from ._shape import Drops
from ._sigv4 import SERVICE, SIGNING_HEADERS, sign
from ._stream import BedrockStreamDecoder

__all__ = ["BedrockClaudeProvider"]

_JSON = "application/json"
_EVENTSTREAM = "application/vnd.amazon.eventstream"
_SIGNING = frozenset(h.lower() for h in SIGNING_HEADERS)


class BedrockClaudeProvider(BaseProvider):
    """Claude on AWS Bedrock: ``POST {base}/model/{modelId}/invoke[-with-response-stream]``.

    ``settings.options`` understood here:

    - ``region``: the AWS region (else ``AWS_REGION`` / ``AWS_DEFAULT_REGION`` / the profile's
      region from botocore's config); the default base URL is
      ``https://bedrock-runtime.{region}.amazonaws.com``;
    - ``profile``: a named profile of the shared AWS config (else ``AWS_PROFILE``/default);
    - ``default_max_tokens``: ``max_tokens`` sent when the call gives none (default 4096;
      Claude requires the field);
    - ``anthropic_version``: default ``"bedrock-2023-05-31"``;
    - ``claude_model``: the Claude model an application inference profile's ARN routes to (the
      ARN does not name it), so its profile is known;
    - ``control_url``: the Bedrock control plane for ``llm.models()`` (default
      ``https://bedrock.{region}.amazonaws.com``; with a custom ``base_url``, that URL).

    ``api_key`` is not an API key here but, optionally, one credential set
    (``modelport_bedrock_claude.credential_set(...)``); a list of them is a key pool.
    ``generations`` is the capability table ``profile`` reads (a subclass may replace it).
    """

    name: ClassVar[str] = PROVIDER
    version: ClassVar[str] = __version__
    default_base_url: ClassVar[str | None] = None
    api_key_env: ClassVar[str | None] = None
    requires_api_key: ClassVar[bool] = False
    structured_output: ClassVar[StructuredStrategy] = "tool"
    generations: ClassVar[tuple[Generation, ...]] = GENERATIONS

    def __init__(self, settings: ProviderSettings) -> None:
        super().__init__(settings)
        profile = settings.options.get("profile")
        given = credential_set(settings.api_key) if settings.api_key else None
        if given is not None and given.profile is not None:
            profile = given.profile
        self._bearer = given.bearer if given is not None else None
        self._credentials = CredentialCache(
            str(profile) if profile else None,
            model=settings.model,
            static=given.keys if given is not None else None,
        )
        self._region: str | None = None
        self._drops = Drops(strict=settings.strict)

    def __repr__(self) -> str:
        return f"BedrockClaudeProvider(model={self.settings.model!r})"

    def api_key_required(self) -> bool:
        return False

    def profile(self, model: str) -> ModelProfile:
        """The row of the capability table for ``model`` (any id form; ``claude_model`` for an
        application inference profile), as a profile."""
        named = self.settings.options.get("claude_model")
        if named and model == self.settings.model:
            model = str(named)
        return profile_for(model, self.generations)

    def _shaping_profile(self, model: str) -> ModelProfile:
        """The profile requests are shaped by: the ``LLM``'s layered one (hooks, the user's
        overrides) for its own model, else this provider's table."""
        resolved = self.settings.resolved_profile
        if resolved is not None and model == self.settings.model:
            return resolved()
        return self.profile(model)

    # -- configuration -----------------------------------------------------------------------

    @property
    def region(self) -> str:
        """``options["region"]``, else the environment, else botocore's configured region.

        Only the last reads a file (the shared config, once); ``prepare_auth`` resolves the
        region too, so a call with a ``base_url`` never reads it on the event loop.
        """
        if self._region is None:
            region = (
                self.settings.options.get("region")
                or os.environ.get("AWS_REGION")
                or os.environ.get("AWS_DEFAULT_REGION")
            )
            if not region:
                try:
                    region = self._credentials.session().get_config_variable("region")
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

    def secrets(self) -> list[str]:
        """The parts of the resolved credentials, so the core scrubs them from every error.
        Read from the cache: never a resolution, never I/O."""
        own = [self._bearer] if self._bearer else []
        return own + self._credentials.secrets()

    # -- credentials (the core's two-step auth) ----------------------------------------------

    def auth_pending(self) -> bool:
        return self._bearer is None and self._credentials.pending()

    def prepare_auth(self) -> None:
        """Resolve (or refresh) the credentials and the region: the blocking part of auth.

        The modules the request path needs later (botocore's event-stream decoder) are
        imported here too, so their import cost is paid in this worker thread, not on the loop.
        """
        _ = self.region
        if self._bearer is None:
            self._credentials.prepare()
        import botocore.eventstream  # type: ignore[import-untyped]  # noqa: F401

    # -- the provider interface --------------------------------------------------------------

    def build_request(self, request: Request) -> WireRequest:
        model = request.model or self.settings.model
        base = f"{self.base_url}/model/{quote(model, safe='')}"
        action = "invoke-with-response-stream" if request.stream else "invoke"
        # The core merges ``extra_headers`` over these, and ``extra_body`` over the body.
        headers = {"Content-Type": _JSON, "Accept": _EVENTSTREAM if request.stream else _JSON}
        body = encode_request(request, self.settings, self._shaping_profile(model), self._drops)
        return WireRequest(
            method="POST",
            url=f"{base}/{action}",
            headers=headers,
            body=body,
            # Streamed or not, the same question: one response-cache entry answers both.
            cache_url=f"{base}/invoke",
        )

    def authenticate(self, wire: WireRequest) -> None:
        """Sign with the cached credentials: pure, no I/O, safe on the event loop.

        A caller that drives the provider without the core (and so never calls
        ``prepare_auth``) gets the credentials resolved here, synchronously; so do
        credentials that expired since they were prepared. Through the core neither happens:
        ``prepare_auth`` ran first whenever ``auth_pending`` was true.
        """
        if self._bearer is not None:  # a Bedrock API key: no signature
            for name in [k for k in wire.headers if k.lower() in _SIGNING]:
                del wire.headers[name]
            wire.headers["Authorization"] = f"Bearer {self._bearer}"
            return
        creds = self._credentials.signing
        if creds is None or self._credentials.expired():
            creds = self._credentials.prepare()
        sign(wire, creds, self.region, SERVICE, datetime.now(UTC))

    def parse_response(self, body: bytes, request: Request) -> Response:
        return decode_response(body, request, model=self.settings.model)

    def stream_decoder(self, request: Request) -> BedrockStreamDecoder:
        return BedrockStreamDecoder(model=self.settings.model, secrets=self.secrets)

    # -- token counting (CountTokens, see _count_tokens) -----------------------------------

    def token_count_request(self, request: Request) -> WireRequest | None:
        """CountTokens on the foundation model behind the call's model, with the very body an
        invoke would send; ``None`` (the core's marked estimate) when no foundation model can
        be named (an application inference profile without ``claude_model``)."""
        model = request.model or self.settings.model
        named = self.settings.options.get("claude_model")
        target = counting_model(
            model, str(named) if named and model == self.settings.model else None
        )
        if target is None:
            return None
        body = encode_request(request, self.settings, self._shaping_profile(model), self._drops)
        body.update(request.extra_body)  # as the core merges it into the invoke's body
        return count_request(self.base_url, target, body)

    def parse_token_count(self, body: bytes) -> int:
        return parse_count(body, model=self.settings.model)

    # -- listing (the control plane: foundation models, then inference profiles) -------------

    @property
    def control_url(self) -> str:
        return control_url(self.settings, self.settings.base_url, lambda: self.region)

    def models_request(self) -> WireRequest | None:
        return first_listing(self.control_url)

    def next_models_request(self, wire: WireRequest, body: bytes) -> WireRequest | None:
        return next_listing(self.control_url, wire, body)

    def parse_models(self, body: bytes) -> list[str]:
        return parse_listing(body, model=self.settings.model)

    def parse_error(
        self, status: int, headers: Mapping[str, str], body: bytes
    ) -> ModelRequestError:
        return error_from_http(
            status, headers, body, model=self.settings.model, secrets=self.secrets()
        )
