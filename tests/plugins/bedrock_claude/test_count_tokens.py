"""``llm.count_tokens(...)`` on bedrock-claude: Bedrock's CountTokens API, SigV4-signed, against
the scripted Bedrock server (``_count_route``), with the body an invoke of the same call sends."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import modelport as mp
import pytest
from hypothesis import given
from hypothesis import strategies as st
from modelport.provider import ProviderProtocolError, ProviderSettings, Request
from modelport.testing import Fault, RecordedRequest, Reply, ScriptedServer
from modelport_bedrock_claude import BedrockClaudeProvider
from modelport_bedrock_claude._count_tokens import count_request, counting_model, parse_count

from ._bedrock import ACCESS_KEY, FAST, MODEL, SECRET_KEY, recording, requires_corpus
from ._count_route import PER_MESSAGE, UNSUPPORTED_MESSAGE, CountTokensEndpoint, toy_tokens
from ._signed import SignedEndpoint, aws_error

OLD = "anthropic.claude-v2:1"
APP_PROFILE = "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3"


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    for var in ("AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture
def server(aws_env: None) -> Iterator[ScriptedServer]:
    with ScriptedServer() as srv:
        yield srv


@pytest.fixture
def counter(server: ScriptedServer) -> Iterator[CountTokensEndpoint]:
    endpoint = CountTokensEndpoint(server, unsupported=(OLD,))
    yield endpoint
    assert endpoint.problems == []


def llm(server: ScriptedServer, model: str = MODEL, **options: object) -> mp.LLM:
    return mp.LLM(
        f"bedrock-claude:{model}",
        base_url=server.url,
        options={"region": "us-east-1", **options},
        cache="never",
    )


def test_counts_exactly_and_signed(counter: CountTokensEndpoint) -> None:
    with llm(counter.server) as model:
        count = model.count_tokens("one two three four", system="Be brief.")
        longer = model.count_tokens("one two three four five six seven eight", system="Be brief.")
    # system "Be brief." (3) + one message (PER_MESSAGE + 4 words)
    assert (count.tokens, count.estimated, count.source) == (3 + PER_MESSAGE + 4, False, "provider")
    assert longer.tokens == count.tokens + 4
    assert counter.signed_by == [ACCESS_KEY, ACCESS_KEY]
    assert counter.bodies[0]["system"] == "Be brief."
    assert counter.bodies[0]["messages"] == [{"role": "user", "content": "one two three four"}]


@requires_corpus
def test_the_counted_body_is_the_invoke_body(counter: CountTokensEndpoint) -> None:
    """Tools, system, sampling: CountTokens sees exactly what the invoke of the same call sends."""
    invoke = SignedEndpoint(counter.server, models=(MODEL,))
    invoke.add(Reply.from_file(recording("invoke-text.json")))

    def weather(city: str) -> str:
        """The weather in a city."""
        return f"sunny in {city}"

    kw: dict[str, Any] = {"system": "Be funny.", "max_tokens": 300, "temperature": 0.5}
    kw["extra_body"] = {"top_k": 5}
    with llm(counter.server) as model:
        count = model.count_tokens("Tell me a joke", tools=[weather], **kw)
        model.complete("Tell me a joke", tools=[weather], tool_exec=False, **kw)
    assert invoke.problems == []
    assert counter.bodies == invoke.bodies
    assert "tools" in counter.bodies[0] and counter.bodies[0]["top_k"] == 5
    tool_tokens = toy_tokens(json.dumps(counter.bodies[0]["tools"][0], sort_keys=True))
    assert count.tokens == toy_tokens("Be funny.") + PER_MESSAGE + 4 + tool_tokens


@pytest.mark.parametrize(
    "model",
    [
        f"us.{MODEL}",
        f"arn:aws:bedrock:us-east-1::foundation-model/{MODEL}",
        f"arn:aws:bedrock:us-east-1:123456789012:inference-profile/eu.{MODEL}",
    ],
)
def test_profiles_count_on_their_foundation_model(counter: CountTokensEndpoint, model: str) -> None:
    """CountTokens refuses inference-profile ids (the route for ``us.<MODEL>`` does, as Bedrock
    does): the count is asked of the foundation model the profile routes to."""
    with llm(counter.server, model) as m:
        assert m.count_tokens("hi there").tokens == PER_MESSAGE + 2
    assert counter.paths == ["/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/count-tokens"]


def test_application_profile_counts_with_claude_model(counter: CountTokensEndpoint) -> None:
    with llm(counter.server, APP_PROFILE, claude_model=f"us.{MODEL}") as m:
        assert not m.count_tokens("hi there").estimated
    assert len(counter.paths) == 1


def test_application_profile_without_claude_model_estimates(server: ScriptedServer) -> None:
    """An application profile's ARN names no model and CountTokens refuses ARNs of profiles:
    nothing to ask, so the marked estimate, without a request."""
    with llm(server, APP_PROFILE) as m:
        count = m.count_tokens("one two three four five six seven eight")
    assert count.estimated and count.source == "estimate" and count.tokens > 0
    assert server.requests == []


def test_a_model_that_cannot_count_is_a_typed_error(counter: CountTokensEndpoint) -> None:
    with llm(counter.server, OLD) as m:
        with pytest.raises(mp.BadRequestError) as info:
            m.count_tokens("hi")
    assert info.value.status == 400 and UNSUPPORTED_MESSAGE in str(info.value)
    assert info.value.provider == "bedrock-claude"


def test_errors_map_as_for_invoke(counter: CountTokensEndpoint) -> None:
    counter.add(
        aws_error(429, "ThrottlingException", "Too many requests"),
        aws_error(403, "AccessDeniedException", "not allowed to count"),
        Reply.json({"tokens": 3}),
        Reply.json({"inputTokens": "3"}),
        Fault.reset_before_headers(),
    )
    with llm(counter.server) as m:
        with pytest.raises(mp.RateLimitError):
            m.count_tokens("hi")
        with pytest.raises(mp.AuthenticationError) as auth:
            m.count_tokens("hi")
        with pytest.raises(ProviderProtocolError):
            m.count_tokens("hi")
        with pytest.raises(ProviderProtocolError):
            m.count_tokens("hi")
        with pytest.raises(mp.LLMError) as reset:
            m.count_tokens("hi")
    for err in (auth.value, reset.value):
        assert SECRET_KEY not in str(err) and SECRET_KEY not in repr(err)


def test_a_bad_signature_is_refused_and_typed(server: ScriptedServer) -> None:
    counter = CountTokensEndpoint(server, keys={ACCESS_KEY: "another-secret"})
    with llm(server) as m:
        with pytest.raises(mp.AuthenticationError) as info:
            m.count_tokens("hi")
    assert counter.problems == ["signature mismatch"]
    assert SECRET_KEY not in str(info.value)


def test_no_count_tokens_endpoint_gives_the_marked_estimate(server: ScriptedServer) -> None:
    """A 404 (an endpoint or proxy without CountTokens): the core's estimate, marked."""
    server.route("POST", f"/model/{MODEL.replace(':', '%3A')}/count-tokens", Reply.status(404))
    with llm(server) as m:
        assert m.count_tokens("hi").estimated


def test_bedrock_api_key_counts_with_a_bearer(server: ScriptedServer) -> None:
    seen: list[str] = []

    def answer(req: RecordedRequest) -> Reply:
        seen.append(req.headers.get("authorization", ""))
        return Reply.json({"inputTokens": 7})

    server.route("POST", f"/model/{MODEL.replace(':', '%3A')}/count-tokens", answer)
    with mp.LLM(f"bedrock-claude:{MODEL}", base_url=server.url, api_key="ABSK-test-token",
                options={"region": "us-east-1"}) as m:  # fmt: skip
        assert m.count_tokens("hi").tokens == 7
    assert seen == ["Bearer ABSK-test-token"]


# -- the sans-IO parts ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "claude_model", "expected"),
    [
        (MODEL, None, MODEL),
        (f"global.{MODEL}", None, MODEL),
        (f"apac.{MODEL}", None, MODEL),
        (f"arn:aws:bedrock:us-east-1::foundation-model/{MODEL}", None, MODEL),
        (f"arn:aws:bedrock:us-east-1:1:inference-profile/us.{MODEL}", None, MODEL),
        (f"arn%3Aaws%3Abedrock%3Aus-east-1%3A%3Afoundation-model%2F{MODEL}", None, MODEL),
        (APP_PROFILE, None, None),
        (APP_PROFILE, f"eu.{MODEL}", MODEL),
        (APP_PROFILE, APP_PROFILE, None),
        ("arn:aws:bedrock:us-east-1:1:provisioned-model/abc", None, None),
        ("  ", None, None),
    ],
)
def test_counting_model(model: str, claude_model: str | None, expected: str | None) -> None:
    assert counting_model(model, claude_model) == expected


def test_wire_format_is_botocores() -> None:
    """The request body and path are what botocore's own serializer makes of CountTokens."""
    import botocore.session  # type: ignore[import-untyped]
    from botocore.serialize import create_serializer  # type: ignore[import-untyped]

    invoke = {"anthropic_version": "bedrock-2023-05-31", "max_tokens": 5, "messages": []}
    wire = count_request("https://bedrock-runtime.us-east-1.amazonaws.com", MODEL, invoke)
    client = botocore.session.get_session().create_client(
        "bedrock-runtime", region_name="us-east-1", aws_access_key_id="a", aws_secret_access_key="b"
    )
    operation = client.meta.service_model.operation_model("CountTokens")
    blob = json.dumps(invoke, separators=(",", ":")).encode()
    expected = create_serializer("rest-json").serialize_to_request(
        {"modelId": MODEL, "input": {"invokeModel": {"body": blob}}}, operation
    )
    assert wire.method == expected["method"]
    assert wire.url.endswith(expected["url_path"])
    assert wire.body == json.loads(expected["body"])


def test_provider_builds_the_count_request() -> None:
    p = BedrockClaudeProvider(
        ProviderSettings(model=f"us.{MODEL}", options={"region": "eu-west-1"})
    )
    wire = p.token_count_request(Request(model=f"us.{MODEL}", messages=[mp.Message.user("x")]))
    assert wire is not None
    assert wire.url == (
        "https://bedrock-runtime.eu-west-1.amazonaws.com/model/"
        "anthropic.claude-3-5-sonnet-20240620-v1%3A0/count-tokens"
    )
    assert wire.body is not None
    inner = json.loads(base64.b64decode(wire.body["input"]["invokeModel"]["body"]))
    assert inner["messages"] == [{"role": "user", "content": "x"}]


@pytest.mark.parametrize(
    "body", [b"", b"nope", b"[]", b"{}", b'{"inputTokens": -1}', b'{"inputTokens": true}',
             b'{"inputTokens": 1.5}', b"\xff"]
)  # fmt: skip
def test_parse_count_rejects_bad_answers(body: bytes) -> None:
    with pytest.raises(ProviderProtocolError):
        parse_count(body, model=MODEL)


@FAST
@given(st.integers(min_value=0, max_value=2**31 - 1))
def test_parse_count_reads_input_tokens(n: int) -> None:
    assert parse_count(json.dumps({"inputTokens": n}).encode(), model=MODEL) == n


def test_docs_example_counts_on_the_scripted_server(server: ScriptedServer) -> None:
    """The docs' example, run against the scripted server (its LLM aimed at it)."""
    import functools
    import re
    from pathlib import Path

    doc = Path(__file__).resolve().parents[3] / "docs" / "providers" / "bedrock-claude.md"
    section = doc.read_text().split("## Token counting", 1)[1]
    block = re.findall(r"```python\n(.*?)```", section, re.S)[0]
    counter = CountTokensEndpoint(server, models=("anthropic.claude-sonnet-4-5-20250929-v1:0",))
    make = functools.partial(mp.LLM, base_url=server.url, cache="never")
    names: dict[str, Any] = {}
    exec(block.replace("mp.LLM(", "make_llm("), {"make_llm": make, "__name__": "doc"}, names)
    count = names["count"]
    assert count.tokens == toy_tokens("Be brief.") + PER_MESSAGE + 6
    assert count.estimated is False
    assert counter.problems == [] and counter.bodies[0]["max_tokens"] == 512
    shown = json.loads(re.findall(r"```json\n(.*?)```", section, re.S)[0].replace("...", ""))
    sent = server.requests[-1].json()
    assert sent["input"]["invokeModel"]["body"].startswith(shown["input"]["invokeModel"]["body"])
