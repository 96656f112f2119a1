"""What a response was billed for, kept as usage and priced only when someone reads the cost.

Pricing waits for ``Response.cost`` (or a ``done`` observer): a call whose cost nobody reads
never loads a price list. A bill is summed like ``Usage``: over billed attempts, tool-loop
turns and structured passes; cache hits go to ``saved``, never to ``spent``. Immutable, so a
copied ``Response`` never shares a bill that changes under it.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from ._types import Cost, Priced

if TYPE_CHECKING:
    from .._response import Usage

__all__ = ["Bill"]

_Pending = tuple[str, str, str, str, "tuple[Usage, ...]", float]


class Bill:
    """Usage to price, kept as it came. ``charged`` (every call that gets an answer) only
    stores its arguments and the time: the ``Priced`` pieces are made when a cost is asked for,
    once. Never changed after that (memoizing ``spent`` changes nothing anyone can see)."""

    __slots__ = ("_pending", "_spent", "saved")

    def __init__(self, spent: tuple[Priced, ...] = (), saved: tuple[Priced, ...] = ()) -> None:
        self._spent = spent
        self.saved = saved
        self._pending: _Pending | None = None

    @property
    def spent(self) -> tuple[Priced, ...]:
        pending = self._pending
        if pending is not None:
            provider, model, served, url, usages, at = pending
            self._spent = tuple(Priced(provider, model, served, url, u, at) for u in usages)
            self._pending = None
        return self._spent

    def __add__(self, other: Bill) -> Bill:
        return Bill(self.spent + other.spent, self.saved + other.saved)

    def __repr__(self) -> str:
        return f"Bill(spent={self.spent!r}, saved={self.saved!r})"

    @classmethod
    def charged(
        cls, provider: str, model: str, served: str, url: str, usages: tuple[Usage, ...]
    ) -> Bill:
        """The attempts of one model call that the provider billed, the answer's last."""
        bill = cls()
        bill._pending = (provider, model, served, url, usages, time.time())
        return bill

    @classmethod
    def cached(cls, provider: str, model: str, served: str, url: str, usage: Usage) -> Bill:
        """A cache hit: nothing spent; what the stored answer would cost now is saved."""
        return cls(saved=(Priced(provider, model, served, url, usage),))

    def cost(self) -> Cost | None:
        spent = self.spent
        if spent:
            return _sum(spent)
        return Cost() if self.saved else None  # only cache hits: known to be nothing

    def saved_cost(self) -> Cost | None:
        return _sum(self.saved) if self.saved else None


def _sum(pieces: tuple[Priced, ...]) -> Cost | None:
    """The sum, or ``None`` when any piece has no known price (a partial sum is a guess)."""
    from ._price import price

    total = Cost()
    for piece in pieces:
        cost = price(piece)
        if cost is None:
            return None
        total = total + cost
    return total
