"""bedrock-claude through the shipped conformance suite (modelport.testing.conformance).

Bedrock has no API key: botocore's credential chain reads the static keys set in ``env``, and
the secret key is a canary that must never reach the wire (SigV4 sends only a signature) nor
any error. Its paths start at the root (``/model/{id}/invoke``), hence ``base_url="{server}"``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from modelport.testing.conformance import Conformance, ProviderConformance
from modelport_bedrock_claude import BedrockClaudeProvider

HERE = Path(__file__).resolve().parent
SHARED = Path(os.environ.get("MODELPORT_SHARED", HERE.parents[2].parent / "shared"))
CORPUS = SHARED / "conformance"

ACCESS_KEY = "AKIDEXAMPLEMODELPORT"
SECRET_KEY = "canary-SECRET-conformance-4b8d1f7e2a9c"

pytestmark = pytest.mark.skipif(
    not CORPUS.is_dir(), reason=f"conformance corpus not found at {CORPUS}"
)


class TestBedrockClaudeConformance(ProviderConformance):
    conformance = Conformance(
        provider=BedrockClaudeProvider,
        recordings=[CORPUS / "bedrock-claude", HERE / "kit_recordings"],
        # A model that thinks: the kit runs in strict plugin mode, where a 3.x model would
        # refuse reasoning_effort (it cannot think) instead of dropping it.
        model="anthropic.claude-3-7-sonnet-20250219-v1:0",
        options={"region": "us-east-1"},
        base_url="{server}",
        api_key=None,
        secrets=[SECRET_KEY],
        env={
            "AWS_ACCESS_KEY_ID": ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
            "AWS_SESSION_TOKEN": None,
            "AWS_PROFILE": None,
        },
        capabilities={
            "streaming",
            "tools",
            "images",
            "thinking",
            "structured_output",
            "credentials",
            # The control plane's foundation models, then inference profiles paged by
            # nextToken: the listing pages are kit_recordings/listing-*.json, in order.
            "model_listing",
            "paged_listing",
        },
    )
