"""One model's profile from its four sources, in one order of precedence.

Lowest to highest: the provider's table (``Provider.profile(model)``), the ``model_profile``
hook of plugins, what the server reports (``llm.model_info()`` only), the user's
``[profiles]`` table in ``modelport.toml``. A server's report is a fact about the model it
has loaded (its context window), so it outranks every static table; the user outranks
everything, because the user can be right when all the others are wrong.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .._contract import ModelProfile, ModelReport
from .._errors import ConfigurationError, LLMError
from .._host._hook_calls import plugin_failure

if TYPE_CHECKING:
    from .._contract import Provider
    from .._engine._engine import Engine
    from .._host._plugins import PluginHost

__all__ = ["call_profile", "hooked_profile", "layered", "user_overrides"]


def call_profile(engine: Engine, provider_name: str, model: str) -> ModelProfile:
    """What calls are shaped by: the table, the hooks, the user's overrides (no server I/O)."""
    static = hooked_profile(engine.host, engine.setup.plugin, engine.provider, model)
    return layered(static, None, user_overrides(provider_name, model))


def hooked_profile(host: PluginHost, plugin: str, provider: Provider, model: str) -> ModelProfile:
    """The provider's table, then each ``model_profile`` implementation in pluggy's order."""
    try:
        profile = provider.profile(model)
    except LLMError:
        raise
    except Exception as exc:
        raise plugin_failure(ConfigurationError, plugin, "profile", exc) from exc
    if not isinstance(profile, ModelProfile):
        raise ConfigurationError(
            f"plugin {plugin!r}: profile({model!r}) returned {type(profile).__name__}, "
            "not a ModelProfile"
        )
    if not host.has_impls("model_profile"):
        return profile
    for impl in reversed(host.pm.hook.model_profile.get_hookimpls()):  # pluggy's call order
        kwargs = {"provider": provider.name, "model": model, "profile": profile}
        try:
            result = impl.function(**{name: kwargs[name] for name in impl.argnames})
        except LLMError:
            raise
        except Exception as exc:
            raise plugin_failure(
                ConfigurationError, impl.plugin_name, "model_profile", exc
            ) from exc
        if result is None:
            continue
        if not isinstance(result, ModelProfile):
            raise ConfigurationError(
                f"plugin {impl.plugin_name!r}: model_profile returned "
                f"{type(result).__name__}, not a ModelProfile or None"
            )
        profile = result
    return profile


def user_overrides(provider: str, model: str) -> dict[str, Any]:
    """``[profiles]`` entries of ``modelport.toml`` matching ``provider:model``."""
    from .._config import load_config
    from .._config._profiles import profile_overrides

    return profile_overrides(load_config(), provider, model)


def layered(
    static: ModelProfile, report: ModelReport | None, user: Mapping[str, Any]
) -> ModelProfile:
    """The static profile under the server's report under the user's overrides."""
    profile = static.merged(**report) if report else static
    return profile.merged(**user) if user else profile
