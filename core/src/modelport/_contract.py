"""The provider contract: every member the core uses, typed, and checked at registration.

The core holds providers as ``Provider`` and provider classes as ``type[Provider]``; it never
probes a member with ``getattr``. ``BaseProvider`` supplies a default for every member that has
one, so a plugin class writes only its translation (``build_request``, ``parse_response``,
``stream_decoder``) and what differs from the defaults.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, ClassVar, Literal, Protocol, TypedDict

from ._error_bodies import error_from_body
from ._errors import ConfigurationError
from ._limits._headers import LimitHeaders, LimitReading, read_limit_headers

if TYPE_CHECKING:
    from ._errors import ModelRequestError
    from ._request import Request
    from ._response import Response
    from ._wire import WireDelta, WireRequest

__all__ = [
    "PROVIDER_MEMBERS",
    "BaseProvider",
    "ModelProfile",
    "ModelReport",
    "Provider",
    "ProviderSettings",
    "StreamDecoder",
    "StructuredStrategy",
    "ThinkingMode",
    "check_provider_class",
]

StructuredStrategy = Literal["json_schema", "tool", "prompt"]
ThinkingMode = Literal["none", "manual_budget", "adaptive_effort", "effort"]


@dataclass(slots=True)
class ProviderSettings:
    """Per-``LLM`` configuration handed to a provider. ``api_key`` is never logged or cached.

    ``strict``: ``LLM(strict=True)`` or the strict plugin mode; a provider that would drop a
    parameter the model rejects (with a warning) raises ``ConfigurationError`` instead.
    ``resolved_profile``: set by the ``LLM``, the profile of ``model`` after the
    ``model_profile`` hooks and the user's ``[profiles]`` overrides, so that a provider shapes
    requests by the same profile ``llm.model_info()`` shows (``None``: its own ``profile``).
    """

    model: str
    base_url: str | None = None
    api_key: str | None = field(default=None, repr=False)
    options: dict[str, Any] = field(default_factory=dict)
    strict: bool = False
    resolved_profile: Callable[[], ModelProfile] | None = field(
        default=None, repr=False, compare=False
    )


@dataclass(frozen=True, slots=True)
class ModelProfile:
    """What a model accepts, so that capability-aware shaping is data, not code.

    ``None`` means "not known": the core then sends what the caller asked and lets the provider
    decide. ``sampling_params`` lists the sampling parameters the model accepts (``None``: all).
    ``thinking`` is how reasoning is asked for: ``none`` (not supported), ``manual_budget`` (a
    token budget), ``adaptive_effort`` (the model picks its budget from an effort level) or
    ``effort`` (OpenAI's ``reasoning_effort``). ``image_urls`` says whether the API takes a
    remote image URL (``False``: the core fetches it and sends the bytes; ``None``: sent as a
    URL). ``max_image_bytes`` (decoded) and ``max_image_side`` (pixels, the longer edge) bound
    each image; the core checks them before any request (docs/images.md).
    """

    context_window: int | None = None
    max_output_tokens: int | None = None
    thinking: ThinkingMode | None = None
    sampling_params: frozenset[str] | None = None
    tools: bool | None = None
    images: bool | None = None
    structured_output: StructuredStrategy = "json_schema"
    thinking_with_forced_tools: bool | None = None
    image_urls: bool | None = None
    max_image_bytes: int | None = None
    max_image_side: int | None = None

    def merged(self, **known: Any) -> ModelProfile:
        """A copy with the given fields replaced where the value is not ``None``."""
        return replace(self, **{k: v for k, v in known.items() if v is not None})


class ModelReport(TypedDict, total=False):
    """What a server said about a model (``parse_profile``): only the keys it reported.

    ``context_window`` is the window the model is loaded with where the server says so
    (llama.cpp's ``n_ctx``, LM Studio's ``loaded_context_length``): a fact about the running
    model, which is why a report outranks the provider's static table (docs/profiles.md).
    """

    context_window: int
    max_output_tokens: int
    thinking: ThinkingMode
    tools: bool
    images: bool


class StreamDecoder(Protocol):
    """Incremental decoder of one streamed response: any chunking yields the same deltas."""

    def feed(self, chunk: bytes) -> list[WireDelta]: ...

    def close(self) -> list[WireDelta]:
        """End of input. Raises ``IncompleteStreamError`` when the stream was cut short."""
        ...


class Provider(Protocol):
    """A sans-IO translator between modelport and one wire API (see ``modelport.provider``)."""

    name: ClassVar[str]
    version: ClassVar[str]
    api_key_env: ClassVar[str | None]
    structured_output: ClassVar[StructuredStrategy]

    settings: ProviderSettings

    def __init__(self, settings: ProviderSettings) -> None: ...

    def api_key_required(self) -> bool: ...

    def secrets(self) -> list[str]: ...

    def profile(self, model: str) -> ModelProfile: ...

    def build_request(self, request: Request) -> WireRequest: ...

    def auth_pending(self) -> bool: ...

    def prepare_auth(self) -> None: ...

    def authenticate(self, wire: WireRequest) -> None: ...

    def parse_response(self, body: bytes, request: Request) -> Response: ...

    def stream_decoder(self, request: Request) -> StreamDecoder: ...

    def parse_error(
        self, status: int, headers: Mapping[str, str], body: bytes
    ) -> ModelRequestError: ...

    def models_request(self) -> WireRequest | None: ...

    def parse_models(self, body: bytes) -> list[str]: ...

    def next_models_request(self, wire: WireRequest, body: bytes) -> WireRequest | None: ...

    def token_count_request(self, request: Request) -> WireRequest | None: ...

    def parse_token_count(self, body: bytes) -> int: ...

    def count_tokens_locally(self, request: Request) -> int | None: ...

    def profile_requests(self, model: str) -> list[WireRequest]: ...

    def parse_profile(self, wire: WireRequest, body: bytes, model: str) -> ModelReport: ...

    def read_limit_headers(self, headers: Mapping[str, str]) -> LimitReading | None: ...


# Checked on every provider class when it is registered (attributes, then methods).
_ATTRIBUTES = ("name", "version", "api_key_env", "structured_output")
_METHODS = (
    "api_key_required",
    "secrets",
    "profile",
    "build_request",
    "auth_pending",
    "prepare_auth",
    "authenticate",
    "parse_response",
    "stream_decoder",
    "parse_error",
    "models_request",
    "parse_models",
    "next_models_request",
    "token_count_request",
    "parse_token_count",
    "count_tokens_locally",
    "profile_requests",
    "parse_profile",
    "read_limit_headers",
)
PROVIDER_MEMBERS: tuple[str, ...] = _ATTRIBUTES + _METHODS
_STRATEGIES = ("json_schema", "tool", "prompt")


def check_provider_class(cls: object, plugin: str) -> type[Provider]:
    """The class itself when it carries the whole contract, else a ``ConfigurationError``
    naming the plugin and every missing or malformed member (subclass ``BaseProvider``)."""
    if not isinstance(cls, type):
        raise ConfigurationError(
            f"plugin {plugin!r} registered {cls!r}, which is not a provider class"
        )
    problems = [m for m in _ATTRIBUTES if not hasattr(cls, m)]
    problems += [m for m in _METHODS if not callable(getattr(cls, m, None))]
    name = getattr(cls, "name", None)
    if "name" not in problems and (not isinstance(name, str) or not name or ":" in name):
        problems.append("name (a non-empty string without ':')")
    strategy = getattr(cls, "structured_output", None)
    if "structured_output" not in problems and strategy not in _STRATEGIES:
        problems.append(f"structured_output (one of {', '.join(_STRATEGIES)}; got {strategy!r})")
    if problems:
        raise ConfigurationError(
            f"plugin {plugin!r}: provider class {cls.__qualname__} does not implement the "
            f"provider contract; missing or invalid: {', '.join(problems)}. Subclass "
            "modelport.provider.BaseProvider for the defaults."
        )
    return cls  # checked member by member above


class BaseProvider:
    """Defaults for every member of ``Provider`` that has one; subclasses set the ClassVars
    and translate.

    ``api_key_env`` names the environment variable read when no key is passed;
    ``requires_api_key`` says whether a missing key is a configuration error (local servers
    usually take none).
    """

    name: ClassVar[str] = ""
    version: ClassVar[str] = "0"
    default_base_url: ClassVar[str | None] = None
    api_key_env: ClassVar[str | None] = None
    requires_api_key: ClassVar[bool] = False
    structured_output: ClassVar[StructuredStrategy] = "json_schema"
    # The response headers that announce the provider's limits (docs/limits.md); ``None``:
    # it announces none.
    limit_headers: ClassVar[LimitHeaders | None] = None

    def __init__(self, settings: ProviderSettings) -> None:
        self.settings = settings

    def read_limit_headers(self, headers: Mapping[str, str]) -> LimitReading | None:
        """What a response's headers say is left of the budget (read after every response of
        a call with limits or a key pool); the default reads ``limit_headers``. Override for
        a format ``LimitHeaders`` cannot describe. Malformed values are ``None``, never an
        error."""
        spec = self.limit_headers
        return None if spec is None else read_limit_headers(spec, headers)

    @property
    def base_url(self) -> str:
        url = self.settings.base_url or self.default_base_url or ""
        return url.rstrip("/")

    def secrets(self) -> list[str]:
        """Credential strings the core must scrub from every error (beyond ``api_key``).

        Override when the provider resolves credentials itself (e.g. from a cloud SDK chain).
        """
        return []

    def api_key_required(self) -> bool:
        """Hosted defaults need a key; a custom base URL (a local server) may take none."""
        return self.requires_api_key and self.settings.base_url is None

    def profile(self, model: str) -> ModelProfile:
        """What ``model`` accepts; the default knows only the class's structured strategy."""
        return ModelProfile(structured_output=self.structured_output)

    def auth_pending(self) -> bool:
        """Whether ``prepare_auth`` must run before the next ``authenticate`` (cheap check)."""
        return False

    def prepare_auth(self) -> None:
        """Resolve credentials that need I/O (a cloud SDK chain). May block: async callers run
        it in a worker thread, never on the event loop."""

    def authenticate(self, wire: WireRequest) -> None:
        if self.settings.api_key:
            wire.headers["Authorization"] = f"Bearer {self.settings.api_key}"

    def models_request(self) -> WireRequest | None:
        return None

    def token_count_request(self, request: Request) -> WireRequest | None:
        """The request that counts ``request``'s input tokens, when the server can (a
        tokenizer endpoint, a count-tokens API); ``None``: the core estimates instead."""
        return None

    def parse_token_count(self, body: bytes) -> int:
        raise NotImplementedError("token_count_request returned a request: parse its answer")

    def count_tokens_locally(self, request: Request) -> int | None:
        """``request``'s input tokens counted by other means than one HTTP request (a
        provider SDK's RPC, a local tokenizer); asked before ``token_count_request``.
        ``None``: not available here (the default), so the HTTP request or the estimate
        follows. May block: the core never calls it on an event loop. Errors must be
        ``LLMError`` subclasses; the core scrubs the provider's secrets from them."""
        return None

    def parse_models(self, body: bytes) -> list[str]:
        return []

    def next_models_request(self, wire: WireRequest, body: bytes) -> WireRequest | None:
        """The next listing request after ``wire`` answered ``body`` (a next page, another
        listing such as Bedrock's inference profiles), or ``None``: the listing is complete.
        Every answer goes through ``parse_models``; the core stops after 50 requests."""
        return None

    def profile_requests(self, model: str) -> list[WireRequest]:
        """Requests whose answers say what the server knows about ``model`` (its loaded context
        window, vision), tried in order until one answers; ``[]``: the server reports nothing
        and ``llm.model_info()`` is the static profile."""
        return []

    def parse_profile(self, wire: WireRequest, body: bytes, model: str) -> ModelReport:
        """The report in ``body``, the answer to ``wire`` (one of ``profile_requests``); an
        empty report when it says nothing about ``model``."""
        raise NotImplementedError("profile_requests returned a request: parse its answer")

    def parse_error(
        self, status: int, headers: Mapping[str, str], body: bytes
    ) -> ModelRequestError:
        return error_from_body(status, headers, body, provider=self.name, model=self.settings.model)
