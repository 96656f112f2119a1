"""Incremental Server-Sent Events decoder (sans-IO).

Feed it bytes exactly as they arrive; it returns the complete events seen so far and keeps any
partial line for the next call. Lines may end in CRLF, LF or CR, including a CR at the very end
of one chunk and its LF at the start of the next. Comment lines (``:``) are skipped, as the spec
says. A line that is neither a comment nor one of the four spec fields is an error, not a silent
drop: a server speaking something other than SSE must not turn into a quietly empty answer.
"""

from __future__ import annotations

from dataclasses import dataclass

from .._errors import ProviderProtocolError

__all__ = ["SSEDecoder", "SSEEvent"]

_FIELDS = frozenset({b"data", b"event", b"id", b"retry"})
_MAX_LINE = 16 * 1024 * 1024  # a single line larger than this is not a sane SSE stream


@dataclass(slots=True)
class SSEEvent:
    event: str
    data: str
    id: str | None = None


_new = object.__new__


class SSEDecoder:
    """Turns an SSE byte stream into ``SSEEvent``s; any chunking gives the same events."""

    __slots__ = ("_buf", "_data", "_event", "_id", "_pending_cr", "_provider")

    def __init__(self, provider: str | None = None) -> None:
        self._buf = b""
        self._data: list[bytes] = []
        self._event = b""
        self._id: bytes | None = None
        self._pending_cr = False
        self._provider = provider

    def feed(self, chunk: bytes) -> list[SSEEvent]:
        if not chunk:
            return []
        if self._pending_cr:
            # A CR ended the previous chunk; an LF right after it belongs to the same line end.
            self._pending_cr = False
            if chunk[:1] == b"\n":
                chunk = chunk[1:]
        if (
            # Fast path: the chunk is exactly one single-line data event and nothing is
            # pending, the way most servers flush each token. Same event as the loop below.
            chunk[-2:] == b"\n\n"
            and chunk[:6] == b"data: "
            and not self._buf
            and not self._data
            and not self._event
            and chunk.count(b"\n") == 2
            and b"\r" not in chunk
        ):
            ident = self._id
            # SSEEvent("message", data, id) without its generated __init__'s frame.
            event = _new(SSEEvent)
            event.event = "message"
            event.data = chunk[6:-2].decode("utf-8", "replace")
            event.id = ident.decode() if ident is not None else None
            return [event]
        buf = self._buf + chunk if self._buf else chunk
        if b"\r" in buf:
            if buf.endswith(b"\r"):
                self._pending_cr = True
            buf = buf.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        if b"\n" not in buf:
            if len(buf) > _MAX_LINE:
                raise ProviderProtocolError("SSE line longer than 16 MiB", provider=self._provider)
            self._buf = buf
            return []
        lines = buf.split(b"\n")
        self._buf = lines.pop()
        out: list[SSEEvent] = []
        data = self._data
        # Hot loop: "data:" and blank lines inline; everything else through _line.
        for line in lines:
            if line[:6] == b"data: ":
                data.append(line[6:])
            elif not line:
                if data or self._event:
                    out.append(
                        SSEEvent(
                            self._event.decode() if self._event else "message",
                            (data[0] if len(data) == 1 else b"\n".join(data)).decode(
                                "utf-8", "replace"
                            ),
                            self._id.decode() if self._id is not None else None,
                        )
                    )
                    data = self._data = []
                    self._event = b""
            else:
                self._line(line, out)
                data = self._data
        return out

    def close(self) -> list[SSEEvent]:
        """End of stream: a final event without its blank line still counts (servers do that)."""
        out: list[SSEEvent] = []
        if self._buf:
            self._line(self._buf, out)
            self._buf = b""
        self._line(b"", out)
        return out

    def _line(self, line: bytes, out: list[SSEEvent]) -> None:
        if not line:
            if self._data or self._event:
                out.append(
                    SSEEvent(
                        event=self._event.decode() if self._event else "message",
                        data=b"\n".join(self._data).decode("utf-8", "replace"),
                        id=self._id.decode() if self._id is not None else None,
                    )
                )
                self._data = []
                self._event = b""
            return
        if line[:5] == b"data:":
            value = line[5:]
            self._data.append(value[1:] if value[:1] == b" " else value)
            return
        if line[:1] == b":":
            return
        name, _, value = line.partition(b":")
        if value[:1] == b" ":
            value = value[1:]
        if name not in _FIELDS:
            shown = line[:120].decode("utf-8", "replace")
            raise ProviderProtocolError(f"malformed SSE line: {shown!r}", provider=self._provider)
        if name == b"event":
            self._event = value
        elif name == b"id":
            self._id = value
        elif name == b"data":  # "data" without a colon: an empty data line
            self._data.append(b"")
        # "retry" is a reconnection hint for browsers; a model stream is never resumed.
