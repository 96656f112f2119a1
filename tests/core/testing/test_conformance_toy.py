"""A toy provider written the way a third-party plugin would be (``modelport.provider`` only),
its recordings, and deliberately broken variants of it, for testing the conformance suite.

The toy wire format is small on purpose: a JSON body ``{"id", "model", "text", "calls",
"stop", "usage": {"in", "out", "cached"}}`` and an SSE stream of ``start`` / ``text`` /
``call`` / ``usage`` / ``end`` / ``error`` events. Each broken variant has exactly one bug a
real provider has had, and the suite must report it; the correct ``ToyProvider`` must pass.
The pytester tests copy this file, as ``conformance_toy.py``, next to a generated test module;
it holds no tests itself (its classes are not named ``Test*``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from modelport.provider import (
    BadRequestError,
    BaseProvider,
    FinishDelta,
    MetaDelta,
    ModelProfile,
    ModelRequestError,
    Request,
    Response,
    SSEEvent,
    SSEResponseDecoder,
    TextDelta,
    ToolCallDelta,
    UsageDelta,
    WireDelta,
    WireRequest,
    assemble,
    error_from_payload,
    excerpt,
    protocol_error,
)

NAME = "toy"
MODEL = "toy-1"


def _deltas(data: dict[str, Any]) -> list[WireDelta]:
    out: list[WireDelta] = [MetaDelta(model=data.get("model"), response_id=data.get("id"))]
    if data.get("text"):
        out.append(TextDelta(data["text"]))
    for i, call in enumerate(data.get("calls") or []):
        out.append(ToolCallDelta(i, call["id"], call["name"], call["arguments"]))
    usage = data.get("usage") or {}
    if usage:
        out.append(UsageDelta(usage.get("in", 0), usage.get("out", 0), 0, usage.get("cached", 0)))
    if data.get("stop"):
        out.append(FinishDelta(data["stop"]))
    return out


def _json_object(data: str | bytes, model: str | None) -> dict[str, Any]:
    try:
        obj = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        raise protocol_error(f"not JSON: {excerpt(data)}", provider=NAME, model=model) from None
    if not isinstance(obj, dict):
        raise protocol_error(f"not an object: {excerpt(data)}", provider=NAME, model=model)
    return obj


STOPS = {"end": "end_turn", "max": "max_tokens", "tool": "tool_use"}


class ToyDecoder(SSEResponseDecoder):
    provider = NAME
    __slots__ = ("_ended",)

    def __init__(self, *, model: str | None = None) -> None:
        super().__init__(model=model)
        self._ended = False

    def complete(self) -> bool:
        return self._ended

    def whole_body(self, body: bytes) -> list[WireDelta]:
        data = _json_object(body, self._model)
        if "error" in data:
            raise error_from_payload(data["error"], status=None, provider=NAME, model=self._model)
        if "text" not in data and "calls" not in data:
            raise protocol_error(f"not an answer: {excerpt(body)}", provider=NAME)
        return _deltas(data)

    def on_event(self, event: SSEEvent, out: list[WireDelta]) -> None:
        obj = _json_object(event.data, self._model)
        self.handle(obj, out)

    def handle(self, obj: dict[str, Any], out: list[WireDelta]) -> None:
        kind = obj.get("type")
        if kind == "start":
            out.append(MetaDelta(model=obj.get("model"), response_id=obj.get("id")))
        elif kind == "text":
            out.append(TextDelta(obj["text"]))
        elif kind == "call":
            out.append(
                ToolCallDelta(obj.get("index"), obj.get("id"), obj.get("name"), obj["arguments"])
            )
        elif kind == "usage":
            out.append(UsageDelta(obj["in"], obj["out"], 0, obj.get("cached", 0)))
        elif kind == "end":
            out.append(FinishDelta(STOPS.get(obj["stop"], obj["stop"])))
            self._ended = True
        elif kind == "error":
            raise error_from_payload(obj["error"], status=None, provider=NAME, model=self._model)


class ToyProvider(BaseProvider):
    name: ClassVar[str] = NAME
    version: ClassVar[str] = "1.0"
    default_base_url: ClassVar[str | None] = "https://toy.invalid/v1"
    api_key_env: ClassVar[str | None] = "TOY_API_KEY"

    def profile(self, model: str) -> ModelProfile:
        return ModelProfile(tools=True, images=False, thinking="none")

    def build_request(self, request: Request) -> WireRequest:
        body: dict[str, Any] = {
            "model": request.model,
            "messages": [{"role": m.role, "content": m.text} for m in request.messages],
            "stream": request.stream,
        }
        if request.tools:
            body["tools"] = [t.model_dump() for t in request.tools]
        if request.response_format is not None:
            body["schema"] = request.response_format.json_schema
        if request.temperature is not None:
            body["temperature"] = request.temperature
        return WireRequest("POST", f"{self.base_url}/generate", {"Accept": "*/*"}, body)

    def parse_response(self, body: bytes, request: Request) -> Response:
        data = _json_object(body, self.settings.model)
        if "error" in data:
            raise error_from_payload(data["error"], status=None, provider=NAME)
        if "text" not in data and "calls" not in data:
            raise protocol_error(f"not an answer: {excerpt(body)}", provider=NAME)
        deltas = _deltas(data)
        for d in deltas:
            if isinstance(d, FinishDelta) and d.reason:
                d.reason = STOPS.get(d.reason, d.reason)
        return assemble(deltas, provider=NAME, model=self.settings.model)

    def stream_decoder(self, request: Request) -> ToyDecoder:
        return ToyDecoder(model=self.settings.model)

    def models_request(self) -> WireRequest | None:
        return WireRequest("GET", f"{self.base_url}/models", {"Accept": "application/json"})

    def parse_models(self, body: bytes) -> list[str]:
        data = _json_object(body, self.settings.model)
        items = data.get("data")
        if not isinstance(items, list):
            raise protocol_error("no data array", provider=NAME)
        return [item["id"] for item in items]


# -- broken variants: one bug each ----------------------------------------------------------


class DropsStopReason(ToyProvider):
    """Forgets the finish reason on both paths."""

    def parse_response(self, body: bytes, request: Request) -> Response:
        r = super().parse_response(body, request)
        r.stop_reason = r.raw_stop_reason = None
        return r

    def stream_decoder(self, request: Request) -> ToyDecoder:
        class Dropping(ToyDecoder):
            def handle(self, obj: dict[str, Any], out: list[WireDelta]) -> None:
                super().handle(obj, out)
                out[:] = [d for d in out if not isinstance(d, FinishDelta)]

        return Dropping(model=self.settings.model)


class LeaksKey(ToyProvider):
    """Puts the key in the request it builds (so hooks and cache keys see it)."""

    def build_request(self, request: Request) -> WireRequest:
        wire = super().build_request(request)
        wire.headers["Authorization"] = f"Bearer {self.settings.api_key}"
        return wire


class ShortOnTruncation(ToyProvider):
    """Accepts a stream that ended before its ``end`` event."""

    def stream_decoder(self, request: Request) -> ToyDecoder:
        class Lenient(ToyDecoder):
            def complete(self) -> bool:
                return True

        return Lenient(model=self.settings.model)


class ChunkSensitive(ToyProvider):
    """Parses each chunk on its own, so an event split across two chunks is lost."""

    def stream_decoder(self, request: Request) -> Any:
        provider = self

        class PerChunk:
            def __init__(self) -> None:
                self.inner = ToyDecoder(model=provider.settings.model)
                self.ended = False

            def feed(self, chunk: bytes) -> list[WireDelta]:
                out: list[WireDelta] = []
                for line in chunk.split(b"\n"):
                    if line.startswith(b"data: "):
                        try:
                            obj = json.loads(line[6:])
                        except ValueError:
                            continue
                        self.inner.handle(obj, out)
                return out

            def close(self) -> list[WireDelta]:
                return []

        return PerChunk()


class CrashesOnBadJson(ToyProvider):
    """Lets ``json.JSONDecodeError`` out of the decoder instead of a typed error."""

    def stream_decoder(self, request: Request) -> ToyDecoder:
        class Crashing(ToyDecoder):
            def on_event(self, event: SSEEvent, out: list[WireDelta]) -> None:
                self.handle(json.loads(event.data), out)

        return Crashing(model=self.settings.model)


class FlushesPartialEvent(ToyProvider):
    """Dispatches an unterminated last event at close and parses it with ``json.loads``, so a
    stream cut inside an event raises a bare ``JSONDecodeError``."""

    def stream_decoder(self, request: Request) -> ToyDecoder:
        class Flushing(ToyDecoder):
            def on_event(self, event: SSEEvent, out: list[WireDelta]) -> None:
                self.handle(json.loads(event.data), out)

            def close(self) -> list[WireDelta]:
                return self.feed(b"\n\n") + super().close()

        return Flushing(model=self.settings.model)


class StatusBlind(ToyProvider):
    """Every HTTP error is a ``BadRequestError``, whatever the status."""

    def parse_error(
        self, status: int, headers: Mapping[str, str], body: bytes
    ) -> ModelRequestError:
        return BadRequestError(f"HTTP {status}", provider=NAME, status=status)


class IgnoresRetryAfter(ToyProvider):
    """Classifies by status but drops the provider's wait hint."""

    def parse_error(
        self, status: int, headers: Mapping[str, str], body: bytes
    ) -> ModelRequestError:
        return super().parse_error(status, {}, body)


class NonceInBody(ToyProvider):
    """Adds a random id to every request, so no two builds (or cache keys) are equal."""

    def build_request(self, request: Request) -> WireRequest:
        wire = super().build_request(request)
        assert wire.body is not None
        wire.body["nonce"] = os.urandom(8).hex()
        return wire


class PreSerialized(ToyProvider):
    """Serializes the body itself, so the caller's ``extra_body`` never reaches the wire."""

    def build_request(self, request: Request) -> WireRequest:
        wire = super().build_request(request)
        wire.content = json.dumps(wire.body).encode()
        return wire


class StreamedUsageDiffers(ToyProvider):
    """Counts streamed output tokens one too many."""

    def stream_decoder(self, request: Request) -> ToyDecoder:
        class Off(ToyDecoder):
            def handle(self, obj: dict[str, Any], out: list[WireDelta]) -> None:
                if obj.get("type") == "usage":
                    obj = dict(obj, out=obj["out"] + 1)
                super().handle(obj, out)

        return Off(model=self.settings.model)


class LooseToolFragments(ToyProvider):
    """Sends tool-call fragments after the first without their call's id or index."""

    def stream_decoder(self, request: Request) -> ToyDecoder:
        class Loose(ToyDecoder):
            def handle(self, obj: dict[str, Any], out: list[WireDelta]) -> None:
                if obj.get("type") == "call" and not obj.get("name"):
                    obj = {k: v for k, v in obj.items() if k not in ("id", "index")}
                super().handle(obj, out)

        return Loose(model=self.settings.model)


class SwallowsErrorEvents(ToyProvider):
    """Ignores ``error`` events mid-stream (and so ends as if cut short, untyped)."""

    def stream_decoder(self, request: Request) -> ToyDecoder:
        class Deaf(ToyDecoder):
            def handle(self, obj: dict[str, Any], out: list[WireDelta]) -> None:
                if obj.get("type") != "error":
                    super().handle(obj, out)

            def complete(self) -> bool:
                return True

        return Deaf(model=self.settings.model)


class KeyInErrorCode(ToyProvider):
    """Copies the key into an error attribute the core does not scrub."""

    def parse_error(
        self, status: int, headers: Mapping[str, str], body: bytes
    ) -> ModelRequestError:
        err = super().parse_error(status, headers, body)
        err.code = f"key={self.settings.api_key}"
        return err


# -- recordings -----------------------------------------------------------------------------


def _sse(*events: dict[str, Any]) -> bytes:
    return b"".join(b"data: " + json.dumps(e).encode() + b"\n\n" for e in events)


def write_recordings(folder: Path) -> Path:
    """A recordings folder exercising every group of checks; returns it."""
    folder.mkdir(parents=True, exist_ok=True)
    start = {"type": "start", "id": "r1", "model": "toy-1-2025"}
    text = [
        {"type": "text", "text": piece} for piece in ("Hello", ", wor", "ld! ", "\u00e9t\u00e9")
    ]
    files: dict[str, bytes] = {
        "stream-text.sse": _sse(
            start,
            *text,
            {"type": "usage", "in": 7, "out": 4, "cached": 2},
            {"type": "end", "stop": "end"},
        ),
        "stream-text.json": json.dumps(
            {
                "id": "r1",
                "model": "toy-1-2025",
                "text": "Hello, world! \u00e9t\u00e9",
                "stop": "end",
                "usage": {"in": 7, "out": 4, "cached": 2},
            }
        ).encode(),
        "stream-tools.sse": _sse(
            dict(start, id="r2"),
            {"type": "call", "index": 0, "id": "c1", "name": "weather", "arguments": ""},
            {"type": "call", "index": 1, "id": "c2", "name": "time", "arguments": '{"tz": '},
            {"type": "call", "index": 0, "id": "c1", "arguments": '{"city": "Par'},
            {"type": "call", "index": 1, "id": "c2", "arguments": '"UTC"}'},
            {"type": "call", "index": 0, "id": "c1", "arguments": 'is"}'},
            {"type": "usage", "in": 20, "out": 9},
            {"type": "end", "stop": "tool"},
        ),
        "stream-tools.json": json.dumps(
            {
                "id": "r2",
                "model": "toy-1-2025",
                "calls": [
                    {"id": "c1", "name": "weather", "arguments": '{"city": "Paris"}'},
                    {"id": "c2", "name": "time", "arguments": '{"tz": "UTC"}'},
                ],
                "stop": "tool",
                "usage": {"in": 20, "out": 9},
            }
        ).encode(),
        "stream-error-overloaded.sse": _sse(
            start,
            text[0],
            {"type": "error", "error": {"type": "overloaded_error", "message": "busy"}},
        ),
        "error-400-bad-temperature.json": b'{"error": {"message": "temperature must be <= 2"}}',
        "error-400-context-length.json": b'{"error": {"message": "prompt is too long: 9000"}}',
        "error-404-no-such-model.json": b'{"error": {"message": "no model toy-9"}}',
        "models.json": b'{"data": [{"id": "toy-1"}, {"id": "toy-2"}]}',
        "notes.txt": b"not a recording",
    }
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return folder
