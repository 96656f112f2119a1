"""Entry point (group ``modelport``, name ``otel``): observes every call.

A call is not observed at all while no OpenTelemetry SDK is set up: there would be nowhere to
send it. OpenTelemetry itself is imported only once something could be set up (``configure``
was given a provider, the program imported the API, or a provider is named in the
environment: ``_active``), and the span machinery only for a call that is observed.
"""

from __future__ import annotations

from modelport import hookimpl
from modelport.provider import CallInfo, CallObserver

from ._active import telemetry_wanted  # imports no OpenTelemetry: it only looks


@hookimpl
def observe_call(call: CallInfo) -> CallObserver | None:
    if not telemetry_wanted():
        return None
    from ._spans import CallSpan

    return CallSpan.start(call)
