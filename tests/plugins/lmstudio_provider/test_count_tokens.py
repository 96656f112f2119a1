"""``llm.count_tokens(...)`` on lmstudio over HTTP: LM Studio's HTTP APIs have no counting
endpoint, so a server without the SDK's API gives the core's estimate, marked as one, and no
counting request reaches it (not even openai-chat's llama.cpp ``/tokenize``, which LM Studio does
not serve). The SDK's count is test_sdk_count.py's."""

from __future__ import annotations

from collections.abc import Iterator

import modelport as mp
import pytest
from modelport.provider import Request
from modelport.testing import Reply, ScriptedServer

from ._lmstudio import lmstudio_server, provider, requires_corpus

pytestmark = requires_corpus


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    with lmstudio_server() as s:
        yield s


def _counting_requests(server: ScriptedServer) -> list[str]:
    """What reached the server besides the SDK's greeting probe (made when it is installed)."""
    return [f"{r.method} {r.path}" for r in server.requests if r.path != "/lmstudio-greeting"]


def test_count_is_a_marked_estimate_without_a_request(server: ScriptedServer) -> None:
    # Were the plugin to ask llama.cpp's tokenizer, this route would answer an exact count.
    server.route("POST", "/tokenize", Reply.json({"tokens": [1, 2, 3]}))
    with mp.LLM("lmstudio:phi-4-mini-instruct", base_url=server.base_url) as llm:
        short = llm.count_tokens("Hello, world!")
        longer = llm.count_tokens("Hello, world! " * 40, system="Answer in one line.")
    assert (short.estimated, short.source) == (True, "estimate")
    assert 0 < short.tokens < longer.tokens
    assert _counting_requests(server) == []


@pytest.mark.parametrize("api", ["openai", "native"])
def test_no_count_request_for_either_chat_api(api: str) -> None:
    request = Request(model="phi-4-mini-instruct", messages=[mp.Message.user("hi")])
    assert provider(api=api).token_count_request(request) is None
