"""Anthropic's Messages API (``POST {base_url}/messages``), written from docs/plugins.md alone.

A whole message is decoded as the ``message_start`` event that would carry all of it: streamed and
non-streamed answers share one path. A signed thinking block goes back on the next turn (Claude
rejects a tool loop that lost it), rebuilt from ``reasoning`` and ``reasoning_signatures``.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any, ClassVar

from modelport import provider as sdk

from . import __version__

BUDGETS = {"low": 1024, "medium": 4096, "high": 16384}
CHOICES = {"auto": "auto", "required": "any", "none": "none"}


class AnthropicMessagesProvider(sdk.BaseProvider):
    name = "anthropic-messages"
    version = __version__
    default_base_url = "https://api.anthropic.com/v1"
    api_key_env: ClassVar[str | None] = "ANTHROPIC_API_KEY"
    requires_api_key = True
    structured_output: ClassVar[sdk.StructuredStrategy] = "tool"  # as a forced tool call
    # Anthropic's rate-limit headers: the limiter slows down before a 429
    limit_headers: ClassVar[sdk.LimitHeaders | None] = sdk.ANTHROPIC_LIMIT_HEADERS

    def profile(self, model: str) -> sdk.ModelProfile:
        return super().profile(model).merged(thinking="manual_budget", tools=True, images=True)

    def build_request(self, request: sdk.Request) -> sdk.WireRequest:
        system = "\n\n".join(m.text for m in request.messages if m.role in ("system", "developer"))
        body: dict[str, Any] = {"model": request.model, "max_tokens": request.max_tokens or 4096}
        body |= {"messages": self._turns(request.messages), "stream": request.stream}
        optional: dict[str, Any] = {"system": system or None, "temperature": request.temperature}
        optional |= {"top_p": request.top_p, "stop_sequences": request.stop or None}
        body.update((k, v) for k, v in optional.items() if v is not None)
        if request.tools:
            body["tools"] = [
                {"name": t.name, "description": t.description, "input_schema": t.parameters}
                for t in request.tools
            ]
            kind = CHOICES.get(request.tool_choice or "auto")
            forced = {"type": "tool", "name": request.tool_choice}
            body["tool_choice"] = {"type": kind} if kind else forced
        if (effort := request.reasoning_effort or "none") != "none":
            if effort not in BUDGETS:
                raise sdk.ConfigurationError(f"reasoning_effort: one of {[*BUDGETS, 'none']}")
            body["thinking"] = {"type": "enabled", "budget_tokens": BUDGETS[effort]}
            body["max_tokens"] += BUDGETS[effort]  # the budget counts against max_tokens
            body.pop("temperature", None)  # thinking runs with the default sampling only
        sdk.add_cache_breakpoints(body, request.prompt_cache)  # prompt_cache=True / "1h"
        headers = {"content-type": "application/json", "anthropic-version": "2023-06-01"}
        return sdk.WireRequest("POST", f"{self.base_url}/messages", headers, body)

    def authenticate(self, wire: sdk.WireRequest) -> None:
        if self.settings.api_key:
            wire.headers["x-api-key"] = self.settings.api_key

    def parse_response(self, body: bytes, request: sdk.Request) -> sdk.Response:
        deltas = AnthropicMessagesStreamDecoder(model=request.model).whole_body(body)
        return sdk.assemble(deltas, provider=self.name, model=request.model)

    def stream_decoder(self, request: sdk.Request) -> AnthropicMessagesStreamDecoder:
        return AnthropicMessagesStreamDecoder(model=request.model)

    def _turns(self, messages: list[sdk.Message]) -> list[dict[str, Any]]:
        """Tool results ride in a user turn, and consecutive turns of one role merge."""
        turns: list[dict[str, Any]] = []
        for m in messages:
            signed = m.provider_metadata.get("reasoning_signatures") or []
            thinking = {"type": "thinking", "thinking": m.reasoning, "signature": "".join(signed)}
            blocks: list[dict[str, Any]] = [thinking] if m.reasoning and len(signed) == 1 else []
            for part in [m.content] if isinstance(m.content, str) else m.content or []:
                if isinstance(part, sdk.ImagePart):
                    media, _, data = part.as_url().removeprefix("data:").partition(";base64,")
                    url = {"type": "url", "url": part.as_url()}
                    source = {"type": "base64", "media_type": media, "data": data} if data else url
                    blocks.append({"type": "image", "source": source})
                elif text := part if isinstance(part, str) else part.text:
                    blocks.append({"type": "text", "text": text})
            for c in m.tool_calls:
                args: Any = {}  # stays empty for invalid JSON, which the model has been told about
                with contextlib.suppress(ValueError):
                    args = c.parsed_arguments()
                blocks.append({"type": "tool_use", "id": c.id, "name": c.name, "input": args})
            if m.role == "tool":
                blocks = [{"type": "tool_result", "tool_use_id": m.tool_call_id, "content": m.text}]
            role = {"user": "user", "tool": "user", "assistant": "assistant"}.get(m.role)
            if role and turns and turns[-1]["role"] == role:
                turns[-1]["content"] += blocks
            elif role and blocks:  # system and developer text travels in "system"
                turns.append({"role": role, "content": blocks})
        return turns


class AnthropicMessagesStreamDecoder(sdk.SSEResponseDecoder):
    provider = "anthropic-messages"
    _stopped = False  # until message_stop: a stream without it was cut short

    def complete(self) -> bool:
        return self._stopped

    def on_event(self, event: sdk.SSEEvent, out: list[sdk.WireDelta]) -> None:
        self._event(self._object(event.data), out)

    def whole_body(self, body: bytes) -> list[sdk.WireDelta]:
        message, out = self._object(body), list[sdk.WireDelta]()
        if message.get("type") != "message":
            raise sdk.protocol_error("not a message", model=self._model, body=body)
        self._event({"type": "message_start", "message": message}, out)
        return out

    def _object(self, data: str | bytes) -> dict[str, Any]:
        with contextlib.suppress(ValueError):
            if isinstance(value := json.loads(data), dict):
                if (err := sdk.error_object(value)) is not None:  # an error event or body
                    raise sdk.error_from_payload(err, status=None, model=self._model)
                return value
        raise sdk.protocol_error("expected a JSON object", model=self._model, body=data)

    def _event(self, e: dict[str, Any], out: list[sdk.WireDelta]) -> None:
        kind, i = e.get("type"), e.get("index", 0)
        part = e.get("content_block") or e.get("delta") or e.get("message") or {}
        what = part.get("type")
        if kind == "message_start":
            out.append(sdk.MetaDelta(model=part.get("model"), response_id=part.get("id")))
            for index, block in enumerate(part.get("content") or []):  # whole bodies only
                self._event({"type": "block", "index": index, "content_block": block}, out)
        if kind in ("message_start", "message_delta"):
            out.append(sdk.FinishDelta(part.get("stop_reason")))
        elif kind == "message_stop":
            self._stopped = True
        elif what in ("thinking", "thinking_delta", "signature_delta"):
            out.append(sdk.ReasoningDelta(part.get("thinking", ""), part.get("signature")))
        elif what in ("text", "text_delta"):
            out.append(sdk.TextDelta(part.get("text", "")))
        elif what == "tool_use":  # a streamed start has an empty input (or none): fragments follow
            args = json.dumps(part["input"], separators=(",", ":")) if part.get("input") else ""
            out.append(sdk.ToolCallDelta(i, part.get("id"), part.get("name"), args))
        elif what == "input_json_delta":
            out.append(sdk.ToolCallDelta(i, arguments=part.get("partial_json", "")))
        if (usage := sdk.anthropic_usage(e.get("usage") or part.get("usage"))) is not None:
            out.append(usage)  # running totals, cache reads and writes apart
