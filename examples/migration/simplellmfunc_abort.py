"""SimpleLLMFunc's ``AbortSignal`` / ``_abort_signal``, on modelport.

    python examples/migration/simplellmfunc_abort.py --base-url http://127.0.0.1:8080/v1

Guide: docs/migration/simplellmfunc.md, "Abort". The seed passes the signal as
``**{ABORT_SIGNAL_PARAM: signal}``; modelport takes ``abort=signal``. Here the model calls a
slow tool and the caller aborts as soon as the tool starts: the tool is cancelled at once, the
call ends with ``aborted=True`` and the reason, and the history answers every tool call.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from typing import Any

import modelport as mp
from modelport.fn import AbortSignal, LoopEnd, ToolCallError, ToolCallStart, llm_chat


async def slow_search(query: str) -> str:
    """Search slowly.

    Args:
        query: What to look for.
    """
    await asyncio.sleep(30)
    return "never reached"


def run(base_url: str) -> None:
    llm = mp.LLM("openai-chat:tiny", base_url=base_url, temperature=0, max_tokens=200)

    @llm_chat(llm_interface=llm, toolkit=[slow_search], stream=True, enable_event=True)
    async def chat(message: str, history: list[dict[str, Any]] | None = None) -> None:
        """You are a research assistant."""

    async def main() -> None:
        signal = AbortSignal()
        started = time.monotonic()
        async for ev in chat("Look up transformers.", history=[], abort=signal):
            if isinstance(ev, ToolCallStart):
                signal.abort("user_interrupt")  # from a UI, a timer, another task ...
            elif isinstance(ev, ToolCallError):
                print("tool:", ev.name, ev.error)
            elif isinstance(ev, LoopEnd):
                print("loop_end: aborted", ev.aborted, "reason", ev.reason)
                print("history roles:", [m["role"] for m in ev.history])
                print("tool message:", ev.history[-1]["content"])
        print("stopped within 10 s:", time.monotonic() - started < 10)
        await llm.aclose()

    asyncio.run(main())


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--base-url", default="http://127.0.0.1:8080/v1")
    run(parser.parse_args().base_url)
