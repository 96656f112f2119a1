"""Provider limit headers: what is left of a provider's budget, read from every response.

A provider declares its headers (``LimitHeaders``, the ``limit_headers`` of its class); the
engine reads them after each response and tells the limiter (or, with a key pool, the key
that was used), so that a budget at zero pauses until its reset instead of running into a 429.
A header that is missing or malformed is ignored: a bad value never fails a request.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from datetime import datetime
from typing import Literal

from .._slotted import FrozenSlotted

__all__ = [
    "ANTHROPIC_LIMIT_HEADERS",
    "OPENAI_LIMIT_HEADERS",
    "LimitHeaders",
    "LimitReading",
    "parse_duration",
    "parse_remaining",
    "parse_reset",
    "read_limit_headers",
]

ResetFormat = Literal["duration", "rfc3339", "seconds"]

_LONGEST_S = 86_400.0  # a reset further off than a day is not believed
_UNITS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 1e-3, "us": 1e-6, "µs": 1e-6, "ns": 1e-9}
_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|us|µs|ns|h|m|s)")


class LimitHeaders(FrozenSlotted):
    """Names of the response headers that announce a provider's limits.

    ``reset_format``: how a reset is written: ``"duration"`` (OpenAI: ``6m0s``, ``1s``,
    ``20ms``), ``"rfc3339"`` (Anthropic: ``2025-03-15T08:58:28Z``, a moment, compared with the
    response's ``Date`` so that clock skew does not matter) or ``"seconds"`` (a number).
    """

    _fields = (
        "remaining_requests",
        "remaining_tokens",
        "reset_requests",
        "reset_tokens",
        "reset_format",
    )
    __slots__ = _fields
    remaining_requests: str | None
    remaining_tokens: str | None
    reset_requests: str | None
    reset_tokens: str | None
    reset_format: ResetFormat

    def __init__(
        self,
        remaining_requests: str | None = None,
        remaining_tokens: str | None = None,
        reset_requests: str | None = None,
        reset_tokens: str | None = None,
        reset_format: ResetFormat = "duration",
    ) -> None:
        set_field = object.__setattr__
        set_field(self, "remaining_requests", remaining_requests)
        set_field(self, "remaining_tokens", remaining_tokens)
        set_field(self, "reset_requests", reset_requests)
        set_field(self, "reset_tokens", reset_tokens)
        set_field(self, "reset_format", reset_format)


#: OpenAI's (and most OpenAI-compatible servers'): ``x-ratelimit-*``, resets as durations.
OPENAI_LIMIT_HEADERS = LimitHeaders(
    remaining_requests="x-ratelimit-remaining-requests",
    remaining_tokens="x-ratelimit-remaining-tokens",
    reset_requests="x-ratelimit-reset-requests",
    reset_tokens="x-ratelimit-reset-tokens",
    reset_format="duration",
)

#: Anthropic's ``anthropic-ratelimit-*``: resets as RFC 3339 moments; the combined tokens budget
#: stands for the input and output ones.
ANTHROPIC_LIMIT_HEADERS = LimitHeaders(
    remaining_requests="anthropic-ratelimit-requests-remaining",
    remaining_tokens="anthropic-ratelimit-tokens-remaining",
    reset_requests="anthropic-ratelimit-requests-reset",
    reset_tokens="anthropic-ratelimit-tokens-reset",
    reset_format="rfc3339",
)


class LimitReading(FrozenSlotted):
    """What one response's headers said (``None``: not said, or not readable)."""

    _fields = ("remaining_requests", "remaining_tokens", "reset_requests_s", "reset_tokens_s")
    __slots__ = _fields
    remaining_requests: int | None
    remaining_tokens: int | None
    reset_requests_s: float | None
    reset_tokens_s: float | None

    def __init__(
        self,
        remaining_requests: int | None = None,
        remaining_tokens: int | None = None,
        reset_requests_s: float | None = None,
        reset_tokens_s: float | None = None,
    ) -> None:
        set_field = object.__setattr__
        set_field(self, "remaining_requests", remaining_requests)
        set_field(self, "remaining_tokens", remaining_tokens)
        set_field(self, "reset_requests_s", reset_requests_s)
        set_field(self, "reset_tokens_s", reset_tokens_s)

    def exhausted(self) -> float | None:
        """Seconds until the provider allows requests again, when a budget is at zero."""
        waits = [
            reset
            for remaining, reset in (
                (self.remaining_requests, self.reset_requests_s),
                (self.remaining_tokens, self.reset_tokens_s),
            )
            if remaining is not None and remaining <= 0 and reset is not None and reset > 0
        ]
        return max(waits) if waits else None


def parse_duration(text: str) -> float | None:
    """``"6m0s"`` -> 360.0, ``"20ms"`` -> 0.02, ``"1h2m3.5s"``, a bare ``"1.5"`` (seconds);
    ``None`` for anything else."""
    text = text.strip()
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        pos, seconds = 0, 0.0
        for match in _PART.finditer(text):
            if match.start() != pos:
                return None
            seconds += float(match.group(1)) * _UNITS[match.group(2)]
            pos = match.end()
        if pos != len(text):
            return None
    if not (0.0 <= seconds <= _LONGEST_S):  # also rejects nan and inf
        return None
    return seconds


def _moment(text: str) -> datetime | None:
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return when if when.tzinfo is not None else None


def _server_now(headers: Mapping[str, str]) -> float:
    """The server's clock when it answered (its ``Date``), else ours."""
    date = headers.get("date")
    if date:
        from email.utils import parsedate_to_datetime  # only Anthropic-style resets need it

        try:
            return parsedate_to_datetime(date).timestamp()
        except (TypeError, ValueError, IndexError, OverflowError):
            pass
    return time.time()


def parse_reset(text: str, form: ResetFormat, headers: Mapping[str, str]) -> float | None:
    """Seconds from the response until the reset, ``None`` when not readable."""
    if form == "duration":
        return parse_duration(text)
    if form == "seconds":
        try:
            seconds = float(text.strip())
        except ValueError:
            return None
        return seconds if 0.0 <= seconds <= _LONGEST_S else None
    when = _moment(text)
    if when is None:
        return None
    try:
        seconds = max(0.0, when.timestamp() - _server_now(headers))
    except (OverflowError, OSError, ValueError):
        return None
    return seconds if seconds <= _LONGEST_S else None


def parse_remaining(text: str) -> int | None:
    text = text.strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 18:
        return None
    return int(text)


def read_limit_headers(spec: LimitHeaders, headers: Mapping[str, str]) -> LimitReading | None:
    """The reading of ``headers`` by ``spec``; ``None`` when they say nothing readable."""

    def get(name: str | None) -> str | None:
        return headers.get(name.lower()) if name else None

    rr, rt = get(spec.remaining_requests), get(spec.remaining_tokens)
    if rr is None and rt is None:
        return None
    sr, st = get(spec.reset_requests), get(spec.reset_tokens)
    reading = LimitReading(
        remaining_requests=parse_remaining(rr) if rr is not None else None,
        remaining_tokens=parse_remaining(rt) if rt is not None else None,
        reset_requests_s=parse_reset(sr, spec.reset_format, headers) if sr else None,
        reset_tokens_s=parse_reset(st, spec.reset_format, headers) if st else None,
    )
    if reading.remaining_requests is None and reading.remaining_tokens is None:
        return None
    return reading
