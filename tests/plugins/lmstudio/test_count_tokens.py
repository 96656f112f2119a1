"""``llm.count_tokens(...)`` on lmstudio: LM Studio's HTTP APIs have no counting endpoint, so the
count is the core's estimate, marked as one, and no request reaches the server (not even
openai-chat's llama.cpp ``/tokenize``, which LM Studio does not serve)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

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


def test_count_is_a_marked_estimate_without_a_request(server: ScriptedServer) -> None:
    # Were the plugin to ask llama.cpp's tokenizer, this route would answer an exact count.
    server.route("POST", "/tokenize", Reply.json({"tokens": [1, 2, 3]}))
    with mp.LLM("lmstudio:phi-4-mini-instruct", base_url=server.base_url) as llm:
        short = llm.count_tokens("Hello, world!")
        longer = llm.count_tokens("Hello, world! " * 40, system="Answer in one line.")
    assert (short.estimated, short.source) == (True, "estimate")
    assert 0 < short.tokens < longer.tokens
    assert server.requests == []


@pytest.mark.parametrize("api", ["openai", "native"])
def test_no_count_request_for_either_chat_api(api: str) -> None:
    request = Request(model="phi-4-mini-instruct", messages=[mp.Message.user("hi")])
    assert provider(api=api).token_count_request(request) is None


def test_docs_example(server: ScriptedServer) -> None:
    """docs/providers/lmstudio.md's token-counting block, run with an LLM on the scripted server."""
    doc = Path(__file__).resolve().parents[3] / "docs" / "providers" / "lmstudio.md"
    section = doc.read_text().split("## Token counting", 1)[1]
    block = re.findall(r"```python\n(.*?)```", section, re.S)[0]
    with mp.LLM("lmstudio:phi-4-mini-instruct", base_url=server.base_url) as llm:
        names: dict[str, Any] = {"llm": llm}
        exec(block, names)
    assert (names["count"].estimated, names["count"].source) == (True, "estimate")
    assert server.requests == []
