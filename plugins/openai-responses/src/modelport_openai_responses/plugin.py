"""Entry point (group ``modelport``, name ``openai-responses``): registers the provider class.

Kept separate from the translator so that the entry-point module is the only thing the core's
plugin loader has to import, and blocking the plugin by name never imports the translator.
"""

from __future__ import annotations

from collections.abc import Callable

from modelport._markers import hookimpl

from ._provider import OpenAIResponsesProvider


@hookimpl
def register_providers(register: Callable[..., None]) -> None:
    register(OpenAIResponsesProvider)
