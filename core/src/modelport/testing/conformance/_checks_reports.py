"""Checks on the contract members that report facts rather than answers (all opt-in):

- ``paged_listing``: ``next_models_request`` walks the recorded pages in order, each request
  free of credentials, and says the listing is complete after the last one;
- ``server_profile``: ``profile_requests`` / ``parse_profile`` read a recorded server report
  (``cases.json`` ``"kind": "profile"``) into a ``ModelReport`` of known keys and types, and
  turn bodies that are not reports into an empty report or a typed error;
- ``limit_headers``: ``read_limit_headers`` reads the recorded response headers into a
  ``LimitReading`` (``None`` where they say nothing), and any value under the provider's own
  header names gives a reading of non-negative numbers or ``None``, never an exception.

They are opt-in because each needs recordings a provider may not have; a provider that names
one in ``capabilities=`` is held to it.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

from hypothesis import strategies as st

from ...provider import LimitHeaders, LimitReading, LLMError, ModelReport, WireRequest
from .._script import Reply
from ._base import SuiteBase
from ._checks_wire import _credential_problems
from ._collect import needs, over
from ._decode import bounded
from ._harness import make_llm, reply_for, scripted
from ._listing import listing_pages, target_of, walk_listing

if TYPE_CHECKING:
    from ._recordings import Case

__all__ = ["ReportChecks"]

_REPORT_TYPES: dict[str, tuple[type, ...]] = {
    "context_window": (int,),
    "max_output_tokens": (int,),
    "thinking": (str,),
    "tools": (bool,),
    "images": (bool,),
}
_NOT_REPORTS = (b"", b"not json", b"<html></html>", b"null", b"[]", b'{"data": 7}', b"\xff\xfe")
# Header names probed when a provider reads limits its own way (no ``limit_headers`` spec).
_GENERIC_LIMIT_NAMES = (
    "x-ratelimit-remaining-requests",
    "x-ratelimit-remaining-tokens",
    "x-ratelimit-reset-requests",
    "x-ratelimit-reset-tokens",
    "retry-after",
)
_HEADER_VALUES = st.one_of(
    st.text(max_size=30),
    st.integers(-(10**12), 10**12).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.sampled_from(["6m0s", "1s", "20ms", "1h2m3.5s", "2025-03-15T08:58:28Z", "-1", "", " "]),
)


def _report_problems(report: Any) -> list[str]:
    if not isinstance(report, dict):
        return [f"parse_profile returned {type(report).__name__}, not a ModelReport (a dict)"]
    problems = [f"unknown key {k!r}" for k in report if k not in _REPORT_TYPES]
    for key, value in report.items():
        types = _REPORT_TYPES.get(key)
        if types is None:
            continue
        wrong = not isinstance(value, types) or (bool not in types and isinstance(value, bool))
        if wrong:
            problems.append(f"{key}={value!r} is not {types[0].__name__}")
        elif isinstance(value, int) and not isinstance(value, bool) and value <= 0:
            problems.append(f"{key}={value} is not positive")
    return problems


def _reading_problems(reading: Any) -> list[str]:
    if reading is None:
        return []
    if not isinstance(reading, LimitReading):
        return [f"read_limit_headers returned {reading!r}, not a LimitReading or None"]
    problems = []
    for name in ("remaining_requests", "remaining_tokens", "reset_requests_s", "reset_tokens_s"):
        value = getattr(reading, name)
        if value is not None and not (value >= 0 and value == value and value != float("inf")):
            problems.append(f"{name}={value!r}")
    return problems


class ReportChecks(SuiteBase):
    # -- paged listing ------------------------------------------------------------------------

    @needs("model_listing", "paged_listing")
    def test_listing_pages_follow_next_models_request(self) -> None:
        pages = listing_pages(self)
        walked = walk_listing(self.conf, pages)  # asserts the walk matches the pages
        assert len(walked) > 1, (
            "paged_listing declared, but only one model-list recording: record the pages "
            "(in order) the provider asks for"
        )
        for wire, page in walked[1:]:
            problems = _credential_problems(wire, self.conf.canaries)
            assert not problems, (
                f"the request answered by {page.name} carries credentials: {problems}; the "
                "core signs each page through authenticate()"
            )

    @needs("model_listing", "paged_listing")
    def test_listing_walk_ends_on_bodies_that_are_not_pages(self) -> None:
        provider = self.conf.make()
        wire = provider.models_request()
        assert wire is not None, "model_listing declared, but models_request() returned None"
        for body in _NOT_REPORTS:
            # A broken page must end the walk (or raise a typed error), not send the same
            # request again: the core would repeat it up to its bound.
            def step(body: bytes = body) -> WireRequest | None:
                return provider.next_models_request(wire, body)

            try:
                following = bounded(step, "next_models_request")
            except LLMError:
                continue
            if following is not None:
                assert (following.method, following.url) != (wire.method, wire.url), (
                    f"next_models_request answers {body!r} with the same request again"
                )

    # -- server profile reports ---------------------------------------------------------------

    def _profile_requests(self) -> list[WireRequest]:
        wires = self.conf.make().profile_requests(self.conf.model)
        assert isinstance(wires, list) and wires, (
            "server_profile declared, but profile_requests(model) returned no request"
        )
        return wires

    @needs("server_profile")
    def test_profile_requests_carry_no_credentials(self) -> None:
        for wire in self._profile_requests():
            problems = _credential_problems(wire, self.conf.canaries)
            assert not problems, f"profile request {wire.url} carries credentials: {problems}"

    @over("profiles")
    def test_profile_report_parses(self, recording: Case) -> None:
        provider = self.conf.make(recording)
        reports: list[ModelReport] = []
        for wire in self._profile_requests():
            try:
                report = provider.parse_profile(wire, recording.body(), self.conf.model)
            except LLMError:
                continue  # the answer of another of the requests
            problems = _report_problems(report)
            assert not problems, f"parse_profile({wire.url}) gave {report!r}: {problems}"
            if report:
                reports.append(report)
        assert reports, (
            f"no request of profile_requests reads {recording.name} into a non-empty report"
        )

    @over("profiles")
    def test_model_info_through_the_llm(self, recording: Case) -> None:
        # The core asks the profile requests in order until one answers: the ones before the
        # request this recording answers get a 404 (no such endpoint), as a server without
        # them would; the report then shows in ``llm.model_info()``.
        provider = self.conf.make(recording)
        wires = self._profile_requests()
        found: tuple[int, ModelReport] | None = None
        for i, wire in enumerate(wires):
            try:
                report = provider.parse_profile(wire, recording.body(), self.conf.model)
            except LLMError:
                continue
            if report:
                found = (i, report)
                break
        assert found is not None, f"no profile request reads {recording.name} into a report"
        index, report = found
        with scripted() as server, make_llm(self.conf, server, case=recording) as llm:
            server.add(*(Reply.status(404, {"error": "not found"}) for _ in range(index)))
            server.add(reply_for(recording))
            try:
                info = llm.model_info()
            except LLMError as err:
                raise AssertionError(f"llm.model_info() failed: {err}") from err
            sent = list(server.requests)
        assert len(sent) == index + 1, (
            f"llm.model_info() sent {len(sent)} request(s), expected {index + 1}"
        )
        assert sent[-1].target == target_of(wires[index].url)
        differs = {k: (v, getattr(info, k)) for k, v in report.items() if getattr(info, k) != v}
        assert not differs, f"model_info() does not show the server's report: {differs}"

    @needs("server_profile")
    def test_profile_report_that_is_not_one_is_safe(self) -> None:
        provider = self.conf.make()
        for wire in self._profile_requests():
            for body in _NOT_REPORTS:

                def parse(body: bytes = body, wire: WireRequest = wire) -> ModelReport:
                    return provider.parse_profile(wire, body, self.conf.model)

                try:
                    report = bounded(parse, "parse_profile")
                except LLMError:
                    continue
                assert report == {}, (
                    f"parse_profile({wire.url}, {body!r}) reported {report!r} from a body "
                    "that is not a report: expected an empty report or a typed LLMError"
                )

    # -- rate-limit headers -------------------------------------------------------------------

    @needs("limit_headers")
    def test_limit_headers_are_read_from_recordings(self) -> None:
        provider = self.conf.make()
        read = 0
        for case in self.conf.cases():
            if not case.headers:
                continue
            headers = {k.lower(): v for k, v in case.headers}
            reading = bounded(partial(provider.read_limit_headers, headers), "read_limit_headers")
            problems = _reading_problems(reading)
            assert not problems, f"{case.name}: read_limit_headers gave {problems}"
            read += reading is not None and reading != LimitReading()
        assert read, (
            "limit_headers declared, but no recording's headers give a reading: record a "
            "response with the provider's rate-limit headers (index.json response_headers or "
            'cases.json "headers")'
        )

    @needs("limit_headers")
    def test_any_limit_header_value_reads_safely(self) -> None:
        provider = self.conf.make()
        spec = getattr(type(provider), "limit_headers", None)
        names: tuple[str, ...] = _GENERIC_LIMIT_NAMES
        if isinstance(spec, LimitHeaders):
            given = (spec.remaining_requests, spec.remaining_tokens, spec.reset_requests)
            names = tuple(n for n in (*given, spec.reset_tokens) if n)

        @self.given(st.lists(_HEADER_VALUES, min_size=len(names), max_size=len(names)))
        def check(values: list[str]) -> None:
            headers = {n.lower(): v for n, v in zip(names, values, strict=True)}
            headers["date"] = "Sat, 15 Mar 2025 08:58:00 GMT"
            reading = provider.read_limit_headers(headers)
            problems = _reading_problems(reading)
            assert not problems, f"read_limit_headers({headers!r}) gave {problems}"

        check()
