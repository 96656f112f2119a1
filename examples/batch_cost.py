"""Recipe: a batch of prompts with a progress bar and a running cost (docs/observability.md).

    pip install "modelport[prices]"          # the price list (genai-prices)
    python examples/batch_cost.py --model openai-chat:gpt-4o-mini
    python examples/batch_cost.py --model openai-chat:tiny \\
        --base-url http://127.0.0.1:8080/v1 --price 0.10 0.40

``--price IN OUT`` gives your own prices (USD per million input and output tokens): a local
model is in no price list. ``--like openai`` prices a gateway or proxy as that vendor.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from decimal import Decimal
from typing import TextIO

import modelport as mp

PROMPTS = [f"In one short sentence: what is {n} squared?" for n in range(1, 13)]


class Tally:
    """What the batch has cost so far: spent, saved by the cache, and calls with no price."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.done = 0
        self.spent = Decimal(0)
        self.saved = Decimal(0)
        self.unpriced = 0

    def add(self, response: mp.Response) -> None:
        self.done += 1
        if response.cost is None:
            self.unpriced += 1  # an unknown model: counted, never guessed
        else:
            self.spent += response.cost.total
        if response.cost_saved is not None:
            self.saved += response.cost_saved.total

    def bar(self, width: int = 24) -> str:
        filled = width * self.done // max(self.total, 1)
        unpriced = f" ({self.unpriced} unpriced)" if self.unpriced else ""
        return (
            f"\r[{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.total} "
            f"spent ${self.spent:f}{unpriced}"
        )


async def run_batch(llm: mp.LLM, prompts: Sequence[str], out: TextIO = sys.stderr) -> Tally:
    """All prompts at once (the LLM's ``limits`` bound how many are in flight); the bar
    moves as each answer arrives, in whatever order they finish."""
    tally = Tally(len(prompts))
    out.write(tally.bar())
    for finished in asyncio.as_completed([llm.acomplete(p) for p in prompts]):
        tally.add(await finished)
        out.write(tally.bar())
        out.flush()
    out.write("\n")
    return tally


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="provider:model")
    parser.add_argument("--base-url")
    parser.add_argument("--api-key")
    parser.add_argument("-n", type=int, default=len(PROMPTS), help="how many prompts")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--price", nargs=2, metavar=("IN", "OUT"), help="USD per 1M tokens")
    parser.add_argument("--like", help="price as this provider of the price list (openai, ...)")
    args = parser.parse_args(argv)
    if args.price:
        mp.set_price(args.model, input=args.price[0], output=args.price[1])
    elif args.like:
        mp.set_price(args.model, like=args.like)

    async def batch() -> Tally:
        async with mp.LLM(
            args.model,
            base_url=args.base_url,
            api_key=args.api_key,
            limits=mp.Limits(max_concurrency=args.concurrency),
            temperature=0,
            max_tokens=48,
        ) as llm:
            return await run_batch(llm, PROMPTS[: args.n])

    tally = asyncio.run(batch())
    print(
        f"{tally.done} calls: spent ${tally.spent:f}, saved ${tally.saved:f} by the cache, "
        f"{tally.unpriced} without a known price"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
