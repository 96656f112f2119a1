"""The requests an ``LLM`` makes beside its calls (model listing, token counting): one place that
authenticates them, sends them on the LLM's own transport and keeps credentials out of errors.

They are sync and unretried on purpose: a listing or a count is asked for by a person or a
budget check, not a batch, and a failure is better seen at once than hidden behind retries.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ._errors import LLMError

if TYPE_CHECKING:
    from ._client import LLM
    from ._wire import WireRequest

__all__ = ["SideRequests"]


@dataclass(slots=True)
class SideRequests:
    """Side requests of one LLM; ``secrets`` gathers every credential they used, so that an
    error raised inside ``guarded()`` is scrubbed of all of them."""

    llm: LLM
    secrets: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        key = self.llm.provider.settings.api_key
        if key:
            self.secrets.append(key)

    def send(self, wire: WireRequest) -> tuple[int, Mapping[str, str], bytes]:
        """Authenticate, send and read one request whole: its status, headers and body."""
        provider = self.llm.provider
        if provider.auth_pending():
            provider.prepare_auth()
        provider.authenticate(wire)
        self.secrets += provider.secrets()
        raw = self.llm._transport.send(wire, self.llm._engine.setup.timeouts)
        try:
            body = raw.read()
        finally:
            raw.close()
        return raw.status, raw.headers, body

    @contextmanager
    def guarded(self) -> Iterator[None]:
        """Errors leave named by the provider and scrubbed of every credential used."""
        try:
            yield
        except LLMError as err:
            if err.provider is None:
                err.provider = self.llm.provider_name
            self.secrets += self.llm.provider.secrets()
            raise err.scrubbed(self.secrets) from None
