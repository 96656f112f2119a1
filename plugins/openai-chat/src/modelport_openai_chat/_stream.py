"""Streamed Chat Completions (SSE) -> wire deltas, incrementally and without I/O.

This is the per-chunk hot path, so it is plain dict access on ``json.loads`` output and slotted
dataclasses, nothing else. Deltas are passed through faithfully (tool-call fragments are not
assembled here; the core does that identically for every provider), which is also what makes
the output independent of how the bytes were split.

Facts about the wire this decoder relies on:

- The stream ends with ``data: [DONE]``; every real server also sends a ``finish_reason``.
  A stream that ends with neither was cut short and is an error, never a quiet success.
- With ``stream_options.include_usage`` OpenAI sends a last chunk with ``"choices": []`` and the
  usage; Together and Z.ai put usage on the finish chunk; Groq (older API) under
  ``x_groq.usage``. Usage objects are running totals for the whole response, not increments.
- The first chunk from Azure carries only ``prompt_filter_results`` with empty ``id`` and
  ``model``, so metadata is taken from the first chunk that has either.
- OpenRouter sends the reasoning twice per delta, as the ``reasoning`` string and inside
  ``reasoning_details``; only one is used. Signatures come only in ``reasoning_details``.
- An error can arrive as a ``data:`` payload with an ``error`` object (OpenAI, OpenRouter,
  llama.cpp), as ``event: error``, or, from servers that ignore ``stream``, as a whole JSON body
  instead of SSE. All three raise the typed error, as an HTTP error status would.

JSON: ``_json`` picks the decoder (msgspec when installed, the standard library otherwise).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from modelport.provider import (
    FinishDelta,
    MetaDelta,
    ReasoningDelta,
    RefusalDelta,
    SSEEvent,
    SSEResponseDecoder,
    TextDelta,
    ToolCallDelta,
    UsageDelta,
    WireDelta,
)

from ._decode import (
    content_text,
    decode_response,
    reasoning_from_details,
    tool_arguments,
    usage_counts,
)
from ._errors import PROVIDER, error_from_payload, error_object, excerpt, protocol_error
from ._json import json_decoders, stdlib_json_loads

__all__ = ["ChatStreamDecoder", "json_decoders", "stdlib_json_loads"]  # the last two: _json's


class ChatStreamDecoder(SSEResponseDecoder):
    """``feed(bytes) -> deltas`` / ``close() -> deltas`` for one streamed response."""

    provider = PROVIDER
    __slots__ = (
        "_done",
        "_expect_usage",
        "_finished",
        "_loads",
        "_meta_sent",
        "_usage_seen",
    )

    def __init__(
        self,
        *,
        model: str | None = None,
        expect_usage: bool = False,
        loads: Callable[[str], Any] | None = None,
    ) -> None:
        """``loads``: how an event's data becomes a value (default: ``json_decoders()[1]``)."""
        super().__init__(model=model)
        self._loads = json_decoders()[1] if loads is None else loads
        self._meta_sent = False
        self._done = False
        self._finished = False
        self._expect_usage = expect_usage
        self._usage_seen = False

    def complete(self) -> bool:
        """``[DONE]``, or a ``finish_reason`` (servers that omit ``[DONE]``) and, when the
        request asked for usage, the usage too: a stream cut between the finish chunk and the
        usage chunk would otherwise be a quiet answer with zero usage."""
        return self._done or (self._finished and (self._usage_seen or not self._expect_usage))

    # -- SSE ------------------------------------------------------------------------------

    def on_event(self, event: SSEEvent, out: list[WireDelta]) -> None:
        data = event.data
        if data == "[DONE]":
            self._done = True
            return
        if not data or self._done:
            return
        try:
            obj = self._loads(data)
        except (ValueError, RecursionError):
            raise protocol_error(
                f"invalid JSON in stream event: {excerpt(data)}", model=self._model
            ) from None
        if type(obj) is not dict:
            raise protocol_error(
                f"stream event is not a JSON object: {excerpt(data)}", model=self._model
            )
        if "error" in obj or event.event == "error":
            self._raise_error(obj, event)
        try:
            if not self._meta_sent:
                self._meta(obj, out)
            choices = obj.get("choices")
            if choices:
                for choice in choices:
                    if choice.get("index"):
                        continue  # n > 1: modelport follows the first choice only
                    delta = choice.get("delta")
                    if delta:
                        content = delta.get("content")
                        # The common case, one text fragment, without further lookups.
                        if len(delta) == 1 and type(content) is str:
                            if content:
                                out.append(TextDelta(content))
                        else:
                            self._delta(delta, content, out)
                    reason = choice.get("finish_reason")
                    if reason:
                        out.append(FinishDelta(reason))
                        self._finished = True
            elif obj.get("object") == "error":  # older vLLM: the error is the whole chunk
                self._raise_error(obj, event)
            usage = obj.get("usage")
            if usage is None:
                groq = obj.get("x_groq")
                if groq:
                    usage = groq.get("usage")
            if usage:
                i, o, r, c = usage_counts(usage)
                out.append(UsageDelta(i, o, r, c))
                self._usage_seen = True
        except (AttributeError, TypeError, ValueError, OverflowError):  # ...: NaN/inf tokens
            raise protocol_error(
                f"unexpected shape of stream chunk: {excerpt(data)}", model=self._model
            ) from None

    def _meta(self, obj: dict[str, Any], out: list[WireDelta]) -> None:
        model = obj.get("model") or None
        response_id = obj.get("id") or None
        if model or response_id:
            out.append(MetaDelta(model=model, response_id=response_id))
            self._meta_sent = True

    def _delta(self, delta: dict[str, Any], content: Any, out: list[WireDelta]) -> None:
        reasoning = delta.get("reasoning_content") or delta.get("reasoning")
        details = delta.get("reasoning_details")
        if details:
            text, signature = reasoning_from_details(details)
            if reasoning and type(reasoning) is str:
                text = reasoning  # the string and the details carry the same text
            if text or signature:
                out.append(ReasoningDelta(text, signature))
        elif reasoning and type(reasoning) is str:
            out.append(ReasoningDelta(reasoning))
        if content:
            if type(content) is str:
                out.append(TextDelta(content))
            else:
                text, thought = content_text(content)
                if thought:
                    out.append(ReasoningDelta(thought))
                if text:
                    out.append(TextDelta(text))
        refusal = delta.get("refusal")
        if refusal and type(refusal) is str:
            out.append(RefusalDelta(refusal))
        calls = delta.get("tool_calls")
        if calls:
            for call in calls:
                fn = call.get("function") or {}
                args = fn.get("arguments")
                if type(args) is not str:
                    args = tool_arguments(args)
                call_id = call.get("id") or None
                name = fn.get("name") or None
                if call_id or name or args:
                    out.append(ToolCallDelta(call.get("index"), call_id, name, args))

    def _raise_error(self, obj: dict[str, Any], event: SSEEvent) -> None:
        err = error_object(obj)
        if err is None and event.event == "error":
            err = obj
        if err is not None:
            raise error_from_payload(err, status=None, model=self._model)

    # -- a JSON body where a stream was expected --------------------------------------------

    def whole_body(self, body: bytes) -> list[WireDelta]:
        """Some servers ignore ``stream: true`` or answer an error as a plain JSON body."""
        response = decode_response(body, None, model=self._model)  # raises the typed error
        out: list[WireDelta] = [
            MetaDelta(
                model=response.model or None,
                response_id=response.provider_metadata.get("response_id"),
            ),
        ]
        if response.reasoning:
            out.append(ReasoningDelta(response.reasoning))
        if response.text:
            out.append(TextDelta(response.text))
        if response.refusal:
            out.append(RefusalDelta(response.refusal))
        for i, call in enumerate(response.tool_calls):
            out.append(ToolCallDelta(i, call.id, call.name, call.arguments))
        if response.raw_stop_reason:
            out.append(FinishDelta(response.raw_stop_reason))
        u = response.usage
        if u.input_tokens or u.output_tokens:
            out.append(
                UsageDelta(u.input_tokens, u.output_tokens, u.reasoning_tokens, u.cached_tokens)
            )
        return out
