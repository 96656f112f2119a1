"""modelport: one API for every LLM provider; providers, caches and parsers are plugins.

``import modelport`` is cheap: it defines the exception tree and the hook marker. Everything
else (the boundary types, the HTTP stack, plugins) loads on first use of the name that needs it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

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
    RefusalError,
    SchemaConversionError,
    StructuredOutputError,
    ToolExecutionError,
    TruncatedOutputError,
)
from ._markers import hookimpl

if TYPE_CHECKING:
    from ._client import LLM
    from ._contract import ModelProfile
    from ._cost import Cost, set_price
    from ._engine._abort import AbortSignal
    from ._engine._retry import RetryPolicy
    from ._events import ProgressEvent, StreamEvent
    from ._http._stdlib_transport import StdlibTransport
    from ._http._timeouts import Timeouts
    from ._http._transport import HttpxTransport
    from ._limits import KeyPool, Limits
    from ._messages import ImagePart, Message, TextPart, ToolCall
    from ._request import Request, ResponseFormat, ToolSpec
    from ._response import Response, ToolResult, Usage

__version__ = "0.1.0"

__all__ = [
    "LLM",
    "AbortSignal",
    "AuthenticationError",
    "BadRequestError",
    "ConfigurationError",
    "ContextWindowExceededError",
    "Cost",
    "ImagePart",
    "IncompleteStreamError",
    "KeyPool",
    "LLMError",
    "LLMTimeoutError",
    "Limits",
    "Message",
    "ModelNotFoundError",
    "ModelProfile",
    "ModelRequestError",
    "ProgressEvent",
    "ProviderConnectionError",
    "ProviderProtocolError",
    "ProviderServerError",
    "RateLimitError",
    "RefusalError",
    "HttpxTransport",
    "Request",
    "Response",
    "ResponseFormat",
    "RetryPolicy",
    "SchemaConversionError",
    "StdlibTransport",
    "StreamEvent",
    "StructuredOutputError",
    "TextPart",
    "Timeouts",
    "ToolCall",
    "ToolExecutionError",
    "ToolResult",
    "ToolSpec",
    "TruncatedOutputError",
    "Usage",
    "hookimpl",
    "set_price",
]

_LAZY = {
    "LLM": "._client",
    "ModelProfile": "._contract",
    "Cost": "._cost",
    "set_price": "._cost",
    "AbortSignal": "._engine._abort",
    "Limits": "._limits",
    "KeyPool": "._limits",
    "ProgressEvent": "._events",
    "StreamEvent": "._events",
    "ImagePart": "._messages",
    "Message": "._messages",
    "TextPart": "._messages",
    "ToolCall": "._messages",
    "Request": "._request",
    "ResponseFormat": "._request",
    "ToolSpec": "._request",
    "Response": "._response",
    "ToolResult": "._response",
    "Usage": "._response",
    "Timeouts": "._http._timeouts",
    "RetryPolicy": "._engine._retry",
    "StdlibTransport": "._http._stdlib_transport",
    "HttpxTransport": "._http._transport",
}


_SUBMODULES = frozenset(
    {"cache", "fn", "plugins", "provider", "schema", "testing", "thinking", "tools", "transport"}
)


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        from importlib import import_module

        return import_module(f".{name}", __name__)
    from ._lazy import lazy_attribute

    return lazy_attribute(globals(), _LAZY, name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
