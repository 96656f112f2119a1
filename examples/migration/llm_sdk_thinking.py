"""better-llm-sdk's thinking tokens: ``hide_thinking``, ``<think>``, ``CustomThinkingToken``.

    python examples/migration/llm_sdk_thinking.py --base-url http://127.0.0.1:8080/v1

Guide: docs/migration/llm-sdk.md, "Thinking". Run it against a model that reasons (the tiny
think model of ../shared/peers). Note the default: the seed hides reasoning
(``hide_thinking=True``), modelport shows it (``hide_thinking=False``).
"""

from __future__ import annotations

import argparse

import modelport as mp
from modelport.thinking import CustomThinkingToken

RAW_TAGS = {"reasoning_format": "none"}  # llama.cpp: leave <think> tags in the text


def run(base_url: str) -> None:
    with mp.LLM("openai-chat:tiny", base_url=base_url, temperature=0, max_tokens=64) as llm:
        # the server's reasoning field (reasoning_content) -> Response.reasoning
        r = llm.complete("Hello")
        print("reasoning:", r.reasoning.strip() if r.reasoning else None, "| answer:", r.text)

        # <think>...</think> inside the text is split off the same way, across chunks too
        r = llm.complete("Hello", extra_body=RAW_TAGS)
        print("inline tags:", r.reasoning.strip() if r.reasoning else None, "| answer:", r.text)

        streamed = {"reasoning": "", "answer": ""}
        for event in llm.stream("Hello", extra_body=RAW_TAGS):
            if event.type in streamed:
                streamed[event.type] += event.content
        print("stream:", streamed["reasoning"].strip(), "|", streamed["answer"])

        # hide_thinking=True (the seed's default): no reasoning in events or the Response
        r = llm.complete("Hello", hide_thinking=True)
        print("hidden:", r.reasoning, "| answer:", r.text)

    # CustomThinkingToken(start_token=, end_token=, from_beginning=) is the same class shape
    custom = CustomThinkingToken("<<BEGIN_THOUGHT>>", "<<END_THOUGHT>>")
    with mp.LLM(
        "openai-chat:tiny", base_url=base_url, thinking=custom, temperature=0, max_tokens=64
    ) as llm:
        r = llm.complete("Hello", extra_body=RAW_TAGS)  # built-in tags still apply
        print("custom token llm:", r.text)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--base-url", default="http://127.0.0.1:1234/v1")
    run(parser.parse_args().base_url)
