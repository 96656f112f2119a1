"""Whether anything would receive a call's telemetry: with no SDK set up (neither given to
``configure`` nor installed as the global providers), the API's spans and instruments go
nowhere, and observing the call would only cost time. The check runs per call, so providers
installed later are picked up."""

from __future__ import annotations

from opentelemetry import metrics, trace

from ._settings import settings

__all__ = ["telemetry_wanted"]

_NO_TRACING = (trace.ProxyTracerProvider, trace.NoOpTracerProvider)


def _unset_meter_types() -> tuple[type, ...]:
    try:  # the API's stand-in until a meter provider is set; it has no public name
        from opentelemetry.metrics._internal import _ProxyMeterProvider
    except ImportError:  # another API layout: observe rather than miss metrics
        return (metrics.NoOpMeterProvider,)
    return (metrics.NoOpMeterProvider, _ProxyMeterProvider)


_NO_METRICS = _unset_meter_types()


def telemetry_wanted() -> bool:
    if settings.tracer_provider is not None or settings.meter_provider is not None:
        return True
    if not isinstance(trace.get_tracer_provider(), _NO_TRACING):
        return True
    return not isinstance(metrics.get_meter_provider(), _NO_METRICS)
