"""modelport provider for Anthropic Claude on AWS Bedrock (InvokeModel and its stream).

Importing this package is cheap on purpose and never imports botocore: the core imports the
entry-point module (``modelport_bedrock_claude.plugin``) only when a provider is first needed,
and botocore is imported when credentials are first resolved (``prepare_auth``, which the core
runs in a worker thread on the async path).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = [
    "GENERATIONS",
    "BedrockClaudeProvider",
    "Generation",
    "__version__",
    "aws_keys",
    "aws_profile",
]

if TYPE_CHECKING:
    from ._generations import GENERATIONS, Generation
    from ._keys import aws_keys, aws_profile
    from ._provider import BedrockClaudeProvider

_LAZY = {
    "BedrockClaudeProvider": "._provider",
    "GENERATIONS": "._generations",
    "Generation": "._generations",
    "aws_keys": "._keys",
    "aws_profile": "._keys",
}


def __getattr__(name: str) -> Any:
    where = _LAZY.get(name)
    if where is None:
        raise AttributeError(f"module 'modelport_bedrock_claude' has no attribute {name!r}")
    from importlib import import_module

    return getattr(import_module(where, __name__), name)
