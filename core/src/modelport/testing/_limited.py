"""``ProviderLimits``: a route handler that enforces a provider's per-key limits.

Real providers count requests per API key (a token bucket that refills continuously) and cap
the requests in flight; over either they answer 429 with ``Retry-After``, and every answer
carries OpenAI's ``x-ratelimit-*`` headers. This handler does the same on a ``ScriptedServer``,
so a test or a soak can show that a client's limits and key pool keep under them, and count
what the server saw: requests, 429s, the most in flight (per key and in all).
"""

from __future__ import annotations

import dataclasses
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from ._http import RecordedRequest
from ._script import Reply

__all__ = ["ProviderLimits"]


@dataclass(slots=True)
class _KeyState:
    level: float
    at: float
    in_flight: int = 0
    most: int = 0
    answered: int = 0
    refused: int = 0


def _key_of(request: RecordedRequest) -> str:
    auth = request.headers.get("authorization", "")
    return auth.removeprefix("Bearer ") or request.headers.get("x-api-key", "")


class ProviderLimits:
    """``server.route("POST", "/v1/chat/completions", ProviderLimits(answer, ...))``.

    ``answer``: the reply for a request within the limits. Per key: ``requests_per_minute``
    refills a bucket of ``burst_s`` seconds' worth (a minute, like OpenAI's; it starts full),
    ``max_concurrency`` caps the requests in flight, each held ``latency_s`` (a bounded
    ``time.sleep`` on the connection's thread). The headers report what is left;
    ``x-ratelimit-reset-requests`` is the time until the next request is allowed.
    """

    def __init__(
        self,
        answer: Callable[[RecordedRequest], Reply],
        *,
        requests_per_minute: float,
        max_concurrency: int,
        burst_s: float = 60.0,
        latency_s: float = 0.0,
    ) -> None:
        if requests_per_minute <= 0 or max_concurrency < 1 or burst_s <= 0:
            raise ValueError("limits must be positive")
        if not 0.0 <= latency_s <= 10.0:
            raise ValueError("latency_s must be within 0..10 s")
        self.answer = answer
        self.rate = requests_per_minute / 60.0
        self.capacity = max(1.0, self.rate * burst_s)
        self.max_concurrency = max_concurrency
        self.latency_s = latency_s
        self.lock = threading.Lock()
        self.keys: dict[str, _KeyState] = {}
        self.in_flight = 0
        self.most_in_flight = 0
        self.arrivals: list[float] = []  # time.monotonic() of each request granted

    # -- what the server saw -------------------------------------------------------------------

    @property
    def answered(self) -> int:
        with self.lock:
            return sum(s.answered for s in self.keys.values())

    @property
    def refused(self) -> int:
        """429s sent."""
        with self.lock:
            return sum(s.refused for s in self.keys.values())

    def most_per_key(self) -> int:
        with self.lock:
            return max((s.most for s in self.keys.values()), default=0)

    # -- the handler ---------------------------------------------------------------------------

    def __call__(self, request: RecordedRequest) -> Reply:
        key = _key_of(request)
        now = time.monotonic()
        with self.lock:
            state = self.keys.setdefault(key, _KeyState(self.capacity, now))
            state.level = min(self.capacity, state.level + (now - state.at) * self.rate)
            state.at = now
            if state.in_flight >= self.max_concurrency:
                state.refused += 1
                return self._refused(1.0, state)
            if state.level < 1.0:
                state.refused += 1
                return self._refused((1.0 - state.level) / self.rate, state)
            state.level -= 1.0
            state.in_flight += 1
            state.most = max(state.most, state.in_flight)
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
            self.arrivals.append(now)
        try:
            if self.latency_s:
                time.sleep(self.latency_s)
            reply = self.answer(request)
        finally:
            with self.lock:
                state.in_flight -= 1
                self.in_flight -= 1
                state.answered += 1
                headers = self._headers(state)
        return dataclasses.replace(reply, headers=reply.headers + headers)

    def _headers(self, state: _KeyState) -> tuple[tuple[str, str], ...]:
        """Under the lock."""
        left = math.floor(state.level)
        reset = 0.0 if left >= 1 else (1.0 - state.level) / self.rate
        return (
            ("x-ratelimit-limit-requests", str(int(self.capacity))),
            ("x-ratelimit-remaining-requests", str(left)),
            ("x-ratelimit-reset-requests", f"{reset * 1000:.0f}ms"),
        )

    def _refused(self, wait_s: float, state: _KeyState) -> Reply:
        """Under the lock."""
        return Reply.status(
            429,
            {"error": {"message": "Rate limit reached for requests", "type": "requests"}},
            headers=[
                ("retry-after", str(max(1, math.ceil(wait_s)))),
                ("retry-after-ms", f"{max(1.0, wait_s * 1000):.0f}"),
                *self._headers(state),
            ],
        )
