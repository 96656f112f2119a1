"""The cost of a call: ``Cost`` (what users read) and ``Priced`` (what is kept to compute it).

Money is ``Decimal`` US dollars: prices are quoted per million tokens, and a batch of small
calls summed in floats drifts; ``Decimal`` sums exactly and formats as the price list wrote it.
``decimal`` (its C module: a few milliseconds) is imported when the first ``Cost`` is made, not
by every program that makes a call: a cost is priced only when it is read.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from .._record import Frozen, invalid
from .._slotted import Slotted

if TYPE_CHECKING:
    from decimal import Decimal

    from .._response import Usage

__all__ = ["Cost", "Priced"]


class Cost(Frozen):
    """What a call cost in US dollars, from its usage and a price list.

    ``cache_read`` and ``cache_write`` are parts of ``input``, as ``cached_tokens`` are part of
    ``input_tokens``. ``total`` is ``input + output``, plus any per-request fee the price list
    has for the model.
    """

    _fields = ("total", "input", "output", "cache_read", "cache_write")
    __slots__ = _fields
    total: Decimal
    input: Decimal
    output: Decimal
    cache_read: Decimal
    cache_write: Decimal

    def __init__(
        self,
        *,
        total: Decimal | int | str = 0,
        input: Decimal | int | str = 0,
        output: Decimal | int | str = 0,
        cache_read: Decimal | int | str = 0,
        cache_write: Decimal | int | str = 0,
    ) -> None:
        for name, value in (
            ("total", total),
            ("input", input),
            ("output", output),
            ("cache_read", cache_read),
            ("cache_write", cache_write),
        ):
            object.__setattr__(self, name, _money(name, value))

    def __add__(self, other: Cost) -> Cost:
        return Cost(
            total=self.total + other.total,
            input=self.input + other.input,
            output=self.output + other.output,
            cache_read=self.cache_read + other.cache_read,
            cache_write=self.cache_write + other.cache_write,
        )

    def __str__(self) -> str:
        return f"${self.total:f}"


class Priced(Slotted):
    """One model response that a provider billed (or, for a cache hit, would have billed).

    ``url`` is where the request went: the price list finds the provider by it (without its
    userinfo and query, see ``endpoint_of``), so a local server is never priced as the vendor
    whose model name it borrows. Kept as sent and cut only when priced: the call path pays a
    tuple, not a URL parse. ``usage`` is shared, not copied: the core replaces a response's
    ``Usage`` when it sums one, never mutates it.
    """

    _fields = ("provider", "model", "served", "url", "usage", "at")
    __slots__ = _fields
    _hidden = frozenset({"url"})  # a query string may hold a key
    provider: str  # modelport's provider name ("openai-chat")
    model: str  # the model asked for
    served: str  # the model the response names (often a dated snapshot)
    url: str
    usage: Usage
    at: float  # when: some prices depend on the date or hour

    def __init__(
        self,
        provider: str,
        model: str,
        served: str,
        url: str,
        usage: Usage,
        at: float | None = None,
    ) -> None:
        self.provider = provider
        self.model = model
        self.served = served
        self.url = url
        self.usage = usage
        self.at = time.time() if at is None else at


def _money(field: str, value: object) -> Decimal:
    """Dollars as a ``Decimal``; a float is taken by its shortest repr, not its binary value."""
    from decimal import Decimal

    if isinstance(value, Decimal):
        return value
    if isinstance(value, int | float | str) and not isinstance(value, bool):
        try:
            return Decimal(str(value))
        except ArithmeticError:
            pass
    raise invalid("Cost", field, "a Decimal amount", value)
