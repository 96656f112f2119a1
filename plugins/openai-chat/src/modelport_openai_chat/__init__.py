"""modelport provider for the OpenAI Chat Completions API and every server that speaks it.

Importing this package is cheap on purpose: the core imports the entry-point module
(``modelport_openai_chat.plugin``) only when a provider is first needed, and that module pulls
in the translator. ``OpenAIChatProvider`` is resolved lazily here for users who want the class.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = ["OpenAIChatProvider", "__version__"]

if TYPE_CHECKING:
    from ._provider import OpenAIChatProvider


def __getattr__(name: str) -> Any:
    if name == "OpenAIChatProvider":
        from ._provider import OpenAIChatProvider

        return OpenAIChatProvider
    raise AttributeError(f"module 'modelport_openai_chat' has no attribute {name!r}")
