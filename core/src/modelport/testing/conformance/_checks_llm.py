"""Checks through a real ``modelport.LLM`` and a ``ScriptedServer``: the provider in the core.

Sans-IO checks prove the translation; these prove it composes with what the core does around
it: the same answer over real sockets (sync and async), a cache key that is stable for the same
request and different for another, the caller's ``extra_body`` / ``extra_headers`` on the wire,
and the key scrubbed from every error even when the server echoes it back.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import pytest

from ... import LLM, StreamEvent
from ...provider import AuthenticationError, LLMError, Response
from .._script import Reply
from .._server import ScriptedServer
from ._base import SuiteBase
from ._collect import needs
from ._compare import answer_of
from ._harness import MemoryCache, make_llm, reply_for, scripted
from ._listing import listing_pages, target_of, walk_listing

if TYPE_CHECKING:
    from ._recordings import Case

__all__ = ["LLMChecks"]

_MARK = "conformance-marker-7d1f"


def _final(events: list[StreamEvent]) -> Response:
    finals = [e.content for e in events if e.type == "final"]
    assert len(finals) == 1, f"expected one final event, got {[e.type for e in events]}"
    assert isinstance(finals[0], Response), f"the final event holds {finals[0]!r}"
    return finals[0]


def _ask(llm: LLM, *, stream: bool) -> None:
    if stream:
        list(llm.stream("conformance check"))
    else:
        llm.complete("conformance check")


def _leaks(err: BaseException, canaries: list[str]) -> list[str]:
    """Texts of ``err`` and its causes that show a canary or its 8-character tail."""
    texts: list[str] = []
    seen: BaseException | None = err
    while seen is not None and len(texts) < 40:
        texts += [str(seen), repr(seen), *map(str, seen.args)]
        texts += [str(getattr(seen, a, "") or "") for a in ("provider_message", "code")]
        seen = seen.__cause__ or seen.__context__
    return [t for t in texts for c in canaries if c in t or c[-8:] in t]


class LLMChecks(SuiteBase):
    def test_llm_complete_matches_parse_response(self) -> None:
        case = self.primary("response")
        with scripted() as server, make_llm(self.conf, server, case=case) as llm:
            server.add(reply_for(case))
            got = llm.complete("conformance check")
        assert answer_of(got) == answer_of(self.answer(case))
        assert got.provider == self.conf.provider.name

    @needs("streaming")
    def test_llm_stream_matches_the_decoder(self) -> None:
        case = self.primary("stream")
        with scripted() as server, make_llm(self.conf, server, case=case) as llm:
            server.add(reply_for(case))
            events = list(llm.stream("conformance check"))
        final = _final(events)
        expected = answer_of(self.answer(case))
        assert answer_of(final) == expected
        streamed = "".join(e.content for e in events if e.type == "answer")
        assert streamed == expected["text"], "answer events do not add up to the final text"
        assert events[-1].type == "done"

    def test_async_calls_match_sync(self) -> None:
        case = self.primary("response")
        stream = self.primary("stream") if "streaming" in self.conf.declared else None

        async def run(server: ScriptedServer) -> tuple[Response, Response | None]:
            # Opened and closed inside the loop: an async client belongs to its event loop.
            async with make_llm(self.conf, server, case=case) as llm:
                whole = await llm.acomplete("conformance check")
                final = None
                if stream is not None:
                    final = _final([e async for e in llm.astream("conformance check")])
            return whole, final

        with scripted() as server:
            server.add(reply_for(case))
            if stream is not None:
                server.add(reply_for(stream))
            whole, final = asyncio.run(run(server))
        assert answer_of(whole) == answer_of(self.answer(case))
        if stream is not None:
            assert final is not None and answer_of(final) == answer_of(self.answer(stream))

    def test_cache_key_is_stable(self) -> None:
        case = self.primary("response")
        cache = MemoryCache()
        with scripted() as server, make_llm(self.conf, server, case=case, cache=cache) as llm:
            server.add(reply_for(case), reply_for(case))
            extra_a = {"x_conformance": {"a": 1, "b": [1, 2]}, "x_conformance_n": 0}
            extra_b = {"x_conformance_n": 0, "x_conformance": {"b": [1, 2], "a": 1}}
            first = llm.complete("conformance check", temperature=0, extra_body=extra_a)
            second = llm.complete("conformance check", temperature=0, extra_body=extra_b)
            other = llm.complete("another question", temperature=0, extra_body=extra_a)
        assert first.cache_key, "a temperature-0 call got no cache key"
        assert (first.cache_source, second.cache_source) == ("miss", "l1"), (
            "the same request (extra_body in another key order) was not a cache hit: "
            f"{first.cache_key} then {second.cache_key}"
        )
        assert second.cache_key == first.cache_key
        assert other.cache_key != first.cache_key, "a different prompt got the same cache key"
        assert len(server.requests) == 2, f"{len(server.requests)} requests reached the server"

    def _extras_reach_the_wire(self, case: Case, stream: bool) -> None:
        with scripted() as server, make_llm(self.conf, server, case=case) as llm:
            server.add(reply_for(case))
            kw = {"extra_body": {"x_conformance": _MARK}, "extra_headers": {"X-Conformance": _MARK}}
            if stream:
                list(llm.stream("conformance check", **kw))
            else:
                llm.complete("conformance check", **kw)
            (sent,) = server.requests
        assert sent.headers.get("x-conformance") == _MARK, "extra_headers did not reach the wire"
        assert sent.json().get("x_conformance") == _MARK, "extra_body did not reach the wire"

    def test_extra_body_and_headers_reach_the_wire(self) -> None:
        self._extras_reach_the_wire(self.primary("response"), stream=False)

    @needs("streaming")
    def test_extra_body_and_headers_reach_the_streamed_wire(self) -> None:
        self._extras_reach_the_wire(self.primary("stream"), stream=True)

    @needs("credentials")
    def test_key_never_appears_in_errors(self) -> None:
        # Servers echo the key back ("Incorrect API key provided: sk-..."): on an error
        # status, streamed or not, and inside a 200 body that is an error.
        canaries = self.conf.canaries
        echo = "Incorrect API key provided: " + " / ".join(canaries)
        bodies = [
            {"error": {"message": echo, "type": "invalid_request_error"}},
            {"message": echo},
        ]
        streams = [False, True] if "streaming" in self.conf.declared else [False]
        for body, status, stream in [
            *((b, 401, s) for b in bodies for s in streams),
            *((b, 200, False) for b in bodies),
        ]:
            with scripted() as server, make_llm(self.conf, server) as llm:
                server.add(Reply.status(status, body))
                with pytest.raises(LLMError) as raised:
                    _ask(llm, stream=stream)
            if status == 401:
                assert isinstance(raised.value, AuthenticationError), f"401 gave {raised.value!r}"
            leaked = _leaks(raised.value, canaries)
            assert not leaked, f"the key leaked into the error (HTTP {status}): {leaked}"

    @needs("model_listing")
    def test_models_through_the_llm(self) -> None:
        # One request, or (paged_listing) the walk of next_models_request over the recorded
        # pages in order: the LLM sends each request the provider builds and merges the ids.
        pages = listing_pages(self)
        walked = walk_listing(self.conf, pages)
        expected: list[str] = []
        for _, page in walked:
            expected += [
                m for m in self.conf.make(page).parse_models(page.body()) if m not in expected
            ]
        with scripted() as server, make_llm(self.conf, server, case=pages[0]) as llm:
            server.add(*(reply_for(page) for _, page in walked))
            try:
                got = llm.models()
            except LLMError as err:
                raise AssertionError(f"llm.models() failed: {err}") from err
            sent = list(server.requests)
        assert got == expected
        assert len(sent) == len(walked), (
            f"llm.models() sent {len(sent)} request(s); the provider's listing walk has "
            f"{len(walked)}"
        )
        for request, (wire, _) in zip(sent, walked, strict=True):
            assert request.method == wire.method == "GET"
            assert request.target == target_of(wire.url), (
                f"llm.models() asked for {request.target}, the provider built {wire.url}"
            )
