"""LM Studio's error bodies, on top of openai-chat's classifier.

openai-chat already reads every shape LM Studio sends; what LM Studio adds is *which* failure a
message means. Shapes seen from real servers (quoted in tests/plugins/lmstudio)::

    404 {"error": {"message": "No models loaded. Please load a model in the developer page or
         use the `lms load` command.", "type": "invalid_request_error", "param": "model",
         "code": "model_not_found"}}
    400 {"error": "No models loaded. Please load a model in the developer page or use the
         'lms load' command."}                                   (older servers: a bare string)
    400 {"error": {"message": "Invalid model identifier \\"o4-mini\\". Please specify a valid
         downloaded model (...)", "type": "invalid_request_error", "code": "model_not_found"}}
    200 {"error": "Unexpected endpoint or method. (POST /v1/models/unload)"}
    SSE {"type": "error", "error": {"type": "invalid_request", "message": "...",
         "code": "missing_required_parameter", "param": "model"}}      (/api/v1/chat)

The middle ones arrive as 400, or with ``"code": null`` from JIT loading, so the status alone
would call them a generic ``BadRequestError``; a missing or unloaded model is a
``ModelNotFoundError`` whatever the status, as long as it is a client error (4xx) or came with
no status at all (a 200 body or a stream). 401/403/429/5xx keep their own meaning: a 5xx
"model is unloaded" during a model swap is worth a retry, a 404 is not.

Errors built by openai-chat name ``openai-chat`` as their provider; ``relabel`` makes every
error leaving this plugin say ``lmstudio``.
"""

from __future__ import annotations

import re

from modelport.provider import (
    AuthenticationError,
    ContextWindowExceededError,
    LLMError,
    ModelNotFoundError,
    ModelRequestError,
    RateLimitError,
)

from ._models import PROVIDER

__all__ = ["is_model_missing", "relabel"]

_FOREIGN = "openai-chat"

# "No models loaded", "Model is unloaded", "model not loaded", "Invalid model identifier",
# "Model 'x' not found", "model does not exist", "no model with key ...", "No model instance
# found with identifier ..." (unload).
_MISSING = re.compile(
    r"no models? (?:is |are )?loaded"
    r"|model (?:is |was |has been )?(?:not loaded|unloaded)"
    r"|invalid model identifier"
    r"|model\b[^.]{0,200}?\bnot found"
    r"|model\b[^.]{0,200}?\bdoes not exist"
    r"|no model (?:instance )?(?:found )?(?:with|named|matching)",
    re.IGNORECASE,
)


def is_model_missing(message: str | None) -> bool:
    """Does this server message say the requested model is not available / not loaded?"""
    return bool(message) and _MISSING.search(message or "") is not None


def relabel(err: LLMError, *, model: str | None = None) -> LLMError:
    """The error as this plugin reports it: provider ``lmstudio``, LM Studio's classification.

    Returns ``err`` itself (relabelled in place) or a ``ModelNotFoundError`` built from it.
    """
    if err.provider in (None, _FOREIGN):
        err.provider = PROVIDER
    if model and not err.model:
        err.model = model
    if not isinstance(err, ModelRequestError) or isinstance(
        err, ModelNotFoundError | AuthenticationError | RateLimitError | ContextWindowExceededError
    ):
        return err
    status = err.status
    if status is not None and not 400 <= status < 500:
        return err
    text = err.provider_message or err.message
    if not is_model_missing(text):
        return err
    better = ModelNotFoundError(
        f"model not found: {text}",
        provider=err.provider,
        model=err.model,
        status=status,
        request_id=err.request_id,
        provider_message=err.provider_message or text,
        code=err.code,
        retry_after=err.retry_after,
    )
    better.__cause__ = err.__cause__
    return better
