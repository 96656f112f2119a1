"""The cost of a call: prices, the bill a response carries, and the user's own prices.

``set_price`` (and the price registry behind it) loads on first use: a call records its bill
without pricing it, so a program that never reads a cost never loads the registry.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .._lazy import lazy_attribute
from ._bill import Bill
from ._types import Cost, Priced

if TYPE_CHECKING:
    from ._registry import set_price

__all__ = ["Bill", "Cost", "Priced", "set_price"]


def __getattr__(name: str) -> Any:
    return lazy_attribute(globals(), {"set_price": "._registry"}, name)
