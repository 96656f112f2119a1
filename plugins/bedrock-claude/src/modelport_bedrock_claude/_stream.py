"""Streams: AWS event-stream frames carrying Anthropic stream events, as modelport deltas.

InvokeModelWithResponseStream answers ``application/vnd.amazon.eventstream``: binary frames
(prelude with total and header lengths and a CRC32, headers, payload, message CRC32), decoded
here with botocore's ``EventStreamBuffer`` (imported on the first byte, not at import). Each
``:event-type: chunk`` frame's payload is ``{"bytes": base64(<Anthropic event JSON>)}`` (plus an
optional ``"p"`` padding field); an ``:message-type: exception`` frame is a failure
(``throttlingException``, ``modelStreamErrorException``, ...) and raises the typed error.

Anthropic events map to deltas: ``message_start`` -> model, id, input usage;
``content_block_start`` opens a text / thinking / redacted_thinking / tool_use block (the empty
``input: {}`` of a tool_use start is not an argument fragment); ``content_block_delta`` ->
``text_delta``, ``thinking_delta``, ``signature_delta``, ``input_json_delta`` (a fragment keyed by
the block index and the tool-use id); ``message_delta`` -> stop reason and output usage;
``message_stop`` ends the message. A stream that ends before ``message_stop`` (or inside a frame)
raises ``IncompleteStreamError`` in ``close()``; a frame whose CRC does not match, or whose
payload is not base64 JSON, raises ``ProviderProtocolError`` in ``feed()``.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Iterable
from typing import Any

from modelport.provider import (
    FinishDelta,
    IncompleteStreamError,
    MetaDelta,
    ModelRequestError,
    ProviderProtocolError,
    ReasoningDelta,
    TextDelta,
    ToolCallDelta,
    UsageDelta,
    WireDelta,
    protocol_error,
)

from ._decode import usage_counts, usage_metadata
from ._encode import THINKING_BLOCKS_KEY
from ._errors import PROVIDER, anthropic_error, classify

__all__ = ["BedrockStreamDecoder"]


class _Block:
    __slots__ = ("data", "has_args", "id", "input", "kind", "name", "signature", "text")

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.id: str | None = None
        self.name: str | None = None
        self.text: list[str] = []
        self.signature: str | None = None
        self.data: Any = None
        self.input: Any = None
        self.has_args = False


class BedrockStreamDecoder:
    """Incremental: ``feed`` any split of the bytes, ``close`` at the end of the body."""

    __slots__ = (
        "_blocks",
        "_buffer",
        "_consumed",
        "_fed",
        "_model",
        "_secrets",
        "_started",
        "_stopped",
        "_thinking",
        "_usage",
    )

    def __init__(self, *, model: str, secrets: Callable[[], Iterable[str]] | None = None) -> None:
        self._model = model
        self._secrets = secrets
        self._buffer: Any = None
        self._fed = 0
        self._consumed = 0
        self._started = False
        self._stopped = False
        self._blocks: dict[int, _Block] = {}
        self._thinking: list[dict[str, Any]] = []
        self._usage = [0, 0, 0, 0, 0]  # input, output, reasoning, read, write: running totals

    # -- framing -----------------------------------------------------------------------------

    def feed(self, chunk: bytes) -> list[WireDelta]:
        if not chunk:
            return []
        buffer = self._buffer
        if buffer is None:
            from botocore.eventstream import EventStreamBuffer  # type: ignore[import-untyped]

            buffer = self._buffer = EventStreamBuffer()
        self._fed += len(chunk)
        buffer.add_data(bytes(chunk))
        out: list[WireDelta] = []
        while True:
            try:
                message = next(buffer, None)
            except ModelRequestError:
                raise
            except Exception as exc:  # botocore's ParserError family, struct errors
                raise self._broken(
                    f"malformed event-stream frame: {type(exc).__name__}: {exc}"
                ) from None
            if message is None:
                return out
            total = int(message.prelude.total_length)
            if total < 16:
                raise self._broken(f"malformed event-stream frame: total length {total}")
            self._consumed += total
            out.extend(self._message(message.headers, message.payload))

    def close(self) -> list[WireDelta]:
        if self._fed > self._consumed:
            raise IncompleteStreamError(
                f"event stream ended inside a frame ({self._fed - self._consumed} byte(s) of an "
                "incomplete message)",
                provider=PROVIDER,
                model=self._model,
            )
        if not self._stopped:
            where = "before message_stop" if self._started else "before any message event"
            raise IncompleteStreamError(
                f"stream ended {where}", provider=PROVIDER, model=self._model
            )
        return []

    def _broken(self, message: str) -> ProviderProtocolError:
        return protocol_error(message, provider=PROVIDER, model=self._model)

    def _message(self, headers: dict[str, Any], payload: bytes) -> list[WireDelta]:
        kind = headers.get(":message-type", "event")
        if kind == "exception":
            name = str(headers.get(":exception-type") or "internalServerException")
            raise self._exception(name, _message_text(payload))
        if kind == "error":
            code = str(headers.get(":error-code") or "InternalFailure")
            text = str(headers.get(":error-message") or _message_text(payload))
            raise self._exception(code, text)
        if headers.get(":event-type") != "chunk":
            return []  # e.g. an initial-response frame: nothing for the caller
        try:
            wrapper = json.loads(payload)
            event = json.loads(base64.b64decode(wrapper["bytes"], validate=True))
        except (ValueError, KeyError, TypeError, binascii.Error, UnicodeDecodeError) as exc:
            raise self._broken(f"chunk payload is not base64 JSON: {type(exc).__name__}") from None
        if not isinstance(event, dict):
            raise self._broken("chunk event is not a JSON object")
        return self._event(event)

    def _exception(self, name: str, message: str) -> ModelRequestError:
        secrets = list(self._secrets()) if self._secrets is not None else []
        return classify(None, name, message, model=self._model, secrets=secrets)

    # -- Anthropic events --------------------------------------------------------------------

    def _event(self, event: dict[str, Any]) -> list[WireDelta]:
        etype = event.get("type")
        if etype == "content_block_delta":
            return self._delta(event)
        if etype == "content_block_start":
            return self._start(event)
        if etype == "content_block_stop":
            return self._stop(event)
        if etype == "message_start":
            self._started = True
            message = event.get("message")
            message = message if isinstance(message, dict) else {}
            out: list[WireDelta] = []
            meta = usage_metadata(message.get("usage"))
            model, rid = message.get("model"), message.get("id")
            out.append(
                MetaDelta(
                    model=model if isinstance(model, str) else None,
                    response_id=rid if isinstance(rid, str) else None,
                    metadata=meta or None,
                )
            )
            usage = self._add_usage(message.get("usage"))
            if usage is not None:
                out.append(usage)
            return out
        if etype == "message_delta":
            out = []
            delta = event.get("delta")
            delta = delta if isinstance(delta, dict) else {}
            stop = delta.get("stop_reason")
            if isinstance(stop, str):
                out.append(FinishDelta(stop))
            if isinstance(delta.get("stop_sequence"), str):
                out.append(MetaDelta(metadata={"stop_sequence": delta["stop_sequence"]}))
            usage = self._add_usage(event.get("usage"))
            if usage is not None:
                out.append(usage)
            meta = usage_metadata(event.get("usage"))
            if meta and ("input_tokens" in (event.get("usage") or {})):
                out.append(MetaDelta(metadata=meta))
            return out
        if etype == "message_stop":
            self._stopped = True
            return []
        if etype == "error":
            raise anthropic_error(event, model=self._model)
        return []  # ping and event types added later

    def _add_usage(self, usage: Any) -> UsageDelta | None:
        if not isinstance(usage, dict):
            return None
        current = self._usage
        for pos, value in enumerate(usage_counts(usage)):
            if value:
                current[pos] = value
        return UsageDelta(*current)

    def _block(self, event: dict[str, Any]) -> tuple[int, _Block | None]:
        index = event.get("index")
        index = index if isinstance(index, int) and not isinstance(index, bool) else -1
        return index, self._blocks.get(index)

    def _start(self, event: dict[str, Any]) -> list[WireDelta]:
        index, _ = self._block(event)
        cb = event.get("content_block")
        cb = cb if isinstance(cb, dict) else {}
        block = _Block(str(cb.get("type") or ""))
        self._blocks[index] = block
        if block.kind == "text":
            text = cb.get("text")
            return [TextDelta(text)] if isinstance(text, str) and text else []
        if block.kind == "thinking":
            text = cb.get("thinking")
            sig = cb.get("signature")
            block.signature = sig if isinstance(sig, str) and sig else None
            if isinstance(text, str) and text:
                block.text.append(text)
            if (isinstance(text, str) and text) or block.signature:
                return [ReasoningDelta(text or "", block.signature)]
            return []
        if block.kind == "redacted_thinking":
            block.data = cb.get("data")
            return []
        if block.kind == "tool_use":
            cid, name = cb.get("id"), cb.get("name")
            block.id = cid if isinstance(cid, str) else None
            block.name = name if isinstance(name, str) else None
            block.input = cb.get("input")  # ``{}`` on every stream: only used if no fragment
            return [ToolCallDelta(index=index, id=block.id, name=block.name, arguments="")]
        return []

    def _delta(self, event: dict[str, Any]) -> list[WireDelta]:
        index, block = self._block(event)
        delta = event.get("delta")
        delta = delta if isinstance(delta, dict) else {}
        dtype = delta.get("type")
        if dtype == "text_delta":
            text = delta.get("text")
            return [TextDelta(text)] if isinstance(text, str) and text else []
        if dtype == "thinking_delta":
            text = delta.get("thinking")
            if not isinstance(text, str) or not text:
                return []
            if block is not None:
                block.text.append(text)
            return [ReasoningDelta(text)]
        if dtype == "signature_delta":
            sig = delta.get("signature")
            if not isinstance(sig, str) or not sig:
                return []
            if block is not None:
                block.signature = (block.signature or "") + sig
            return [ReasoningDelta("", sig)]
        if dtype == "input_json_delta":
            part = delta.get("partial_json")
            if not isinstance(part, str) or not part:
                return []
            if block is not None:
                block.has_args = True
            return [
                ToolCallDelta(
                    index=index,
                    id=block.id if block is not None else None,
                    name=None,
                    arguments=part,
                )
            ]
        return []  # citations_delta and future delta types

    def _stop(self, event: dict[str, Any]) -> list[WireDelta]:
        index, block = self._block(event)
        if block is None:
            return []
        if block.kind == "tool_use" and not block.has_args and block.input:
            # No fragments came: the start's own input (if any) is the whole argument object.
            return [ToolCallDelta(index=index, id=block.id, arguments=json.dumps(block.input))]
        if block.kind == "thinking":
            kept: dict[str, Any] = {"type": "thinking", "thinking": "".join(block.text)}
            if block.signature is not None:
                kept["signature"] = block.signature
            self._thinking.append(kept)
        elif block.kind == "redacted_thinking":
            self._thinking.append({"type": "redacted_thinking", "data": block.data})
        else:
            return []
        return [MetaDelta(metadata={THINKING_BLOCKS_KEY: list(self._thinking)})]


def _message_text(payload: bytes) -> str:
    try:
        data = json.loads(payload)
    except (ValueError, UnicodeDecodeError):
        return payload[:300].decode("utf-8", "replace") or "stream failed"
    if isinstance(data, dict):
        for key in ("message", "Message"):
            if isinstance(data.get(key), str):
                return str(data[key])
    return payload[:300].decode("utf-8", "replace")
