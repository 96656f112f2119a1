"""Lazily registered plugin objects: ``"package.module:Attr"`` found, then imported, on demand.

Providers and transports are registered by import path so that listing plugins, or calling
another provider, never imports a translator or an HTTP library it does not use. The rules for
such a target (its form, whether its module can be found without running it, importing it and
walking to the attribute) are the same for both, and every failure is a ``ConfigurationError``
built by the caller's ``error`` (which names the plugin, the name and the target).
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable

from .._errors import ConfigurationError

__all__ = ["describe", "find_target", "import_target", "split_target"]

ErrorFor = Callable[[str], ConfigurationError]


def describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def split_target(target: str, plugin: str, kind: str, form: str) -> tuple[str, str]:
    """``(module, attribute path)``; ``kind``/``form`` say what was expected
    (``"provider"``, ``"package.module:Class"``)."""
    module, sep, attr = target.partition(":")
    if not sep or not module.strip() or not attr.strip() or ":" in attr:
        raise ConfigurationError(
            f"plugin {plugin!r}: a lazily registered {kind} is {form!r}; got {target!r}"
        )
    return module.strip(), attr.strip()


def find_target(module: str, error: ErrorFor) -> None:
    """Fail now, without running the module, if it cannot be found (a misspelt path shows
    when plugins are listed, not when a user first asks for the name). Finding a submodule
    imports its parent packages, which the registering plugin usually lives in already."""
    try:
        spec = importlib.util.find_spec(module)
    except Exception as exc:
        raise error(f"cannot look up module {module!r}: {describe(exc)}") from exc
    if spec is None:
        raise error(f"no module named {module!r} is installed")


def import_target(module: str, attr: str, error: ErrorFor) -> object:
    """The object at ``module:attr`` (a dotted attribute path)."""
    try:
        obj: object = importlib.import_module(module)
    except Exception as exc:
        raise error(f"failed to import: {describe(exc)}") from exc
    for part in attr.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError as exc:
            raise error(f"has no attribute {part!r}") from exc
    return obj
