"""modelport provider for Anthropic's Messages API: ``anthropic-messages:<model>``."""

from __future__ import annotations

__version__ = "0.1.0"

from ._provider import AnthropicMessagesProvider, AnthropicMessagesStreamDecoder

__all__ = ["AnthropicMessagesProvider", "AnthropicMessagesStreamDecoder", "__version__"]
