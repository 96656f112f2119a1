"""The built-in thinking patterns, registered as an internal plugin.

They go through the same ``register_thinking`` hook as a third party's patterns so that a user
can block this plugin by name (and, say, register only ``[THINK]``) without special cases in the
core. Importing this module costs only pluggy.
"""

from __future__ import annotations

from collections.abc import Callable

from .._markers import hookimpl

__all__ = ["BUILTIN_TAGS", "register_thinking"]

# The one list of the built-in tags (``BUILTIN_PATTERNS`` is made from it), as plain pairs so
# that registering them loads nothing else.
BUILTIN_TAGS: tuple[tuple[str, str], ...] = (
    ("<think>", "</think>"),
    ("<thinking>", "</thinking>"),
    ("[THINK]", "[/THINK]"),
)


@hookimpl
def register_thinking(register: Callable[..., None]) -> None:
    """Register ``<think>``, ``<thinking>`` and ``[THINK]`` for every model."""
    for start, end in BUILTIN_TAGS:
        register(start, end)
