"""From what ``LLM(...)`` was given to a ``provider:model`` spec and the alias's settings.

One precedence rule: an explicit constructor argument, else the alias's setting in
``modelport.toml``, else modelport's default. The default model is ``MODELPORT_MODEL``, else
``default = ...`` at the top of the file.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from .._errors import ConfigurationError
from ._errors import ConfigFileError
from ._lines import find_line
from ._load import load_config
from ._paths import config_path

if TYPE_CHECKING:
    from .._http._timeouts import Timeouts
    from .._limits import Limits
    from ._schema import Alias, Config

__all__ = ["Bound", "default_model", "resolve_model"]

K = TypeVar("K")
F = TypeVar("F")


def default_model(config: Config | None = None) -> tuple[str, str]:
    """(the default alias or spec, where it came from: ``"MODELPORT_MODEL"`` or the file)."""
    named = os.environ.get("MODELPORT_MODEL")
    if named:
        return named, "MODELPORT_MODEL"
    config = config or load_config()
    if config.default:
        return config.default, str(config.path)
    raise ConfigurationError(
        "no model given and no default model: pass one (mp.LLM('openai-chat:gpt-4o-mini') or "
        f"an alias), set MODELPORT_MODEL=<alias or provider:model>, or write "
        f'default = "<alias>" at the top of {config.path}'
    )


class Bound:
    """An alias ready to merge under one ``LLM``'s explicit arguments."""

    __slots__ = ("alias", "config")

    def __init__(self, alias: Alias, config: Config) -> None:
        self.alias = alias
        self.config = config

    @property
    def retry(self) -> Any:
        return self.alias.retry

    def key(self) -> str | None:
        a = self.alias
        if a.api_key is not None:
            return a.api_key
        if a.api_key_env is None:
            return None
        value = os.environ.get(a.api_key_env)
        if not value:
            # Never fall back to the provider's own variable: that key belongs to another server.
            line = find_line(self.config.text, ("models", a.name, "api_key_env"))
            raise ConfigFileError(
                self.config.path,
                line,
                f"alias {a.name!r} reads its API key from ${a.api_key_env}, which is not set",
            )
        return value

    def under(
        self,
        api_key: K | None,
        base_url: str | None,
        timeout: Timeouts | float | None,
        limits: Limits | None,
        fallbacks: Sequence[F],
        defaults: dict[str, Any],
    ) -> tuple[
        K | str | None,
        str | None,
        Timeouts | float | None,
        Limits | None,
        Sequence[F | str],
        dict[str, Any],
    ]:
        """The explicit arguments, each filled from the alias where it was not given."""
        a = self.alias
        return (
            api_key if api_key is not None else self.key(),
            base_url if base_url is not None else a.base_url,
            timeout if timeout is not None else a.timeout,
            limits if limits is not None else a.limits,
            fallbacks if fallbacks else a.fallbacks,
            {**a.defaults, **defaults},
        )


def resolve_model(model: str | None) -> tuple[str, Bound | None]:
    """(the ``provider:model`` spec, the alias it came from or None). A name with a colon is
    a spec and never reads the file; anything else is looked up in ``modelport.toml``."""
    if model is None:
        model, _ = default_model()
    if not isinstance(model, str) or ":" in model:
        return model, None  # parse_spec names a value that is not a str
    config = load_config()
    alias = config.models.get(model)
    if alias is None:
        path, _ = config_path()
        known = ", ".join(sorted(config.models))
        where = f"the aliases in {path} ({known})" if known else f"an alias in {path} (none there)"
        raise ConfigurationError(
            f"model spec must look like 'provider:model' (e.g. 'openai-chat:gpt-4o-mini') or "
            f"name one of {where}, got {model!r}"
        )
    return alias.spec, Bound(alias, config)
