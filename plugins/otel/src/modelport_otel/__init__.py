"""OpenTelemetry traces and metrics for modelport, after the GenAI semantic conventions.

Installed, the plugin traces every call through the global tracer and meter providers (or
those given to ``configure``). Importing this package imports no OpenTelemetry: the API is
imported the first time a call is observed, so ``modelport plugins`` and ``import modelport``
never pay for it.
"""

from __future__ import annotations

from ._settings import configure

__version__ = "0.1.0"

__all__ = ["__version__", "configure"]
