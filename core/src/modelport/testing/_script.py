"""Replies and faults: what the scripted server sends back, as immutable values.

They hold no sockets, so a script is built and validated before any server thread touches it:
a mistake in a test's script fails at the line that wrote it, not as a mysterious 500 from a
background thread. Faults compose (a slow first byte, then a reset mid-stream) because each
constructor folds its effect into one flat plan that the server executes in a single pass.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

from ._framing import (
    as_bytes,
    json_body,
    split_eventstream_messages,
    split_sse_events,
    sse_event,
)

__all__ = [
    "Cut",
    "Fault",
    "HeadersInput",
    "Reply",
    "split_eventstream_messages",
    "split_sse_events",
    "sse_event",
]

HeadersInput = Mapping[str, str] | Iterable[tuple[str, str]] | None
Cut = Literal["reset", "close"]

_SSE_TYPE = "text/event-stream"
_JSON_TYPE = "application/json"
_EVENTSTREAM_TYPE = "application/vnd.amazon.eventstream"
_BAD_NAME_CHARS = frozenset(':\r\n \t"(),/;<=>?@[\\]{}')


def _check_text(value: str, what: str) -> None:
    if "\r" in value or "\n" in value:
        raise ValueError(f"{what} must not contain CR or LF: {value!r}")
    try:
        value.encode("latin-1")
    except UnicodeEncodeError:
        raise ValueError(f"{what} must be latin-1 encodable: {value!r}") from None


def _headers(headers: HeadersInput) -> tuple[tuple[str, str], ...]:
    if headers is None:
        return ()
    items: Iterable[tuple[str, str]] = headers.items() if isinstance(headers, Mapping) else headers
    out: list[tuple[str, str]] = []
    for name, value in items:
        name, value = str(name), str(value)
        if not name or any(c in _BAD_NAME_CHARS for c in name):
            raise ValueError(f"invalid header name {name!r}")
        _check_text(name, "header name")
        _check_text(value, f"header {name!r}")
        out.append((name, value))
    return tuple(out)


def _delay(value: float, what: str) -> float:
    value = float(value)
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{what} must be a finite number >= 0, got {value!r}")
    return value


def _count(value: int, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{what} must be an int >= 0, got {value!r}")
    return value


def _items(chunks: Iterable[bytes | str]) -> Iterable[bytes | str]:
    if isinstance(chunks, bytes | str):  # iterating it would give ints/characters
        raise TypeError("chunks must be a list of bytes, not a single bytes/str")
    return chunks


@dataclass(frozen=True, slots=True)
class Reply:
    """A complete, well-formed HTTP response.

    ``chunks is None`` means a ``Content-Length`` body; a tuple means ``Transfer-Encoding:
    chunked`` with one HTTP chunk per item, each flushed on its own (empty items are dropped:
    a zero-length chunk would end the body). ``close_connection`` makes the server close the
    connection after this reply *without announcing it* (no ``Connection: close``), which is
    what llama.cpp does after every stream; add ``headers={"connection": "close"}`` to announce
    it instead. ``Content-Length`` and ``Transfer-Encoding`` given in ``headers`` are ignored
    because the server frames the body itself (recorded header sets often carry them).
    """

    status_code: int = 200
    body: bytes = b""
    chunks: tuple[bytes, ...] | None = None
    content_type: str | None = None
    headers: tuple[tuple[str, str], ...] = ()
    chunk_delay: float = 0.0
    close_connection: bool = False
    reason: str | None = None

    def __post_init__(self) -> None:
        code = self.status_code
        if isinstance(code, bool) or not isinstance(code, int) or not 100 <= code <= 999:
            raise ValueError(f"status must be an int in 100..999, got {code!r}")
        object.__setattr__(self, "body", as_bytes(self.body))
        if self.chunks is not None:
            chunks = tuple(c for c in map(as_bytes, _items(self.chunks)) if c)
            if self.body:
                raise ValueError("give either body or chunks, not both")
            object.__setattr__(self, "chunks", chunks)
        object.__setattr__(self, "headers", _headers(self.headers))
        object.__setattr__(self, "chunk_delay", _delay(self.chunk_delay, "chunk_delay"))
        if self.content_type is not None:
            _check_text(self.content_type, "content_type")
        if self.reason is not None:
            _check_text(self.reason, "reason")

    @property
    def streamed(self) -> bool:
        return self.chunks is not None

    @classmethod
    def json(
        cls,
        body: Any,
        *,
        status: int = 200,
        headers: HeadersInput = None,
        close_after: bool = False,
    ) -> Reply:
        """A JSON body; bytes or str are sent verbatim (recorded bodies stay byte-exact)."""
        return cls(
            status_code=status,
            body=json_body(body),
            content_type=_JSON_TYPE,
            headers=_headers(headers),
            close_connection=close_after,
        )

    @classmethod
    def sse(
        cls,
        events: Iterable[bytes | str],
        *,
        status: int = 200,
        headers: HeadersInput = None,
        chunk_delay: float = 0.0,
        close_after: bool = False,
        content_type: str = _SSE_TYPE,
    ) -> Reply:
        """A streamed SSE body, one HTTP chunk per item, items sent verbatim.

        A single bytes/str is a whole recorded stream and is split into events first.
        Keep-alive by default, as OpenAI does; ``close_after=True`` mimics llama.cpp, which
        closes the connection after each stream although it advertised keep-alive.
        """
        if isinstance(events, bytes | str):
            events = split_sse_events(as_bytes(events))
        return cls(
            status_code=status,
            chunks=tuple(as_bytes(e) for e in events),
            content_type=content_type,
            headers=_headers(headers),
            chunk_delay=chunk_delay,
            close_connection=close_after,
        )

    @classmethod
    def raw(
        cls,
        status: int,
        body: bytes | str = b"",
        *,
        content_type: str | None = None,
        chunks: Iterable[bytes | str] | None = None,
        headers: HeadersInput = None,
        chunk_delay: float = 0.0,
        close_after: bool = False,
        reason: str | None = None,
    ) -> Reply:
        """Anything else: a ``Content-Length`` body, or chunked when ``chunks`` is given."""
        return cls(
            status_code=status,
            body=as_bytes(body),
            chunks=None if chunks is None else tuple(as_bytes(c) for c in _items(chunks)),
            content_type=content_type,
            headers=_headers(headers),
            chunk_delay=chunk_delay,
            close_connection=close_after,
            reason=reason,
        )

    @classmethod
    def status(
        cls,
        status: int,
        body: Any = None,
        *,
        headers: HeadersInput = None,
        content_type: str | None = None,
        close_after: bool = False,
    ) -> Reply:
        """An error or empty reply: ``body`` None sends nothing, anything else as ``json``."""
        if body is None:
            return cls(
                status_code=status,
                content_type=content_type,
                headers=_headers(headers),
                close_connection=close_after,
            )
        return cls(
            status_code=status,
            body=json_body(body),
            content_type=content_type or _JSON_TYPE,
            headers=_headers(headers),
            close_connection=close_after,
        )

    @classmethod
    def from_file(
        cls,
        path: str | Path,
        *,
        status: int = 200,
        headers: HeadersInput = None,
        content_type: str | None = None,
        chunk_delay: float = 0.0,
        close_after: bool = False,
    ) -> Reply:
        """Replay a recorded body, framed the way its provider sends it.

        ``.json`` -> the bytes as a ``Content-Length`` JSON body; ``.sse`` -> streamed, one
        chunk per SSE event; ``.bin`` -> AWS event-stream, one chunk per message. Any other
        suffix needs ``content_type`` and is sent as a ``Content-Length`` body.
        """
        path = Path(path)
        data = path.read_bytes()
        suffix = path.suffix.lower()
        common: dict[str, Any] = {
            "status_code": status,
            "headers": _headers(headers),
            "close_connection": close_after,
        }
        if suffix == ".json":
            return cls(body=data, content_type=content_type or _JSON_TYPE, **common)
        if suffix == ".sse":
            return cls(
                chunks=tuple(split_sse_events(data)),
                content_type=content_type or _SSE_TYPE,
                chunk_delay=chunk_delay,
                **common,
            )
        if suffix == ".bin":
            return cls(
                chunks=tuple(split_eventstream_messages(data)),
                content_type=content_type or _EVENTSTREAM_TYPE,
                chunk_delay=chunk_delay,
                **common,
            )
        if content_type is None:
            raise ValueError(
                f"cannot tell how to serve {path.name!r}: use .json, .sse or .bin, "
                "or pass content_type="
            )
        return cls(body=data, content_type=content_type, **common)


@dataclass(frozen=True, slots=True)
class Fault:
    """A reply that goes wrong on the wire, as a flat plan the server runs in one pass.

    Positions (``after_chunks``) count the chunks of the underlying reply; a ``Content-Length``
    body counts as one chunk. Build faults with the class methods, which also compose:
    ``Fault.slow_first_byte(Fault.reset_mid_stream(reply, after_chunks=2), delay=0.5)``.
    """

    reply: Reply | None = None
    first_byte_delay: float = 0.0
    before_headers: Cut | None = None
    stalls: tuple[tuple[int, float], ...] = ()
    inserts: tuple[tuple[int, bytes], ...] = ()
    cut_after: int | None = None
    cut_with: Cut = "reset"
    raw: bytes | None = None

    @staticmethod
    def _plan(base: Reply | Fault) -> Fault:
        if isinstance(base, Reply):
            return Fault(reply=base)
        if isinstance(base, Fault):
            return base
        raise TypeError(f"expected a Reply or a Fault, got {type(base).__name__}")

    @staticmethod
    def _needs_reply(plan: Fault, what: str) -> Reply:
        if plan.reply is None:
            raise ValueError(f"{what} needs a reply to send (this fault sends none)")
        return plan.reply

    @classmethod
    def reset_before_headers(cls) -> Fault:
        """Read the request, then RST (``SO_LINGER`` 0) without sending a byte."""
        return cls(before_headers="reset")

    @classmethod
    def close_before_headers(cls) -> Fault:
        """Read the request, then FIN without a response: a keep-alive server dropping a
        connection the client still believes is pooled."""
        return cls(before_headers="close")

    @classmethod
    def reset_mid_stream(cls, reply: Reply | Fault, *, after_chunks: int = 2) -> Fault:
        """Send the headers and the first ``after_chunks`` chunks, then RST.

        With ``after_chunks`` at or beyond the chunk count every chunk goes out but the final
        empty chunk never does, so the body is still incomplete.
        """
        return cls._cut(reply, after_chunks, "reset", "reset_mid_stream")

    @classmethod
    def close_mid_stream(cls, reply: Reply | Fault, *, after_chunks: int = 2) -> Fault:
        """Like ``reset_mid_stream`` but with a FIN: the client sees a truncated body, not an
        error from the socket (a proxy timing out does this)."""
        return cls._cut(reply, after_chunks, "close", "close_mid_stream")

    @classmethod
    def _cut(cls, reply: Reply | Fault, after: int, how: Cut, what: str) -> Fault:
        plan = cls._plan(reply)
        cls._needs_reply(plan, what)
        after = _count(after, "after_chunks")
        if plan.cut_after is not None and plan.cut_after <= after:
            return plan
        return replace(plan, cut_after=after, cut_with=how)

    @classmethod
    def slow_first_byte(cls, reply: Reply | Fault, *, delay: float = 0.5) -> Fault:
        """Wait ``delay`` seconds before anything (status line included) is sent."""
        plan = cls._plan(reply)
        return replace(plan, first_byte_delay=plan.first_byte_delay + _delay(delay, "delay"))

    @classmethod
    def stall_mid_stream(
        cls, reply: Reply | Fault, *, after_chunks: int = 2, delay: float = 1.0
    ) -> Fault:
        """Send ``after_chunks`` chunks, go quiet for ``delay`` seconds, then finish."""
        plan = cls._plan(reply)
        cls._needs_reply(plan, "stall_mid_stream")
        stall = (_count(after_chunks, "after_chunks"), _delay(delay, "delay"))
        return replace(plan, stalls=(*plan.stalls, stall))

    @classmethod
    def malformed_sse(
        cls,
        reply: Reply | Fault | Iterable[bytes | str],
        *,
        line: bytes | str = b"this is not sse\n",
        after_chunks: int = 1,
    ) -> Fault:
        """Insert ``line`` as its own HTTP chunk after ``after_chunks`` chunks of a stream."""
        base = reply if isinstance(reply, Reply | Fault) else Reply.sse(reply)
        plan = cls._plan(base)
        if not cls._needs_reply(plan, "malformed_sse").streamed:
            raise ValueError("malformed_sse needs a streamed reply (Reply.sse or chunks=)")
        data = as_bytes(line)
        if not data:
            raise ValueError("line must not be empty")
        insert = (_count(after_chunks, "after_chunks"), data)
        return replace(plan, inserts=(*plan.inserts, insert))

    @classmethod
    def raw_response(cls, data: bytes | str) -> Fault:
        """Send exactly these bytes as the response, then close: for malformed HTTP itself."""
        return cls(raw=as_bytes(data))
