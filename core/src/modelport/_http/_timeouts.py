"""Timeout settings: four budgets, each a different failure a user wants to bound."""

from __future__ import annotations

from dataclasses import dataclass

from .._errors import ConfigurationError

__all__ = ["Timeouts", "coerce_timeouts"]


@dataclass(frozen=True, slots=True)
class Timeouts:
    """Seconds; ``None`` means unbounded.

    ``connect``: establishing TCP/TLS. ``read``: the longest silence between two reads.
    ``first_chunk``: from sending the request to the first byte of the body (a model that is
    queued or thinking silently). ``total``: the whole call, body included, per attempt.
    """

    connect: float | None = 10.0
    read: float | None = 120.0
    first_chunk: float | None = None
    total: float | None = None

    def __post_init__(self) -> None:
        for name in ("connect", "read", "first_chunk", "total"):
            value = getattr(self, name)
            if value is not None and value <= 0:
                raise ConfigurationError(f"timeout {name} must be positive, got {value!r}")


def coerce_timeouts(value: Timeouts | float | int | None) -> Timeouts:
    """A number means "read and total" (what users mean by "time out after N seconds")."""
    if value is None:
        return Timeouts()
    if isinstance(value, Timeouts):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = float(value)
        return Timeouts(connect=min(10.0, seconds), read=seconds, total=seconds)
    raise ConfigurationError(f"timeout must be a number or modelport.Timeouts, not {value!r}")
