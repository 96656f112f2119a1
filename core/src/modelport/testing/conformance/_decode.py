"""Driving a provider without a server: the steps the core takes, and nothing more.

Checks call the provider exactly as the core does (``stream_decoder`` fed chunk by chunk, then
``close``; ``parse_response``; ``parse_error`` with case-insensitive headers) and finish the
``Response`` the way the core's ``finalize`` does, so a provider is judged on what users see.
``bounded`` runs a step in a worker thread: a decoder that loops forever on bad input fails
its check instead of hanging the test run.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from ...provider import (
    Message,
    Provider,
    Request,
    Response,
    WireDelta,
    assemble,
    normalize_stop_reason,
)
from .._script import split_eventstream_messages, split_sse_events

if TYPE_CHECKING:
    from ._config import Conformance
    from ._recordings import Case

__all__ = [
    "HANG_SECONDS",
    "Headers",
    "body_answer",
    "bounded",
    "decode",
    "events_of",
    "finalize",
    "new_request",
    "split_at",
    "stream_answer",
]

T = TypeVar("T")
HANG_SECONDS = 10.0


class Headers(Mapping[str, str]):
    """Response headers as the core hands them to ``parse_error``: names case-insensitive."""

    def __init__(self, items: Iterable[tuple[str, str]] | Mapping[str, str] = ()) -> None:
        pairs = items.items() if isinstance(items, Mapping) else items
        self._items = {k.lower(): (k, v) for k, v in pairs}

    def __getitem__(self, name: str) -> str:
        return self._items[name.lower()][1]

    def __iter__(self) -> Iterator[str]:
        return (k for k, _ in self._items.values())

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._items


def new_request(conf: Conformance, *, stream: bool, **fields: Any) -> Request:
    fields.setdefault("messages", [Message.user("conformance check")])
    return Request(model=conf.model, stream=stream, **fields)


def events_of(case: Case, data: bytes) -> list[bytes]:
    """The recording split where its provider flushes: one SSE event or event-stream
    message per piece (lines for an unframed stream). The pieces join back to ``data``."""
    if case.format == "sse":
        return split_sse_events(data)
    if case.format == "eventstream":
        return split_eventstream_messages(data)
    return data.splitlines(keepends=True) or [data]


def split_at(data: bytes, cuts: Iterable[int]) -> list[bytes]:
    points = sorted({c for c in cuts if 0 < c < len(data)})
    pieces, start = [], 0
    for point in points:
        pieces.append(data[start:point])
        start = point
    pieces.append(data[start:])
    return pieces


def decode(provider: Provider, request: Request, chunks: Iterable[bytes]) -> list[WireDelta]:
    """``feed`` every chunk, then ``close``: the whole life of one stream decoder."""
    decoder = provider.stream_decoder(request)
    out: list[WireDelta] = []
    for chunk in chunks:
        out.extend(decoder.feed(chunk))
    out.extend(decoder.close())
    return out


def finalize(response: Response, model: str) -> Response:
    """What the core adds to every response, streamed or not (``Call.finalize``)."""
    response.model = response.model or model
    if response.stop_reason is None and response.raw_stop_reason:
        response.stop_reason = normalize_stop_reason(response.raw_stop_reason)
        if response.refusal and not response.text and response.stop_reason == "stop":
            response.stop_reason = "refusal"
    return response


def stream_answer(
    conf: Conformance, case: Case, chunks: Iterable[bytes] | None = None
) -> tuple[list[WireDelta], Response]:
    provider = conf.make(case)
    pieces = [case.body()] if chunks is None else chunks
    deltas = decode(provider, new_request(conf, stream=True), pieces)
    response = assemble(deltas, provider=provider.name, model=conf.model)
    return deltas, finalize(response, conf.model)


def body_answer(conf: Conformance, case: Case, body: bytes | None = None) -> Response:
    provider = conf.make(case)
    request = new_request(conf, stream=False)
    response = provider.parse_response(case.body() if body is None else body, request)
    if not isinstance(response, Response):
        raise AssertionError(f"parse_response returned {type(response).__name__}, not Response")
    return finalize(response, conf.model)


def bounded(step: Callable[[], T], what: str, seconds: float = HANG_SECONDS) -> T:
    """``step()``'s result or exception, or an ``AssertionError`` when it does not return
    within ``seconds`` (the worker is a daemon thread, so a hung step cannot block exit)."""
    result: list[Any] = []
    failure: list[BaseException] = []

    def run() -> None:
        try:
            result.append(step())
        except BaseException as exc:  # handed to the caller below, whatever it is
            failure.append(exc)

    worker = threading.Thread(target=run, name="modelport-conformance-step", daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        raise AssertionError(f"{what} did not return within {seconds:g}s (a hang)")
    if failure:
        raise failure[0]
    value: T = result[0]
    return value
