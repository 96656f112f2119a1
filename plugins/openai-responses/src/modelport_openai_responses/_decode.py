"""A non-streamed Responses body -> modelport ``Response``; shared readers for the stream.

The answer is a list of typed output items, not one message: ``reasoning`` items (summary
parts, and raw ``reasoning_text`` content from servers such as llama.cpp), ``message`` items
(``output_text`` and ``refusal`` parts), ``function_call`` items, and server-side tool items
modelport does not interpret. How they become one ``Response``:

- text: the ``output_text`` parts of each message item joined as-is, message items joined with
  a blank line (a "commentary" message before a tool call and the final answer are separate
  items; run together they would read as one sentence);
- reasoning: every non-empty summary part and reasoning-text part, joined with a blank line;
- tool calls: ``call_id`` is the id (what ``function_call_output`` must answer), the item
  ``id`` (``fc_...``) is only needed for replay;
- stop reason: ``status`` with ``incomplete_details.reason``; a completed response with
  function calls is ``tool_calls`` (the API has no finish reason of its own for that).

The output items are also kept, unchanged, in ``provider_metadata[ITEMS_KEY]`` whenever they
include a reasoning item: OpenAI rejects a replayed reasoning item that is not followed by the
item it produced ("provided without its required following item"), and with ``store=false``
the encrypted content is the only copy of the reasoning. The encoder sends them back.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from modelport.provider import Request, Response, ToolCall, Usage, normalize_stop_reason

from ._errors import PROVIDER, error_from_payload, excerpt, protocol_error

__all__ = [
    "ITEMS_KEY",
    "TEXT_SEPARATOR",
    "Output",
    "decode_response",
    "finish_reason",
    "read_output",
    "usage_counts",
]

ITEMS_KEY = "openai_responses_items"
TEXT_SEPARATOR = "\n\n"


@dataclass(slots=True)
class Output:
    """What a list of output items says, in output order.

    ``text_parts`` / ``reasoning_parts`` are ``(key, text)`` pairs; the key names the part the
    same way the stream decoder does, so the decoder can compare what it streamed with the
    final items part by part.
    """

    text_parts: list[tuple[tuple[str, int], str]] = field(default_factory=list)
    reasoning_parts: list[tuple[tuple[str, str, int], str]] = field(default_factory=list)
    refusal_parts: list[tuple[tuple[str, int], str]] = field(default_factory=list)
    calls: list[tuple[str, ToolCall]] = field(default_factory=list)  # (item id, call)
    items: list[dict[str, Any]] = field(default_factory=list)
    has_reasoning_item: bool = False

    def text(self) -> str:
        return join_by_item(self.text_parts)

    def reasoning(self) -> str:
        return TEXT_SEPARATOR.join(t for _, t in self.reasoning_parts if t)

    def refusal(self) -> str:
        return "".join(t for _, t in self.refusal_parts)

    def replay_items(self) -> list[dict[str, Any]] | None:
        return list(self.items) if self.has_reasoning_item else None


def join_by_item(parts: Iterable[tuple[tuple[str, int], str]]) -> str:
    """Parts of one message item run together; message items are separated by a blank line."""
    out: list[str] = []
    last: str | None = None
    for (item_id, _), text in parts:
        if not text:
            continue
        if out and item_id != last:
            out.append(TEXT_SEPARATOR)
        out.append(text)
        last = item_id
    return "".join(out)


def read_output(items: Any) -> Output:
    """Read a ``response.output`` list defensively: unknown items and fields are skipped."""
    out = Output()
    if not isinstance(items, list):
        return out
    for n, item in enumerate(items):
        if not isinstance(item, dict):
            continue
        kind = item.get("type")
        item_id = item.get("id")
        item_id = item_id if isinstance(item_id, str) and item_id else f"item_{n}"
        out.items.append(item)
        if kind == "message":
            for i, part in enumerate(_list(item.get("content"))):
                ptype = part.get("type")
                if ptype in ("output_text", "text") and isinstance(part.get("text"), str):
                    out.text_parts.append(((item_id, i), part["text"]))
                elif ptype == "refusal" and isinstance(part.get("refusal"), str):
                    out.refusal_parts.append(((item_id, i), part["refusal"]))
        elif kind == "reasoning":
            out.has_reasoning_item = True
            for i, part in enumerate(_list(item.get("summary"))):
                if isinstance(part.get("text"), str):
                    out.reasoning_parts.append(((item_id, "summary", i), part["text"]))
            for i, part in enumerate(_list(item.get("content"))):
                if isinstance(part.get("text"), str):
                    out.reasoning_parts.append(((item_id, "content", i), part["text"]))
        elif kind == "function_call":
            call_id = item.get("call_id")
            name = item.get("name")
            out.calls.append(
                (
                    item_id,
                    ToolCall(
                        # call_id is what a function_call_output answers; a server that
                        # leaves it out still gets a stable, replayable id.
                        id=call_id if isinstance(call_id, str) and call_id else item_id,
                        name=name if isinstance(name, str) else "",
                        arguments=_arguments(item.get("arguments")),
                    ),
                )
            )
    return out


def finish_reason(data: dict[str, Any], has_calls: bool) -> str | None:
    """The raw stop reason, in words ``normalize_stop_reason`` knows.

    ``completed`` -> stop, ``function_call`` -> tool_calls, ``max_output_tokens`` -> length,
    ``content_filter`` -> content_filter; other statuses pass through (and normalize to
    "unknown"), because inventing a reason would hide a state the caller may care about.
    """
    status = data.get("status")
    if status == "incomplete":
        details = data.get("incomplete_details")
        reason = details.get("reason") if isinstance(details, dict) else None
        return reason if isinstance(reason, str) and reason else "incomplete"
    if has_calls and status in ("completed", None):
        return "function_call"
    return status if isinstance(status, str) else None


def decode_response(body: bytes, request: Request | None, *, model: str | None) -> Response:
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise protocol_error(f"response body is not JSON: {excerpt(body)}", model=model) from None
    if not isinstance(data, dict):
        raise protocol_error(f"response body is not a JSON object: {excerpt(body)}", model=model)
    return response_from_object(data, request, model=model, body=body)


def response_from_object(
    data: dict[str, Any], request: Request | None, *, model: str | None, body: bytes | str = b""
) -> Response:
    """A decoded ``response`` object (a body, or the one inside ``response.completed``)."""
    err = data.get("error")
    if data.get("status") == "failed" or (isinstance(err, dict | str) and err):
        # A failed response, or a 200 that is really an error (proxies and gateways do that).
        raise error_from_payload(
            err if isinstance(err, dict | str) else None, status=None, model=model
        )
    output = data.get("output")
    if not isinstance(output, list):
        raise protocol_error(
            f"response has no output list (not a Responses API body?): {excerpt(body)}",
            model=model,
        )
    parsed = read_output(output)
    text = parsed.text()
    refusal = parsed.refusal()
    raw_stop = finish_reason(data, bool(parsed.calls))
    stop_reason = normalize_stop_reason(raw_stop)
    if refusal and not text and stop_reason in (None, "stop"):
        stop_reason = "refusal"
    metadata: dict[str, Any] = {}
    if isinstance(data.get("id"), str):
        metadata["response_id"] = data["id"]
    replay = parsed.replay_items()
    if replay is not None:
        metadata[ITEMS_KEY] = replay
    i, o, r, c = usage_counts(data.get("usage"))
    return Response(
        text=text,
        reasoning=parsed.reasoning() or None,
        tool_calls=[call for _, call in parsed.calls],
        refusal=refusal or None,
        usage=Usage(input_tokens=i, output_tokens=o, reasoning_tokens=r, cached_tokens=c),
        stop_reason=stop_reason,
        raw_stop_reason=raw_stop,
        model=str(data.get("model") or (request.model if request is not None else model) or ""),
        provider=PROVIDER,
        provider_metadata=metadata,
        raw=data,
    )


def usage_counts(usage: Any) -> tuple[int, int, int, int]:
    """(input, output, reasoning, cached) tokens; any of them may be missing or null."""
    if not isinstance(usage, dict):
        return 0, 0, 0, 0
    inp = usage.get("input_tokens_details")
    out = usage.get("output_tokens_details")
    return (
        _int(usage.get("input_tokens")),
        _int(usage.get("output_tokens")),
        _int(out.get("reasoning_tokens")) if isinstance(out, dict) else 0,
        _int(inp.get("cached_tokens")) if isinstance(inp, dict) else 0,
    )


def _arguments(value: Any) -> str:
    """Arguments as raw JSON text; a server that sends an object gets it re-encoded."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def _list(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _int(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float):
        return int(value)
    return 0
