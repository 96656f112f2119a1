"""modelport's conformance suite, run against this provider from the recorded bodies."""

from __future__ import annotations

from pathlib import Path

from modelport.testing.conformance import Conformance, ProviderConformance
from modelport_anthropic_messages import AnthropicMessagesProvider


class TestAnthropicMessagesProvider(ProviderConformance):
    conformance = Conformance(
        provider=AnthropicMessagesProvider,
        recordings=Path(__file__).parent / "recordings",
        model="tiny",
    )
