"""openai-chat through the shipped conformance suite (modelport.testing.conformance)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from modelport.testing.conformance import Conformance, ProviderConformance
from modelport_openai_chat import OpenAIChatProvider

HERE = Path(__file__).resolve().parent
SHARED = Path(os.environ.get("MODELPORT_SHARED", HERE.parents[2].parent / "shared"))
CORPUS = SHARED / "conformance"

pytestmark = pytest.mark.skipif(
    not CORPUS.is_dir(), reason=f"conformance corpus not found at {CORPUS}"
)


class TestOpenAIChatConformance(ProviderConformance):
    conformance = Conformance(
        provider=OpenAIChatProvider,
        # The corpus as recorded; LM Studio's OpenAI-compatible /v1/models as the model list;
        # then this plugin's twins, mid-stream error events and annotations.
        recordings=[
            CORPUS / "openai-chat",
            CORPUS / "lmstudio" / "real-v1-models.json",
            HERE / "kit_recordings",
        ],
        model="gpt-4o-mini",
        capabilities={
            "streaming",
            "tools",
            "images",
            "thinking",
            "structured_output",
            "model_listing",
            "credentials",
        },
    )
