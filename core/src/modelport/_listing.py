"""Model listing through a provider's (optional) models endpoint, sync, through the transport."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._errors import ConfigurationError, LLMError

if TYPE_CHECKING:
    from ._client import LLM

__all__ = ["list_models"]


def list_models(llm: LLM) -> list[str]:
    provider = llm.provider
    wire = provider.models_request()
    if wire is None:
        raise ConfigurationError(f"provider {llm.provider_name!r} cannot list models")
    secrets = [provider.settings.api_key] if provider.settings.api_key else []
    try:
        if provider.auth_pending():
            provider.prepare_auth()
        provider.authenticate(wire)
        secrets += provider.secrets()
        raw = llm._transport.send(wire, llm._engine.timeouts)
        try:
            body = raw.read()
        finally:
            raw.close()
        if raw.status >= 400:
            raise provider.parse_error(raw.status, raw.headers, body)
        models: list[str] = provider.parse_models(body)
        return models
    except LLMError as err:
        if err.provider is None:
            err.provider = llm.provider_name
        raise err.scrubbed(secrets) from None
