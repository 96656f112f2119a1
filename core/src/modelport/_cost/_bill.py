"""What a response was billed for, kept as usage and priced only when someone reads the cost.

Pricing waits for ``Response.cost`` (or a ``done`` observer): a call whose cost nobody reads
never loads a price list. A bill is summed like ``Usage``: over billed attempts, tool-loop
turns and structured passes; cache hits go to ``saved``, never to ``spent``. Immutable, so a
copied ``Response`` never shares a bill that changes under it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ._types import Cost, Priced

if TYPE_CHECKING:
    from .._response import Usage

__all__ = ["Bill"]


@dataclass(frozen=True, slots=True)
class Bill:
    spent: tuple[Priced, ...] = ()
    saved: tuple[Priced, ...] = ()

    def __add__(self, other: Bill) -> Bill:
        return Bill(self.spent + other.spent, self.saved + other.saved)

    @classmethod
    def charged(cls, provider: str, model: str, served: str, url: str, usages: list[Usage]) -> Bill:
        """The attempts of one model call that the provider billed, the answer's last."""
        return cls(spent=tuple(Priced(provider, model, served, url, u) for u in usages))

    @classmethod
    def cached(cls, provider: str, model: str, served: str, url: str, usage: Usage) -> Bill:
        """A cache hit: nothing spent; what the stored answer would cost now is saved."""
        return cls(saved=(Priced(provider, model, served, url, usage),))

    def cost(self) -> Cost | None:
        if self.spent:
            return _sum(self.spent)
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
