"""Bedrock's CountTokens on the scripted server: ``POST /model/{modelId}/count-tokens``.

It checks what Bedrock checks (a valid SigV4 signature, then the ``{"input": {"invokeModel":
{"body": <base64>}}}`` shape, then an InvokeModel body inside) and answers ``{"inputTokens":
N}``. Bedrock's tokenizer is not available here, so N comes from a small, documented word
tokenizer over the decoded body (``toy_count``): a test computes the same number from the text
it sent, so a count that was not computed from the request cannot pass. Like Bedrock, a
cross-region inference profile id is refused ("doesn't support counting tokens"), and a model
in ``unsupported`` too.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote

from modelport.testing import Fault, RecordedRequest, Reply

from ._bedrock import MODEL, THINKER
from ._signed import _AUTH_RE, KEYS, aws_error, signature_problem

__all__ = ["UNSUPPORTED_MESSAGE", "CountTokensEndpoint", "toy_count", "toy_tokens"]

UNSUPPORTED_MESSAGE = "The provided model doesn't support counting tokens."
_WORD = re.compile(r"\w+|[^\w\s]")
PER_MESSAGE = 4  # the toy tokenizer's overhead per message (a role marker)


def toy_tokens(text: str) -> int:
    """Words and punctuation marks: the scripted server's stand-in for a tokenizer."""
    return len(_WORD.findall(text))


def _content_tokens(content: Any) -> int:
    if isinstance(content, str):
        return toy_tokens(content)
    total = 0
    for block in content if isinstance(content, list) else []:
        if isinstance(block, dict) and isinstance(block.get("text"), str):
            total += toy_tokens(block["text"])
        elif isinstance(block, dict):
            total += toy_tokens(json.dumps(block, sort_keys=True))
    return total


def toy_count(body: Mapping[str, Any]) -> int:
    """``inputTokens`` for an InvokeModel body: system, messages (plus ``PER_MESSAGE`` each)
    and tool definitions, as Bedrock counts everything a call would be billed as input."""
    total = _content_tokens(body.get("system", ""))
    for message in body.get("messages", []):
        total += PER_MESSAGE + _content_tokens(message.get("content", ""))
    for tool in body.get("tools", []):
        total += toy_tokens(json.dumps(tool, sort_keys=True))
    return total


class CountTokensEndpoint:
    """CountTokens for ``models`` behind SigV4 verification; ``replies`` queued with ``add``
    answer before the computed count (faults, throttles, odd bodies)."""

    def __init__(
        self,
        server: Any,
        keys: Mapping[str, str] = KEYS,
        models: Iterable[str] = (MODEL, THINKER),
        unsupported: Iterable[str] = (),
    ) -> None:
        self.server = server
        self.keys = keys
        self.replies: list[Reply | Fault] = []
        self.problems: list[str] = []
        self.bodies: list[dict[str, Any]] = []  # the decoded InvokeModel bodies
        self.paths: list[str] = []
        self.signed_by: list[str] = []
        for model in models:
            self._route(model, self._answer)
            self._route(f"us.{model}", self._refuse)  # inference profiles cannot count
        for model in unsupported:
            self._route(model, self._refuse)

    def _route(self, model: str, answer: Any) -> None:
        self.server.route("POST", f"/model/{quote(model, safe='')}/count-tokens", answer)

    def add(self, *replies: Reply | Fault) -> None:
        self.replies.extend(replies)

    def _signed(self, req: RecordedRequest) -> Reply | None:
        self.paths.append(req.path)
        problem = signature_problem(req, self.server.url, keys=self.keys)
        if problem is not None:
            self.problems.append(problem)
            return aws_error(403, "InvalidSignatureException", "signature mismatch")
        match = _AUTH_RE.match(req.headers.get("authorization", ""))
        self.signed_by.append(match["key"] if match else "")
        return None

    def _refuse(self, req: RecordedRequest) -> Reply:
        return self._signed(req) or aws_error(400, "ValidationException", UNSUPPORTED_MESSAGE)

    def _answer(self, req: RecordedRequest) -> Reply | Fault:
        refused = self._signed(req)
        if refused is not None:
            return refused
        invoke = _invoke_body(req)
        if isinstance(invoke, str):
            self.problems.append(invoke)
            return aws_error(400, "ValidationException", invoke)
        self.bodies.append(invoke)
        if self.replies:
            return self.replies.pop(0)
        return Reply.json({"inputTokens": toy_count(invoke)})


def _invoke_body(req: RecordedRequest) -> dict[str, Any] | str:
    """The decoded InvokeModel body, or what is wrong with the request (Bedrock's 400)."""
    try:
        outer = req.json()
    except ValueError:
        return "request body is not JSON"
    if not isinstance(outer, dict) or set(outer) != {"input"}:
        return "expected exactly one member: input"
    wrapped = outer["input"]
    if not isinstance(wrapped, dict) or set(wrapped) != {"invokeModel"}:
        return "input must hold exactly invokeModel"
    blob = wrapped["invokeModel"].get("body") if isinstance(wrapped["invokeModel"], dict) else None
    if not isinstance(blob, str):
        return "invokeModel.body must be a base64 string"
    try:
        invoke = json.loads(base64.b64decode(blob, validate=True))
    except (binascii.Error, ValueError):
        return "invokeModel.body is not base64 of a JSON body"
    if not isinstance(invoke, dict) or invoke.get("anthropic_version") != "bedrock-2023-05-31":
        return "Malformed input request: anthropic_version missing"
    if not isinstance(invoke.get("messages"), list) or type(invoke.get("max_tokens")) is not int:
        return "Malformed input request: messages and max_tokens are required"
    return invoke
