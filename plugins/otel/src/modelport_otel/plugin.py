"""Entry point (group ``modelport``, name ``otel``): observes every call.

The span machinery (and OpenTelemetry with it) is imported on the first call. A call is not
observed at all while no OpenTelemetry SDK is set up: there would be nowhere to send it.
"""

from __future__ import annotations

from modelport import hookimpl
from modelport.provider import CallInfo, CallObserver


@hookimpl
def observe_call(call: CallInfo) -> CallObserver | None:
    from ._active import telemetry_wanted

    if not telemetry_wanted():
        return None
    from ._spans import CallSpan

    return CallSpan.start(call)
