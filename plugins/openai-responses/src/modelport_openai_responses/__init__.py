"""modelport provider for the OpenAI Responses API (``POST {base}/responses``).

Importing this package is cheap on purpose: the core imports the entry-point module
(``modelport_openai_responses.plugin``) only when a provider is first needed, and that module
pulls in the translator. ``OpenAIResponsesProvider`` is resolved lazily here for users who want
the class.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = ["OpenAIResponsesProvider", "__version__"]

if TYPE_CHECKING:
    from ._provider import OpenAIResponsesProvider


def __getattr__(name: str) -> Any:
    if name == "OpenAIResponsesProvider":
        from ._provider import OpenAIResponsesProvider

        return OpenAIResponsesProvider
    raise AttributeError(f"module 'modelport_openai_responses' has no attribute {name!r}")
