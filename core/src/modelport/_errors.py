"""The exception tree, in one place.

Every failure modelport raises is an ``LLMError``. Catch the narrowest class that tells your
code what to do next::

    LLMError                          anything modelport raises
    ├── ConfigurationError            bad model spec, options, plugin setup (a user fix)
    ├── SchemaConversionError         a tool or output type cannot become a JSON schema
    ├── ToolExecutionError            a tool raised, or its call could not be made
    ├── StructuredOutputError         the answer is not valid for the requested schema
    │   ├── RefusalError              the model refused (``refusal`` has its text)
    │   └── TruncatedOutputError      the token limit cut the answer off (raise ``max_tokens``)
    └── ModelRequestError             the provider call failed
        ├── AuthenticationError       401 / 403: key missing, wrong or not allowed
        ├── RateLimitError            429: slow down (``retry_after`` says how long)
        ├── BadRequestError           other 4xx: the provider rejected the request
        │   ├── ContextWindowExceededError   prompt + output exceed the model's window
        │   └── ModelNotFoundError    the model does not exist or is not available
        ├── ProviderServerError       5xx: the provider failed
        ├── ProviderConnectionError   could not connect, or the connection dropped
        ├── ProviderProtocolError     the response could not be understood (bad JSON or SSE)
        │   └── IncompleteStreamError the stream ended before the provider's end marker
        └── LLMTimeoutError           connect / read / first chunk / total time ran out

Every ``ModelRequestError`` carries ``status``, ``provider``, ``model``, ``request_id`` and the
provider's own ``provider_message`` / ``code``, plus the facts the retry loop decides on:
``retry_after`` (seconds the provider asked for), ``retryable`` (``None``: decided by class and
status; ``False``: never retry, e.g. a request too large for any rate window),
``before_response`` (the connection failed before a response byte arrived) and
``fresh_connection`` (it failed on a new connection, so it was not a stale pooled one).
None of them ever holds credentials: messages are
scrubbed of the configured keys before the exception is built (see ``redact``).
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = [
    "AuthenticationError",
    "BadRequestError",
    "ConfigurationError",
    "ContextWindowExceededError",
    "LLMError",
    "LLMTimeoutError",
    "ModelNotFoundError",
    "ModelRequestError",
    "ProviderConnectionError",
    "ProviderProtocolError",
    "IncompleteStreamError",
    "ProviderServerError",
    "RateLimitError",
    "RefusalError",
    "TruncatedOutputError",
    "SchemaConversionError",
    "StructuredOutputError",
    "ToolExecutionError",
    "redact",
]


class LLMError(Exception):
    """Base class of every error modelport raises."""

    def __init__(
        self,
        message: str,
        *,
        provider: str | None = None,
        model: str | None = None,
        status: int | None = None,
        request_id: str | None = None,
        provider_message: str | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.provider = provider
        self.model = model
        self.status = status
        self.request_id = request_id
        self.provider_message = provider_message
        self.code = code

    def __str__(self) -> str:
        parts = [self.message]
        extra = []
        if self.provider:
            extra.append(f"provider={self.provider}")
        if self.model:
            extra.append(f"model={self.model}")
        if self.status is not None:
            extra.append(f"status={self.status}")
        if self.code:
            extra.append(f"code={self.code}")
        if self.request_id:
            extra.append(f"request_id={self.request_id}")
        if extra:
            parts.append("(" + ", ".join(extra) + ")")
        return " ".join(parts)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self)!r})"

    def scrubbed(self, secrets: Iterable[str]) -> LLMError:
        """Remove every secret from the text fields, in place; returns self for chaining."""
        self.message = redact(self.message, secrets)
        if self.provider_message is not None:
            self.provider_message = redact(self.provider_message, secrets)
        self.args = (self.message,)
        return self


class ConfigurationError(LLMError):
    """The caller's configuration is wrong: fix the code or environment, retrying won't help."""


class SchemaConversionError(LLMError):
    """A Python type or tool signature cannot be expressed as the JSON schema a model needs."""


class ToolExecutionError(LLMError):
    """A tool failed, or its call could not be carried out."""


class StructuredOutputError(LLMError):
    """The model's answer does not parse or validate as the requested structure."""

    def __init__(self, message: str, *, raw_text: str | None = None, **kw: object) -> None:
        super().__init__(message, **kw)  # type: ignore[arg-type]
        self.raw_text = raw_text


class RefusalError(StructuredOutputError):
    """The model refused to produce the structured answer; ``refusal`` is its text."""

    def __init__(self, message: str, *, refusal: str = "", **kw: object) -> None:
        super().__init__(message, **kw)  # type: ignore[arg-type]
        self.refusal = refusal


class TruncatedOutputError(StructuredOutputError):
    """The token limit (``stop_reason='length'``) cut the structured answer off.

    Asking again with the same limit gives the same cut, so ``structured_retries`` does not
    re-ask; raise ``max_tokens`` instead.
    """


class ModelRequestError(LLMError):
    """The request to the provider failed; ``status`` is the HTTP status when there was one.

    ``retry_after`` (seconds) is set when the provider said how long to wait. ``retryable``,
    ``before_response`` and ``fresh_connection`` are the retry loop's facts (module docstring).
    """

    def __init__(
        self,
        message: str,
        *,
        retry_after: float | None = None,
        retryable: bool | None = None,
        before_response: bool = False,
        fresh_connection: bool = False,
        **kw: object,
    ) -> None:
        super().__init__(message, **kw)  # type: ignore[arg-type]
        self.retry_after = retry_after
        self.retryable = retryable
        self.before_response = before_response
        self.fresh_connection = fresh_connection


class AuthenticationError(ModelRequestError):
    """The provider refused the credentials (401/403)."""


class RateLimitError(ModelRequestError):
    """The provider asked us to slow down (429). ``retry_after`` is in seconds, when given."""


class BadRequestError(ModelRequestError):
    """The provider rejected the request as invalid (a 4xx other than 401/403/408/409/429)."""


class ContextWindowExceededError(BadRequestError):
    """The prompt plus requested output do not fit in the model's context window."""


class ModelNotFoundError(BadRequestError):
    """The model does not exist or this key may not use it."""


class ProviderServerError(ModelRequestError):
    """The provider failed on its side (5xx)."""


class ProviderConnectionError(ModelRequestError):
    """No connection could be made, or it broke before the answer was complete."""


class ProviderProtocolError(ModelRequestError):
    """The provider's response could not be decoded (malformed JSON, SSE or event stream)."""


class IncompleteStreamError(ProviderProtocolError):
    """The stream stopped before the provider's completion marker: the answer is cut short.

    Raised instead of returning a silently short answer (a proxy or server dropped the rest).
    """


class LLMTimeoutError(ModelRequestError, TimeoutError):
    """A connect, read, first-chunk or total timeout ran out. ``phase`` names which one."""

    def __init__(self, message: str, *, phase: str = "read", **kw: object) -> None:
        super().__init__(message, **kw)  # type: ignore[arg-type]
        self.phase = phase


_MASK = "[REDACTED]"


def redact(text: str, secrets: Iterable[str]) -> str:
    """Replace every occurrence of each secret (and its last-8-characters tail) with a mask.

    Providers echo keys back in error messages, sometimes abbreviated ("sk-abc***wxyz"), so the
    tail is masked too when the secret is long enough for the tail to be meaningful.
    """
    for secret in secrets:
        if not secret:
            continue
        text = text.replace(secret, _MASK)
        if len(secret) >= 16:
            text = text.replace(secret[-8:], _MASK)
            text = text.replace(secret[:8], _MASK)
    return text
