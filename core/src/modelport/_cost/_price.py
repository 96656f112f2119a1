"""Pricing one billed response: the user's own prices first (``set_price``, then ``[prices]``
in modelport.toml), then the genai-prices list.

genai-prices (the optional extra ``modelport[prices]``) is imported here, on the first cost
anyone reads, never by ``import modelport``. Without it, only the user's own prices are known.

The list finds the provider by the endpoint the request went to (``api.openai.com``,
``bedrock-runtime.<region>.amazonaws.com``, ...), never by the model's name alone: a local
server that calls its model ``gpt-4o`` is not OpenAI, and its cost is unknown, not a guess.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, NamedTuple
from urllib.parse import urlsplit

from ._registry import OwnPrice, find_price
from ._types import Cost, Priced

if TYPE_CHECKING:
    from .._response import Usage

__all__ = ["Tokens", "endpoint_of", "price", "tokens_of"]

_PER = 1_000_000  # prices are per million tokens


class Tokens(NamedTuple):
    """Token counts by rate. ``input`` includes both cache parts, as the price list counts."""

    input: int
    cache_read: int
    cache_write: int
    output: int


def tokens_of(usage: Usage) -> Tokens:
    """The one place usage becomes billable counts: prompt-cache writes (``cache_write_tokens``,
    reported by providers that bill them apart, such as Claude) at their own rate."""
    return Tokens(
        usage.input_tokens, usage.cached_tokens, usage.cache_write_tokens, usage.output_tokens
    )


def endpoint_of(url: str) -> str:
    """The URL without userinfo, query or fragment: enough to know the provider, no secret."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path}"


def price(piece: Priced) -> Cost | None:
    """The piece's cost, or ``None``: no usage reported, or no price known for the model."""
    tokens = tokens_of(piece.usage)
    if tokens.input <= 0 and tokens.output <= 0:
        return None  # the provider reported no usage: zero would be a guess
    if tokens.cache_read + tokens.cache_write > tokens.input:
        return None  # inconsistent counts: no price can be right
    own = find_price(piece.provider, piece.model, piece.served)
    if own is None:
        from .._config._prices import file_price  # the file is read (and cached) on first use

        own = file_price(piece.provider, piece.model, piece.served)
    if own is not None and own.like is None:
        return _own_cost(own, tokens)
    refs = [piece.served, piece.model] if piece.served and piece.served != piece.model else []
    refs = refs or [piece.model]
    if own is not None and own.like is not None:
        return _listed_cost(tokens, refs, piece.at, provider_id=own.like)
    return _listed_cost(tokens, refs, piece.at, endpoint=endpoint_of(piece.url))


def _own_cost(own: OwnPrice, tokens: Tokens) -> Cost:
    plain = tokens.input - tokens.cache_read - tokens.cache_write
    read_rate = own.input if own.cache_read is None else own.cache_read
    write_rate = own.input if own.cache_write is None else own.cache_write
    cache_read = tokens.cache_read * read_rate / _PER
    cache_write = tokens.cache_write * write_rate / _PER
    input_cost = plain * own.input / _PER + cache_read + cache_write
    output_cost = tokens.output * own.output / _PER
    return Cost(
        total=input_cost + output_cost,
        input=input_cost,
        output=output_cost,
        cache_read=cache_read,
        cache_write=cache_write,
    )


def _listed_cost(
    tokens: Tokens,
    refs: list[str],
    at: float,
    *,
    provider_id: str | None = None,
    endpoint: str = "",
) -> Cost | None:
    try:
        import genai_prices
        from genai_prices.types import PriceCalculation, calc_unit_price
    except ImportError:
        return None  # the extra is not installed: unknown, and nothing fails
    usage = genai_prices.Usage(
        input_tokens=tokens.input,
        cache_read_tokens=tokens.cache_read,
        cache_write_tokens=tokens.cache_write,
        output_tokens=tokens.output,
    )
    when = datetime.fromtimestamp(at, UTC)  # the call's time, not the reading's
    for ref in refs:
        calc: PriceCalculation
        try:
            if provider_id is not None:
                calc = genai_prices.calc_price(
                    usage, ref, provider_id=provider_id, genai_request_timestamp=when
                )
            else:
                calc = genai_prices.calc_price(
                    usage, ref, provider_api_url=endpoint, genai_request_timestamp=when
                )
        except LookupError:
            continue  # no such provider or model in the list: try the next name
        except ValueError:
            return None  # usage the list cannot price (inconsistent counts)
        rates = calc.model_price
        read_rate = rates.cache_read_mtok if rates.cache_read_mtok is not None else rates.input_mtok
        write_rate = (
            rates.cache_write_mtok if rates.cache_write_mtok is not None else rates.input_mtok
        )
        cache_read: Decimal = calc_unit_price(read_rate, tokens.cache_read, tokens.input, _PER)
        cache_write: Decimal = calc_unit_price(write_rate, tokens.cache_write, tokens.input, _PER)
        return Cost(
            total=calc.total_price,
            input=calc.input_price,
            output=calc.output_price,
            cache_read=cache_read,
            cache_write=cache_write,
        )
    return None
