"""``modelport.toml``: model aliases with their settings, and the default model.

``_paths`` finds the file, ``_schema`` parses and checks it (errors name the file and line,
``_lines`` finds the line), ``_load`` caches it per path and mtime, ``_resolve`` turns what
``LLM(...)`` was given into a spec and the alias's settings, ``_describe`` shows it redacted.
Nothing here reads the file until a model without a ``provider:`` prefix asks for it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._errors import ConfigFileError
from ._load import clear_cache, load_config
from ._paths import config_path, user_config_dir
from ._resolve import Bound, default_model, resolve_model

if TYPE_CHECKING:
    from ._describe import describe

__all__ = [
    "Bound",
    "ConfigFileError",
    "clear_cache",
    "config_path",
    "default_model",
    "describe",
    "load_config",
    "resolve_model",
    "user_config_dir",
]


def __getattr__(name: str) -> Any:
    """``describe`` (``modelport config``) loads on first use, not with every call."""
    if name == "describe":
        from ._describe import describe

        return describe
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
