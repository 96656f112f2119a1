"""Model listing through a provider's (optional) models endpoint, sync, through the transport."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._errors import ConfigurationError
from ._side_requests import SideRequests

if TYPE_CHECKING:
    from ._client import LLM

__all__ = ["list_models"]

_MAX_REQUESTS = 50


def list_models(llm: LLM) -> list[str]:
    provider = llm.provider
    wire = provider.models_request()
    if wire is None:
        raise ConfigurationError(f"provider {llm.provider_name!r} cannot list models")
    side = SideRequests(llm)
    models: list[str] = []
    with side.guarded():
        for _ in range(_MAX_REQUESTS):  # pages, and further listings (next_models_request)
            status, headers, body = side.send(wire)
            if status >= 400:
                raise provider.parse_error(status, headers, body)
            models += [m for m in provider.parse_models(body) if m not in models]
            following = provider.next_models_request(wire, body)
            if following is None:
                return models
            wire = following
    return models  # a provider that pages forever: what the bounded walk found
