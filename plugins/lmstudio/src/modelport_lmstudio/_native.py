"""What LM Studio's native REST chat (``POST /api/v0/chat/completions``) adds to a completion.

The body is a Chat Completions body (openai-chat decodes it) plus three objects::

    "stats": {"tokens_per_second": 63.7, "time_to_first_token": 0.073,
              "generation_time": 1.396, "stop_reason": "eosFound"},
    "model_info": {"arch": "phi3", "quant": "Q4_K_M", "format": "gguf", "context_length": 66856},
    "runtime": {"name": "llama.cpp-win-x86_64-nvidia-cuda12-avx2", "version": "1.51.0",
                "supported_formats": ["gguf"]}

They land in ``Response.provider_metadata`` under the same names. ``stats.stop_reason`` is
LM Studio's own vocabulary (the SDK's ``LLMPredictionStopReason``); it is used only when the
body has no ``finish_reason``. ``stats.time_to_first_token`` (seconds, measured by the server)
becomes ``Response.time_to_first_token_s`` of a non-streamed response, where the client cannot
measure it; ``stats.tokens_per_second`` becomes ``Response.tokens_per_second`` (the core keeps a
figure the provider set instead of measuring its own).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from modelport.provider import (
    FinishDelta,
    LLMError,
    MetaDelta,
    ProviderProtocolError,
    Response,
    SSEDecoder,
    StopReason,
    StreamDecoder,
    WireDelta,
)

from ._errors import relabel
from ._models import PROVIDER

__all__ = [
    "NATIVE_KEYS",
    "LMStudioStreamDecoder",
    "apply_native",
    "native_metadata",
    "stop_from_stats",
]

NATIVE_KEYS = ("stats", "model_info", "runtime")

# LM Studio's stop reasons -> modelport's; an unknown one says "unknown", never a guess.
_STOP_BY_STATS: dict[str, StopReason] = {
    "eosFound": "stop",
    "stopStringFound": "stop",
    "toolCalls": "tool_calls",
    "maxPredictedTokensReached": "length",
    "contextLengthReached": "length",
    "modelUnloaded": "error",
    "failed": "error",
    "userStopped": "unknown",
}


def stop_from_stats(raw: str | None) -> StopReason | None:
    """``stats.stop_reason`` ("eosFound", "maxPredictedTokensReached", ...) as a stop reason."""
    if not raw:
        return None
    return _STOP_BY_STATS.get(raw, "unknown")


def native_metadata(data: Any) -> dict[str, Any]:
    """The ``stats`` / ``model_info`` / ``runtime`` objects of a decoded body (those present)."""
    if not isinstance(data, Mapping):
        return {}
    return {k: data[k] for k in NATIVE_KEYS if isinstance(data.get(k), Mapping)}


def apply_native(response: Response) -> Response:
    """Copy LM Studio's extras from ``response.raw`` into the normalized response, in place."""
    extras = native_metadata(response.raw)
    if not extras:
        return response
    response.provider_metadata.update(extras)
    stats = extras.get("stats") or {}
    raw_stop = stats.get("stop_reason")
    if response.stop_reason is None and isinstance(raw_stop, str) and raw_stop:
        response.stop_reason = stop_from_stats(raw_stop)
        response.raw_stop_reason = raw_stop
    ttft = stats.get("time_to_first_token")
    if (
        response.time_to_first_token_s is None
        and isinstance(ttft, int | float)
        and not isinstance(ttft, bool)
        and ttft >= 0
    ):
        response.time_to_first_token_s = float(ttft)
    tps = stats.get("tokens_per_second")
    if isinstance(tps, int | float) and not isinstance(tps, bool) and tps > 0:
        response.tokens_per_second = float(tps)  # the server's own measure; the core keeps it
    return response


class LMStudioStreamDecoder:
    """openai-chat's stream decoder, with errors relabelled and (native) stats picked up.

    With ``native=True`` the SSE events are also scanned for ``stats``/``model_info``/
    ``runtime`` (reported as one ``MetaDelta``) and, when the stream carried no
    ``finish_reason`` but the stats name a stop reason, a ``FinishDelta`` is added at the end.
    The scan looks only at events that mention one of those keys and can never fail a stream
    the inner decoder accepts.
    """

    __slots__ = ("_extras", "_finished", "_inner", "_model", "_scan")

    def __init__(self, inner: StreamDecoder, *, model: str | None, native: bool) -> None:
        self._inner = inner
        self._model = model
        self._scan: SSEDecoder | None = SSEDecoder(provider=PROVIDER) if native else None
        self._extras: dict[str, Any] = {}
        self._finished = False

    def feed(self, chunk: bytes) -> list[WireDelta]:
        try:
            out = self._inner.feed(chunk)
        except LLMError as err:
            raise relabel(err, model=self._model) from None
        if self._scan is not None:
            self._scan_chunk(chunk, out, final=False)
        if not self._finished:
            self._finished = any(type(d) is FinishDelta for d in out)
        return out

    def close(self) -> list[WireDelta]:
        try:
            out = self._inner.close()
        except LLMError as err:
            raise relabel(err, model=self._model) from None
        if self._scan is not None:
            self._scan_chunk(b"", out, final=True)
        if not self._finished and any(type(d) is FinishDelta for d in out):
            self._finished = True
        if not self._finished:
            stats = self._extras.get("stats") or {}
            stop = stop_from_stats(stats.get("stop_reason"))
            if stop is not None and stop != "unknown":
                out.append(FinishDelta(stop))
        return out

    def _scan_chunk(self, chunk: bytes, out: list[WireDelta], *, final: bool) -> None:
        scan = self._scan
        if scan is None:
            return
        try:
            events = scan.close() if final else scan.feed(chunk)
        except ProviderProtocolError:
            self._scan = None  # not SSE (a JSON body): the inner decoder handles it
            return
        found: dict[str, Any] = {}
        for event in events:
            data = event.data
            if not any(f'"{key}"' in data for key in NATIVE_KEYS):
                continue
            try:
                obj = json.loads(data)
            except ValueError:
                continue  # the inner decoder already raised for malformed JSON
            found.update(native_metadata(obj))
        if found:
            self._extras.update(found)
            out.append(MetaDelta(metadata=dict(found)))
