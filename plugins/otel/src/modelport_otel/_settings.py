"""What the plugin records and where it sends it: ``configure`` and the environment.

Content (prompts, answers, tool arguments and results) is off unless turned on, by
``configure(capture_content=True)`` or the standard variable
``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true`` (read per call, so it can be
changed while a program runs). Without a provider given here, the global ones are used
(``opentelemetry.trace.set_tracer_provider`` / ``metrics.set_meter_provider``).
"""

from __future__ import annotations

import os
from typing import Any

__all__ = ["CONTENT_ENV", "Settings", "configure", "settings"]

CONTENT_ENV = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"


class Settings:
    __slots__ = ("capture_content", "generation", "meter_provider", "tracer_provider")

    def __init__(self) -> None:
        self.capture_content: bool | None = None
        self.tracer_provider: Any = None
        self.meter_provider: Any = None
        self.generation = 0  # bumped by ``configure``: cached tracers and instruments renew

    def content_enabled(self) -> bool:
        if self.capture_content is not None:
            return self.capture_content
        return os.environ.get(CONTENT_ENV, "").strip().lower() in ("true", "1", "yes")


settings = Settings()


def configure(
    *,
    capture_content: bool | None = None,
    tracer_provider: Any = None,
    meter_provider: Any = None,
) -> None:
    """Set what the plugin records: ``capture_content`` (``None``: follow
    ``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT``), and the tracer and meter providers
    to use instead of the global ones (``None``: the global ones). Each call replaces all
    three."""
    settings.capture_content = capture_content
    settings.tracer_provider = tracer_provider
    settings.meter_provider = meter_provider
    settings.generation += 1
