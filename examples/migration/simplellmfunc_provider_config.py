"""SimpleLLMFunc's provider.json, key pool, rate limit and retries, on modelport.

    python examples/migration/simplellmfunc_provider_config.py --base-url http://127.0.0.1:8080/v1

Guide: docs/migration/simplellmfunc.md, "Provider configuration". The seed loads
``OpenAICompatible.load_from_json_file("provider.json")["local"]["tiny"]``; modelport reads a
``modelport.toml`` (from ``MODELPORT_CONFIG`` or the user config dir) and ``mp.LLM("alias")``
picks the entry. This example writes the file to a temporary directory so it runs anywhere.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
from pathlib import Path

import modelport as mp
from modelport.fn import llm_function

# The seed's provider.json entry ...
#   {"local": [{"model_name": "tiny", "api_keys": ["sk-a", "sk-b"], "base_url": "...",
#               "max_retries": 5, "retry_delay": 1.0,
#               "rate_limit_capacity": 10, "rate_limit_refill_rate": 1.0}]}
# ... is this alias:
TOML = """
default = "tiny"

[models.tiny]
spec = "openai-chat:tiny"
base_url = "{base_url}"
api_key_env = "LOCAL_LLM_KEY"
defaults = {{temperature = 0, max_tokens = 32}}
limits = {{requests_per_minute = 60}}
retry = {{max_retries = 5, backoff_base = 1.0, backoff_max = 1.0, jitter = 0}}
"""


def run(base_url: str) -> None:
    folder = Path(tempfile.mkdtemp(prefix="modelport-migration-"))
    (folder / "modelport.toml").write_text(TOML.format(base_url=base_url))
    os.environ["MODELPORT_CONFIG"] = str(folder / "modelport.toml")
    os.environ.setdefault("LOCAL_LLM_KEY", "sk-local")  # the key lives in the environment

    llm = mp.LLM("tiny")  # providers["local"]["tiny"]
    print("alias:", f"{llm.provider_name}:{llm.model}")
    print("default model:", mp.LLM().model)  # MODELPORT_MODEL, else the file's default

    # APIKeyPool(["sk-a", "sk-b"], provider_id=...) -> a list of keys (or mp.KeyPool) in code.
    pooled = mp.LLM("tiny", api_key=["sk-a", "sk-b"])

    @llm_function(llm_interface=pooled)
    async def classify_sentiment(text: str) -> str:
        """Classify the sentiment of: {text}"""

    async def batch() -> list[str]:
        texts = ["This product is amazing!", "Terrible.", "It is fine."]
        return list(await asyncio.gather(*(classify_sentiment(t) for t in texts)))

    results = asyncio.run(batch())
    print("batch:", len(results), results[0])
    for each in (llm, pooled):
        each.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--base-url", default="http://127.0.0.1:8080/v1")
    run(parser.parse_args().base_url)
