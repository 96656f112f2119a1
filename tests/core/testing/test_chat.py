"""``modelport.testing.chat_completion``: a reply openai-chat reads: the answer and usage given."""

from __future__ import annotations

import modelport as mp
from modelport.testing import ScriptedServer, chat_completion


def test_a_call_reads_the_scripted_answer_and_usage() -> None:
    with ScriptedServer() as server:
        server.add(chat_completion("hello", model="m-1", input_tokens=7, output_tokens=2))
        with mp.LLM("openai-chat:m-1", base_url=server.base_url, api_key="k", cache="never") as llm:
            response = llm.complete("hi")
    assert response.text == "hello"
    assert response.model == "m-1"
    assert (response.usage.input_tokens, response.usage.output_tokens) == (7, 2)
    assert response.stop_reason == "stop"


def test_headers_and_finish_reason() -> None:
    reply = chat_completion(finish_reason="length", headers={"x-request-id": "r1"})
    assert ("x-request-id", "r1") in reply.headers
    assert b'"finish_reason":"length"' in reply.body.replace(b" ", b"")
