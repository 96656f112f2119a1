"""Checks on the outgoing request: credentials only from ``authenticate``, features on the wire.

The core computes the cache key and runs shaping hooks on what ``build_request`` returns,
before ``authenticate``; a key in that request would be hashed into cache keys and shown to
every hook. Requests for tools, images, structured output and reasoning are built through a
real ``LLM`` (``modelport.testing.shaped_request``), because the core reshapes some of them
(structured output becomes a forced tool for a ``"tool"`` provider) before the provider sees it.
"""

from __future__ import annotations

import json
from typing import Any

from ...provider import ImagePart, Message, TextPart, WireRequest
from .._shaping import shaped_request
from ._base import SuiteBase
from ._collect import needs
from ._decode import new_request
from ._harness import make_llm, scripted

__all__ = ["WireChecks"]

_SENSITIVE = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "api-key",
        "x-api-key",
        "x-goog-api-key",
        "x-amz-security-token",
        "cookie",
    }
)
# A 1x1 transparent PNG.
_PIXEL = (
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA"
    "60e6kgAAAABJRU5ErkJggg=="
)
_TOOL = {
    "type": "function",
    "function": {
        "name": "conformance_probe_tool",
        "description": "A tool the conformance suite offers.",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    },
}
_SCHEMA = {
    "type": "object",
    "properties": {"conformance_probe_field": {"type": "string"}},
    "required": ["conformance_probe_field"],
    "additionalProperties": False,
}


def _text(wire: WireRequest) -> str:
    body = json.dumps(wire.body, ensure_ascii=False) if wire.body is not None else ""
    content = (wire.content or b"").decode("utf-8", "replace")
    return f"{wire.url}\n{body}\n{content}"


def _credential_problems(wire: WireRequest, canaries: list[str]) -> list[str]:
    problems = [f"header {k!r}" for k in wire.headers if k.lower() in _SENSITIVE]
    for name, value in wire.headers.items():
        if value.startswith(("Bearer ", "AWS4-HMAC-SHA256")):
            problems.append(f"header {name!r} carries credentials")
    text = _text(wire)
    if "X-Amz-Signature=" in wire.url or "Signature=" in wire.url:
        problems.append("a signature in the URL")
    for secret in canaries:
        for place, value in [("URL/body", text), *wire.headers.items()]:
            if secret in value:
                problems.append(f"the key in {place}")
    return problems


class WireChecks(SuiteBase):
    def _built(self, *, stream: bool, **fields: Any) -> WireRequest:
        return self.conf.make().build_request(new_request(self.conf, stream=stream, **fields))

    def _shaped(self, **call: Any) -> WireRequest:
        with scripted() as server, make_llm(self.conf, server) as llm:
            return shaped_request(llm, "conformance check", **call)

    def test_build_request_carries_no_credentials(self) -> None:
        for stream in (False, True):
            wire = self._built(stream=stream)
            problems = _credential_problems(wire, self.conf.canaries)
            assert not problems, (
                f"build_request (stream={stream}) put credentials in the request that hooks "
                f"and cache keys see: {problems}; add them in authenticate()"
            )

    @needs("credentials")
    def test_authenticate_adds_credentials(self) -> None:
        provider = self.conf.make()
        wire = provider.build_request(new_request(self.conf, stream=False))
        wire.content = json.dumps(wire.body, separators=(",", ":")).encode()
        before = dict(wire.headers)
        if provider.auth_pending():
            provider.prepare_auth()
        provider.authenticate(wire)
        added = {k for k, v in wire.headers.items() if before.get(k) != v}
        assert any(k.lower() in _SENSITIVE for k in added), (
            f"authenticate added no credential header (added: {sorted(added)})"
        )
        leaked = [s for s in self.conf.secrets if s in _text(wire) or s in str(wire.headers)]
        assert not leaked, "a secret (not a key meant to be sent) reached the wire"

    def test_build_request_is_deterministic(self) -> None:
        # The cache key hashes this request: a timestamp or random id in it defeats the cache.
        for stream in (False, True):
            a, b = self._built(stream=stream), self._built(stream=stream)
            assert (a.method, a.url, a.headers, a.body, a.content) == (
                b.method,
                b.url,
                b.headers,
                b.body,
                b.content,
            ), f"two builds of the same request differ (stream={stream})"

    @needs("streaming")
    def test_stream_flag_changes_the_request(self) -> None:
        a, b = self._built(stream=False), self._built(stream=True)
        assert (a.url, a.headers, a.body) != (b.url, b.headers, b.body), (
            "a streamed request is built exactly like a non-streamed one: the server cannot "
            "know to stream"
        )

    @needs("tools")
    def test_tools_reach_the_body(self) -> None:
        wire = self._shaped(tools=[_TOOL])
        assert "conformance_probe_tool" in _text(wire), "the tool is not in the request body"

    @needs("structured_output")
    def test_response_format_reaches_the_body(self) -> None:
        wire = self._shaped(response_format=_SCHEMA)
        assert "conformance_probe_field" in _text(wire), "the output schema is not in the body"

    @needs("images")
    def test_images_reach_the_body(self) -> None:
        image = ImagePart(data=_PIXEL, media_type="image/png")
        wire = self._shaped_messages([Message.user([TextPart(text="what is this"), image])])
        assert _PIXEL in _text(wire), "the image data is not in the request body"

    def _shaped_messages(self, messages: list[Message]) -> WireRequest:
        with scripted() as server, make_llm(self.conf, server) as llm:
            return shaped_request(llm, messages)

    @needs("thinking")
    def test_reasoning_effort_reaches_the_body(self) -> None:
        plain, asked = self._shaped(), self._shaped(reasoning_effort="high")
        assert (plain.url, plain.headers, plain.body) != (asked.url, asked.headers, asked.body), (
            "reasoning_effort='high' changed nothing in the request"
        )

    @needs("model_listing")
    def test_models_request_carries_no_credentials(self) -> None:
        wire = self.conf.make().models_request()
        assert wire is not None, "model_listing declared, but models_request() returned None"
        problems = _credential_problems(wire, self.conf.canaries)
        assert not problems, f"models_request put credentials in the request: {problems}"
