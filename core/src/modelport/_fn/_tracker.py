"""From the core's ``StreamEvent``s to lifecycle events and the chat's history, as they happen.

The core's tool loop streams, per model call: answer/reasoning deltas, a ``verbose`` event (the
decorator asks for it: it carries the call's usage, latency and cost), one ``tool_call`` per call,
then the tools' ``review_request`` / ``tool_stream`` / ``tool_result`` / ``tool_error``; after
the last call, ``final`` and ``done``. ``Tracker.feed`` reads that order: a model call ends at its
``verbose`` event, the next one starts when the last result of a turn has arrived (the loop
always calls the model again after running tools), and calls that get no result before the
model speaks again (the ``max_tool_calls`` limit) or before ``final`` (``tool_exec=False``, a
schema-only tool) were not executed.

Tool times are measured here: a call's clock starts at the last pull from the core's stream
before the first tool event of its turn (the pull that runs the tools; reviews included), and
stops when its result arrives. The history is rebuilt from the events while streaming and
replaced by the ``Response``'s own messages at ``final``.
"""

from __future__ import annotations

import time
from typing import Any

from .._messages import ToolCall
from .._response import Response, Usage
from .._tools._content import tool_content
from ._common import message_dict, part_dict
from ._events import (
    LoopEnd,
    LoopStart,
    ModelCallEnd,
    ModelCallStart,
    ToolCallEnd,
    ToolCallError,
    ToolCallStart,
)

__all__ = ["Tracker", "final_history"]

_RETURNED = (
    "not executed: the call is returned to the caller (tool_exec=False or a schema-only tool)"
)


def final_history(head: list[Any], response: Response) -> list[Any]:
    """The history after a call: the caller's items, the user turn, the ``Response``'s messages.
    An aborted answer (the last message, an assistant one) is marked ``"interrupted": True``."""
    history = [*head, *(message_dict(m) for m in response.messages)]
    last = history[-1] if len(history) > len(head) else None
    if (
        response.stop_reason == "aborted"
        and isinstance(last, dict)
        and last.get("role") == "assistant"
        and not last.get("tool_calls")
    ):
        last["interrupted"] = True
    return history


class _Pending:
    __slots__ = ("arguments", "call", "start")

    def __init__(self, call: ToolCall) -> None:
        self.call = call
        self.start = time.perf_counter()
        try:
            self.arguments: dict[str, Any] | None = call.parsed_arguments()
        except ValueError:
            self.arguments = None


def _limit_note(limit: int) -> str:
    return (
        f"not executed: the limit of {limit} tool calls per request was reached; answer with "
        "the information you have"
    )


class Tracker:
    """One chat call's state. ``lifecycle=False``: only the history is kept (pair mode)."""

    def __init__(
        self,
        *,
        sent: list[dict[str, Any]],
        head: list[Any],
        tools: list[dict[str, Any]],
        lifecycle: bool,
        show_verbose: bool,
        limit: int,
    ) -> None:
        self.sent = sent  # what the first model call sends, as dicts
        self.head = head  # the returned history starts with the caller's items and the user turn
        self.tools = tools
        self.lifecycle = lifecycle
        self.show_verbose = show_verbose
        self.limit = limit
        self.started = time.perf_counter()
        self.phase = "model"  # model | asked | review | tools | ended
        self.iteration = 0
        self.model_calls = 0
        self.tool_calls = 0
        self.usage = Usage()
        self.text: list[str] = []
        self.reasoning: list[str] = []
        self.turn: list[dict[str, Any]] = []  # completed tool-loop turns, as messages
        self.calls: list[ToolCall] = []  # the calls of the current turn
        self.results: dict[str, dict[str, Any]] = {}  # tool messages of the current turn
        self.pending: dict[str, _Pending] = {}
        self.response: Response | None = None
        self.final_history: list[Any] | None = None

    # -- history ------------------------------------------------------------------------

    def history(self) -> list[Any]:
        """The history so far: while the model writes, its message is the last item."""
        if self.final_history is not None:
            return list(self.final_history)
        out = [*self.head, *self.turn]
        if self.phase == "model":
            out.append({"role": "assistant", "content": "".join(self.text)})
        else:
            out.extend(self._turn_messages())
        return out

    def _turn_messages(self) -> list[dict[str, Any]]:
        if not self.calls:
            return [{"role": "assistant", "content": "".join(self.text)}]
        assistant = {
            "role": "assistant",
            "content": "".join(self.text) or None,
            "tool_calls": [
                {
                    "id": c.id,
                    "type": "function",
                    "function": {"name": c.name, "arguments": c.arguments},
                }
                for c in self.calls
            ],
        }
        return [assistant, *(self.results[c.id] for c in self.calls if c.id in self.results)]

    # -- events -------------------------------------------------------------------------

    def _emit(self, out: list[Any], event: Any) -> None:
        if self.lifecycle:
            out.append(event)

    def begin(self) -> list[Any]:
        self.started = time.perf_counter()
        out: list[Any] = []
        self._emit(out, LoopStart(messages=list(self.sent), tools=list(self.tools)))
        self._start_model(out)
        return out

    def before_pull(self) -> None:
        """Called before each pull from the core's stream: restarts the clocks of calls whose
        turn has not started running yet."""
        if self.pending and self.phase in ("asked", "review"):
            now = time.perf_counter()
            for p in self.pending.values():
                p.start = now

    def feed(self, ev: Any) -> list[Any]:
        kind = ev.type
        out: list[Any] = []
        if kind in ("answer", "reasoning"):
            self._ensure_model(out)
            (self.text if kind == "answer" else self.reasoning).append(ev.content)
            out.append(ev)
        elif kind == "verbose":
            self._ensure_model(out)
            self._end_model(out, ev.content if isinstance(ev.content, dict) else {})
            if self.show_verbose:
                out.append(ev)
        elif kind == "tool_call":
            if self.phase != "asked":
                self._ensure_model(out)
                self._end_model(out, {})
            call: ToolCall = ev.content
            pending = _Pending(call)
            self.calls.append(call)
            self.pending[call.id] = pending
            self.tool_calls += 1
            out.append(ev)
            self._emit(
                out,
                ToolCallStart(self.iteration, call, call.name, call.id, pending.arguments),
            )
        elif kind == "review_request":
            if self.phase == "asked":
                self.phase = "review"
            out.append(ev)
        elif kind == "tool_stream":
            self.phase = "tools"
            out.append(ev)
        elif kind in ("tool_result", "tool_error"):
            self.phase = "tools"
            out.append(ev)
            self._result(out, ev)
        elif kind == "final":
            self._final(out, ev)
        else:
            out.append(ev)
        return out

    def abort(self, reason: str | None) -> list[Any]:
        """The caller aborted: every pending call gets a "cancelled" result, a partial answer is
        kept, marked ``interrupted``; ``LoopEnd(aborted=True)``."""
        out: list[Any] = []
        note = f"cancelled: {reason or 'aborted by the caller'}"
        if self.phase == "model":
            partial = {"role": "assistant", "content": "".join(self.text), "interrupted": True}
            history = [*self.head, *self.turn, partial]
        else:
            self._close_pending(out, note)
            self._close_turn()
            history = [*self.head, *self.turn]
        self.phase = "ended"
        self.final_history = history
        self._emit(
            out,
            LoopEnd(
                text="".join(self.text),
                response=None,
                history=list(history),
                model_calls=self.model_calls,
                tool_calls=self.tool_calls,
                usage=self.usage,
                elapsed_s=time.perf_counter() - self.started,
                aborted=True,
                reason=reason,
            ),
        )
        return out

    # -- steps --------------------------------------------------------------------------

    def _start_model(self, out: list[Any]) -> None:
        self.iteration += 1
        self.phase = "model"
        self.text = []
        self.reasoning = []
        self._emit(
            out,
            ModelCallStart(
                self.iteration, messages=[*self.sent, *self.turn], tools=list(self.tools)
            ),
        )

    def _ensure_model(self, out: list[Any]) -> None:
        """Model output arrived: if tools were pending, the loop went on without running them
        (the ``max_tool_calls`` limit); a new model call has begun."""
        if self.phase == "model":
            return
        self._close_pending(out, _limit_note(self.limit))
        self._close_turn()
        self._start_model(out)

    def _end_model(self, out: list[Any], metrics: dict[str, Any]) -> None:
        usage = Usage(
            input_tokens=int(metrics.get("input_tokens") or 0),
            output_tokens=int(metrics.get("output_tokens") or 0),
            reasoning_tokens=int(metrics.get("reasoning_tokens") or 0),
            cached_tokens=int(metrics.get("cached_tokens") or 0),
            cache_write_tokens=int(metrics.get("cache_write_tokens") or 0),
        )
        self.usage = self.usage + usage
        self.model_calls += 1
        self.phase = "asked"
        self.calls = []
        self.results = {}
        self._emit(
            out,
            ModelCallEnd(
                iteration=self.iteration,
                text="".join(self.text),
                reasoning="".join(self.reasoning) or None,
                usage=usage,
                elapsed_s=metrics.get("latency_s"),
                time_to_first_token_s=metrics.get("time_to_first_token_s"),
                tokens_per_second=metrics.get("tokens_per_second"),
                attempts=int(metrics.get("attempts") or 1),
                cache_source=str(metrics.get("cache_source") or "miss"),
                cost=metrics.get("cost"),
                cost_saved=metrics.get("cost_saved"),
            ),
        )

    def _result(self, out: list[Any], ev: Any) -> None:
        pending = self.pending.pop(ev.tool_id or "", None)
        if pending is None:
            return
        call = pending.call
        elapsed = time.perf_counter() - pending.start
        content: Any
        if ev.type == "tool_result":
            shown = tool_content(ev.content)  # images stay images in the history
            content = shown if isinstance(shown, str) else [part_dict(p) for p in shown]
            self._emit(
                out,
                ToolCallEnd(
                    self.iteration, call, call.name, call.id, pending.arguments, ev.content, elapsed
                ),
            )
        else:
            content = f"Error: {ev.content}"
            self._emit(
                out,
                ToolCallError(
                    self.iteration,
                    call,
                    call.name,
                    call.id,
                    pending.arguments,
                    str(ev.content),
                    elapsed,
                ),
            )
        self.results[call.id] = {
            "role": "tool",
            "tool_call_id": call.id,
            "name": call.name,
            "content": content,
        }
        if not self.pending:  # the turn is complete: the loop calls the model again
            self._close_turn()
            self._start_model(out)

    def _close_pending(self, out: list[Any], note: str) -> None:
        for pending in list(self.pending.values()):
            call = pending.call
            self._emit(
                out,
                ToolCallError(
                    self.iteration, call, call.name, call.id, pending.arguments, note, 0.0
                ),
            )
            self.results[call.id] = {
                "role": "tool",
                "tool_call_id": call.id,
                "name": call.name,
                "content": f"Error: {note}",
            }
        self.pending.clear()

    def _close_turn(self) -> None:
        if self.calls:
            self.turn.extend(self._turn_messages())
        self.calls = []
        self.results = {}

    def _final(self, out: list[Any], ev: Any) -> None:
        response: Response = ev.content
        data = ev.data or {}
        reason = data.get("reason") if data.get("aborted") else None
        note = _RETURNED if reason is None else f"cancelled: {reason}"
        for pending in list(self.pending.values()):
            call = pending.call
            self._emit(
                out,
                ToolCallError(
                    self.iteration, call, call.name, call.id, pending.arguments, note, 0.0
                ),
            )
        self.pending.clear()
        self.phase = "ended"
        self.response = response
        history = final_history(self.head, response)
        self.final_history = history
        ev.data = {**(ev.data or {}), "history": list(history)}
        out.append(ev)
        # Priced only for an observer of the events (pair mode never reads a cost).
        cost, saved = (response.cost, response.cost_saved) if self.lifecycle else (None, None)
        self._emit(
            out,
            LoopEnd(
                text=response.text,
                response=response,
                history=list(history),
                model_calls=self.model_calls,
                tool_calls=self.tool_calls,
                usage=response.usage,
                elapsed_s=time.perf_counter() - self.started,
                aborted=reason is not None,
                reason=reason,
                cost=cost,
                cost_saved=saved,
            ),
        )
