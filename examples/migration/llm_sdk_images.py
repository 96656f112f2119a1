"""better-llm-sdk's image forms (path, PIL, URL, base64) in message dicts, on modelport.

    python examples/migration/llm_sdk_images.py --base-url http://127.0.0.1:1234/v1

Guide: docs/migration/llm-sdk.md, "Images". Needs a vision model (or the scripted server the
tests start: the tiny llama.cpp model has no vision projector and answers 500). The seed's
dicts work unchanged; ``vllm_mode=`` is gone (every image is sent as a data URL or URL).
"""

from __future__ import annotations

import argparse
import base64
import io
import tempfile
from pathlib import Path

import modelport as mp
from PIL import Image


def run(base_url: str) -> None:
    folder = Path(tempfile.mkdtemp(prefix="modelport-images-"))
    photo = folder / "photo.png"  # a JPEG under a misleading name: the bytes decide
    Image.new("RGB", (8, 8), "red").save(photo, format="JPEG")
    img = Image.new("RGB", (8, 8), "blue")  # a PIL image (PNG-encoded when sent)
    buffer = io.BytesIO()
    Image.new("L", (4, 4), 128).save(buffer, format="PNG")
    encoded = base64.b64encode(buffer.getvalue()).decode()

    with mp.LLM("openai-chat:vision", base_url=base_url, api_key="lm-studio") as llm:
        messages = [
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "What's in these images?"},
                    {"type": "image", "image_path": str(photo), "detail": "low"},
                    {"type": "image", "image_pil": img},
                    {"type": "image", "image_base64": encoded},
                    {"type": "image", "image_url": "https://example.com/image.jpg"},
                ],
            }
        ]
        print("answer:", llm.complete(messages).text)

        # the newer README's spelling: the source key is the type
        newer = [
            {"type": "image_path", "image_path": str(photo)},
            {"type": "image_base64", "image_base64": encoded},
            {"type": "image_url", "image_url": "https://example.com/image.jpg"},
        ]
        print("newer forms:", llm.complete([{"role": "user", "content": newer}]).text)

        # or modelport's own parts
        parts: list[mp.TextPart | mp.ImagePart] = [
            mp.TextPart(text="Describe this image"),
            mp.ImagePart.from_pil(img),
        ]
        print("image_url answer:", llm.complete([mp.Message.user(parts)]).text)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--base-url", default="http://127.0.0.1:1234/v1")
    run(parser.parse_args().base_url)
