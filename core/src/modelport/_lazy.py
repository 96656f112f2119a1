"""Names a package re-exports but imports only on first access (a module ``__getattr__``).

``import modelport``, ``modelport.provider``, ``modelport._limits`` and the conformance kit
list names that most programs never touch; each resolves them here, once, and keeps the value
in its own namespace, so the second access is a plain global lookup.
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib import import_module
from typing import Any

__all__ = ["lazy_attribute"]


def lazy_attribute(namespace: dict[str, Any], table: Mapping[str, str], name: str) -> Any:
    """``name`` from the module ``table`` names for it (relative to ``namespace``'s package)."""
    where = table.get(name)
    if where is None:
        raise AttributeError(f"module {namespace['__name__']!r} has no attribute {name!r}")
    value = getattr(import_module(where, namespace["__package__"]), name)
    namespace[name] = value
    return value
