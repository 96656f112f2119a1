"""``llm.count_tokens(...)`` through Bedrock's CountTokens API: the exact, free count.

``POST /model/{modelId}/count-tokens`` takes the InvokeModel body itself, wrapped as
``{"input": {"invokeModel": {"body": "<base64 of the body's JSON>"}}}`` (the body is a blob
in Bedrock's REST-JSON protocol, so it travels base64-encoded), and answers
``{"inputTokens": N}``: what the same invoke would be billed as input, tools, system prompt and
images included. It is SigV4-signed like an invoke (the core signs it through
``authenticate``).

CountTokens accepts foundation-model ids only: a cross-region inference profile
(``us.anthropic.claude-...``) or a profile's ARN is refused with "The provided model doesn't
support counting tokens", although the same model counts under its own id. So the count is
asked of the foundation model a profile routes to: the geography prefix is dropped, an ARN is
reduced to the id it names, and an application inference profile (whose ARN names no model)
uses ``options["claude_model"]``; without that option there is no model to ask, and the core
estimates (marked ``estimated=True``) without a request.
"""

from __future__ import annotations

import base64
import json
import re
from typing import Any
from urllib.parse import quote, unquote

from modelport.provider import WireRequest, protocol_error

from ._errors import PROVIDER

__all__ = ["count_request", "counting_model", "parse_count"]

_ARN = re.compile(r"^arn:aws[a-z-]*:bedrock:[^:]*:[^:]*:(?P<kind>[a-z-]+)/(?P<rest>.+)$")
_GEO = re.compile(r"^[a-z][a-z-]*\.(?=anthropic\.)")
_JSON = "application/json"


def counting_model(model: str, claude_model: str | None = None) -> str | None:
    """The foundation-model id CountTokens accepts for ``model`` (any id form Bedrock
    invokes), or ``None`` when no foundation model can be named."""
    text = unquote(model.strip())
    arn = _ARN.match(text)
    if arn is not None:
        if arn["kind"] in ("foundation-model", "inference-profile"):
            text = arn["rest"]
        elif claude_model and not _ARN.match(claude_model.strip()):
            text = claude_model.strip()  # an application profile: the model it routes to
        else:
            return None  # an application profile or a provisioned/custom model: no id
    text = _GEO.sub("", text)
    return text or None


def count_request(base_url: str, model: str, invoke_body: dict[str, Any]) -> WireRequest:
    """The CountTokens request for ``invoke_body`` (an InvokeModel body) on ``model``."""
    blob = json.dumps(invoke_body, separators=(",", ":"), ensure_ascii=False).encode()
    return WireRequest(
        method="POST",
        url=f"{base_url}/model/{quote(model, safe='')}/count-tokens",
        headers={"Content-Type": _JSON, "Accept": _JSON},
        body={"input": {"invokeModel": {"body": base64.b64encode(blob).decode("ascii")}}},
    )


def parse_count(body: bytes, *, model: str | None) -> int:
    """``inputTokens`` of a CountTokens answer; anything else is a protocol error."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise protocol_error(
            "token count is not JSON", provider=PROVIDER, model=model, body=body
        ) from None
    tokens = data.get("inputTokens") if isinstance(data, dict) else None
    if isinstance(tokens, bool) or not isinstance(tokens, int) or tokens < 0:
        raise protocol_error(
            "token count has no inputTokens count", provider=PROVIDER, model=model, body=body
        )
    return tokens
