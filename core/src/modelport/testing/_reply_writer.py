"""Writing one scripted reply to a socket: framing, keep-alive decisions, and faults.

Kept apart from the server's script and threads because this is where the HTTP/1.1 details
live (chunked or not, when to announce ``connection: close``, which statuses carry no body)
and where a ``Fault`` turns into delays, stalls, inserted lines and cut connections. The
result tells the connection thread how to end: keep the connection, close it, close it after
draining (a refused request), or leave it (already reset).
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from typing import Literal, TypeAlias

from ._http import RecordedRequest, chunk, encode_head, reason_phrase, reset, wait_until_sent
from ._script import Fault, Reply

__all__ = ["Outcome", "error_reply", "write_reply"]

Outcome: TypeAlias = Literal["keep", "close", "linger", "gone"]

_NO_BODY = frozenset({204, 304})
_FRAMING = frozenset({"content-length", "transfer-encoding"})


def _identity(data: bytes) -> bytes:
    return data


def error_reply(status: int, message: str, *, close: bool = False) -> Reply:
    """The JSON error the server answers with when the script cannot (or refuses to)."""
    body = {"error": {"message": f"scripted server: {message}", "type": "scripted_server"}}
    headers = {"connection": "close"} if close else None
    return Reply.json(body, status=status, headers=headers, close_after=close)


def _head(reply: Reply, chunked: bool, closing: bool) -> bytes:
    headers = [(k, v) for k, v in reply.headers if k.lower() not in _FRAMING]
    names = {k.lower() for k, _ in headers}
    if reply.content_type is not None and "content-type" not in names:
        headers.append(("content-type", reply.content_type))
    status = reply.status_code
    if status >= 200 and status not in _NO_BODY:
        if chunked:
            headers.append(("transfer-encoding", "chunked"))
        elif reply.chunks is None:
            headers.append(("content-length", str(len(reply.body))))
    if closing and "connection" not in names:
        headers.append(("connection", "close"))
    return encode_head(status, reply.reason or reason_phrase(status), headers)


def write_reply(
    sock: socket.socket,
    request: RecordedRequest | None,
    reply: Reply,
    plan: Fault | None,
    stopping: threading.Event,
) -> Outcome:
    """Send ``reply`` (``request`` is None for a refusal before one was read), as ``plan`` says.

    Every wait ends early when ``stopping`` is set, so that ``stop()`` never waits for a delay.
    """
    if plan is not None:
        if plan.first_byte_delay and stopping.wait(plan.first_byte_delay):
            return "close"
        if plan.before_headers == "reset":
            reset(sock)
            return "gone"
        if plan.before_headers == "close":
            return "close"
        if plan.raw is not None:
            sock.sendall(plan.raw)
            return "close"
    http11 = request is None or request.http_version == "HTTP/1.1"
    client_conn = request.headers.get("connection", "").lower() if request else ""
    client_close = "close" in client_conn or (not http11 and "keep-alive" not in client_conn)
    announced = any(k.lower() == "connection" and "close" in v.lower() for k, v in reply.headers)
    streamed = reply.chunks is not None
    # HTTP/1.0 has no chunked encoding: stream the raw pieces and close to end the body.
    chunked = streamed and http11
    closing = reply.close_connection or announced or client_close or (streamed and not http11)
    head = _head(reply, chunked, client_close or (streamed and not http11))
    outcome: Outcome = "close" if closing else "keep"
    no_body = (request is not None and request.method == "HEAD") or (
        reply.status_code < 200 or reply.status_code in _NO_BODY
    )
    if no_body:
        pieces: tuple[bytes, ...] = ()
    elif reply.chunks is not None:
        pieces = reply.chunks
    else:
        pieces = (reply.body,) if reply.body else ()
    encode: Callable[[bytes], bytes] = chunk if chunked else _identity
    terminator = b"0\r\n\r\n" if chunked and not no_body else b""
    delay = reply.chunk_delay

    if plan is None:  # the hot path: no per-position checks
        if not streamed:
            sock.sendall(head + pieces[0] if pieces else head)
            return outcome
        sock.sendall(head)
        for i, piece in enumerate(pieces):
            if i and delay and stopping.wait(delay):
                return "close"
            sock.sendall(encode(piece))
        if terminator:
            sock.sendall(terminator)
        return outcome

    inserts: dict[int, list[bytes]] = {}
    for at, line in plan.inserts:
        inserts.setdefault(min(at, len(pieces)), []).append(line)
    stalls: dict[int, float] = {}
    for at, seconds in plan.stalls:
        stalls[min(at, len(pieces))] = stalls.get(min(at, len(pieces)), 0.0) + seconds
    cut = None if plan.cut_after is None else min(plan.cut_after, len(pieces))

    def step(position: int) -> Outcome | None:
        for line in inserts.get(position, ()):
            sock.sendall(encode(line))
        pause = stalls.get(position)
        if pause and stopping.wait(pause):
            return "close"
        if cut == position:
            if plan.cut_with == "reset":
                wait_until_sent(sock, stopping, 1.0)
                reset(sock)
                return "gone"
            return "close"
        return None

    sock.sendall(head)
    for i, piece in enumerate(pieces):
        ended = step(i)
        if ended is not None:
            return ended
        if i and delay and stopping.wait(delay):
            return "close"
        sock.sendall(encode(piece))
    ended = step(len(pieces))
    if ended is not None:
        return ended
    if terminator:
        sock.sendall(terminator)
    return outcome
