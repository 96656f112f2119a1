"""modelport provider for LM Studio (``lmstudio:<model>``).

Chat goes through LM Studio's OpenAI-compatible endpoint with openai-chat's translator; this
package adds LM Studio's model metadata (``parse_model_info``), its native REST chat with
generation stats (``options={"api": "native"}``), its error messages, and model management
through the REST API v1 (``LMStudio``, ``load_model``, ``unload_model``, ``unload_others``,
``loaded_context_length`` and their ``a``-prefixed async twins). Importing it is cheap: the
names below are resolved on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = [
    "LMStudio",
    "LMStudioModel",
    "LMStudioProvider",
    "LoadedModel",
    "__version__",
    "aload_model",
    "aloaded_context_length",
    "aunload_model",
    "aunload_others",
    "load_model",
    "loaded_context_length",
    "parse_model_info",
    "unload_model",
    "unload_others",
]

# Where each model management name lives, so importing the package loads none of them.
_ADMIN = {
    "LMStudio": "_admin_client",
    "LoadedModel": "_admin_replies",
    "aload_model": "_admin_functions",
    "aloaded_context_length": "_admin_functions",
    "aunload_model": "_admin_functions",
    "aunload_others": "_admin_functions",
    "load_model": "_admin_functions",
    "loaded_context_length": "_admin_functions",
    "unload_model": "_admin_functions",
    "unload_others": "_admin_functions",
}

if TYPE_CHECKING:
    from ._admin_client import LMStudio
    from ._admin_functions import (
        aload_model,
        aloaded_context_length,
        aunload_model,
        aunload_others,
        load_model,
        loaded_context_length,
        unload_model,
        unload_others,
    )
    from ._admin_replies import LoadedModel
    from ._models import LMStudioModel, parse_model_info
    from ._provider import LMStudioProvider


def __getattr__(name: str) -> Any:
    if name == "LMStudioProvider":
        from ._provider import LMStudioProvider

        return LMStudioProvider
    if name in ("LMStudioModel", "parse_model_info"):
        from . import _models

        return getattr(_models, name)
    if name in _ADMIN:
        from importlib import import_module

        return getattr(import_module(f".{_ADMIN[name]}", __name__), name)
    raise AttributeError(f"module 'modelport_lmstudio' has no attribute {name!r}")
