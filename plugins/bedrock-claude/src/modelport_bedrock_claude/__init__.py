"""modelport provider for Anthropic Claude on AWS Bedrock (InvokeModel and its stream).

Importing this package is cheap on purpose and never imports botocore: the core imports the
entry-point module (``modelport_bedrock_claude.plugin``) only when a provider is first needed,
and botocore is imported when credentials are first resolved (``prepare_auth``, which the core
runs in a worker thread on the async path).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = ["BedrockClaudeProvider", "__version__"]

if TYPE_CHECKING:
    from ._provider import BedrockClaudeProvider


def __getattr__(name: str) -> Any:
    if name == "BedrockClaudeProvider":
        from ._provider import BedrockClaudeProvider

        return BedrockClaudeProvider
    raise AttributeError(f"module 'modelport_bedrock_claude' has no attribute {name!r}")
