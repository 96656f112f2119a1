"""Stream assembly: provider deltas in, user ``StreamEvent``s and the final ``Response`` out.

This is where streamed tool calls are put together, identically for every provider. Fragments
are grouped by the provider's call id, else by index, else "a new name starts a new call"; calls
without an id get one. Calls are reported as ``tool_call`` events once the stream is complete,
because interleaved parallel calls are only known to be whole at the end.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any, Protocol

from .._errors import ProviderProtocolError
from .._events import StreamEvent
from .._messages import Message, ToolCall
from .._response import Response, Usage, normalize_stop
from .._wire import (
    FinishDelta,
    MetaDelta,
    ReasoningDelta,
    RefusalDelta,
    TextDelta,
    ToolCallDelta,
    UsageDelta,
    WireDelta,
)

__all__ = [
    "StreamAssembler",
    "ThinkingSplitter",
    "ToolCallAssembler",
    "assemble",
    "new_call_id",
]

# UsageDelta fields, in the order ``Usage`` has them: decoders report running totals.
_USAGE_FIELDS = (
    "input_tokens",
    "output_tokens",
    "reasoning_tokens",
    "cached_tokens",
    "cache_write_tokens",
)


def new_call_id() -> str:
    return "call_" + os.urandom(8).hex()


class ThinkingSplitter(Protocol):
    """The part of the thinking parser the assembler uses (see ``_thinking.ThinkingParser``)."""

    unclosed: bool

    def feed(self, text: str) -> list[Any]: ...

    def close(self) -> list[Any]: ...


class _Partial:
    __slots__ = ("args", "id", "index", "metadata", "name")

    def __init__(self, index: int | None, call_id: str | None, name: str | None) -> None:
        self.index = index
        self.id = call_id
        self.name = name
        self.args: list[str] = []
        self.metadata: dict[str, Any] = {}


class ToolCallAssembler:
    """Groups tool-call fragments into whole calls (see module docstring for the rule)."""

    __slots__ = ("_by_id", "_by_index", "_last", "calls")

    def __init__(self) -> None:
        self.calls: list[_Partial] = []
        self._by_id: dict[str, _Partial] = {}
        self._by_index: dict[int, _Partial] = {}
        self._last: _Partial | None = None

    def _new(self, d: ToolCallDelta) -> _Partial:
        p = _Partial(d.index, d.id, d.name)
        self.calls.append(p)
        if d.id:
            self._by_id[d.id] = p
        if d.index is not None:
            self._by_index[d.index] = p
        return p

    def add(self, d: ToolCallDelta) -> None:
        p: _Partial | None
        if d.id:
            p = self._by_id.get(d.id)
            if p is None:
                same_index = self._by_index.get(d.index) if d.index is not None else None
                if same_index is not None and same_index.id is None:
                    p = same_index  # the id arrived after the first fragment of this index
                    p.id = d.id
                    self._by_id[d.id] = p
                else:
                    p = self._new(d)
        elif d.index is not None:
            p = self._by_index.get(d.index)
            if p is None:
                p = self._new(d)
        elif d.name:
            last = self._last
            if last is not None and not last.name and last.id is None:
                p = last
            else:
                p = self._new(d)
        else:
            p = self._last or self._new(d)
        if d.name and not p.name:
            p.name = d.name
        if d.arguments:
            p.args.append(d.arguments)
        self._last = p

    def result(self) -> list[ToolCall]:
        """Calls in index order when the provider numbered them, else in order of appearance."""
        calls = self.calls
        for p in calls:
            if not p.name:
                # Arguments for a call the stream never announced: assembling them into a
                # nameless call would run no tool and hide the provider's (or decoder's) bug.
                raise ProviderProtocolError(
                    f"tool-call arguments arrived for a call that was never announced "
                    f"(id={p.id!r}, index={p.index!r}, arguments={''.join(p.args)[:80]!r})"
                )
        if calls and all(p.index is not None for p in calls):
            calls = sorted(calls, key=lambda p: p.index or 0)
        return [
            ToolCall(
                id=p.id or new_call_id(),
                name=p.name or "",
                arguments="".join(p.args),
                provider_metadata=p.metadata,
            )
            for p in calls
        ]


class StreamAssembler:
    """Consumes deltas; ``add`` returns the user events each produced, ``finish`` the Response."""

    __slots__ = (
        "_answer",
        "_field_reasoning",
        "_finish",
        "_hide",
        "_meta",
        "_reasoning",
        "_refusal",
        "_thinking",
        "_tools",
        "_usage",
        "model",
        "provider",
        "reclassified",
        "response_id",
        "saw_output",
        "signatures",
    )

    def __init__(
        self,
        provider: str,
        model: str,
        *,
        thinking: ThinkingSplitter | None = None,
        hide_thinking: bool = False,
    ) -> None:
        self.provider = provider
        self.model = model
        self._thinking = thinking
        self._hide = hide_thinking
        self._answer: list[str] = []
        self._reasoning: list[str] = []
        self._field_reasoning = False
        self._refusal: list[str] = []
        self._tools = ToolCallAssembler()
        self._usage: dict[str, int] = {}
        self._finish: str | None = None
        self._meta: dict[str, Any] = {}
        self.response_id: str | None = None
        self.saw_output = False
        self.reclassified = ""
        self.signatures: list[str] = []

    def add(self, d: WireDelta) -> list[StreamEvent]:
        t = type(d)
        if t is TextDelta:
            text = d.text  # type: ignore[union-attr]
            if not text:
                return []
            self.saw_output = True
            if self._thinking is None:
                self._answer.append(text)
                return [StreamEvent("answer", text)]
            pieces = self._thinking.feed(text)
            if len(pieces) == 1 and pieces[0].kind == "answer":
                # Nearly every chunk: one piece of answer (what _split does, minus its loop).
                answer = pieces[0].text
                self._answer.append(answer)
                return [StreamEvent("answer", answer)]
            return self._split(pieces)
        if t is ReasoningDelta:
            self.saw_output = True
            rd: ReasoningDelta = d  # type: ignore[assignment]
            if rd.signature:
                self.signatures.append(rd.signature)
            if not rd.text:
                return []
            if not self._field_reasoning and self._reasoning:
                # Inline-tag reasoning came first; the provider's field is authoritative.
                self._reasoning = []
            self._field_reasoning = True
            self._reasoning.append(rd.text)
            return [] if self._hide else [StreamEvent("reasoning", rd.text)]
        if t is ToolCallDelta:
            self.saw_output = True
            self._tools.add(d)  # type: ignore[arg-type]
            return []
        if t is UsageDelta:
            for name in _USAGE_FIELDS:
                value = getattr(d, name)
                if value:
                    self._usage[name] = value  # decoders report running totals: keep the last
            return []
        if t is FinishDelta:
            if d.reason:  # type: ignore[union-attr]
                self._finish = d.reason  # type: ignore[union-attr]
            return []
        if t is MetaDelta:
            md: MetaDelta = d  # type: ignore[assignment]
            if md.model:
                self.model = md.model
            if md.response_id:
                self.response_id = md.response_id
            if md.metadata:
                self._meta.update(md.metadata)
            return []
        if t is RefusalDelta:
            self.saw_output = True
            self._refusal.append(d.text)  # type: ignore[union-attr]
            return []
        raise TypeError(f"unknown stream delta {d!r}")

    def _split(self, pieces: list[Any]) -> list[StreamEvent]:
        out: list[StreamEvent] = []
        for piece in pieces:
            kind, text = piece.kind, piece.text
            if kind == "answer":
                self._answer.append(text)
                out.append(StreamEvent("answer", text))
            elif kind == "reasoning":
                if self._field_reasoning:
                    continue  # the provider's reasoning field already carries it: no duplicate
                self._reasoning.append(text)
                if not self._hide:
                    out.append(StreamEvent("reasoning", text))
            elif kind == "reclassify":
                self._move_to_reasoning(text)
                if not self._hide:
                    out.append(StreamEvent("reasoning", text, data={"reclassified": True}))
        return out

    def _move_to_reasoning(self, text: str) -> None:
        """Text already streamed as answer turned out to be reasoning (a stray closing tag)."""
        answer = "".join(self._answer)
        if answer.startswith(text):
            self._answer = [answer[len(text) :]] if len(answer) > len(text) else []
        if not self._field_reasoning:
            self._reasoning.insert(0, text)
        self.reclassified += text

    def usage_so_far(self) -> Usage | None:
        """What the provider counted before the stream ended: a failed attempt may be billed."""
        return Usage(**self._usage) if self._usage else None

    def flush(self) -> list[StreamEvent]:
        """End of input: release text a thinking parser held back."""
        if self._thinking is None:
            return []
        return self._split(self._thinking.close())

    def finish(self) -> Response:
        calls = self._tools.result()
        refusal = "".join(self._refusal) or None
        text = "".join(self._answer)
        stop = normalize_stop(self._finish)
        if refusal and not text and stop in (None, "stop"):
            stop = "refusal"
        metadata = dict(self._meta)
        if self.response_id:
            metadata.setdefault("response_id", self.response_id)
        if self.signatures:
            metadata["reasoning_signatures"] = list(self.signatures)
        if self._thinking is not None and self._thinking.unclosed:
            metadata["reasoning_unclosed"] = True
        reasoning = "".join(self._reasoning) or None
        response = Response(
            text=text,
            reasoning=reasoning,
            tool_calls=calls,
            refusal=refusal,
            usage=Usage(**self._usage),
            stop_reason=stop,
            raw_stop_reason=self._finish,
            model=self.model,
            provider=self.provider,
            provider_metadata=metadata,
        )
        response.messages = [
            Message(
                role="assistant",
                content=text or None,
                tool_calls=calls,
                reasoning=reasoning,
                provider_metadata=metadata,
            )
        ]
        return response


def assemble(deltas: Iterable[WireDelta], *, provider: str = "", model: str = "") -> Response:
    """The ``Response`` the core would assemble from these deltas, streamed or not.

    A provider's ``parse_response`` can decode a whole body into the same deltas its stream
    decoder emits and return ``assemble(deltas)``: one decoding path, so the streamed and
    non-streamed answers cannot drift apart.
    """
    assembler = StreamAssembler(provider, model)
    for delta in deltas:
        assembler.add(delta)
    return assembler.finish()
