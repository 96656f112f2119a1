"""The provider contract: what the core does for every provider, and how it treats their bugs.

A deliberately small provider ("toy": ``{"prompt"}`` in, ``{"text", "stop"}`` out, SSE events
``{"text"}`` / ``{"stop"}``) runs against a real scripted server on loopback. Each test breaks
or omits one thing a provider might get wrong and checks the core still answers with the right
typed error or the normalized value.
"""

from __future__ import annotations

import asyncio
import json
import warnings
from collections.abc import Iterator
from typing import Any, ClassVar

import modelport as mp
import pytest
from modelport.plugins import PluginHost
from modelport.provider import (
    BaseProvider,
    FinishDelta,
    Request,
    Response,
    SSEEvent,
    SSEResponseDecoder,
    TextDelta,
    ToolCallDelta,
    WireDelta,
    WireRequest,
    assemble,
    check_provider_class,
)
from modelport.testing import Reply, ScriptedServer


class ToyDecoder(SSEResponseDecoder):
    provider = "toy"

    __slots__ = ("done",)

    def __init__(self, *, model: str | None = None) -> None:
        super().__init__(model=model)
        self.done = False

    def on_event(self, event: SSEEvent, out: list[WireDelta]) -> None:
        data = json.loads(event.data)
        if "text" in data:
            out.append(TextDelta(data["text"]))
        if "stop" in data:
            out.append(FinishDelta(data["stop"]))
            self.done = True

    def whole_body(self, body: bytes) -> list[WireDelta]:
        raise AssertionError("the core parses whole JSON bodies with parse_response")

    def complete(self) -> bool:
        return self.done


class Toy(BaseProvider):
    name: ClassVar[str] = "toy"
    version: ClassVar[str] = "1.0"

    def build_request(self, request: Request) -> WireRequest:
        prompt = " ".join(str(m.content) for m in request.messages)
        return WireRequest("POST", f"{self.base_url}/generate", {}, {"prompt": prompt})

    def parse_response(self, body: bytes, request: Request) -> Response:
        data = json.loads(body)
        # Only the raw value: the core must normalize it, as it does for a FinishDelta.
        return Response(text=data["text"], raw_stop_reason=data.get("stop"))

    def stream_decoder(self, request: Request) -> ToyDecoder:
        return ToyDecoder(model=self.settings.model)


def host_with(*classes: type, hooks: object | None = None) -> PluginHost:
    host = PluginHost(entry_points=False, strict=True)

    class Registrar:
        @mp.hookimpl
        def register_providers(self, register: Any) -> None:
            for cls in classes:
                register(cls)

    host.register(Registrar(), name="toy-plugin")
    if hooks is not None:
        host.register(hooks, name="buggy-hooks")
    return host


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    with ScriptedServer() as s:
        yield s


def toy(server: ScriptedServer, cls: type = Toy, hooks: object | None = None, **kw: Any) -> mp.LLM:
    return mp.LLM(
        f"{cls.name}:m1", base_url=server.base_url, plugins=host_with(cls, hooks=hooks), **kw
    )


ANSWER = {"text": "hi there", "stop": "end_turn"}
STREAM = [
    b'data: {"text": "hi "}\n\n',
    b'data: {"text": "there"}\n\n',
    b'data: {"stop": "end_turn"}\n\n',
]


# -- registration -------------------------------------------------------------------------------


def test_an_incomplete_provider_class_is_named_when_it_registers() -> None:
    class Half(BaseProvider):
        name: ClassVar[str] = "half"

        def build_request(self, request: Request) -> WireRequest:
            raise NotImplementedError

    with pytest.raises(mp.ConfigurationError) as info:
        host_with(Half).provider_class("half")
    text = str(info.value)
    assert "toy-plugin" in text and "Half" in text
    assert "parse_response" in text and "stream_decoder" in text
    assert check_provider_class(Toy, "p") is Toy


def test_a_bad_structured_strategy_or_name_is_rejected() -> None:
    class Odd(Toy):
        name: ClassVar[str] = "has:colon"

    with pytest.raises(mp.ConfigurationError, match="name"):
        check_provider_class(Odd, "p")
    with pytest.raises(mp.ConfigurationError, match="not a provider class"):
        check_provider_class(Toy(mp.provider.ProviderSettings(model="m")), "p")


# -- what the core does for every provider --------------------------------------------------


def test_raw_stop_reason_is_normalized_on_the_whole_path(server: ScriptedServer) -> None:
    server.add(Reply.json(ANSWER))
    with toy(server) as llm:
        r = llm.complete("hello", temperature=0)
    assert r.text == "hi there"
    assert r.stop_reason == "stop" and r.raw_stop_reason == "end_turn"
    assert r.provider == "toy" and r.model == "m1"
    assert r.messages and r.messages[0].content == "hi there"  # built by the core


def test_raw_stop_reason_is_normalized_on_the_stream_path(server: ScriptedServer) -> None:
    server.add(Reply.sse(STREAM))
    with toy(server) as llm:
        events = list(llm.stream("hello"))
    final = next(e.content for e in events if e.type == "final")
    assert "".join(e.content for e in events if e.type == "answer") == "hi there"
    assert final.stop_reason == "stop"


def test_extras_reach_the_wire_though_the_provider_ignores_them(server: ScriptedServer) -> None:
    server.add(Reply.json(ANSWER))
    with toy(server) as llm:
        llm.complete(
            "hello",
            extra_body={"top_k": 5, "prompt": "overridden"},
            extra_headers={"X-Trace": "t1"},
        )
    sent = server.requests[0]
    assert sent.json() == {"prompt": "overridden", "top_k": 5}  # the caller wins
    assert sent.headers["x-trace"] == "t1"


def test_a_json_body_where_a_stream_was_expected_is_parsed_whole(server: ScriptedServer) -> None:
    server.add(Reply.json(ANSWER))
    with toy(server) as llm:
        events = list(llm.stream("hello"))
    assert [e.type for e in events] == ["answer", "final", "done"]
    assert events[0].content == "hi there"
    assert events[1].content.stop_reason == "stop"


def test_a_json_body_for_an_async_stream_too(server: ScriptedServer) -> None:
    server.add(Reply.json(ANSWER))

    async def main() -> list[mp.StreamEvent]:
        async with toy(server) as llm:
            return [e async for e in llm.astream("hello")]

    events = asyncio.run(main())
    assert events[0].content == "hi there" and events[-1].type == "done"


def test_errors_are_stamped_with_provider_model_and_request_id(server: ScriptedServer) -> None:
    server.add(
        Reply.status(400, {"error": {"message": "bad thing"}}, headers={"x-request-id": "r-9"})
    )
    with toy(server) as llm, pytest.raises(mp.BadRequestError) as info:
        llm.complete("hello")
    err = info.value
    assert (err.provider, err.model, err.status, err.request_id) == ("toy", "m1", 400, "r-9")
    assert err.provider_message == "bad thing"


def test_a_truncated_stream_is_an_incomplete_stream_error(server: ScriptedServer) -> None:
    server.add(Reply.sse(STREAM[:2]))
    with toy(server, retry=0) as llm, pytest.raises(mp.IncompleteStreamError) as info:
        list(llm.stream("hello"))
    assert info.value.provider == "toy"


def test_assemble_gives_the_stream_paths_response() -> None:
    r = assemble([TextDelta("a"), TextDelta("b"), FinishDelta("max_tokens")], model="m")
    assert (r.text, r.stop_reason, r.model) == ("ab", "length", "m")


def test_arguments_for_an_unannounced_tool_call_are_a_protocol_error() -> None:
    with pytest.raises(mp.ProviderProtocolError, match="never announced"):
        assemble([ToolCallDelta(index=3, arguments='{"a": 1}')])


# -- provider bugs become typed errors naming the plugin --------------------------------------


class BuildBug(Toy):
    def build_request(self, request: Request) -> WireRequest:
        raise KeyError("messages")


class FeedBug(Toy):
    def stream_decoder(self, request: Request) -> ToyDecoder:
        class Broken(ToyDecoder):
            def on_event(self, event: SSEEvent, out: list[WireDelta]) -> None:
                raise IndexError("list index out of range")

        return Broken(model="m1")


class ParseErrorBug(Toy):
    def parse_error(self, status: int, headers: Any, body: bytes) -> mp.ModelRequestError:
        raise ValueError("cannot read")


def test_a_build_request_bug_is_a_configuration_error(server: ScriptedServer) -> None:
    with toy(server, BuildBug) as llm, pytest.raises(mp.ConfigurationError) as info:
        llm.complete("hello")
    assert "toy-plugin" in str(info.value) and "build_request" in str(info.value)
    assert "KeyError" in str(info.value)
    assert server.requests == []  # nothing was sent


def test_a_decoder_bug_is_a_protocol_error(server: ScriptedServer) -> None:
    server.add(Reply.sse(STREAM))
    with toy(server, FeedBug) as llm, pytest.raises(mp.ProviderProtocolError) as info:
        list(llm.stream("hello"))
    assert "toy-plugin" in str(info.value) and "IndexError" in str(info.value)


def test_a_parse_error_bug_is_a_protocol_error(server: ScriptedServer) -> None:
    server.add(Reply.status(500, {"error": "x"}))
    with toy(server, ParseErrorBug, retry=0) as llm:
        with pytest.raises(mp.ProviderProtocolError) as info:
            llm.complete("hello")
    assert "parse_error" in str(info.value) and info.value.status == 500


class BuggyHooks:
    def __init__(self, hook: str) -> None:
        self.hook = hook

    @mp.hookimpl
    def shape_request(self, wire: WireRequest) -> None:
        if self.hook == "shape_request":
            raise KeyError("temperature")

    @mp.hookimpl
    def cache_key_parts(self) -> dict[str, Any] | None:
        if self.hook == "cache_key_parts":
            raise TypeError("unhashable")
        return None

    @mp.hookimpl
    def normalize_response(self, response: Response) -> None:
        if self.hook == "normalize_response":
            raise AttributeError("no such field")

    @mp.hookimpl
    def normalize_delta(self, delta: WireDelta) -> WireDelta | None:
        if self.hook == "normalize_delta":
            raise ZeroDivisionError("division by zero")
        return None


@pytest.mark.parametrize(
    ("hook", "error"),
    [
        ("shape_request", mp.ConfigurationError),
        ("cache_key_parts", mp.ConfigurationError),
        ("normalize_response", mp.ProviderProtocolError),
        ("normalize_delta", mp.ProviderProtocolError),
    ],
)
def test_a_hook_bug_is_a_typed_error_naming_the_plugin(
    server: ScriptedServer, hook: str, error: type[mp.LLMError]
) -> None:
    server.route("POST", "/v1/generate", Reply.sse(STREAM))
    with toy(server, hooks=BuggyHooks(hook)) as llm, pytest.raises(error) as info:
        list(llm.stream("hello", temperature=0, cache="always"))
    assert "buggy-hooks" in str(info.value) and hook in str(info.value)


# -- bad option values -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "kw",
    [
        {"temperature": "hot"},
        {"temperature": -1},
        {"max_tokens": "ten"},
        {"max_tokens": 0},
        {"stop": 5},
        {"extra_body": [1, 2]},
        {"extra_headers": {"X": 1}},
        {"top_p": 2},
        {"seed": 1.5},
        {"use_cache": "yes"},
        {"on_progress": 3},
    ],
)
def test_bad_call_options_are_configuration_errors(server: ScriptedServer, kw: Any) -> None:
    with toy(server) as llm, pytest.raises(mp.ConfigurationError) as info:
        llm.complete("hello", **kw)
    assert next(iter(kw)) in str(info.value)
    assert server.requests == []


@pytest.mark.parametrize(
    "kw", [{"retry": "3"}, {"retry": -1}, {"temperature": "hot"}, {"api_key": ["k1", 5]}]
)
def test_bad_llm_settings_are_configuration_errors(server: ScriptedServer, kw: Any) -> None:
    with pytest.raises(mp.ConfigurationError) as info:
        toy(server, **kw)
    assert "k1" not in str(info.value)  # a key is never echoed, even a malformed one


@pytest.mark.parametrize("prompt", [None, 5, b"bytes"])
def test_a_prompt_that_is_no_message_is_a_configuration_error(
    server: ScriptedServer, prompt: Any
) -> None:
    with toy(server) as llm, pytest.raises(mp.ConfigurationError):
        llm.complete(prompt)


# -- one name per concept; LLM-wide defaults for every per-call option -------------------------


def test_old_spellings_warn_once_and_still_work(server: ScriptedServer) -> None:
    from modelport import _deprecations

    _deprecations._warned.clear()
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        a = toy(server, use_cache=False)
        b = toy(server, use_cache=False)
    assert len([w for w in record if "use_cache" in str(w.message)]) == 1  # once
    assert a._base_opts.cache == b._base_opts.cache == "never"
    with pytest.warns(DeprecationWarning, match="max_retries"):
        c = toy(server, max_retries=5)
    assert c._engine.setup.retry.max_retries == 5
    with pytest.raises(mp.ConfigurationError, match="retry= only"):
        toy(server, max_retries=1, retry=2)
    assert toy(server, retry=4)._engine.setup.retry.max_retries == 4


def test_every_per_call_option_can_be_an_llm_default(server: ScriptedServer) -> None:
    server.route("POST", "/v1/generate", Reply.json(ANSWER))
    with toy(server, temperature=0, system="be brief", cache="never", verbose=True) as llm:
        events = list(llm.stream("hello"))
        assert any(e.type == "verbose" for e in events)  # the LLM's default
        llm.complete("hello", system="be long")  # the call's own value wins
    first, second = (r.json()["prompt"] for r in server.requests)
    assert first.startswith("be brief") and second.startswith("be long")
    with pytest.raises(mp.ConfigurationError, match="unknown LLM option"):
        toy(server, bogus=1)


def test_decode_json_types_every_failure() -> None:
    from modelport.provider import decode_json

    assert decode_json(b'{"a": 1}') == {"a": 1}
    with pytest.raises(mp.ProviderProtocolError, match="not JSON") as info:
        decode_json(b"<html>oops</html>", provider="toy", model="m1")
    assert "<html>" in str(info.value) and info.value.provider == "toy"
    with pytest.raises(mp.RateLimitError):
        decode_json(b'{"error": {"type": "rate_limit_error", "message": "slow"}}')


def test_text_and_an_error_event_in_one_read_keep_the_text(server: ScriptedServer) -> None:
    """Whatever the chunking, the text before a mid-stream error reaches the caller, and the
    error is raised (not retried: output was seen)."""

    class ErrorEvents(ToyDecoder):
        def on_event(self, event: SSEEvent, out: list[WireDelta]) -> None:
            if event.event == "error":
                raise mp.ProviderServerError("overloaded mid-stream")
            super().on_event(event, out)

    class Erring(Toy):
        def stream_decoder(self, request: Request) -> ToyDecoder:
            return ErrorEvents(model="m1")

    one_read = b'data: {"text": "partial "}\n\nevent: error\ndata: {}\n\n'
    server.route("POST", "/v1/generate", Reply.sse([one_read]))
    seen: list[str] = []
    with toy(server, Erring, retry=2) as llm, pytest.raises(mp.ProviderServerError):
        for ev in llm.stream("hello"):
            if ev.type == "answer":
                seen.append(ev.content)
    assert seen == ["partial "]
    assert len(server.requests) == 1


def test_count_tokens_estimates_when_the_server_has_no_tokenizer(server: ScriptedServer) -> None:
    server.route("POST", "/tokenize", Reply.status(404, {"error": "not found"}))
    with mp.LLM("openai-chat:m", base_url=server.base_url) as llm:
        count = llm.count_tokens("one two three four five six seven eight")
    assert count.estimated and count.source == "estimate" and count.tokens > 0
    with toy(server) as llm:  # a provider that offers no count at all
        assert llm.count_tokens("hello").estimated


class LocallyCounting(Toy):
    """A provider whose counter is no HTTP request (as LM Studio's SDK RPC is)."""

    name: ClassVar[str] = "toylocal"
    key_in_error = False

    def count_tokens_locally(self, request: Request) -> int | None:
        text = " ".join(m.text for m in request.messages)
        if "unknown" in text:
            return None
        if self.key_in_error:
            raise mp.ProviderServerError(f"counter failed with {self.settings.api_key}")
        return len(text.split())

    def token_count_request(self, request: Request) -> WireRequest | None:
        return WireRequest("POST", f"{self.base_url}/tokenize", {}, {"content": "x"})

    def parse_token_count(self, body: bytes) -> int:
        return int(json.loads(body)["n"])


def test_count_tokens_locally_comes_first_then_the_http_count(server: ScriptedServer) -> None:
    server.route("POST", "/v1/tokenize", Reply.json({"n": 99}))
    with toy(server, LocallyCounting) as llm:
        local = llm.count_tokens("one two three")
        assert server.requests == []
        http = llm.count_tokens("unknown words")  # None locally: the HTTP request follows
    assert (local.tokens, local.estimated, local.source) == (3, False, "provider")
    assert (http.tokens, http.estimated) == (99, False)
    assert [r.path for r in server.requests] == ["/v1/tokenize"]


def test_a_local_counters_error_is_stamped_and_scrubbed(
    server: ScriptedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(LocallyCounting, "key_in_error", True)
    with toy(server, LocallyCounting, api_key="sk-local-secret-42") as llm:
        with pytest.raises(mp.ProviderServerError) as e:
            llm.count_tokens("one two")
    assert e.value.provider == "toylocal"
    assert "sk-local-secret-42" not in str(e.value)
