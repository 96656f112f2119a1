"""The peer libraries measured next to modelport in ``bench_targets.py``: the openai SDK and,
when it can be imported, LiteLLM; async, against the same loopback server."""

from __future__ import annotations

from typing import Any

from run import KEY, MESSAGES, MODEL, say

__all__ = ["LITELLM", "OPENAI", "Peers"]

OPENAI = "openai SDK"
LITELLM = "LiteLLM"


class Peers:
    def __init__(self, base_url: str) -> None:
        import openai

        self.base_url = base_url
        self.oa = openai.AsyncOpenAI(base_url=base_url, api_key=KEY)
        self.litellm: Any = None
        try:
            import litellm
        except ImportError:
            say("  (LiteLLM is not installed: its rows are left out)")
        else:
            self.litellm = litellm

    async def aclose(self) -> None:
        await self.oa.close()

    async def oa_complete(self) -> str:
        r = await self.oa.chat.completions.create(model=MODEL, messages=MESSAGES, temperature=0)
        return str(r.choices[0].message.content)

    def _ll_args(self) -> dict[str, Any]:
        return {
            "model": f"openai/{MODEL}",
            "messages": MESSAGES,
            "temperature": 0,
            "api_base": self.base_url,
            "api_key": KEY,
        }

    async def ll_complete(self) -> str:
        r = await self.litellm.acompletion(**self._ll_args())
        return str(r.choices[0].message.content)

    async def oa_stream(self) -> int:
        n = 0
        stream = await self.oa.chat.completions.create(
            model=MODEL, messages=MESSAGES, temperature=0, stream=True
        )
        async for chunk in stream:
            if chunk.choices and chunk.choices[0].delta.content:
                n += 1
        return n

    async def ll_stream(self) -> int:
        n = 0
        async for chunk in await self.litellm.acompletion(**self._ll_args(), stream=True):
            if chunk.choices and chunk.choices[0].delta.content:
                n += 1
        return n
