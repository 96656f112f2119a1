"""Prices users give for their own models (``modelport.set_price``).

A local model has no entry in any price list; a negotiated rate or a gateway in front of a
vendor needs its own. Prices are per million tokens, in US dollars, as vendors quote them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from .._errors import ConfigurationError

__all__ = [
    "OwnPrice",
    "check_spec",
    "find_price",
    "lookup",
    "make_price",
    "parse_amount",
    "set_price",
]

Amount = int | float | str | Decimal


@dataclass(frozen=True, slots=True)
class OwnPrice:
    """Per million tokens; a cache rate left out bills those tokens at the input rate.
    ``like``: price from the price list as that provider (its id in genai-prices)."""

    input: Decimal = Decimal(0)
    output: Decimal = Decimal(0)
    cache_read: Decimal | None = None
    cache_write: Decimal | None = None
    like: str | None = None


_prices: dict[str, OwnPrice] = {}

_KINDS = ("input", "output", "cache_read", "cache_write")


def parse_amount(value: object) -> Decimal:
    """One rate, exactly as written (``"0.075"``, ``0.075`` and ``Decimal`` agree); a
    ``ValueError`` says what is wrong with it. Shared with ``[prices]`` in modelport.toml."""
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise ValueError("is not a number") from None
    if not amount.is_finite() or amount < 0:
        raise ValueError("must be a finite amount >= 0")
    return amount


def make_price(amounts: Mapping[str, Decimal], like: str | None) -> OwnPrice:
    """The entry for checked ``amounts`` (some of ``input``, ``output``, ``cache_read``,
    ``cache_write``) or ``like``; a ``ValueError`` when the combination is not a price."""
    if like is not None:
        if not isinstance(like, str) or not like.strip():
            raise ValueError(f"like={like!r} must name a provider of the price list ('openai')")
        if amounts:
            raise ValueError("give either prices or like=, not both")
        return OwnPrice(like=like)
    if not {"input", "output"} <= amounts.keys():
        raise ValueError("input= and output= are required (USD per 1M tokens)")
    return OwnPrice(
        input=amounts["input"],
        output=amounts["output"],
        cache_read=amounts.get("cache_read"),
        cache_write=amounts.get("cache_write"),
    )


def check_spec(spec: str) -> None:
    """A key is one model or all of a provider's: ``*`` is a whole model part, not a pattern
    (``"p:gpt-*"`` would match nothing, silently)."""
    provider, sep, model = spec.partition(":")
    if not sep or not provider or not model or "*" in provider:
        raise ValueError(f"{spec!r} is not 'provider:model' (or 'provider:*')")
    if "*" in model and model != "*":
        raise ValueError(f"{spec!r}: '*' stands for every model ('provider:*'), not a pattern")


def set_price(
    spec: str,
    *,
    input: Amount | None = None,
    output: Amount | None = None,
    cache_read: Amount | None = None,
    cache_write: Amount | None = None,
    like: str | None = None,
) -> None:
    """Price ``"provider:model"`` (``"provider:*"``: every model of that provider) for
    ``Response.cost``: USD per million tokens, or ``like="openai"`` to use the price list's
    prices of that provider (a proxy or gateway in front of it). It takes precedence over
    ``[prices]`` in modelport.toml and over the price list. With no price and no ``like``,
    the entry is removed."""
    given = dict(zip(_KINDS, (input, output, cache_read, cache_write), strict=True))
    try:
        check_spec(spec)
        amounts: dict[str, Decimal] = {}
        for name, value in given.items():
            if value is not None:
                try:
                    amounts[name] = parse_amount(value)
                except ValueError as exc:
                    raise ValueError(f"{name}={value!r} {exc}") from None
        if like is None and not amounts:
            _prices.pop(spec, None)
            return
        _prices[spec] = make_price(amounts, like)
    except ValueError as exc:
        raise ConfigurationError(f"set_price: {exc}") from None


def lookup(
    prices: Mapping[str, OwnPrice], provider: str, model: str, served: str
) -> OwnPrice | None:
    """The entry for this call: the model asked for, the model served, then the provider's
    ``*``."""
    if not prices:
        return None
    for key in (f"{provider}:{model}", f"{provider}:{served}", f"{provider}:*"):
        found = prices.get(key)
        if found is not None:
            return found
    return None


def find_price(provider: str, model: str, served: str) -> OwnPrice | None:
    """The entry ``set_price`` made for this call, if any."""
    return lookup(_prices, provider, model, served)
