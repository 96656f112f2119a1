"""Checks on decoded answers: stop reasons, usage, streamed == non-streamed, bad bodies.

Users branch on ``stop_reason`` and bill on ``usage`` without knowing which provider answered,
so both must mean the same thing everywhere; a recorded stream and its non-streamed twin are
the same answer and must decode to the same ``Response``. A body that is not an answer must
be a typed error, never an empty ``Response`` that looks like success.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hypothesis import strategies as st

from ...provider import LLMError
from ._base import SuiteBase
from ._collect import needs, over
from ._compare import NORMALIZED_STOPS, differences, usage_problems
from ._decode import body_answer, bounded, stream_answer
from ._recordings import Case

if TYPE_CHECKING:
    from ...provider import Response

__all__ = ["BodyChecks"]

_NOT_ANSWERS = (
    b"",
    b"   \n",
    b"not json at all",
    b"<html><body>502 Bad Gateway</body></html>",
    b"[]",
    b"null",
    b"42",
    b'"a string"',
    b"{}",
    b'{"unexpected": true}',
    b"\xff\xfe\x00garbage",
)


class BodyChecks(SuiteBase):
    @over("answers")
    def test_recorded_answer_is_not_empty(self, recording: Case) -> None:
        r = self.answer(recording)
        assert r.text or r.reasoning or r.refusal or r.tool_calls, (
            f"{recording.name} decoded to an empty answer (no text, reasoning, refusal or "
            "tool calls)"
        )

    @over("answers")
    def test_stop_reason_is_normalized(self, recording: Case) -> None:
        r = self.answer(recording)
        if recording.stop_given:
            assert r.stop_reason == recording.stop_reason, (
                f"stop_reason {r.stop_reason!r} (raw {r.raw_stop_reason!r}), "
                f"the manifest expects {recording.stop_reason!r}"
            )
            return
        assert r.stop_reason is not None, (
            "a complete answer says why it stopped: stop_reason and raw_stop_reason are both "
            "None (set raw_stop_reason from the wire; the core normalizes it)"
        )
        assert r.stop_reason in NORMALIZED_STOPS, (
            f"stop_reason {r.stop_reason!r} (raw {r.raw_stop_reason!r}) is not one of "
            f"{sorted(NORMALIZED_STOPS)}: map the provider's value"
        )

    @over("answers")
    def test_usage_is_consistent(self, recording: Case) -> None:
        problems = usage_problems(self.answer(recording).usage)
        assert not problems, "; ".join(problems)

    @over("twins")
    def test_streamed_equals_non_streamed(self, recording: Case) -> None:
        assert recording.twin is not None
        twin = Case(
            name=recording.twin.name,
            path=recording.twin,
            kind="response",
            format="json",
            options=recording.options,
        )
        streamed = stream_answer(self.conf, recording)[1]
        whole = body_answer(self.conf, twin)
        diff = differences(streamed, whole, recording.ignore)
        assert not diff, f"{recording.name} vs {twin.name}:\n  " + "\n  ".join(diff)

    # -- bodies that are not answers ----------------------------------------------------------

    def _body_refused(self, case: Case | None, body: bytes, what: str) -> None:
        conf = self.conf
        probe = case or Case(name="probe", path=conf.folders[0], kind="response", format="json")
        try:
            got: Response = bounded(lambda: body_answer(conf, probe, body), f"parsing {what}")
        except LLMError:
            return
        raise AssertionError(
            f"parse_response accepted {what} as an answer ({got.text[:60]!r}, "
            f"{len(got.tool_calls)} tool call(s)): expected a typed LLMError"
        )

    def test_body_that_is_not_an_answer_is_a_typed_error(self) -> None:
        for body in _NOT_ANSWERS:
            self._body_refused(None, body, f"body {body!r}")

        @self.given(st.binary(max_size=300))
        def check(body: bytes) -> None:
            self._body_refused(None, body, f"random bytes {body[:40]!r}")

        check()

    @over("responses")
    def test_truncated_body_is_a_typed_error(self, recording: Case) -> None:
        body = recording.body().rstrip()
        lead = len(body) - len(body.lstrip())

        @self.given(st.integers(lead, max(lead, len(body) - 1)))
        def check(cut: int) -> None:
            self._body_refused(recording, body[:cut], f"the body cut at byte {cut}")

        check()

    # -- model lists --------------------------------------------------------------------------

    @over("models")
    def test_model_list_parses(self, recording: Case) -> None:
        provider = self.conf.make(recording)
        ids = provider.parse_models(recording.body())
        assert isinstance(ids, list) and ids, f"parse_models returned {ids!r}"
        bad = [m for m in ids if not isinstance(m, str) or not m]
        assert not bad, f"model ids must be non-empty strings: {bad}"

    @needs("model_listing")
    def test_model_list_that_is_not_one_is_a_typed_error(self) -> None:
        provider = self.conf.make()
        for body in (b"", b"not json", b"<html></html>", b"null", b'"models"'):

            def parse(body: bytes = body) -> list[str]:
                return provider.parse_models(body)

            try:
                result = bounded(parse, "parse_models")
            except LLMError:
                continue
            raise AssertionError(
                f"parse_models({body!r}) returned {result!r}: expected a typed LLMError"
            )
