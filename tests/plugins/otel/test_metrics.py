"""``gen_ai.client.token.usage`` and ``gen_ai.client.operation.duration``, with the
conventions' attribute sets."""

from __future__ import annotations

import modelport as mp
import pytest
from modelport.testing import Reply, ScriptedServer

from .conftest import Otel, chat_reply


def test_token_usage_and_duration_per_call(otel: Otel, server: ScriptedServer) -> None:
    server.add(chat_reply(), chat_reply())
    with mp.LLM("openai-chat:m", base_url=server.base_url, api_key="k") as llm:
        llm.complete("one")
        llm.complete("two")
    tokens = otel.points("gen_ai.client.token.usage")
    by_type = {p.attributes["gen_ai.token.type"]: p for p in tokens}
    assert set(by_type) == {"input", "output"}
    assert by_type["input"].count == 2 and by_type["input"].sum == 22
    assert by_type["output"].count == 2 and by_type["output"].sum == 6
    attrs = dict(by_type["input"].attributes)
    assert attrs["gen_ai.operation.name"] == "chat"
    assert attrs["gen_ai.provider.name"] == "openai"
    assert attrs["gen_ai.request.model"] == "m"
    assert attrs["gen_ai.response.model"] == "m-2026"
    assert attrs["server.address"] == "127.0.0.1" and isinstance(attrs["server.port"], int)
    assert "error.type" not in attrs
    assert list(by_type["input"].explicit_bounds)[:3] == [1, 4, 16]
    (duration,) = otel.points("gen_ai.client.operation.duration")
    assert duration.count == 2 and duration.sum > 0
    assert dict(duration.attributes)["modelport.cache.source"] == "miss"
    assert list(duration.explicit_bounds)[:3] == pytest.approx([0.01, 0.02, 0.04])


def test_a_failure_has_a_duration_with_its_error_type_and_no_tokens(
    otel: Otel, server: ScriptedServer
) -> None:
    server.add(Reply.status(400, {"error": {"message": "no"}}))
    with mp.LLM("openai-chat:m", base_url=server.base_url, api_key="k", retry=0) as llm:
        with pytest.raises(mp.BadRequestError):
            llm.complete("hi")
    (duration,) = otel.points("gen_ai.client.operation.duration")
    assert dict(duration.attributes)["error.type"] == "BadRequestError"
    assert otel.points("gen_ai.client.token.usage") == []


def test_a_cache_hit_spends_no_tokens(otel: Otel, server: ScriptedServer) -> None:
    server.add(chat_reply())
    with mp.LLM("openai-chat:m", base_url=server.base_url, api_key="k", temperature=0) as llm:
        llm.complete("hi")
        llm.complete("hi")
    tokens = otel.points("gen_ai.client.token.usage")
    assert {p.count for p in tokens} == {1}
    sources = {
        dict(p.attributes)["modelport.cache.source"]: p.count
        for p in otel.points("gen_ai.client.operation.duration")
    }
    assert sources == {"miss": 1, "l1": 1}
