"""Checks on failures: the status -> error-class matrix, retry hints, recorded error bodies
and error events in the middle of a stream.

``except RateLimitError`` must mean the same thing whichever provider raised it, and whether
the failure came as an HTTP status or mid-stream; the retry loop trusts ``retry_after``. The
probe bodies here are neutral (no provider's own codes), so the class must follow from the
status alone; each provider's own error shapes are covered by its recorded error bodies.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING

import pytest

from ... import provider as sdk
from ...provider import (
    BadRequestError,
    ContextWindowExceededError,
    LLMError,
    ModelRequestError,
    ProviderProtocolError,
)
from ._base import SuiteBase
from ._collect import STATUSES, over
from ._decode import Headers, bounded, decode, new_request

if TYPE_CHECKING:
    from ._recordings import Case

__all__ = ["ErrorChecks"]


def _bodies(message: str) -> list[tuple[str, bytes]]:
    """The same message in the error shapes providers use (module docstring of
    ``modelport.provider.error_from_body`` lists where each comes from)."""
    return [
        (
            "openai",
            json.dumps({"error": {"message": message, "type": None, "code": None}}).encode(),
        ),
        ("anthropic", json.dumps({"type": "error", "error": {"message": message}}).encode()),
        ("aws", json.dumps({"message": message}).encode()),
        ("text", message.encode()),
        ("empty", b""),
    ]


_PROBE = "conformance probe failure"
_CONTEXT = (
    "This model's maximum context length is 8192 tokens, but the prompt is too long: "
    "input is too long for the context window (9000 tokens)."
)


class ErrorChecks(SuiteBase):
    def _parse_error(
        self, status: int, headers: Mapping[str, str], body: bytes, case: Case | None = None
    ) -> ModelRequestError:
        provider = self.conf.make(case)
        err = bounded(lambda: provider.parse_error(status, Headers(headers), body), "parse_error")
        assert isinstance(err, ModelRequestError), (
            f"parse_error must return a ModelRequestError, got {type(err).__name__}"
        )
        assert err.status in (None, status), f"error.status {err.status} for HTTP {status}"
        return err

    @over("statuses")
    def test_status_maps_to_error_class(self, status: int) -> None:
        expected: type[LLMError] = getattr(sdk, STATUSES[status])
        for shape, body in _bodies(_PROBE):
            err = self._parse_error(status, {}, body)
            assert isinstance(err, expected), (
                f"HTTP {status} with a {shape}-shaped body gave {type(err).__name__}, "
                f"expected {expected.__name__}"
            )
            if status == 400:
                assert not isinstance(err, ContextWindowExceededError), (
                    f"a plain 400 ({shape}) is not a context-window error"
                )

    def test_rate_limit_reads_retry_after(self) -> None:
        for header, value, seconds in (
            ("Retry-After", "7", 7.0),
            ("retry-after", "0", 0.0),
            ("retry-after-ms", "1500", 1.5),
        ):
            for shape, body in _bodies("slow down")[:3]:
                err = self._parse_error(429, {header: value}, body)
                assert isinstance(err, sdk.RateLimitError), f"429 gave {type(err).__name__}"
                assert err.retry_after == seconds, (
                    f"429 ({shape}) with {header}: {value} gave retry_after="
                    f"{err.retry_after!r}, expected {seconds} (the retry loop waits this long)"
                )

    def test_context_window_is_recognized(self) -> None:
        got = {shape: self._parse_error(400, {}, body) for shape, body in _bodies(_CONTEXT)[:4]}
        wrong = {s: type(e).__name__ for s, e in got.items() if not isinstance(e, BadRequestError)}
        assert not wrong, f"400 bodies must be BadRequestError (or a subclass): {wrong}"
        assert any(isinstance(e, ContextWindowExceededError) for e in got.values()), (
            "no error shape saying the prompt exceeds the context window gave "
            f"ContextWindowExceededError: { ({s: type(e).__name__ for s, e in got.items()}) }"
        )

    def test_parse_error_never_raises(self) -> None:
        for status in (400, 429, 500):
            for body in (b"\xff\xfe\x00", b"<html>oops</html>", b"{", b"[]", b"null", b"{}"):
                self._parse_error(status, {"content-type": "text/html"}, body)

    @over("errors")
    def test_recorded_error_is_typed(self, recording: Case) -> None:
        err = self._parse_error(
            recording.status, dict(recording.headers), recording.body(), recording
        )
        name = recording.error or STATUSES.get(recording.status)
        if name is None:
            name = "ProviderServerError" if recording.status >= 500 else "BadRequestError"
        expected: type[LLMError] = getattr(sdk, name)
        assert isinstance(err, expected), (
            f"HTTP {recording.status} {recording.name} gave {type(err).__name__} "
            f"({err}), expected {expected.__name__}"
        )
        assert err.provider_message or err.message, "the error carries no message"

    @over("stream_errors")
    def test_error_event_mid_stream_is_typed(self, recording: Case) -> None:
        conf = self.conf
        provider = conf.make(recording)
        request = new_request(conf, stream=True)
        with pytest.raises(ModelRequestError) as raised:
            bounded(lambda: decode(provider, request, [recording.body()]), "decoding")
        err = raised.value
        if recording.error is not None:
            expected: type[LLMError] = getattr(sdk, recording.error)
            assert isinstance(err, expected), (
                f"{recording.name} raised {type(err).__name__} ({err}), "
                f"expected {expected.__name__}"
            )
        else:
            assert not isinstance(err, ProviderProtocolError), (
                f"the error event was not understood: {type(err).__name__}: {err}"
            )
