"""``Conformance``: what a plugin author tells the suite, and the capabilities that follow.

The suite is generic; everything provider-specific is here or in the recordings folder. The
capability set plays the role of SQLAlchemy's requirements class: a check that needs a
capability the provider does not declare is skipped with that reason, so a provider without
tools is not failed by tool checks, and a provider that claims tools is held to them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ...provider import Provider, ProviderSettings

if TYPE_CHECKING:
    from .._server import ScriptedServer
    from ._recordings import Case

__all__ = ["CANARY", "CAPABILITIES", "OPT_IN", "Conformance", "skip_reason"]

# A key that is never valid anywhere: if it shows up in a wire request before ``authenticate``
# or in any error text, the provider (or the core) leaked it. Long enough that the core's
# redaction also masks its 8-character head and tail, which is what providers echo back.
CANARY = "sk-conformance-CANARY-5f0c2e9b7a41d3c8e6"

CAPABILITIES: Mapping[str, str] = {
    "streaming": "streaming",
    "tools": "tools",
    "images": "images",
    "thinking": "thinking",
    "structured_output": "structured output",
    "model_listing": "model listing",
    "credentials": "credentials",
    # Opt-in only (never derived): contract members whose checks need recordings of their own.
    "paged_listing": "paged model listing",
    "server_profile": "server profile reports",
    "limit_headers": "rate-limit headers",
}
# Capabilities a provider must name in ``capabilities=`` to be held to them.
OPT_IN = frozenset({"paged_listing", "server_profile", "limit_headers"})


def skip_reason(capability: str) -> str:
    return f"provider declares no {CAPABILITIES.get(capability, capability)}"


def _names(value: Iterable[str], what: str) -> frozenset[str]:
    if isinstance(value, str):
        raise TypeError(f"{what} must be a collection of names, not the string {value!r}")
    names = frozenset(value)
    unknown = names - set(CAPABILITIES)
    if unknown:
        raise ValueError(
            f"unknown capabilit{'y' if len(unknown) == 1 else 'ies'} {sorted(unknown)} in "
            f"{what}; known: {sorted(CAPABILITIES)}"
        )
    return names


@dataclass(eq=False)
class Conformance:
    """The provider under test and where its recorded traffic lives.

    ``provider``: the provider class. ``recordings``: a folder, or several searched in order
    (a later folder's ``cases.json`` may annotate recordings of an earlier one; see the package
    docstring). ``model``: the model name every request uses.

    ``capabilities``: the full set of capabilities the provider has (names in
    ``CAPABILITIES``); ``None`` derives them from ``profile(model)`` (``tools``, ``images``,
    ``thinking``), ``models_request()`` (``model_listing``) and the credentials given, with
    ``streaming`` and ``structured_output`` assumed; the ``OPT_IN`` ones (``paged_listing``,
    ``server_profile``, ``limit_headers``) are never derived, only declared. ``options``:
    ``ProviderSettings.options``.
    ``base_url``: where the scripted server is, as the provider wants it; ``{server}`` stands
    for ``http://127.0.0.1:PORT`` (use ``"{server}"`` for providers that add no ``/v1``).
    ``api_key``: sent by ``authenticate`` only (a canary by default; ``None`` for providers
    without keys). ``secrets``: further credentials that must never reach the wire or an error
    (an AWS secret key). ``env``: environment variables set for every check (``None``
    removes one), e.g. static AWS credentials. ``max_examples`` bounds each property check
    (the ``--conformance-max-examples`` option overrides it).
    """

    provider: type[Provider]
    recordings: Path | str | Sequence[Path | str]
    model: str
    capabilities: Iterable[str] | None = None
    options: Mapping[str, Any] = field(default_factory=dict)
    base_url: str = "{server}/v1"
    api_key: str | None = CANARY
    secrets: Sequence[str] = ()
    env: Mapping[str, str | None] = field(default_factory=dict)
    max_examples: int = 25
    _declared: frozenset[str] | None = field(default=None, init=False, repr=False)
    _memo: dict[str, Any] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.provider, type):
            raise TypeError(f"provider must be the provider class, got {self.provider!r}")
        if not self.model:
            raise ValueError("model must be a non-empty model name")
        if self.capabilities is not None:
            self._declared = _names(self.capabilities, "capabilities")
        if self.max_examples < 1:
            raise ValueError("max_examples must be >= 1")
        if not self.base_url.startswith("{server}"):
            raise ValueError(
                f"base_url must start with '{{server}}' (the scripted server the checks run), "
                f"e.g. '{{server}}/v1'; got {self.base_url!r}"
            )

    # -- recordings ---------------------------------------------------------------------------

    @property
    def folders(self) -> tuple[Path, ...]:
        given = self.recordings
        items = [given] if isinstance(given, str | Path) else list(given)
        return tuple(Path(p) for p in items)

    def cases(self) -> list[Case]:
        """Every recording, loaded once per ``Conformance`` (collection and tests share it)."""
        from ._recordings import load_cases

        if "cases" not in self._memo:
            self._memo["cases"] = load_cases(self.folders)
        cases: list[Case] = self._memo["cases"]
        return cases

    # -- the provider -------------------------------------------------------------------------

    @property
    def canaries(self) -> list[str]:
        """Strings that must never appear in an error (and, but for the key sent by
        ``authenticate``, never on the wire)."""
        return [s for s in (self.api_key, *self.secrets) if s]

    def settings(
        self, *, options: Mapping[str, Any] | None = None, base_url: str | None = None
    ) -> ProviderSettings:
        return ProviderSettings(
            model=self.model,
            # Sans-IO checks send nothing; a closed loopback port keeps a provider's default
            # (a hosted API) out of every URL and every accidental request.
            base_url=base_url
            if base_url is not None
            else self.base_url.replace("{server}", "http://127.0.0.1:9"),
            api_key=self.api_key,
            options={**self.options, **(options or {})},
        )

    def make(self, case: Case | None = None, *, base_url: str | None = None) -> Provider:
        """A fresh provider instance, with the case's own options over the kit's."""
        options = case.options if case is not None else None
        return self.provider(self.settings(options=options, base_url=base_url))

    def url_for(self, server: ScriptedServer) -> str:
        return self.base_url.replace("{server}", server.url)

    # -- capabilities -------------------------------------------------------------------------

    @property
    def declared(self) -> frozenset[str]:
        if self._declared is None:
            self._declared = self._derived()
        return self._declared

    def _derived(self) -> frozenset[str]:
        provider = self.make()
        profile = provider.profile(self.model)
        found = {"streaming", "structured_output"}
        if profile.tools:
            found.add("tools")
        if profile.images:
            found.add("images")
        if profile.thinking not in (None, "none"):
            found.add("thinking")
        if provider.models_request() is not None:
            found.add("model_listing")
        if self.canaries:
            found.add("credentials")
        return frozenset(found)

    def lacks(self, needed: Iterable[str]) -> str | None:
        """The skip reason for the first capability in ``needed`` not declared, else None."""
        for name in sorted(_names(needed, "requires")):
            if name not in self.declared:
                return skip_reason(name)
        return None
