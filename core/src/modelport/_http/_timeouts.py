"""Timeout settings: four budgets, each a different failure a user wants to bound, and how the
first-chunk and total budgets also bound the wait for the response headers."""

from __future__ import annotations

from dataclasses import dataclass

from .._errors import ConfigurationError, LLMTimeoutError, ModelRequestError

__all__ = ["Timeouts", "coerce_timeouts", "label_timeout", "pre_header_timeouts"]


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


def label_timeout(err: ModelRequestError, t: Timeouts) -> ModelRequestError:
    """A read timeout before the headers is the first-chunk or total budget when that was
    the tighter bound (see ``pre_header_timeouts``); say which, users tune them separately."""
    if isinstance(err, LLMTimeoutError) and err.phase == "read":
        read = t.read if t.read is not None else float("inf")
        for phase, bound in (("first_chunk", t.first_chunk), ("total", t.total)):
            if bound is not None and bound < read:
                err.phase = phase
                err.message = f"{phase} timeout ({bound}s) before the response started"
                err.args = (err.message,)
                break
    return err


def pre_header_timeouts(t: Timeouts) -> Timeouts:
    """Until the headers arrive, the read timeout is also bounded by first-chunk and total."""
    if t.first_chunk is None and t.total is None:  # the default: nothing tighter than read
        return t
    bounds = [x for x in (t.read, t.first_chunk, t.total) if x is not None]
    read = min(bounds) if bounds else None
    if read == t.read:
        return t
    return Timeouts(connect=t.connect, read=read, first_chunk=t.first_chunk, total=t.total)
