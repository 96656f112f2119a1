"""The two GenAI client histograms: ``gen_ai.client.token.usage`` and
``gen_ai.client.operation.duration``, with the bucket boundaries the conventions advise."""

from __future__ import annotations

from typing import Any

from opentelemetry import metrics

from . import __version__
from ._settings import settings

__all__ = ["Instruments", "instruments"]

_TOKEN_BUCKETS = [4.0**i for i in range(14)]  # 1, 4, 16, ... 67108864
_DURATION_BUCKETS = [0.01 * 2.0**i for i in range(14)]  # 0.01, 0.02, 0.04, ... 81.92


class Instruments:
    __slots__ = ("duration", "generation", "tokens")

    def __init__(self, meter: metrics.Meter, generation: int) -> None:
        self.generation = generation
        self.tokens = meter.create_histogram(
            "gen_ai.client.token.usage",
            unit="{token}",
            description="Number of input and output tokens used.",
            explicit_bucket_boundaries_advisory=_TOKEN_BUCKETS,
        )
        self.duration = meter.create_histogram(
            "gen_ai.client.operation.duration",
            unit="s",
            description="GenAI operation duration.",
            explicit_bucket_boundaries_advisory=_DURATION_BUCKETS,
        )

    def record(
        self,
        attributes: dict[str, Any],
        seconds: float,
        input_tokens: int | None,
        output_tokens: int | None,
        cache_source: str | None,
    ) -> None:
        """One call: its duration, and its tokens when some were spent (a cache hit spent
        none, and a call that failed or was closed early reports none)."""
        timed = dict(attributes)
        if cache_source is not None:
            timed["modelport.cache.source"] = cache_source
        self.duration.record(seconds, timed)
        if "error.type" in attributes:
            return
        if input_tokens is not None:
            self.tokens.record(input_tokens, {**attributes, "gen_ai.token.type": "input"})
        if output_tokens is not None:
            self.tokens.record(output_tokens, {**attributes, "gen_ai.token.type": "output"})


_current: list[Instruments] = []


def instruments() -> Instruments:
    """The instruments for the configured meter provider (created once per ``configure``)."""
    if _current and _current[0].generation == settings.generation:
        return _current[0]
    meter = metrics.get_meter("modelport_otel", __version__, meter_provider=settings.meter_provider)
    made = Instruments(meter, settings.generation)
    _current[:] = [made]
    return made
