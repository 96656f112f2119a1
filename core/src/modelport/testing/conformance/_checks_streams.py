"""Checks on stream decoding: chunking, truncation, malformed input, tool-call fragments.

The network splits a stream anywhere, proxies cut it short, and servers send garbage; a
decoder must give the same deltas for any split, refuse a stream that ended early instead of
returning a short answer, and turn bad bytes into a typed ``LLMError`` without hanging.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest
from hypothesis import strategies as st

from ...provider import LLMError, ProviderProtocolError, ToolCallDelta, WireDelta, assemble
from ._base import SuiteBase
from ._collect import needs, over
from ._compare import answer_of, whole_of
from ._decode import bounded, decode, events_of, finalize, new_request, split_at, stream_answer

if TYPE_CHECKING:
    from ...provider import Response
    from ._recordings import Case

__all__ = ["StreamChecks"]

_GARBAGE = (
    b"\x00\xff\xfe\x01" * 40,
    b"<html><body><h1>502 Bad Gateway</h1></body></html>",
    b"this is not an event stream\n\n",
    b'data: {"unterminated": \n\n',
    b"\x00\x00\x00\x10\x00\x00\x00\x00\xde\xad\xbe\xef\x00\x00\x00\x00",
)


class StreamChecks(SuiteBase):
    def deltas(self, case: Case, chunks: list[bytes]) -> list[WireDelta]:
        return decode(self.conf.make(case), new_request(self.conf, stream=True), chunks)

    def _assembled(self, case: Case, chunks: list[bytes]) -> Response:
        response = assemble(self.deltas(case, chunks), provider="", model=self.conf.model)
        return finalize(response, self.conf.model)

    # -- chunking -----------------------------------------------------------------------------

    @over("streams")
    def test_any_chunking_gives_the_same_deltas(self, recording: Case) -> None:
        body = recording.body()
        whole = self.deltas(recording, [body])

        @self.given(st.lists(st.integers(0, len(body)), max_size=40))
        def check(cuts: list[int]) -> None:
            got = self.deltas(recording, split_at(body, cuts))
            assert got == whole, f"split at {sorted(set(cuts))} the stream gave other deltas"

        check()

    @over("streams")
    def test_one_byte_chunks_give_the_same_deltas(self, recording: Case) -> None:
        body = recording.body()
        pieces = [body[i : i + 1] for i in range(len(body))]
        got = self.deltas(recording, pieces)
        assert got == self.deltas(recording, [body]), "one byte at a time gave other deltas"

    @over("streams")
    def test_event_chunks_give_the_same_deltas(self, recording: Case) -> None:
        # One piece per event is how servers flush, and how the scripted server replays.
        body = recording.body()
        assert self.deltas(recording, events_of(recording, body)) == self.deltas(recording, [body])

    # -- truncation ---------------------------------------------------------------------------

    def _cut(self, case: Case, prefix: bytes, where: str) -> Response | None:
        """The answer decoded from ``prefix``, or None when the decoder refused it."""
        try:
            return bounded(lambda: self._assembled(case, [prefix]), f"decoding {where}")
        except ProviderProtocolError:
            return None  # refused: the caller learns the answer is incomplete

    @over("streams")
    def test_truncated_at_event_boundaries_is_never_a_short_answer(self, recording: Case) -> None:
        """Cut before each event in turn: refused, or the whole answer, usage included (a
        stream cut after its finish event but before its usage event is short too)."""
        body = recording.body()
        expected = whole_of(self._assembled(recording, [body]))
        end = 0
        for i, piece in enumerate(events_of(recording, body)):
            got = self._cut(recording, body[:end], f"before event {i}")
            assert got is None or whole_of(got) == expected, (
                f"the stream cut before event {i} ({end} of {len(body)} bytes) returned a short "
                "answer instead of raising IncompleteStreamError (or another "
                "ProviderProtocolError) in close()"
            )
            end += len(piece)

    @over("streams")
    def test_truncated_at_random_points_is_never_a_short_answer(self, recording: Case) -> None:
        """Cut inside an event: the partial event is refused, ignored or (its data complete,
        only its blank line missing) used whole, never half; so the outcome is one of the two
        neighbouring event boundaries' (each checked above) or the whole answer."""
        body = recording.body()
        expected = whole_of(self._assembled(recording, [body]))
        starts = [0]
        for piece in events_of(recording, body):
            starts.append(starts[-1] + len(piece))

        @self.given(st.integers(0, max(0, len(body) - 1)))
        def check(cut: int) -> None:
            got = self._cut(recording, body[:cut], f"at byte {cut}")
            if got is None or whole_of(got) == expected:
                return
            before = max(s for s in starts if s <= cut)
            after = min(s for s in starts if s > cut)
            neighbours = [
                self._cut(recording, body[:at], f"at byte {at}") for at in (before, after)
            ]
            assert whole_of(got) in [whole_of(n) for n in neighbours if n is not None], (
                f"the stream cut at byte {cut} of {len(body)} used part of an event: got "
                f"{answer_of(got)!r}"
            )

        check()

    # -- malformed input ----------------------------------------------------------------------

    def _stream_refused(self, case: Case | None, data: bytes, what: str) -> None:
        conf = self.conf
        provider = conf.make(case)
        request = new_request(conf, stream=True)
        try:
            bounded(lambda: decode(provider, request, [data]), f"decoding {what}")
        except LLMError:
            return
        raise AssertionError(f"{what} decoded without an error: expected a typed LLMError")

    @needs("streaming")
    def test_garbage_stream_is_a_typed_error(self) -> None:
        for sample in _GARBAGE:
            self._stream_refused(None, sample, f"garbage {sample[:40]!r}")

        @self.given(st.binary(min_size=1, max_size=400))
        def check(data: bytes) -> None:
            self._stream_refused(None, data, f"random bytes {data[:40]!r}")

        check()

    @over("streams")
    def test_corrupt_event_is_a_typed_error(self, recording: Case) -> None:
        """SSE: one event's JSON made invalid; event-stream: one message's payload altered
        (its CRC then fails). Every such event, one at a time."""
        body = recording.body()
        pieces = events_of(recording, body)
        corrupted = 0
        for i, piece in enumerate(pieces):
            bad = _corrupt(recording.format, piece)
            if bad is None:
                continue
            corrupted += 1
            data = b"".join(pieces[:i]) + bad + b"".join(pieces[i + 1 :])
            self._stream_refused(
                recording, data, f"the stream with event {i} corrupted ({bad!r:.80})"
            )
        if not corrupted:
            pytest.skip(f"no JSON events to corrupt in a {recording.format} stream")

    # -- tool calls ---------------------------------------------------------------------------

    @over("tool_streams")
    def test_tool_calls_are_whole(self, recording: Case) -> None:
        response = stream_answer(self.conf, recording)[1]
        ids = [call.id for call in response.tool_calls]
        assert all(ids) and len(set(ids)) == len(ids), f"tool-call ids must be unique: {ids}"
        for call in response.tool_calls:
            assert call.name, f"tool call {call.id} has no name"
            try:
                call.parsed_arguments()
            except ValueError:
                raise AssertionError(
                    f"tool call {call.name} ({call.id}): arguments are not a JSON object: "
                    f"{call.arguments!r}"
                ) from None
        assert response.stop_reason == "tool_calls", (
            f"a stream ending in tool calls should stop with 'tool_calls', got "
            f"{response.stop_reason!r} (raw {response.raw_stop_reason!r})"
        )

    @over("tool_streams")
    def test_tool_call_fragments_carry_id_or_index(self, recording: Case) -> None:
        deltas, _ = stream_answer(self.conf, recording)
        fragments = [d for d in deltas if isinstance(d, ToolCallDelta)]
        loose = [d for d in fragments if d.id is None and d.index is None]
        assert not loose, (
            "tool-call fragments without id or index cannot be told apart when parallel calls "
            f"interleave: {loose[:3]}"
        )

    @over("tool_streams")
    def test_interleaved_tool_fragments_assemble_the_same(self, recording: Case) -> None:
        deltas, whole = stream_answer(self.conf, recording)
        others = [d for d in deltas if not isinstance(d, ToolCallDelta)]
        fragments = [d for d in deltas if isinstance(d, ToolCallDelta)]
        calls = _by_call(fragments)
        given_ids = {d.id for d in fragments if d.id}

        def seen(response: Response) -> list[tuple[str | None, str, str]]:
            # An id the core made up for a call sent without one differs on every assembly.
            return [
                (c.id if c.id in given_ids else None, c.name, c.arguments)
                for c in response.tool_calls
            ]

        expected = seen(whole)

        @self.given(st.lists(st.integers(0, len(calls) - 1), max_size=200))
        def check(order: list[int]) -> None:
            queues = [list(c) for c in calls]
            mixed: list[WireDelta] = []
            for pick in order:
                if queues[pick]:
                    mixed.append(queues[pick].pop(0))
            for queue in queues:
                mixed.extend(queue)
            got = assemble(others + mixed, model=self.conf.model)
            assert seen(got) == expected, f"fragments in order {order} assembled differently"

        check()


def _corrupt(fmt: str, piece: bytes) -> bytes | None:
    if fmt == "eventstream":
        if len(piece) <= 16:
            return None
        middle = 12 + (len(piece) - 16) // 2
        return piece[:middle] + bytes([piece[middle] ^ 0x5A]) + piece[middle + 1 :]
    if fmt != "sse":
        return None
    lines = piece.decode("utf-8", "replace").splitlines()
    data = "\n".join(line[5:].lstrip() for line in lines if line.startswith("data:"))
    try:
        if not isinstance(json.loads(data), dict):
            return None
    except ValueError:
        return None
    kept = [line for line in lines if line.startswith(("event:", "id:"))]
    return ("\n".join([*kept, 'data: {"conformance": "truncated JSON', "", ""])).encode()


def _by_call(fragments: list[ToolCallDelta]) -> list[list[ToolCallDelta]]:
    """Fragments grouped per call: two fragments belong together when they share an id or an
    index (a provider may give both on the first fragment and only one later)."""
    owner: dict[tuple[str, object], int] = {}
    groups: list[list[ToolCallDelta]] = []
    for d in fragments:
        keys = [k for k in (("id", d.id), ("index", d.index)) if k[1] is not None]
        found = next((owner[k] for k in keys if k in owner), None)
        if found is None:
            found = len(groups)
            groups.append([])
        groups[found].append(d)
        for key in keys:
            owner.setdefault(key, found)
    return groups
