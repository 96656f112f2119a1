"""The cost of a call: prices, the bill a response carries, and the user's own prices."""

from ._bill import Bill
from ._registry import set_price
from ._types import Cost, Priced

__all__ = ["Bill", "Cost", "Priced", "set_price"]
