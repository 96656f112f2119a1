"""``[prices."provider:model"]`` in ``modelport.toml``: the user's prices for ``Response.cost``.

The same entries as ``modelport.set_price``, with the same keys (``input``, ``output``,
``cache_read``, ``cache_write`` in USD per million tokens, or ``like``) and the same rules,
checked by the same functions; an error names the file and the line of the offending key.
``set_price`` in code wins over the file, the file over the price list: the file is looked up
only when no ``set_price`` entry matches, when a cost is read.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from .._cost._registry import OwnPrice, check_spec, lookup, make_price, parse_amount

if TYPE_CHECKING:
    from ._schema import _Checker

__all__ = ["PRICE_KEYS", "check_prices", "file_price", "shown_price"]

_RATES = ("input", "output", "cache_read", "cache_write")
PRICE_KEYS = frozenset({*_RATES, "like"})


def check_prices(check: _Checker, value: object) -> dict[str, OwnPrice]:
    """The ``[prices]`` table, each entry checked as ``set_price`` checks its arguments."""
    out: dict[str, OwnPrice] = {}
    for spec, entry in check.table(value, ("prices",)).items():
        keys = ("prices", spec)
        try:
            check_spec(spec)
        except ValueError as exc:
            raise check.fail(keys, f"the key {exc}") from None
        table = check.table(entry, keys)
        check.only(table, PRICE_KEYS, keys)
        amounts: dict[str, Decimal] = {}
        for name in _RATES:
            if name in table:
                item = table[name]
                try:
                    amounts[name] = parse_amount(item)
                except ValueError as exc:
                    raise check.fail(
                        (*keys, name), f"{exc} (USD per 1M tokens), got {item!r}"
                    ) from None
        like = check.text_value(table["like"], (*keys, "like")) if "like" in table else None
        if like is None and not amounts:
            raise check.fail(keys, 'give input and output (USD per 1M tokens), or like = "<id>"')
        try:
            out[spec] = make_price(amounts, like)
        except ValueError as exc:
            raise check.fail(keys, str(exc)) from None
    return out


def file_price(provider: str, model: str, served: str) -> OwnPrice | None:
    """The file's entry for this call (looked up as ``set_price``'s are), if any."""
    from ._load import load_config

    return lookup(load_config().prices, provider, model, served)


def _number(amount: Decimal) -> int | float:
    return int(amount) if amount == amount.to_integral_value() else float(amount)


def shown_price(price: OwnPrice) -> dict[str, object]:
    """One entry as JSON-able data, for ``modelport config``."""
    if price.like is not None:
        return {"like": price.like}
    shown: dict[str, object] = {"input": _number(price.input), "output": _number(price.output)}
    for name in ("cache_read", "cache_write"):
        rate = getattr(price, name)
        if rate is not None:
            shown[name] = _number(rate)
    return shown
