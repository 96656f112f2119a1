"""Entry point (group ``modelport``, name ``lmstudio``): registers the provider by name.

The class is named as a string so that loading this plugin imports nothing but this module: the
translator (built on openai-chat's) is imported the first time a model spec says
``lmstudio:...``, so an ``LLM`` for another provider, ``modelport plugins`` and ``modelport
models`` never pay for it, and blocking the plugin by name never imports it.
"""

from __future__ import annotations

from collections.abc import Callable

from modelport import hookimpl


@hookimpl
def register_providers(register: Callable[..., None]) -> None:
    register("modelport_lmstudio._provider:LMStudioProvider", name="lmstudio")
