"""The framing every SSE provider decoder shares, as a base class.

Sniffs the first bytes: an SSE stream goes event by event to the subclass; a whole JSON body
(servers that ignore ``stream: true``, or answer an error as plain JSON) is buffered and decoded
at the end. Protocol errors carry the model, and a stream that ends before the subclass saw
its completion marker is an error, never a silently short answer.
"""

from __future__ import annotations

from typing import ClassVar

from .._errors import IncompleteStreamError, LLMError, ProviderProtocolError
from .._wire import WireDelta
from ._sse import SSEDecoder, SSEEvent

__all__ = ["SSEResponseDecoder"]

_BOM = b"\xef\xbb\xbf"
_UNDECIDED, _SSE, _JSON = 0, 1, 2


class SSEResponseDecoder:
    """Subclasses set ``provider`` and implement ``on_event``, ``whole_body`` and
    ``complete`` (whether the stream reached its end marker)."""

    provider: ClassVar[str] = ""
    incomplete_message: ClassVar[str] = "stream ended before the response was complete"

    __slots__ = ("_buffer", "_failed", "_mode", "_model", "_sse")

    def __init__(self, *, model: str | None = None) -> None:
        self._sse = SSEDecoder(provider=self.provider)
        self._model = model
        self._mode = _UNDECIDED
        self._buffer: list[bytes] = []
        self._failed: LLMError | None = None

    # -- for subclasses -----------------------------------------------------------------------

    def on_event(self, event: SSEEvent, out: list[WireDelta]) -> None:
        raise NotImplementedError

    def whole_body(self, body: bytes) -> list[WireDelta]:
        """A non-streamed body where a stream was expected (decode it, or raise its error)."""
        raise NotImplementedError

    def complete(self) -> bool:
        raise NotImplementedError

    # -- the StreamDecoder protocol -----------------------------------------------------------

    def feed(self, chunk: bytes) -> list[WireDelta]:
        if self._failed is not None:
            raise self._failed
        if self._mode != _SSE:
            if self._mode == _JSON:
                self._buffer.append(chunk)
                return []
            chunk = self._sniff(chunk)
            if self._mode != _SSE:
                return []
        try:
            events = self._sse.feed(chunk)
        except ProviderProtocolError as exc:
            raise self._labelled(exc) from None
        return self._events(events)

    def _events(self, events: list[SSEEvent]) -> list[WireDelta]:
        """Deltas of these events. An error event after others in the same read: the deltas
        before it are returned first and the error is raised on the next call, so a chunking
        that puts text and the error in one read yields what one event per read yields."""
        out: list[WireDelta] = []
        for event in events:
            try:
                self.on_event(event, out)
            except LLMError as exc:
                if not out:
                    raise
                self._failed = exc
                return out
        return out

    def close(self) -> list[WireDelta]:
        if self._failed is not None:
            raise self._failed
        if self._mode == _JSON:
            return self.whole_body(b"".join(self._buffer))
        out: list[WireDelta] = []
        if self._mode == _SSE:
            try:
                events = self._sse.close()
            except ProviderProtocolError as exc:
                raise self._labelled(exc) from None
            for event in events:  # the last call: an error here is raised at once
                self.on_event(event, out)
        if not self.complete():
            raise IncompleteStreamError(
                self.incomplete_message, provider=self.provider, model=self._model
            )
        return out

    def _labelled(self, exc: ProviderProtocolError) -> ProviderProtocolError:
        exc.model = exc.model or self._model
        return exc

    def _sniff(self, chunk: bytes) -> bytes:
        """Decide from the first non-blank byte whether this is SSE or a plain JSON body."""
        lead = b"".join(self._buffer) + chunk if self._buffer else chunk
        if lead.startswith(_BOM):
            lead = lead[3:]
        elif _BOM.startswith(lead):
            self._buffer = [lead] if lead else []
            return b""
        stripped = lead.lstrip()
        if not stripped:
            self._buffer = [lead]
            return b""
        if stripped[:1] in (b"{", b"["):
            self._mode = _JSON
            self._buffer = [lead]
            return b""
        self._mode = _SSE
        self._buffer = []
        return lead
