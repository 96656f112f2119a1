"""Streamed Responses API (SSE) -> wire deltas, incrementally and without I/O.

Every event carries its own ``type`` (OpenAI also sends it as the SSE ``event:`` name; the
data wins). Deltas are passed through as they come; what this decoder adds:

- Tool calls: ``output_item.added`` (a ``function_call`` item) brings ``call_id`` and name;
  ``function_call_arguments.delta`` events name only the ``item_id``. Fragments are emitted
  with the call id, so the core groups them by id. An arguments fragment for an item not yet
  announced is held back until the item is known, since order beyond the spec is not
  guaranteed (llama.cpp sends no ``output_index`` at all and reorders ``*.done`` events).
- Separators: a blank line between message items and between reasoning parts, exactly where
  the non-streamed decoder joins them, so streamed == non-streamed.
- Completion: ``response.completed`` / ``response.incomplete`` carry the whole response. Its
  output is compared part by part with what was streamed; anything never streamed (a server
  that sends only ``*.done`` events) is emitted then, so nothing is silently lost. Then usage,
  the metadata the next turn needs (reasoning items for replay) and the finish reason.
- Errors: an ``error`` event and ``response.failed`` raise the typed error; a stream that ends
  without a terminal event raises ``ProviderProtocolError`` in ``close()``; a plain JSON body
  where a stream was expected is decoded as a whole (servers that ignore ``stream`` or answer
  an error as JSON with status 200).
"""

from __future__ import annotations

from json import loads
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
    ITEMS_KEY,
    TEXT_SEPARATOR,
    decode_response,
    finish_reason,
    read_output,
    usage_counts,
)
from ._errors import PROVIDER, error_from_payload, excerpt, protocol_error

__all__ = ["ResponsesStreamDecoder"]

_TERMINAL = ("response.completed", "response.incomplete")


class _Call:
    __slots__ = (
        "call_id",
        "index",
        "name",
        "sent",
    )

    def __init__(self, call_id: str, name: str | None, index: int | None) -> None:
        self.call_id = call_id
        self.name = name
        self.index = index
        self.sent = ""


class ResponsesStreamDecoder(SSEResponseDecoder):
    """``feed(bytes) -> deltas`` / ``close() -> deltas`` for one streamed response."""

    provider = PROVIDER
    incomplete_message = "stream ended before response.completed (the response is incomplete)"

    __slots__ = (
        "_calls",
        "_done_items",
        "_finished",
        "_last_reasoning",
        "_last_text_item",
        "_meta_sent",
        "_pending_args",
        "_reasoning",
        "_refusal",
        "_text",
    )

    def __init__(self, *, model: str | None = None) -> None:
        super().__init__(model=model)
        self._meta_sent = False
        self._finished = False
        # What was streamed, per part, for the comparison with the final output.
        self._text: dict[tuple[str, int], str] = {}
        self._reasoning: dict[tuple[str, str, int], str] = {}
        self._refusal: dict[tuple[str, int], str] = {}
        self._last_text_item: str | None = None
        self._last_reasoning: tuple[str, str, int] | None = None
        self._calls: dict[str, _Call] = {}  # by item id
        self._pending_args: dict[str, list[str]] = {}  # item id -> fragments before the item
        self._done_items: dict[str, tuple[int, dict[str, Any]]] = {}

    # -- public -----------------------------------------------------------------------------

    def complete(self) -> bool:
        return self._finished

    # -- events -----------------------------------------------------------------------------

    def on_event(self, event: SSEEvent, out: list[WireDelta]) -> None:
        data = event.data
        if self._finished or not data or data == "[DONE]":
            return
        try:
            obj = loads(data)
        except (ValueError, RecursionError):
            raise protocol_error(
                f"invalid JSON in stream event: {excerpt(data)}", model=self._model
            ) from None
        if type(obj) is not dict:
            raise protocol_error(
                f"stream event is not a JSON object: {excerpt(data)}", model=self._model
            )
        kind = obj.get("type")
        if not isinstance(kind, str):
            kind = event.event
        try:
            self._dispatch(kind, obj, out)
        except (AttributeError, TypeError, KeyError):
            raise protocol_error(
                f"unexpected shape of stream event {kind!r}: {excerpt(data)}", model=self._model
            ) from None

    def _dispatch(self, kind: str, obj: dict[str, Any], out: list[WireDelta]) -> None:
        if kind == "response.output_text.delta":
            self._text_delta(obj, out)
        elif kind == "response.function_call_arguments.delta":
            self._args_delta(str(obj.get("item_id")), obj.get("delta"), out)
        elif kind in ("response.reasoning_summary_text.delta", "response.reasoning_text.delta"):
            part = "summary" if "summary" in kind else "content"
            index = obj.get("summary_index" if part == "summary" else "content_index") or 0
            self._reasoning_delta((str(obj.get("item_id")), part, index), obj.get("delta"), out)
        elif kind == "response.refusal.delta":
            delta = obj.get("delta")
            if isinstance(delta, str) and delta:
                key = (str(obj.get("item_id")), obj.get("content_index") or 0)
                self._refusal[key] = self._refusal.get(key, "") + delta
                out.append(RefusalDelta(delta))
        elif kind == "response.output_item.added":
            item = obj.get("item")
            if isinstance(item, dict) and item.get("type") == "function_call":
                self._call_item(item, obj.get("output_index"), out)
        elif kind == "response.output_item.done":
            item = obj.get("item")
            if isinstance(item, dict):
                item_id = str(item.get("id") or f"item_{obj.get('output_index')}")
                index = obj.get("output_index")
                order = index if isinstance(index, int) else len(self._done_items)
                self._done_items[item_id] = (order, item)
                if item.get("type") == "function_call":
                    self._call_item(item, index, out)
        elif kind in ("response.created", "response.in_progress", "response.queued"):
            if not self._meta_sent:
                response = obj.get("response")
                if isinstance(response, dict):
                    self._meta(response, out)
        elif kind in _TERMINAL:
            response = obj.get("response")
            self._complete(response if isinstance(response, dict) else {}, out)
        elif kind == "response.failed":
            response = obj.get("response")
            err = response.get("error") if isinstance(response, dict) else None
            raise error_from_payload(
                err if isinstance(err, dict | str) else None, status=None, model=self._model
            )
        elif kind == "error":
            err = obj.get("error")
            raise error_from_payload(
                err if isinstance(err, dict | str) and err else obj, status=None, model=self._model
            )
        # Everything else (part added/done, *.done texts, annotations, server-side tool
        # progress) adds nothing the deltas and the final response do not already carry.

    def _meta(self, response: dict[str, Any], out: list[WireDelta]) -> None:
        model = response.get("model") or None
        response_id = response.get("id") or None
        if model or response_id:
            out.append(
                MetaDelta(
                    model=model if isinstance(model, str) else None,
                    response_id=response_id if isinstance(response_id, str) else None,
                )
            )
            self._meta_sent = True

    def _text_delta(self, obj: dict[str, Any], out: list[WireDelta]) -> None:
        delta = obj.get("delta")
        if not isinstance(delta, str) or not delta:
            return
        item_id = str(obj.get("item_id"))
        key = (item_id, obj.get("content_index") or 0)
        self._emit_text(key, delta, out)

    def _emit_text(self, key: tuple[str, int], text: str, out: list[WireDelta]) -> None:
        if self._last_text_item is not None and self._last_text_item != key[0]:
            out.append(TextDelta(TEXT_SEPARATOR))
        self._last_text_item = key[0]
        self._text[key] = self._text.get(key, "") + text
        out.append(TextDelta(text))

    def _reasoning_delta(self, key: tuple[str, str, int], delta: Any, out: list[WireDelta]) -> None:
        if not isinstance(delta, str) or not delta:
            return
        if self._last_reasoning is not None and self._last_reasoning != key:
            out.append(ReasoningDelta(TEXT_SEPARATOR))
        self._last_reasoning = key
        self._reasoning[key] = self._reasoning.get(key, "") + delta
        out.append(ReasoningDelta(delta))

    def _call_item(self, item: dict[str, Any], index: Any, out: list[WireDelta]) -> None:
        item_id = str(item.get("id") or f"item_{index}")
        call = self._calls.get(item_id)
        if call is None:
            call_id = item.get("call_id")
            name = item.get("name")
            call = _Call(
                call_id if isinstance(call_id, str) and call_id else item_id,
                name if isinstance(name, str) and name else None,
                index if isinstance(index, int) else None,
            )
            self._calls[item_id] = call
            out.append(ToolCallDelta(call.index, call.call_id, call.name, ""))
            for fragment in self._pending_args.pop(item_id, []):
                self._args_delta(item_id, fragment, out)
        # Arguments that come whole with the item are not emitted here: deltas may still
        # follow. ``_complete`` emits whatever the deltas did not carry.

    def _args_delta(self, item_id: str, delta: Any, out: list[WireDelta]) -> None:
        if not isinstance(delta, str) or not delta:
            return
        call = self._calls.get(item_id)
        if call is None:
            self._pending_args.setdefault(item_id, []).append(delta)
            return
        call.sent += delta
        out.append(ToolCallDelta(call.index, call.call_id, None, delta))

    # -- completion -------------------------------------------------------------------------

    def _complete(self, response: dict[str, Any], out: list[WireDelta]) -> None:
        if not self._meta_sent:
            self._meta(response, out)
        items = response.get("output")
        if not isinstance(items, list) or not items:
            items = [item for _, item in sorted(self._done_items.values(), key=lambda p: p[0])]
        final = read_output(items)
        # Parts the stream never (fully) carried: emit what is missing, never repeat.
        for rkey, text in final.reasoning_parts:
            rest = _missing(self._reasoning.get(rkey, ""), text)
            if rest:
                self._reasoning_delta(rkey, rest, out)
        for tkey, text in final.text_parts:
            rest = _missing(self._text.get(tkey, ""), text)
            if rest:
                self._emit_text(tkey, rest, out)
        for fkey, text in final.refusal_parts:
            rest = _missing(self._refusal.get(fkey, ""), text)
            if rest:
                self._refusal[fkey] = text
                out.append(RefusalDelta(rest))
        for item_id, tool_call in final.calls:
            known = self._calls.get(item_id)
            if known is None:
                index = next(
                    (
                        i
                        for i, it in enumerate(items)
                        if isinstance(it, dict) and it.get("id") == item_id
                    ),
                    None,
                )
                self._call_item(
                    {"id": item_id, "call_id": tool_call.id, "name": tool_call.name},
                    index,
                    out,
                )
                known = self._calls[item_id]
            rest = _missing(known.sent, tool_call.arguments)
            if rest:
                self._args_delta(item_id, rest, out)
        # Fragments for items that never showed up: deliver them rather than lose them.
        for item_id in list(self._pending_args):
            self._call_item({"id": item_id}, None, out)
        usage = response.get("usage")
        if usage:
            i, o, r, c = usage_counts(usage)
            out.append(UsageDelta(i, o, r, c))
        metadata: dict[str, Any] = {}
        replay = final.replay_items()
        if replay is not None:
            metadata[ITEMS_KEY] = replay
        if metadata:
            out.append(MetaDelta(metadata=metadata))
        has_calls = bool(final.calls) or bool(self._calls)
        status_source = response if response else {"status": "completed"}
        out.append(FinishDelta(finish_reason(status_source, has_calls)))
        self._finished = True

    # -- a JSON body where a stream was expected --------------------------------------------

    def whole_body(self, body: bytes) -> list[WireDelta]:
        response = decode_response(body, None, model=self._model)
        out: list[WireDelta] = [
            MetaDelta(
                model=response.model or None,
                response_id=response.provider_metadata.get("response_id"),
            )
        ]
        if response.reasoning:
            out.append(ReasoningDelta(response.reasoning))
        if response.text:
            out.append(TextDelta(response.text))
        if response.refusal:
            out.append(RefusalDelta(response.refusal))
        for call in response.tool_calls:
            out.append(ToolCallDelta(None, call.id, call.name, call.arguments))
        u = response.usage
        out.append(UsageDelta(u.input_tokens, u.output_tokens, u.reasoning_tokens, u.cached_tokens))
        replay = response.provider_metadata.get(ITEMS_KEY)
        if replay is not None:
            out.append(MetaDelta(metadata={ITEMS_KEY: replay}))
        out.append(FinishDelta(response.raw_stop_reason))
        return out


def _missing(streamed: str, final: str) -> str:
    """The tail of ``final`` the stream has not carried yet ("" when nothing is missing).

    When what was streamed is not a prefix of the final text, the streamed deltas stand: they
    were already shown to the user and cannot be taken back.
    """
    if len(final) > len(streamed) and final.startswith(streamed):
        return final[len(streamed) :]
    return ""
