"""Whether anything would receive a call's telemetry: with no SDK set up (neither given to
``configure`` nor installed as the global providers), the API's spans and instruments go
nowhere, and observing the call would only cost time. The check runs per call, so providers
installed later are picked up.

While the OpenTelemetry API has not been imported by anyone, no global provider can have been
set (``set_tracer_provider`` lives in it), so the first call of a program that uses no
OpenTelemetry does not import it either. The one way to get a global provider without
importing the API first is naming one in ``OTEL_PYTHON_TRACER_PROVIDER`` /
``OTEL_PYTHON_METER_PROVIDER``, which the API loads on first use: then the API is asked.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from ._settings import settings

__all__ = ["telemetry_wanted"]

_API_MODULES = ("opentelemetry.trace", "opentelemetry.metrics")
_PROVIDER_ENV = ("OTEL_PYTHON_TRACER_PROVIDER", "OTEL_PYTHON_METER_PROVIDER")


class _Api:
    """The API's modules and stand-in provider types, looked up once the API is in use."""

    trace: Any = None
    metrics: Any = None
    no_tracing: tuple[type, ...] = ()
    no_metrics: tuple[type, ...] = ()


def _load_api() -> type[_Api]:
    from opentelemetry import metrics, trace

    _Api.no_metrics = (metrics.NoOpMeterProvider,)
    try:  # the API's stand-in until a meter provider is set; it has no public name
        from opentelemetry.metrics._internal import _ProxyMeterProvider
    except ImportError:  # another API layout: observe rather than miss metrics
        pass
    else:
        _Api.no_metrics = (metrics.NoOpMeterProvider, _ProxyMeterProvider)
    _Api.no_tracing = (trace.ProxyTracerProvider, trace.NoOpTracerProvider)
    _Api.trace, _Api.metrics = trace, metrics
    return _Api


_env_seen: list[int | bool] = [-1, False]  # [len(os.environ) when read, a provider named]


def _api_in_use() -> bool:
    """Cheap when it says no (every call of a program without OpenTelemetry asks): two
    ``sys.modules`` lookups, and the environment read again only when its size changed (a
    variable set or removed), since a lookup of a missing variable costs a microsecond."""
    modules = sys.modules
    if _API_MODULES[0] in modules or _API_MODULES[1] in modules:
        return True
    environ = os.environ
    size = len(environ)
    if size != _env_seen[0]:
        _env_seen[:] = [size, any(environ.get(name) for name in _PROVIDER_ENV)]
    return bool(_env_seen[1])


def telemetry_wanted() -> bool:
    if settings.tracer_provider is not None or settings.meter_provider is not None:
        return True
    if _Api.trace is None:
        if not _api_in_use():
            return False
        _load_api()
    if not isinstance(_Api.trace.get_tracer_provider(), _Api.no_tracing):
        return True
    return not isinstance(_Api.metrics.get_meter_provider(), _Api.no_metrics)
