"""The entry-point module (group ``modelport``): modelport imports it when plugins load."""

from __future__ import annotations

from collections.abc import Callable

import modelport

from ._provider import AnthropicMessagesProvider


@modelport.hookimpl
def register_providers(register: Callable[[type], None]) -> None:
    register(AnthropicMessagesProvider)
