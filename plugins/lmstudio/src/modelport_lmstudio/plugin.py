"""Entry point (group ``modelport``, name ``lmstudio``): registers the provider class.

Kept apart from the translator so that blocking the plugin by name never imports it.
"""

from __future__ import annotations

from collections.abc import Callable

from modelport._markers import hookimpl

from ._provider import LMStudioProvider


@hookimpl
def register_providers(register: Callable[..., None]) -> None:
    register(LMStudioProvider)
