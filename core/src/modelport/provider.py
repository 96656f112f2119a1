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

from ._contract import (
    PROVIDER_MEMBERS,
    BaseProvider,
    ModelProfile,
    Provider,
    ProviderSettings,
    StreamDecoder,
    StructuredStrategy,
    ThinkingMode,
    check_provider_class,
)
from ._engine._assemble import assemble, new_call_id
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
from ._http._sse import SSEDecoder, SSEEvent
from ._http._sse_stream import SSEResponseDecoder
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

__all__ = [
    "ERROR_KINDS",
    "PROVIDER_MEMBERS",
    "AuthenticationError",
    "BadRequestError",
    "BaseProvider",
    "ConfigurationError",
    "ContextWindowExceededError",
    "FinishDelta",
    "ImagePart",
    "IncompleteStreamError",
    "LLMError",
    "LLMTimeoutError",
    "Message",
    "MetaDelta",
    "ModelNotFoundError",
    "ModelProfile",
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
    "ToolSpec",
    "Usage",
    "UsageDelta",
    "WireDelta",
    "WireRequest",
    "assemble",
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
    "protocol_error",
    "request_id_from",
    "retry_hint",
]
