"""``llm.models()``: the Claude models and inference profiles the account can use.

Two listings of the Bedrock control plane (``bedrock.{region}.amazonaws.com``, signed with
SigV4 as service ``bedrock``, like the runtime), walked by the core one request at a time:

1. ``GET /foundation-models?byProvider=anthropic`` (ListFoundationModels, one page):
   ``modelSummaries[]`` with ``modelId``, ``outputModalities`` and
   ``inferenceTypesSupported``. A model listed only for ``INFERENCE_PROFILE`` cannot be
   invoked by its own id, so only those with ``ON_DEMAND`` are listed; the profiles that
   reach the others come next.
2. ``GET /inference-profiles?maxResults=1000`` (ListInferenceProfiles, paged by
   ``nextToken``): ``inferenceProfileSummaries[]`` with ``inferenceProfileId``,
   ``inferenceProfileArn``, ``type`` (``SYSTEM_DEFINED`` / ``APPLICATION``), ``status`` and
   ``models[].modelArn``. Active profiles that route to a Claude model are listed: a
   system-defined one by its id (``us.anthropic.claude-...``), an application one by its ARN,
   which is how it is invoked.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, urlsplit

from modelport.provider import ProviderSettings, WireRequest, protocol_error

from ._errors import PROVIDER

__all__ = ["control_url", "first_listing", "next_listing", "parse_listing"]

_MODELS_PATH = "/foundation-models"
_PROFILES_PATH = "/inference-profiles"
_PAGE = 1000


def control_url(settings: ProviderSettings, base_url: str | None, region: Callable[[], str]) -> str:
    """``options["control_url"]``; else a custom runtime URL with ``bedrock-runtime`` made
    ``bedrock`` (a VPC endpoint), or the custom URL itself (a proxy or test server that
    serves both); else the public control plane of the region."""
    given = settings.options.get("control_url")
    if given:
        return str(given).rstrip("/")
    if base_url:
        return base_url.rstrip("/").replace("bedrock-runtime", "bedrock", 1)
    return f"https://bedrock.{region()}.amazonaws.com"


def _get(url: str) -> WireRequest:
    return WireRequest(method="GET", url=url, headers={"Accept": "application/json"})


def first_listing(base: str) -> WireRequest:
    return _get(f"{base}{_MODELS_PATH}?byProvider=anthropic")


def next_listing(base: str, wire: WireRequest, body: bytes) -> WireRequest | None:
    """After the models: the first page of profiles; after a page of profiles: the next."""
    path = urlsplit(wire.url).path
    if path.endswith(_MODELS_PATH):
        return _get(f"{base}{_PROFILES_PATH}?maxResults={_PAGE}")
    if not path.endswith(_PROFILES_PATH):
        return None
    try:
        token = json.loads(body).get("nextToken")
    except (ValueError, AttributeError, UnicodeDecodeError):
        return None
    if not isinstance(token, str) or not token:
        return None
    return _get(f"{base}{_PROFILES_PATH}?maxResults={_PAGE}&nextToken={quote(token, safe='')}")


def _is_claude(model_arn_or_id: Any) -> bool:
    return isinstance(model_arn_or_id, str) and "anthropic.claude" in model_arn_or_id


def parse_listing(body: bytes, *, model: str | None) -> list[str]:
    """The model ids in one answer of either listing."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise protocol_error(
            "model listing is not JSON", provider=PROVIDER, model=model, body=body
        ) from None
    if not isinstance(data, dict):
        raise protocol_error(
            "model listing is not a JSON object", provider=PROVIDER, model=model, body=body
        )
    out: list[str] = []
    if "modelSummaries" in data:
        for item in _items(data, "modelSummaries", body, model):
            mid = item.get("modelId")
            if not _is_claude(mid):
                continue
            outputs = item.get("outputModalities")
            if isinstance(outputs, list) and "TEXT" not in outputs:
                continue
            kinds = item.get("inferenceTypesSupported")
            if isinstance(kinds, list) and "ON_DEMAND" not in kinds:
                continue  # reachable only through an inference profile, listed next
            out.append(str(mid))
        return out
    if "inferenceProfileSummaries" in data:
        for item in _items(data, "inferenceProfileSummaries", body, model):
            if item.get("status", "ACTIVE") != "ACTIVE":
                continue
            models = item.get("models")
            routes = (
                [m.get("modelArn") for m in models if isinstance(m, dict)]
                if isinstance(models, list)
                else []
            )
            if not any(_is_claude(a) for a in routes):
                continue
            if item.get("type") == "APPLICATION":
                arn = item.get("inferenceProfileArn")
                if isinstance(arn, str) and arn:
                    out.append(arn)
            else:
                pid = item.get("inferenceProfileId")
                if isinstance(pid, str) and pid:
                    out.append(pid)
        return out
    raise protocol_error(
        "model listing has neither modelSummaries nor inferenceProfileSummaries",
        provider=PROVIDER,
        model=model,
        body=body,
    )


def _items(data: dict[str, Any], key: str, body: bytes, model: str | None) -> list[dict[str, Any]]:
    items = data.get(key)
    if not isinstance(items, list):
        raise protocol_error(f"{key} is not a list", provider=PROVIDER, model=model, body=body)
    return [i for i in items if isinstance(i, dict)]
