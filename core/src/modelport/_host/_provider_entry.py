"""One registered provider name, and the class behind it, imported no sooner than needed.

A plugin may register a provider as ``register("pkg.mod:Cls", name="my-api")`` instead of
handing over the class: the name is all the core needs to list the provider or to route a
model spec to it, and the class (with its translator and wire library) is imported the first
time that name is resolved. One ``LLM("openai-chat:...")`` then pays for one translator, not
for every installed one.

A failure found at that first resolution (the module will not import, has no such attribute,
the class breaks the provider contract, or its ``name`` is not the registered one) is a
``ConfigurationError`` naming the plugin and the target, never a bare ``ImportError``: the
user asked for a provider and must learn whose package is broken. It is remembered, so a
module that fails half-way through its import is not executed again on every ``LLM``.
"""

from __future__ import annotations

from collections.abc import Callable

from .._contract import Provider, check_provider_class
from .._errors import ConfigurationError
from .._slotted import Slotted
from ._lazy_target import find_target, import_target, split_target

__all__ = ["ProviderEntry", "check_provider_name"]


def check_provider_name(name: object, plugin: str) -> str:
    """The name when it can be the prefix of a model spec, else a ``ConfigurationError``."""
    if not isinstance(name, str) or not name or ":" in name:
        raise ConfigurationError(
            f"plugin {plugin!r}: a provider name must be a non-empty string without ':'; "
            f"got {name!r}"
        )
    return name


def _split_target(target: str, plugin: str) -> tuple[str, str]:
    return split_target(target, plugin, "provider", "package.module:Class")


class ProviderEntry(Slotted):
    """A provider name, the plugin that registered it, and its class or where to import it."""

    _fields = ("name", "plugin", "target", "lazy")
    __slots__ = (*_fields, "_cls", "_failure")

    def __init__(
        self,
        name: str,
        plugin: str,
        target: str,  # "package.module:Class", for a class handed over directly too (tracing)
        lazy: bool,
        _cls: type[Provider] | None = None,
    ) -> None:
        self.name = name
        self.plugin = plugin
        self.target = target
        self.lazy = lazy
        self._cls = _cls
        self._failure: tuple[str, BaseException | None] | None = None

    @classmethod
    def of_class(cls, provider: object, plugin: str, name: str | None = None) -> ProviderEntry:
        """An entry for a class registered directly: checked now, since it is imported anyway."""
        checked = check_provider_class(provider, plugin)
        if name is not None and check_provider_name(name, plugin) != checked.name:
            raise ConfigurationError(
                f"plugin {plugin!r} registered provider class {checked.__qualname__} as "
                f"{name!r}, but its name is {checked.name!r}"
            )
        target = f"{checked.__module__}:{checked.__qualname__}"
        return cls(checked.name, plugin, target, lazy=False, _cls=checked)

    @classmethod
    def of_target(cls, target: str, plugin: str, name: str | None) -> ProviderEntry:
        """An entry for ``"package.module:Class"``; nothing is imported yet."""
        if name is None:
            raise ConfigurationError(
                f"plugin {plugin!r} registered {target!r} without a name: the name must be "
                f"known without importing, so write register({target!r}, name='...')"
            )
        _split_target(target, plugin)
        return cls(check_provider_name(name, plugin), plugin, target, lazy=True)

    @property
    def resolved(self) -> bool:
        return self._cls is not None

    def check_findable(self) -> None:
        """Fail now, without running the module, if the target's module cannot be found.

        This catches the likely mistake of the lazy form (a misspelt module path) when plugins
        are listed rather than when a user first asks for the provider. Finding a submodule
        imports its parent packages, which the registering plugin usually lives in already.
        """
        if self._cls is not None:
            return
        module, _ = _split_target(self.target, self.plugin)
        find_target(module, self._error)

    def resolve(self, trace: Callable[[str], None] | None = None) -> type[Provider]:
        """The provider class, imported and checked on the first call."""
        cls = self._cls
        if cls is not None:
            return cls
        if self._failure is None:
            try:
                cls = self._import(trace)
            except ConfigurationError as exc:
                self._failure = (exc.message, exc.__cause__)
            else:
                self._cls = cls
                return cls
        message, cause = self._failure
        raise ConfigurationError(message, provider=self.name) from cause

    def _import(self, trace: Callable[[str], None] | None) -> type[Provider]:
        module_name, attr = _split_target(self.target, self.plugin)
        if trace is not None:
            trace(f"import provider {self.name} -> {self.target} (plugin {self.plugin})")
        obj = import_target(module_name, attr, self._error)
        try:
            cls = check_provider_class(obj, self.plugin)
        except ConfigurationError as exc:
            raise self._error(exc.message.removeprefix(f"plugin {self.plugin!r}: ")) from None
        if cls.name != self.name:
            raise self._error(f"the class's name is {cls.name!r}, not the registered name")
        return cls

    def _error(self, what: str) -> ConfigurationError:
        return ConfigurationError(
            f"plugin {self.plugin!r} registered provider {self.name!r} as {self.target!r}: {what}"
        )
