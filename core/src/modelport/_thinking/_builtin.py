"""The built-in thinking patterns, registered as an internal plugin.

They go through the same ``register_thinking`` hook as a third party's patterns so that a user
can block this plugin by name (and, say, register only ``[THINK]``) without special cases in the
core. Importing this module costs only pluggy and the sans-IO parser module.
"""

from __future__ import annotations

from collections.abc import Callable

from .._markers import hookimpl
from . import BUILTIN_PATTERNS

__all__ = ["register_thinking"]


@hookimpl
def register_thinking(register: Callable[..., None]) -> None:
    """Register ``<think>``, ``<thinking>`` and ``[THINK]`` for every model."""
    for pattern in BUILTIN_PATTERNS:
        register(pattern.start, pattern.end)
