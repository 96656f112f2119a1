"""``modelport.toml`` parsed and checked: every alias, its settings, the default model.

Every schema error is a ``ConfigFileError`` at the line of the offending key. Secrets
(``api_key``) never appear in a message, only their type.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._engine._retry import RetryPolicy
from .._errors import ConfigurationError
from .._http._timeouts import Timeouts
from .._limits import Limits
from .._options import check_call_options, check_request_params
from .._prepare import DEFAULTABLE
from ._errors import ConfigFileError
from ._lines import find_line

if TYPE_CHECKING:
    from .._cost._registry import OwnPrice

__all__ = ["Alias", "Config", "parse"]

TOP_KEYS = frozenset({"default", "models", "profiles", "prices"})
ALIAS_KEYS = frozenset(
    {"spec", "base_url", "api_key", "api_key_env", "defaults", "limits", "fallbacks"}
    | {"timeout", "retry"}
)
LIMIT_KEYS = tuple(f.name for f in fields(Limits))
TIMEOUT_KEYS = tuple(f.name for f in fields(Timeouts))
RETRY_KEYS = tuple(f.name for f in fields(RetryPolicy))
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True, slots=True)
class Alias:
    """One ``[models.<name>]`` table."""

    name: str
    spec: str
    line: int | None = None
    base_url: str | None = None
    api_key: str | None = field(default=None, repr=False)
    api_key_env: str | None = None
    defaults: Mapping[str, Any] = field(default_factory=dict)
    limits: Limits | None = None
    fallbacks: tuple[str, ...] = ()
    timeout: Timeouts | float | None = None
    retry: RetryPolicy | int | None = None


@dataclass(frozen=True, slots=True)
class Config:
    path: Path
    source: str  # "MODELPORT_CONFIG" or "user config dir"
    exists: bool = False
    default: str | None = None
    models: Mapping[str, Alias] = field(default_factory=dict)
    profiles: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    prices: Mapping[str, OwnPrice] = field(default_factory=dict)
    text: str = field(default="", repr=False)

    def error(self, keys: tuple[str, ...], message: str) -> ConfigFileError:
        return ConfigFileError(self.path, find_line(self.text, keys), message)


def _dotted(keys: tuple[str, ...]) -> str:
    return ".".join(k if re.fullmatch(r"[A-Za-z0-9_-]+", k) else f'"{k}"' for k in keys)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


class _Checker:
    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.text = text

    def fail(self, keys: tuple[str, ...], message: str) -> ConfigFileError:
        return ConfigFileError(self.path, find_line(self.text, keys), f"{_dotted(keys)}: {message}")

    def table(self, value: object, keys: tuple[str, ...]) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(keys, f"must be a table, not {type(value).__name__}")
        return value

    def only(self, table: Mapping[str, Any], allowed: Any, keys: tuple[str, ...]) -> None:
        for key in table:
            if key not in allowed:
                raise self.fail(
                    (*keys, key),
                    f"unknown key {key!r} (expected one of {', '.join(sorted(allowed))})",
                )

    def text_value(self, value: object, keys: tuple[str, ...], *, secret: bool = False) -> str:
        if not isinstance(value, str) or not value:
            shown = f"a {type(value).__name__}" if secret else repr(value)
            raise self.fail(keys, f"must be a non-empty string, got {shown}")
        return value

    def spec(self, value: object, keys: tuple[str, ...]) -> str:
        spec = self.text_value(value, keys)
        provider, _, model = spec.partition(":")
        if not provider or not model:
            raise self.fail(
                keys,
                f"must be a 'provider:model' spec (e.g. 'openai-chat:gpt-4o-mini'), got {spec!r}",
            )
        return spec

    def numbers(self, table: Mapping[str, Any], keys: tuple[str, ...]) -> None:
        for key, value in table.items():
            if not _is_number(value):
                raise self.fail((*keys, key), f"must be a number, got {value!r}")

    def build(self, cls: Any, table: dict[str, Any], keys: tuple[str, ...]) -> Any:
        try:
            return cls(**table)
        except ConfigurationError as exc:
            raise self.fail(keys, exc.message) from None

    def defaults(self, value: object, keys: tuple[str, ...]) -> dict[str, Any]:
        table = self.table(value, keys)
        self.only(table, DEFAULTABLE, keys)
        for key, item in table.items():
            try:
                check_request_params({key: item})
                check_call_options({key: item})
            except ConfigurationError as exc:
                raise self.fail((*keys, key), exc.message) from None
        return dict(table)

    def limits(self, value: object, keys: tuple[str, ...]) -> Limits:
        table = self.table(value, keys)
        self.only(table, LIMIT_KEYS, keys)
        return self.build(Limits, table, keys)  # type: ignore[no-any-return]

    def timeout(self, value: object, keys: tuple[str, ...]) -> Timeouts | float:
        if _is_number(value):
            assert isinstance(value, int | float)
            if value <= 0:
                raise self.fail(keys, f"must be positive, got {value!r}")
            return float(value)
        if not isinstance(value, dict):
            raise self.fail(keys, f"must be a number of seconds or a table, got {value!r}")
        self.only(value, TIMEOUT_KEYS, keys)
        self.numbers(value, keys)
        return self.build(Timeouts, value, keys)  # type: ignore[no-any-return]

    def retry(self, value: object, keys: tuple[str, ...]) -> RetryPolicy | int:
        if isinstance(value, int) and not isinstance(value, bool):
            if value < 0:
                raise self.fail(keys, f"must be >= 0, got {value!r}")
            return value
        if not isinstance(value, dict):
            raise self.fail(keys, f"must be a number of retries or a table, got {value!r}")
        self.only(value, RETRY_KEYS, keys)
        self.numbers(value, keys)
        for key, item in value.items():
            if item < 0:
                raise self.fail((*keys, key), f"must be >= 0, got {item!r}")
        count = value.get("max_retries")
        if count is not None and not isinstance(count, int):
            raise self.fail((*keys, "max_retries"), f"must be an integer, got {count!r}")
        return self.build(RetryPolicy, value, keys)  # type: ignore[no-any-return]

    def alias(self, name: str, value: object) -> Alias:
        keys = ("models", name)
        if ":" in name or not name.strip():
            raise self.fail(
                keys,
                "an alias name must be non-empty and contain no ':' "
                "(a name with ':' reads as 'provider:model')",
            )
        table = self.table(value, keys)
        self.only(table, ALIAS_KEYS, keys)
        if "spec" not in table:
            raise self.fail(keys, 'missing spec = "provider:model"')
        kw: dict[str, Any] = {"spec": self.spec(table["spec"], (*keys, "spec"))}
        if "base_url" in table:
            kw["base_url"] = self.text_value(table["base_url"], (*keys, "base_url"))
        if "api_key" in table:
            kw["api_key"] = self.text_value(table["api_key"], (*keys, "api_key"), secret=True)
        if "api_key_env" in table:
            env = self.text_value(table["api_key_env"], (*keys, "api_key_env"))
            if not _ENV_NAME.match(env):
                raise self.fail(
                    (*keys, "api_key_env"),
                    "must name an environment variable (the key itself belongs in the "
                    f"environment), got {env!r}",
                )
            kw["api_key_env"] = env
        if "api_key" in kw and "api_key_env" in kw:
            raise self.fail((*keys, "api_key"), "set api_key or api_key_env, not both")
        if "defaults" in table:
            kw["defaults"] = self.defaults(table["defaults"], (*keys, "defaults"))
        if "limits" in table:
            kw["limits"] = self.limits(table["limits"], (*keys, "limits"))
        if "timeout" in table:
            kw["timeout"] = self.timeout(table["timeout"], (*keys, "timeout"))
        if "retry" in table:
            kw["retry"] = self.retry(table["retry"], (*keys, "retry"))
        if "fallbacks" in table:
            items = table["fallbacks"]
            if not isinstance(items, list):
                raise self.fail(
                    (*keys, "fallbacks"), f"must be a list of aliases or specs, got {items!r}"
                )
            kw["fallbacks"] = tuple(self.text_value(i, (*keys, "fallbacks")) for i in items)
        return Alias(name=name, line=find_line(self.text, keys), **kw)

    def reference(self, target: str, models: Mapping[str, Alias], keys: tuple[str, ...]) -> None:
        """``target`` is a ``provider:model`` spec or the name of an alias in this file."""
        if ":" in target:
            self.spec(target, keys)
        elif target not in models:
            known = ", ".join(sorted(models)) or "none"
            raise self.fail(
                keys,
                f"unknown alias {target!r} (aliases here: {known}; "
                "or write a 'provider:model' spec)",
            )

    def cycles(self, models: Mapping[str, Alias]) -> None:
        done: set[str] = set()

        def visit(name: str, trail: list[str]) -> None:
            if name in trail:
                loop = " -> ".join([*trail[trail.index(name) :], name])
                raise self.fail(
                    ("models", trail[-1], "fallbacks"), f"fallbacks form a cycle: {loop}"
                )
            if name in done:
                return
            for target in models[name].fallbacks:
                if target in models:
                    visit(target, [*trail, name])
            done.add(name)

        for name in models:
            visit(name, [])


def parse(text: str, path: Path, source: str) -> Config:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        found = re.search(r"\(at line (\d+), column (\d+)\)", message)
        line = getattr(exc, "lineno", None) or (int(found.group(1)) if found else None)
        column = getattr(exc, "colno", None) or (int(found.group(2)) if found else None)
        message = re.sub(r"\s*\(at line \d+, column \d+\)", "", message)
        raise ConfigFileError(path, line, f"invalid TOML: {message}", column=column) from None
    check = _Checker(path, text)
    check.only(data, TOP_KEYS, ())
    models: dict[str, Alias] = {}
    if "models" in data:
        for name, value in check.table(data["models"], ("models",)).items():
            models[name] = check.alias(name, value)
    for alias in models.values():
        for target in alias.fallbacks:
            check.reference(target, models, ("models", alias.name, "fallbacks"))
    check.cycles(models)
    default = None
    if "default" in data:
        default = check.text_value(data["default"], ("default",))
        check.reference(default, models, ("default",))
    profiles: dict[str, dict[str, Any]] = {}
    if "profiles" in data:
        from ._profiles import check_profile

        for pattern, value in check.table(data["profiles"], ("profiles",)).items():
            profiles[pattern] = check_profile(check, pattern, value)
    prices: dict[str, OwnPrice] = {}
    if "prices" in data:
        from ._prices import check_prices

        prices = check_prices(check, data["prices"])
    return Config(
        path,
        source,
        exists=True,
        default=default,
        models=models,
        profiles=profiles,
        prices=prices,
        text=text,
    )
