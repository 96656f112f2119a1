"""The core's fault set, run against the provider through a real ``LLM`` on real sockets.

Retries, timeouts and connection handling live in the core, but they only work if the
provider's pieces classify what they see: a 429 must become a ``RateLimitError`` for the
retry loop to wait, a stream cut by the network must not decode as a complete answer. Each
check scripts one fault with ``modelport.testing.Fault`` and asserts the outcome a user gets:
a retried success, or a typed error, never a hang, a short answer or duplicated output.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from ... import StreamEvent, Timeouts
from ...provider import (
    BadRequestError,
    LLMTimeoutError,
    ProviderConnectionError,
    ProviderProtocolError,
    Response,
)
from .._script import Fault, Reply
from ._base import SuiteBase
from ._collect import needs
from ._compare import answer_of
from ._decode import events_of
from ._harness import make_llm, reply_for, scripted

if TYPE_CHECKING:
    from ._recordings import Case

__all__ = ["FaultChecks"]

_BODY = {"error": {"message": "conformance fault", "type": None}, "message": "conformance fault"}
_JUNK = {
    "sse": b'data: {"conformance": "truncated JSON\n\n',
    "eventstream": b"\x00\x00\x00\x10\x00\x00\x00\x00\xde\xad\xbe\xef\x00\x00\x00\x00",
    "raw": b"\x00\xffconformance garbage\n",
}


def _text(events: list[StreamEvent]) -> str:
    return "".join(e.content for e in events if e.type == "answer")


class FaultChecks(SuiteBase):
    requests: int = 0

    def _complete(
        self,
        case: Case,
        *entries: Reply | Fault,
        max_retries: int = 0,
        timeout: Timeouts | None = None,
    ) -> Response:
        with scripted() as server:
            client = make_llm(
                self.conf, server, case=case, max_retries=max_retries, timeout=timeout
            )
            with client:
                server.add(*entries)
                response = client.complete("conformance check")
                self.requests = len(server.requests)
        return response

    def test_rate_limit_then_success_is_retried(self) -> None:
        case = self.primary("response")
        limited = Reply.status(429, _BODY, headers={"retry-after-ms": "10"})
        got = self._complete(case, limited, reply_for(case), max_retries=2)
        assert got.attempts == 2 and self.requests == 2
        assert answer_of(got) == answer_of(self.answer(case))

    def test_server_error_then_success_is_retried(self) -> None:
        case = self.primary("response")
        failed = Reply.status(503, _BODY, headers={"retry-after": "0"})
        got = self._complete(case, failed, reply_for(case), max_retries=2)
        assert got.attempts == 2 and self.requests == 2

    def test_client_error_is_not_retried(self) -> None:
        case = self.primary("response")
        with scripted() as server, make_llm(self.conf, server, case=case, max_retries=2) as llm:
            server.add(Reply.status(400, _BODY), reply_for(case))
            try:
                llm.complete("conformance check")
            except BadRequestError:
                pass
            else:
                raise AssertionError("a 400 did not raise BadRequestError")
            assert len(server.requests) == 1, "a 400 was retried"

    def test_reset_before_headers_is_retried(self) -> None:
        case = self.primary("response")
        got = self._complete(case, Fault.reset_before_headers(), reply_for(case), max_retries=2)
        assert answer_of(got) == answer_of(self.answer(case))

    def test_slow_first_byte_times_out(self) -> None:
        case = self.primary("response")
        slow = Fault.slow_first_byte(reply_for(case), delay=3.0)
        started = time.monotonic()
        try:
            self._complete(case, slow, timeout=Timeouts(connect=5.0, read=0.3))
        except LLMTimeoutError:
            assert time.monotonic() - started < 2.5, "the read timeout did not fire in time"
        else:
            raise AssertionError("a server silent for 3s did not time out (read=0.3s)")

    # -- streams ------------------------------------------------------------------------------

    @needs("streaming")
    def test_reset_mid_stream_is_never_duplicated_output(self) -> None:
        case = self.primary("stream", with_text=True)
        pieces = events_of(case, case.body())
        full = answer_of(self.answer(case))
        cut = Fault.reset_mid_stream(reply_for(case), after_chunks=max(1, len(pieces) // 2))
        events: list[StreamEvent] = []
        with scripted() as server, make_llm(self.conf, server, case=case, max_retries=2) as llm:
            server.add(cut, reply_for(case))
            try:
                events.extend(llm.stream("conformance check"))
            except ProviderConnectionError:
                assert _text(events) and full["text"].startswith(_text(events)), (
                    "a reset after output was raised, but the output was not a prefix"
                )
                assert len(server.requests) == 1, "output was already yielded, yet it retried"
                return
        # Nothing had reached the caller: a retry is right, and must give the whole answer once.
        assert _text(events) == full["text"], "retried stream duplicated or lost output"

    @needs("streaming")
    def test_closed_mid_stream_is_never_a_short_answer(self) -> None:
        case = self.primary("stream")
        pieces = events_of(case, case.body())
        full = answer_of(self.answer(case))
        for after in sorted({1, len(pieces) // 2, len(pieces) - 1}):
            if not 0 < after < len(pieces):
                continue
            with scripted() as server, make_llm(self.conf, server, case=case) as llm:
                server.add(Fault.close_mid_stream(reply_for(case), after_chunks=after))
                try:
                    events = list(llm.stream("conformance check"))
                except (ProviderConnectionError, ProviderProtocolError):
                    continue
            final = [e.content for e in events if e.type == "final"]
            assert final and answer_of(final[0]) == full, (
                f"a stream closed after {after} of {len(pieces)} events returned a short answer"
            )

    @needs("streaming")
    def test_stall_mid_stream_times_out(self) -> None:
        case = self.primary("stream")
        stall = Fault.stall_mid_stream(reply_for(case), after_chunks=1, delay=3.0)
        started = time.monotonic()
        with (
            scripted() as server,
            make_llm(self.conf, server, case=case, timeout=Timeouts(connect=5.0, read=0.3)) as llm,
        ):
            server.add(stall)
            try:
                list(llm.stream("conformance check"))
            except LLMTimeoutError:
                assert time.monotonic() - started < 2.5, "the read timeout did not fire in time"
                return
        raise AssertionError("a stream silent for 3s did not time out (read=0.3s)")

    @needs("streaming")
    def test_connection_closed_after_stream_is_reused_safely(self) -> None:
        # llama.cpp closes the connection after each stream without announcing it.
        stream, whole = self.primary("stream"), self.primary("response")
        with scripted() as server, make_llm(self.conf, server, case=whole) as llm:
            server.add(reply_for(stream, close_after=True), reply_for(whole))
            list(llm.stream("conformance check"))
            got = llm.complete("conformance check")
        assert got.attempts == 1, "the stale connection cost an attempt"
        assert answer_of(got) == answer_of(self.answer(whole))

    @needs("streaming")
    def test_garbage_mid_stream_is_a_protocol_error(self) -> None:
        case = self.primary("stream")
        junk = _JUNK.get(case.format, _JUNK["raw"])
        bad = Fault.malformed_sse(reply_for(case), line=junk, after_chunks=1)
        with scripted() as server, make_llm(self.conf, server, case=case, max_retries=2) as llm:
            server.add(bad, reply_for(case))
            try:
                list(llm.stream("conformance check"))
            except ProviderProtocolError:
                assert len(server.requests) == 1, "a malformed stream was retried"
                return
        raise AssertionError(f"garbage inserted in the stream ({junk!r}) went unnoticed")

    @needs("streaming")
    def test_json_body_for_a_stream_request(self) -> None:
        # A server or proxy that ignores stream=true: the core hands the body to parse_response.
        case = self.primary("response")
        with scripted() as server, make_llm(self.conf, server, case=case) as llm:
            server.add(reply_for(case))
            events = list(llm.stream("conformance check"))
        finals = [e.content for e in events if e.type == "final"]
        assert finals and isinstance(finals[0], Response)
        assert answer_of(finals[0]) == answer_of(self.answer(case))
