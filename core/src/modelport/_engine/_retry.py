"""The one retry policy every request path uses (sans-IO: it decides, the drivers sleep).

Retried: 408, 409, 429, 5xx, connection errors and timeouts. Never other 4xx (the same request
would fail again) and never a malformed response (``ProviderProtocolError``). The wait honours
``retry-after-ms`` / ``Retry-After`` when the provider sends one, else exponential backoff with
jitter. A connection that broke before any response byte (a pooled keep-alive connection the
server had closed) is retried once at once and does not count as an attempt.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from .._errors import (
    LLMError,
    LLMTimeoutError,
    ModelRequestError,
    ProviderConnectionError,
    ProviderServerError,
    RateLimitError,
)

__all__ = ["RetryPolicy"]

_RETRY_STATUSES = frozenset({408, 409, 429})


@dataclass(slots=True)
class RetryPolicy:
    max_retries: int = 2
    backoff_base: float = 0.5
    backoff_max: float = 8.0
    jitter: float = 0.25
    max_retry_after: float = 60.0

    def is_retryable(self, error: LLMError) -> bool:
        if not isinstance(error, ModelRequestError):
            return False
        if error.retryable is not None:
            return error.retryable
        if isinstance(error, (RateLimitError, ProviderServerError, LLMTimeoutError)):
            return True
        if isinstance(error, ProviderConnectionError):
            return True
        return error.status in _RETRY_STATUSES

    def delay(self, error: LLMError, attempt: int) -> float | None:
        """Seconds to wait before attempt ``attempt + 1``, or ``None`` to give up and raise."""
        if attempt > self.max_retries or not self.is_retryable(error):
            return None
        hinted = error.retry_after if isinstance(error, ModelRequestError) else None
        if hinted is not None:
            if hinted > self.max_retry_after:
                return None  # the provider asks for longer than we will wait: surface it
            return float(hinted)
        base = min(self.backoff_max, self.backoff_base * (2.0 ** (attempt - 1)))
        return base * (1.0 + self.jitter * random.random())
