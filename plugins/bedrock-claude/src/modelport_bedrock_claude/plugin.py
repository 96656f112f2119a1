"""Entry point (group ``modelport``, name ``bedrock-claude``): registers the provider by name.

The class is named as a string so that loading this plugin imports nothing but this module: the
translator is imported the first time a model spec says ``bedrock-claude:...``, so an ``LLM``
for another provider, ``modelport plugins`` and ``modelport models`` never pay for it, and
blocking the plugin by name never imports it. Neither imports botocore: the provider does, on
its first signed request.
"""

from __future__ import annotations

from collections.abc import Callable

from modelport import hookimpl


@hookimpl
def register_providers(register: Callable[..., None]) -> None:
    register("modelport_bedrock_claude._provider:BedrockClaudeProvider", name="bedrock-claude")
