"""Micro-benchmark: what the thinking-tag parser costs per streamed chunk.

The stream is 1000 chunks shaped like a real reasoning reply: ``<think>`` as its own chunk,
300 reasoning tokens, ``</think>`` cut across two chunks, a blank line, then 700 answer tokens
of which some carry ``<`` or ``[`` (code, markdown links) and so take the slow path. The
baseline is what a stream assembler does without a parser: append each chunk to a string.
Both run in the same process, and the figure printed is the ratio, not an absolute time. For
scale, it also times ``json.loads`` of one recorded SSE chunk payload, the least work any
streaming client does per chunk.

    python bench/bench_thinking.py [--repeat N]
"""

from __future__ import annotations

import argparse
import json
import sys
import timeit
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "core" / "src"))

from modelport._thinking import ThinkingParser, split_thinking

WORDS = [" the", " user", " wants", " to", " know", ",", " so", " I", " should", " answer", "."]
ANSWER_EXTRAS = [" `a < b`", " [link](x)", "\n\n", " **bold**", " <br>"]


def make_chunks() -> list[str]:
    chunks = ["<think>", "\n", "Okay"]
    chunks += [WORDS[i % len(WORDS)] for i in range(297)]
    chunks += ["</thi", "nk>", "\n\n"]
    for i in range(697):
        chunks.append(ANSWER_EXTRAS[i % 5] if i % 50 == 7 else WORDS[i % len(WORDS)])
    assert len(chunks) == 1000
    return chunks


def with_parser(chunks: list[str]) -> tuple[str, str]:
    parser = ThinkingParser()
    answer: list[str] = []
    reasoning: list[str] = []
    for chunk in chunks:
        for piece in parser.feed(chunk):
            (answer if piece.kind == "answer" else reasoning).append(piece.text)
    for piece in parser.close():
        (answer if piece.kind == "answer" else reasoning).append(piece.text)
    return "".join(reasoning), "".join(answer)


def parser_only(chunks: list[str]) -> None:
    parser = ThinkingParser()
    feed = parser.feed
    for chunk in chunks:
        feed(chunk)
    parser.close()


def concatenation(chunks: list[str]) -> str:
    text = ""
    for chunk in chunks:
        text += chunk
    return text


SSE_PAYLOAD = json.dumps(
    {
        "id": "oV1nHvx-28Eivz-9c4b16f37c27e605",
        "object": "chat.completion.chunk",
        "created": 1769546683,
        "choices": [
            {
                "index": 0,
                "text": " user",
                "logprobs": None,
                "finish_reason": None,
                "seed": None,
                "delta": {"token_id": 3967, "role": "assistant", "content": " user"},
            }
        ],
        "model": "deepseek-ai/DeepSeek-R1",
        "usage": None,
    }
)


def decode_json(chunks: list[str]) -> None:
    loads = json.loads
    for _ in chunks:
        loads(SSE_PAYLOAD)


def best_ns_per_chunk(fn: Callable[[list[str]], object], chunks: list[str], repeat: int) -> float:
    timer = timeit.Timer(lambda: fn(chunks))
    loops, _ = timer.autorange()
    return min(timer.repeat(repeat, loops)) / loops / len(chunks) * 1e9


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args()

    chunks = make_chunks()
    whole = split_thinking("".join(chunks))
    assert with_parser(chunks) == (whole.reasoning, whole.answer), "streamed != whole-text parse"
    assert "think>" not in whole.answer

    base = best_ns_per_chunk(concatenation, chunks, args.repeat)
    bare = best_ns_per_chunk(parser_only, chunks, args.repeat)
    full = best_ns_per_chunk(with_parser, chunks, args.repeat)
    decode = best_ns_per_chunk(decode_json, chunks, args.repeat)
    print(f"1000 chunks, Python {sys.version.split()[0]}, best of {args.repeat}")
    print(f"  str concatenation (baseline)      {base:7.1f} ns/chunk   1.00x")
    print(f"  ThinkingParser.feed               {bare:7.1f} ns/chunk   {bare / base:5.2f}x")
    print(f"  feed + sort pieces into lists     {full:7.1f} ns/chunk   {full / base:5.2f}x")
    print(f"  json.loads of one SSE chunk       {decode:7.1f} ns/chunk   {decode / base:5.2f}x")
    print(
        f"  parser cost per chunk: {bare - base:+.1f} ns over concatenation, "
        f"{(bare - base) / decode:.0%} of decoding the chunk's JSON"
    )


if __name__ == "__main__":
    main()
