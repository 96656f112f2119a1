"""modelport provider for LM Studio (``lmstudio:<model>``).

Chat goes through LM Studio's OpenAI-compatible endpoint with openai-chat's translator; this
package adds LM Studio's model metadata (``parse_model_info``), its native REST chat with
generation stats (``options={"api": "native"}``) and its error messages. Importing it is cheap:
the names below are resolved on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = ["LMStudioModel", "LMStudioProvider", "__version__", "parse_model_info"]

if TYPE_CHECKING:
    from ._models import LMStudioModel, parse_model_info
    from ._provider import LMStudioProvider


def __getattr__(name: str) -> Any:
    if name == "LMStudioProvider":
        from ._provider import LMStudioProvider

        return LMStudioProvider
    if name in ("LMStudioModel", "parse_model_info"):
        from . import _models

        return getattr(_models, name)
    raise AttributeError(f"module 'modelport_lmstudio' has no attribute {name!r}")
