"""lmstudio through the shipped conformance suite (modelport.testing.conformance).

LM Studio's chat endpoint speaks Chat Completions, so the openai-chat corpus and that plugin's
twins and error events apply as they are; LM Studio's own recordings add its model lists and
native REST chat bodies (``options={"api": "native"}``, set per recording in kit_recordings).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from modelport.testing.conformance import Conformance, ProviderConformance
from modelport_lmstudio import LMStudioProvider

HERE = Path(__file__).resolve().parent
SHARED = Path(os.environ.get("MODELPORT_SHARED", HERE.parents[2].parent / "shared"))
CORPUS = SHARED / "conformance"
LMSTUDIO = CORPUS / "lmstudio"

pytestmark = pytest.mark.skipif(
    not CORPUS.is_dir(), reason=f"conformance corpus not found at {CORPUS}"
)


class TestLMStudioConformance(ProviderConformance):
    conformance = Conformance(
        provider=LMStudioProvider,
        recordings=[
            CORPUS / "openai-chat",
            HERE.parent / "openai_chat" / "kit_recordings",
            LMSTUDIO / "real-v1-models.json",
            LMSTUDIO / "real-api-v0-models.json",
            LMSTUDIO / "docs-api-v0-models.json",
            LMSTUDIO / "docs-api-v1-models.json",
            LMSTUDIO / "real-api-v0-chat-completions.json",
            LMSTUDIO / "docs-api-v0-chat-completions.json",
            HERE / "kit_recordings",
        ],
        model="qwen/qwen3-8b",
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
