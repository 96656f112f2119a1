"""SimpleLLMFunc's multimodal tool returns (``ImgPath``, ``Tuple[str, ImgPath]``), on modelport.

    python examples/migration/simplellmfunc_tool_images.py --base-url http://127.0.0.1:8080/v1

Guide: docs/migration/simplellmfunc.md, "Tools that return images". A tool returns an
``mp.ImagePart`` or a tuple/list mixing text and ``ImagePart``s; the model receives the image.
It also passes an image to an ``llm_function`` ("Images as arguments"). Needs a vision model
(or the scripted server the tests start: the tiny llama.cpp model has no vision projector and
answers 500 "image input is not supported").
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from pathlib import Path
from typing import Any

import modelport as mp
from modelport.fn import llm_chat, llm_function
from modelport.tools import tool
from PIL import Image

CHARTS = Path(tempfile.mkdtemp(prefix="modelport-charts-"))


@tool(name="generate_chart", description="Generate charts based on data")
async def generate_chart(data: str, chart_type: str = "bar") -> tuple[str, mp.ImagePart]:
    """Generate a chart from the data.

    Args:
        data: CSV format data
        chart_type: Chart type, default is bar chart
    """
    chart_path = CHARTS / "chart.png"
    Image.new("RGB", (32, 16), "white").save(chart_path, format="PNG")
    return f"Chart of {data} ({chart_type})", mp.ImagePart.from_path(chart_path)


def run(base_url: str) -> None:
    llm = mp.LLM("openai-chat:vision", base_url=base_url, temperature=0, max_tokens=64)

    @llm_chat(llm_interface=llm, toolkit=[generate_chart], stream=False)
    async def analyst(message: str, history: list[dict[str, Any]] | None = None) -> None:
        """You are a data analyst who looks at the charts you draw."""

    async def main() -> None:
        text, history = await analyst("Chart 1,2,3 and describe it.")
        print("answer:", text)
        print("history roles:", [m["role"] for m in history])
        tool_message = next(m for m in history if m["role"] == "tool")
        print("tool result parts:", [p["type"] for p in tool_message["content"]])
        await llm.aclose()

    asyncio.run(main())

    # ImgPath / ImgUrl parameters of an llm_function -> mp.ImagePart parameters
    @llm_function(llm_interface=llm)
    async def analyze_image(description: str, local_image: mp.ImagePart) -> str:
        """Analyze the image as asked: {description}. The image: {local_image}"""

    async def analyze() -> str:
        image = mp.ImagePart.from_path(CHARTS / "chart.png")
        result = await analyze_image(description="describe the colors", local_image=image)
        await llm.aclose()
        return result

    print("llm_function image:", asyncio.run(analyze()))


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--base-url", default="http://127.0.0.1:8080/v1")
    run(parser.parse_args().base_url)
