"""The plugin SDK: everything a provider plugin needs, and nothing it should not touch.

A provider is a sans-IO translator between modelport and one wire API. It never performs I/O,
retries or caching. The core calls, per request::

    build_request(request)        -> WireRequest   (URL, headers, JSON body; no credentials)
    [shaping hooks edit the WireRequest; the core merges extra_body / extra_headers on top,
     then serializes the body]
    prepare_auth()                                  (only when auth_pending(); off the loop)
    authenticate(wire)                              (add credentials; may sign the final bytes)
    parse_response(body, request) -> Response      (non-streamed; ``assemble`` helps)
    stream_decoder(request)       -> StreamDecoder (streamed: feed(bytes) / close() -> deltas)
    parse_error(status, headers, body) -> ModelRequestError

so a provider is tested by feeding it recorded bytes, with no server at all
(``modelport.testing.conformance`` does that for every provider). The core does what every
provider would otherwise repeat: it merges ``extra_body`` / ``extra_headers``, normalizes
``raw_stop_reason`` into ``stop_reason`` on both paths, stamps provider and model on every error,
builds ``Response.messages``, and decodes a whole JSON body that arrives where a stream was
expected through ``parse_response``. docs/plugins.md is the contract page.

Plugins import from here (and ``modelport``, ``modelport.testing``), never ``modelport._*``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._contract import (
    PROVIDER_MEMBERS,
    BaseProvider,
    ModelProfile,
    ModelReport,
    Provider,
    ProviderSettings,
    StreamDecoder,
    StructuredStrategy,
    ThinkingMode,
    check_provider_class,
)
from ._engine._assemble import assemble, new_call_id
from ._engine._observe import (
    AttemptInfo,
    AttemptObserver,
    CallInfo,
    CallObserver,
    ToolObserver,
)
from ._error_bodies import (
    decode_json,
    error_from_body,
    error_from_payload,
    error_object,
    excerpt,
    protocol_error,
)
from ._error_kinds import (
    ERROR_KINDS,
    error_for_kind,
    error_for_status,
    parse_retry_after,
    request_id_from,
    retry_hint,
)
from ._errors import (
    AuthenticationError,
    BadRequestError,
    ConfigurationError,
    ContextWindowExceededError,
    IncompleteStreamError,
    LLMError,
    LLMTimeoutError,
    ModelNotFoundError,
    ModelRequestError,
    ProviderConnectionError,
    ProviderProtocolError,
    ProviderServerError,
    RateLimitError,
)
from ._lazy import lazy_attribute
from ._limits._headers import (
    ANTHROPIC_LIMIT_HEADERS,
    OPENAI_LIMIT_HEADERS,
    LimitHeaders,
    LimitReading,
    read_limit_headers,
)
from ._markers import hookimpl
from ._messages import ImagePart, Message, TextPart, ToolCall
from ._request import Request, ResponseFormat, ToolSpec
from ._response import Response, StopReason, Usage
from ._response import normalize_stop as normalize_stop_reason
from ._wire import (
    FinishDelta,
    MetaDelta,
    ReasoningDelta,
    RefusalDelta,
    TextDelta,
    ToolCallDelta,
    UsageDelta,
    WireDelta,
    WireRequest,
    merge_headers,
)

if TYPE_CHECKING:
    from ._anthropic_cache import add_cache_breakpoints, anthropic_usage, cache_control
    from ._http._sse import SSEDecoder, SSEEvent
    from ._http._sse_stream import SSEResponseDecoder
    from ._limits._backend import LimitBackend, LimitGrant
    from ._profiles._reports import parse_server_profile, server_profile_requests

__all__ = [
    "ANTHROPIC_LIMIT_HEADERS",
    "ERROR_KINDS",
    "OPENAI_LIMIT_HEADERS",
    "PROVIDER_MEMBERS",
    "AttemptInfo",
    "AttemptObserver",
    "AuthenticationError",
    "BadRequestError",
    "BaseProvider",
    "CallInfo",
    "CallObserver",
    "ConfigurationError",
    "ContextWindowExceededError",
    "FinishDelta",
    "ImagePart",
    "IncompleteStreamError",
    "LLMError",
    "LLMTimeoutError",
    "LimitBackend",
    "LimitGrant",
    "LimitHeaders",
    "LimitReading",
    "Message",
    "MetaDelta",
    "ModelNotFoundError",
    "ModelProfile",
    "ModelReport",
    "ModelRequestError",
    "Provider",
    "ProviderConnectionError",
    "ProviderProtocolError",
    "ProviderServerError",
    "ProviderSettings",
    "RateLimitError",
    "ReasoningDelta",
    "RefusalDelta",
    "Request",
    "Response",
    "ResponseFormat",
    "SSEDecoder",
    "SSEEvent",
    "SSEResponseDecoder",
    "StopReason",
    "StreamDecoder",
    "StructuredStrategy",
    "TextDelta",
    "TextPart",
    "ThinkingMode",
    "ToolCall",
    "ToolCallDelta",
    "ToolObserver",
    "ToolSpec",
    "Usage",
    "UsageDelta",
    "WireDelta",
    "WireRequest",
    "add_cache_breakpoints",
    "anthropic_usage",
    "assemble",
    "cache_control",
    "check_provider_class",
    "decode_json",
    "error_for_kind",
    "error_for_status",
    "error_from_body",
    "error_from_payload",
    "error_object",
    "excerpt",
    "hookimpl",
    "merge_headers",
    "new_call_id",
    "normalize_stop_reason",
    "parse_retry_after",
    "parse_server_profile",
    "protocol_error",
    "read_limit_headers",
    "request_id_from",
    "retry_hint",
    "server_profile_requests",
]

# Helpers only some plugins use (Anthropic-shaped bodies, server profile reports, SSE streams,
# limit backends) load on first access, so a plugin that never touches them does not pay for
# them on its first call: a whole answer needs no SSE decoder, a call without limits no backend.
_LAZY = {
    "SSEDecoder": "._http._sse",
    "SSEEvent": "._http._sse",
    "SSEResponseDecoder": "._http._sse_stream",
    "LimitBackend": "._limits._backend",
    "LimitGrant": "._limits._backend",
    "add_cache_breakpoints": "._anthropic_cache",
    "anthropic_usage": "._anthropic_cache",
    "cache_control": "._anthropic_cache",
    "parse_server_profile": "._profiles._reports",
    "server_profile_requests": "._profiles._reports",
}


def __getattr__(name: str) -> Any:
    return lazy_attribute(globals(), _LAZY, name)
