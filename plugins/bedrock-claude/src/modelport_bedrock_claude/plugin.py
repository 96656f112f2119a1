"""Entry point (group ``modelport``, name ``bedrock-claude``): registers the provider class.

Kept separate from the translator so that the entry-point module is the only thing the core's
plugin loader has to import; neither imports botocore.
"""

from __future__ import annotations

from collections.abc import Callable

from modelport._markers import hookimpl

from ._provider import BedrockClaudeProvider


@hookimpl
def register_providers(register: Callable[..., None]) -> None:
    register(BedrockClaudeProvider)
