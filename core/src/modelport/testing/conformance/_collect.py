"""How the inherited checks become tests: parametrization, capability skips, property settings.

Each check method is tagged with the group of recordings it runs over (``over``) and the
capabilities it needs (``needs``). ``parametrize`` turns a group into one test per recording,
each skipped with "provider declares no <capability>" when the recording needs something the
provider lacks; an empty group becomes one skipped test that says what to record, so a missing
check is visible in the report rather than silently absent.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis.strategies import SearchStrategy

from ._decode import body_answer, stream_answer
from ._recordings import RecordingsError

if TYPE_CHECKING:
    from ._config import Conformance
    from ._recordings import Case

__all__ = ["GROUPS", "STATUSES", "needs", "over", "parametrize", "property_check", "requires"]

F = TypeVar("F", bound=Callable[..., Any])

# Status -> the error class name a neutral error body at that status must become.
STATUSES: dict[int, str] = {
    400: "BadRequestError",
    401: "AuthenticationError",
    403: "AuthenticationError",
    404: "ModelNotFoundError",
    422: "BadRequestError",
    429: "RateLimitError",
    500: "ProviderServerError",
    502: "ProviderServerError",
    503: "ProviderServerError",
    504: "ProviderServerError",
}

GROUPS: dict[str, tuple[str, ...]] = {
    "streams": ("stream",),
    "responses": ("response",),
    "answers": ("stream", "response"),
    "twins": ("stream",),
    "tool_streams": ("stream",),
    "errors": ("error",),
    "stream_errors": ("stream_error",),
    "models": ("models",),
    "profiles": ("profile",),
}
_GROUP_NEEDS: dict[str, frozenset[str]] = {
    "streams": frozenset({"streaming"}),
    "twins": frozenset({"streaming"}),
    "tool_streams": frozenset({"streaming", "tools"}),
    "stream_errors": frozenset({"streaming"}),
    "models": frozenset({"model_listing"}),
    "profiles": frozenset({"server_profile"}),
}
_WHAT = {
    "streams": "streamed responses (.sse / .bin)",
    "responses": "non-streamed responses (.json)",
    "answers": "responses",
    "twins": "stream/non-stream twins (same answer recorded both ways)",
    "tool_streams": "streams with tool calls",
    "errors": "error bodies (error-<status>-*.json)",
    "stream_errors": "streams ending in an error event (*error*.sse / .bin)",
    "models": "model lists (*models.json)",
    "profiles": 'server profile reports (cases.json "kind": "profile")',
}


def over(group: str) -> Callable[[F], F]:
    """Run the check once per recording of ``group`` (its ``recording`` argument)."""
    if group not in GROUPS and group != "statuses":
        raise ValueError(f"unknown recordings group {group!r}")

    def mark(fn: F) -> F:
        fn._conformance_over = group  # type: ignore[attr-defined]
        return fn

    return mark


def needs(*capabilities: str) -> Callable[[F], F]:
    """Skip the check unless the provider declares every one of ``capabilities``."""

    def mark(fn: F) -> F:
        fn._conformance_needs = frozenset(capabilities)  # type: ignore[attr-defined]
        return fn

    return mark


def requires(conf: Conformance, case: Case) -> frozenset[str]:
    """What a recording needs: declared in the manifest, plus streaming for a stream and tools
    for a recording whose answer has tool calls (found by decoding it; a recording that does
    not decode needs nothing more, and the checks then report why it does not)."""
    memo = conf._memo.setdefault("requires", {})
    if case.name in memo:
        return frozenset(memo[case.name])
    found = set(case.requires)
    if case.kind in ("stream", "stream_error"):
        found.add("streaming")
    if case.kind == "models":
        found.add("model_listing")
    if case.kind == "profile":
        found.add("server_profile")
    if case.kind in ("stream", "response") and "tools" not in found:
        try:
            if case.kind == "stream":
                response = stream_answer(conf, case)[1]
            else:
                response = body_answer(conf, case)
            if response.tool_calls:
                found.add("tools")
        except Exception:  # collection goes on; the checks on this recording say what broke
            pass
    memo[case.name] = frozenset(found)
    return frozenset(found)


def _in_group(conf: Conformance, group: str, case: Case) -> bool:
    if case.kind not in GROUPS[group]:
        return False
    if group == "twins":
        return case.twin is not None
    if group == "tool_streams":
        return "tools" in requires(conf, case)
    return True


def parametrize(metafunc: pytest.Metafunc, conf: Conformance) -> None:
    group: str | None = getattr(metafunc.function, "_conformance_over", None)
    if group is None:
        return
    if group == "statuses":
        metafunc.parametrize("status", sorted(STATUSES), ids=str)
        return
    check = metafunc.function.__name__
    checks = {name for name in dir(metafunc.cls) if name.startswith("test_")}
    params = []
    for case in conf.cases():
        unknown = set(case.xfail) - checks
        if unknown:
            raise RecordingsError(f"{case.name}: xfail names unknown checks {sorted(unknown)}")
        if not _in_group(conf, group, case):
            continue
        reason = conf.lacks(requires(conf, case))
        marks = [pytest.mark.skip(reason=reason)] if reason else []
        if check in case.xfail:
            marks.append(pytest.mark.xfail(strict=True, reason=case.xfail[check]))
        params.append(pytest.param(case, id=case.name, marks=marks))
    if not params:
        folders = ", ".join(str(f) for f in conf.folders)
        reason = conf.lacks(_GROUP_NEEDS.get(group, ())) or (
            f"no recorded {_WHAT[group]} in {folders}"
        )
        skip = pytest.mark.skip(reason=reason)
        params.append(pytest.param(None, id="none-recorded", marks=[skip]))
    metafunc.parametrize("recording", params)


def property_check(
    examples: int, *strategies: SearchStrategy[Any]
) -> Callable[[Callable[..., None]], Callable[[], None]]:
    """``@given`` with the suite's bounds: ``examples`` inputs, no deadline (recordings of
    very different sizes), no health checks about slow data generation."""
    bound = settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )

    def wrap(fn: Callable[..., None]) -> Callable[[], None]:
        run: Callable[[], None] = bound(given(*strategies)(fn))
        return run

    return wrap
