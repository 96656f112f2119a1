"""Token counts from LM Studio's own tokenizer, through the ``lmstudio`` SDK (the ``[sdk]`` extra).

LM Studio's HTTP APIs have no counting endpoint; its SDK reaches the engine's tokenizer over a
WebSocket RPC (``ws://host:port/llm``: an auth message, then ``listLoaded`` and
``countTokens``). The SDK is imported here, when a count is asked, and only if installed:
without it the caller gets ``None`` and the core's marked estimate follows.

Counting never loads a model: the SDK's ``client.llm.model(key)`` would load one that is not
loaded (gigabytes, minutes), so the model is looked up among the loaded instances instead, and
one that is not loaded gives ``None`` (the estimate) too, as does a host that does not answer
the SDK's ``/lmstudio-greeting`` probe (nothing listening, or no LM Studio there: the core's
rule for a server without a tokenizer endpoint). A server that answers the probe and then
refuses the session, fails the RPC or drops the WebSocket is a typed error.
"""

from __future__ import annotations

from contextlib import closing
from urllib.parse import urlsplit

from modelport.provider import (
    LLMTimeoutError,
    ModelRequestError,
    ProviderConnectionError,
    ProviderServerError,
)

from ._models import PROVIDER

__all__ = ["sdk_count"]


def sdk_count(root_url: str, model: str, text: str) -> int | None:
    """``text``'s tokens by the loaded ``model``'s tokenizer at ``root_url``; ``None`` when the
    SDK is not installed or the model is not loaded."""
    try:
        import lmstudio
    except ImportError:
        return None
    host = urlsplit(root_url).netloc
    if not lmstudio.Client.is_valid_api_host(host):
        return None  # nothing there, or no LM Studio greeting: as a server without a tokenizer
    try:
        with closing(lmstudio.Client(host)) as client:
            for handle in client.llm.list_loaded():
                if handle.identifier == model:
                    return handle.count_tokens(text)
            return None
    except lmstudio.LMStudioTimeoutError as err:
        raise _typed(LLMTimeoutError, "timed out", err, model) from None
    except lmstudio.LMStudioModelNotFoundError:
        return None  # unloaded between the listing and the count
    except lmstudio.LMStudioServerError as err:
        raise _typed(ProviderServerError, "failed the count", err, model) from None
    except lmstudio.LMStudioError as err:  # the WebSocket refused or dropped
        raise _typed(ProviderConnectionError, "could not be reached", err, model) from None


def _typed(
    kind: type[ModelRequestError], what: str, err: Exception, model: str
) -> ModelRequestError:
    return kind(
        f"LM Studio's SDK token count {what}: {err}",
        provider=PROVIDER,
        model=model,
        provider_message=str(err),
    )
