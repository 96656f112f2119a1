"""SmartLLM's ``get_model_capabilities(model_id)`` for Claude on Bedrock, on modelport.

    python examples/migration/smartllm_capabilities.py

Guide: docs/migration/smartllm.md, "Capabilities". ``llm.model_info()`` answers from the
bedrock-claude plugin's table without a network call or AWS credentials, and the plugin shapes
every request by the same profile (adaptive thinking, dropped sampling parameters).
"""

from __future__ import annotations

import modelport as mp

MODEL_IDS = [
    "anthropic.claude-3-5-sonnet-20240620-v1:0",
    "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
    "anthropic.claude-opus-4-6-v1",
    "eu.anthropic.claude-opus-4-7",
]


def run() -> None:
    for model_id in MODEL_IDS:
        with mp.LLM(f"bedrock-claude:{model_id}", options={"region": "us-east-1"}) as llm:
            profile = llm.model_info()  # get_model_capabilities(model_id)
            sampling = profile.sampling_params
            accepts_temperature = sampling is None or "temperature" in sampling
            accepts_top_p_top_k = sampling is None or {"top_p", "top_k"} <= sampling
            print(
                f"{model_id}: thinking={profile.thinking}",
                f"temperature={accepts_temperature} top_p/top_k={accepts_top_p_top_k}",
                f"max_output={profile.max_output_tokens}",
            )


if __name__ == "__main__":
    run()
