"""Entry point (group ``modelport``, name ``openai-chat``): registers the provider by name.

The class is named as a string so that loading this plugin imports nothing but this module: the
translator is imported the first time a model spec says ``openai-chat:...``, so an ``LLM`` for
another provider, ``modelport plugins`` and ``modelport models`` never pay for it, and blocking
the plugin by name never imports it.
"""

from __future__ import annotations

from collections.abc import Callable

from modelport import hookimpl


@hookimpl
def register_providers(register: Callable[..., None]) -> None:
    register("modelport_openai_chat._provider:OpenAIChatProvider", name="openai-chat")
