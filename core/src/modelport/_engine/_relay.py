"""Running one call program inside another, watching (or editing) its events on the way.

``yield from`` passes a sub-program's I/O requests and results through untouched, but cannot
see the event batches it yields. ``relay`` does the same passing-through, including failures
thrown in by the driver, and hands each event batch to ``on_events`` first: the streamed
structured check turns ``final`` into ``structured`` + ``final``, and fallbacks learn whether
anything reached the caller yet (after that, a stream may not fall back).
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any

from .._events import StreamEvent

__all__ = ["Relayed", "relay"]


class Relayed:
    """What ``relay`` saw: whether any event reached the caller."""

    __slots__ = ("events_out",)

    def __init__(self) -> None:
        self.events_out = False


def relay(
    sub: Generator[Any, Any, Any],
    on_events: Callable[[list[StreamEvent]], list[StreamEvent]] | None = None,
    seen: Relayed | None = None,
) -> Generator[Any, Any, Any]:
    value: Any = None
    error: BaseException | None = None
    try:
        while True:
            try:
                item = sub.send(value) if error is None else sub.throw(error)
            except StopIteration as stop:
                return stop.value
            error = None
            if type(item) is list:
                if on_events is not None:
                    item = on_events(item)
                if item and seen is not None:
                    seen.events_out = True
            try:
                value = yield item
            except GeneratorExit:
                raise
            except BaseException as exc:  # the driver's failure, for the sub-program to handle
                error, value = exc, None
    finally:
        sub.close()
