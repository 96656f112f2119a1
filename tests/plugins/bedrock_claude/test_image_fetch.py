"""Remote images for a provider that takes no URLs: the core fetches them in the call's own
program (its transport, timeouts and abort) and Bedrock receives base64 of exactly the bytes
served. One scripted loopback server plays both the image host and SigV4-checking Bedrock."""

from __future__ import annotations

import asyncio
import base64
import copy
import threading
from collections.abc import Iterator
from typing import Any

import modelport as mp
import pytest
from modelport.testing import Fault, RecordedRequest, Reply, ScriptedServer

from ._bedrock import ACCESS_KEY, MODEL, SECRET_KEY, message_events
from ._signed import SignedEndpoint
from .test_images import JPEG, PNG
from .test_llm import EVENTSTREAM, chunk_frame


@pytest.fixture
def bedrock(monkeypatch: pytest.MonkeyPatch) -> Iterator[SignedEndpoint]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    for var in ("AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(var, raising=False)
    with ScriptedServer() as server:
        endpoint = SignedEndpoint(server)
        yield endpoint
        assert endpoint.problems == []


def llm(endpoint: SignedEndpoint, **kw: Any) -> mp.LLM:
    kw.setdefault("cache", "never")
    return mp.LLM(
        f"bedrock-claude:{MODEL}",
        base_url=endpoint.server.url,
        options={"region": "us-east-1"},
        retry=mp.RetryPolicy(max_retries=0),
        **kw,
    )


def complete(endpoint: SignedEndpoint, messages: Any, **kw: Any) -> mp.Response:
    """One call on an ``LLM`` that is closed afterwards (its pooled connections with it)."""
    call = {k: kw.pop(k) for k in ("tools", "abort") if k in kw}
    with llm(endpoint, **kw) as model:
        return model.complete(messages, **call)


def message(*content: dict[str, Any], stop: str = "end_turn") -> dict[str, Any]:
    usage = {"input_tokens": 10, "output_tokens": 2}
    return {"id": "msg_1", "type": "message", "role": "assistant", "model": MODEL,
            "content": list(content), "stop_reason": stop, "usage": usage}  # fmt: skip


def answer(text: str = "a picture") -> Reply:
    """Claude's whole answer, as ``invoke`` returns it."""
    return Reply.json(message({"type": "text", "text": text}))


def streamed(text: str) -> Reply:
    events = message_events(message({"type": "text", "text": text}))
    return Reply.raw(200, content_type=EVENTSTREAM, chunks=[chunk_frame(e) for e in events])


def image_blocks(body: dict[str, Any]) -> list[dict[str, Any]]:
    blocks = [b for m in body["messages"] if isinstance(m["content"], list) for b in m["content"]]
    return [b for b in blocks if b.get("type") == "image"]


def ask(endpoint: SignedEndpoint, *urls: str) -> list[dict[str, Any]]:
    parts: list[Any] = [mp.TextPart(text="compare")]
    parts += [mp.ImagePart.from_url(endpoint.server.url + u) for u in urls]
    return [{"role": "user", "content": parts}]


def test_png_and_jpeg_urls_arrive_as_base64_of_the_served_bytes(bedrock: SignedEndpoint) -> None:
    bedrock.server.route("GET", "/cat.png", Reply.raw(200, PNG, content_type="image/png"))
    # A wrong Content-Type: the bytes decide, as for every image.
    bedrock.server.route("GET", "/dog", Reply.raw(200, JPEG, content_type="text/plain"))
    bedrock.add(answer())
    messages = ask(bedrock, "/cat.png?sig=s3cr3t", "/dog")
    before = copy.deepcopy(messages)
    r = complete(bedrock, messages)
    assert r.text == "a picture"
    (body,) = bedrock.bodies
    assert [b["source"] for b in image_blocks(body)] == [
        {"type": "base64", "media_type": "image/png", "data": base64.b64encode(PNG).decode()},
        {"type": "base64", "media_type": "image/jpeg", "data": base64.b64encode(JPEG).decode()},
    ]
    assert messages == before  # the caller's parts still hold the URLs
    assert messages[0]["content"][1].url.endswith("/cat.png?sig=s3cr3t")


def test_async_stream_fetches_too(bedrock: SignedEndpoint) -> None:
    bedrock.server.route("GET", "/cat.png", Reply.raw(200, PNG, content_type="image/png"))
    bedrock.add(streamed("streamed"))

    async def run() -> str:
        async with llm(bedrock) as model:
            text = ""
            async for ev in model.astream(ask(bedrock, "/cat.png")):
                if ev.type == "answer":
                    text += ev.content or ""
            return text

    assert asyncio.run(run()) == "streamed"
    (block,) = image_blocks(bedrock.bodies[0])
    assert base64.b64decode(block["source"]["data"]) == PNG


def test_one_fetch_per_url_and_a_redirect_is_followed(bedrock: SignedEndpoint) -> None:
    moved = Reply.raw(302, headers={"location": "/real.jpg"})
    bedrock.server.route("GET", "/old.jpg", moved)
    bedrock.server.route("GET", "/real.jpg", Reply.raw(200, JPEG, content_type="image/jpeg"))
    bedrock.add(answer())
    complete(bedrock, ask(bedrock, "/old.jpg", "/old.jpg"))
    gets = [r.path for r in bedrock.server.requests if r.method == "GET"]
    assert gets == ["/old.jpg", "/real.jpg"]
    assert len(image_blocks(bedrock.bodies[0])) == 2


def test_a_redirect_loop_is_a_configuration_error(bedrock: SignedEndpoint) -> None:
    bedrock.server.route("GET", "/loop", Reply.raw(302, headers={"location": "/loop"}))
    with pytest.raises(mp.ConfigurationError, match="more than 5 redirects"):
        complete(bedrock, ask(bedrock, "/loop"))
    assert bedrock.bodies == []


def test_404_names_the_url_without_its_secret(bedrock: SignedEndpoint) -> None:
    bedrock.server.route("GET", "/gone.png", Reply.status(404, {"error": "no"}))
    with pytest.raises(mp.ConfigurationError, match="HTTP 404") as info:
        complete(bedrock, ask(bedrock, "/gone.png?token=hunter2"))
    assert "/gone.png" in str(info.value) and "hunter2" not in str(info.value)
    assert info.value.status == 404 and info.value.provider == "bedrock-claude"
    assert bedrock.bodies == []  # Bedrock was never asked


def test_a_body_that_is_no_image_is_refused(bedrock: SignedEndpoint) -> None:
    page = Reply.raw(200, b"<html>login</html>", content_type="image/png")
    bedrock.server.route("GET", "/page", page)
    with pytest.raises(mp.ConfigurationError, match="not a PNG, JPEG"):
        complete(bedrock, ask(bedrock, "/page"))
    assert bedrock.bodies == []


def test_an_oversized_body_is_refused_while_it_arrives(bedrock: SignedEndpoint) -> None:
    limit = 3_932_160  # Claude on Bedrock: 3.75 MB per image
    chunks = [PNG] + [b"\0" * 65536] * 70  # chunked: no Content-Length to refuse it by
    bedrock.server.route("GET", "/big.png", Reply.raw(200, chunks=chunks))
    with pytest.raises(mp.ConfigurationError, match=f"over the {limit}-byte bound"):
        complete(bedrock, ask(bedrock, "/big.png"))
    assert bedrock.bodies == []


def test_a_declared_length_over_the_bound_is_refused_before_reading(
    bedrock: SignedEndpoint, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MODELPORT_MAX_IMAGE_BYTES", "100")  # lower than the profile's
    big = PNG + b"\0" * 200
    bedrock.server.route("GET", "/big.png", Reply.raw(200, big, content_type="image/png"))
    with pytest.raises(mp.ConfigurationError, match=f"{len(big)} bytes, over the 100-byte"):
        complete(bedrock, ask(bedrock, "/big.png"))


def test_a_slow_image_server_meets_the_calls_timeout(bedrock: SignedEndpoint) -> None:
    slow = Fault.slow_first_byte(Reply.raw(200, PNG, content_type="image/png"), delay=3.0)
    bedrock.server.route("GET", "/slow.png", slow)
    with pytest.raises(mp.LLMTimeoutError, match="fetching the image") as info:
        complete(bedrock, ask(bedrock, "/slow.png"), timeout=0.5)
    assert info.value.provider == "bedrock-claude"
    assert bedrock.bodies == []


def test_a_stall_in_the_body_meets_the_total_timeout(bedrock: SignedEndpoint) -> None:
    reply = Reply.raw(200, chunks=[PNG[:20], PNG[20:]], content_type="image/png")
    bedrock.server.route("GET", "/stall.png", Fault.stall_mid_stream(reply, after_chunks=1))
    timeouts = mp.Timeouts(read=5.0, total=0.5)
    with pytest.raises(mp.LLMTimeoutError, match="fetching the image"):
        complete(bedrock, ask(bedrock, "/stall.png"), timeout=timeouts)


@pytest.mark.parametrize("way", ["sync", "async"])
def test_an_abort_during_the_fetch_ends_the_call_as_aborted(
    bedrock: SignedEndpoint, way: str
) -> None:
    """The body stalls after its first bytes; the abort ends the wait at once (the stall is
    far longer than the test takes) and Bedrock is never asked."""
    arrived = threading.Event()
    body = Reply.raw(200, chunks=[PNG[:20], PNG[20:]], content_type="image/png")

    def slow(req: RecordedRequest) -> Fault:
        arrived.set()
        return Fault.stall_mid_stream(body, after_chunks=1, delay=30.0)

    bedrock.server.route("GET", "/slow.png", slow)
    signal = mp.AbortSignal()
    threading.Thread(target=lambda: arrived.wait(5) and signal.abort("user left")).start()
    if way == "sync":
        r = complete(bedrock, ask(bedrock, "/slow.png"), abort=signal)
    else:

        async def run() -> mp.Response:
            async with llm(bedrock) as model:
                return await model.acomplete(ask(bedrock, "/slow.png"), abort=signal)

        r = asyncio.run(run())
    assert r.stop_reason == "aborted" and r.abort_reason == "user left"
    assert bedrock.bodies == []  # the model was never asked


def test_a_fetched_image_over_the_side_limit_is_refused(bedrock: SignedEndpoint) -> None:
    pil = pytest.importorskip("PIL.Image")
    import io

    buf = io.BytesIO()
    pil.new("L", (8001, 1)).save(buf, format="PNG")
    bedrock.server.route("GET", "/wide.png", Reply.raw(200, buf.getvalue()))
    with pytest.raises(mp.ConfigurationError, match=r"8001x1 px.*at most 8000 px"):
        complete(bedrock, ask(bedrock, "/wide.png"))


def test_a_tool_loop_fetches_once_for_every_turn(bedrock: SignedEndpoint) -> None:
    bedrock.server.route("GET", "/cat.png", Reply.raw(200, PNG, content_type="image/png"))
    use = {"type": "tool_use", "id": "t1", "name": "noop", "input": {}}
    bedrock.add(Reply.json(message(use, stop="tool_use")))
    bedrock.add(answer("done"))

    def noop() -> str:
        """Does nothing."""
        return "ok"

    r = complete(bedrock, ask(bedrock, "/cat.png"), tools=[noop])
    assert r.text == "done"
    assert [r.path for r in bedrock.server.requests if r.method == "GET"] == ["/cat.png"]
    assert all(len(image_blocks(b)) == 1 for b in bedrock.bodies) and len(bedrock.bodies) == 2


def test_an_inline_image_over_claudes_limits_fails_before_any_request(
    bedrock: SignedEndpoint,
) -> None:
    big = mp.ImagePart.from_bytes(PNG + b"\0" * 3_932_160)  # within the global 20 MiB bound
    with pytest.raises(mp.ConfigurationError, match="at most 3932160 bytes") as info:
        complete(bedrock, [mp.Message.user([big])])
    assert "image 1 of the request" in str(info.value)
    pil = pytest.importorskip("PIL.Image")
    import io

    buf = io.BytesIO()
    pil.new("L", (1, 8001)).save(buf, format="JPEG")
    tall = mp.ImagePart.from_bytes(buf.getvalue())
    with pytest.raises(mp.ConfigurationError, match="1x8001 px"):
        complete(bedrock, [mp.Message.user([mp.TextPart(text="hi"), tall])])
    assert bedrock.server.requests == []


def test_two_pass_structured_output_fetches_once_for_both_passes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Thinking + ``response_format`` on Claude runs two passes: the image is downloaded once,
    before the first, and both passes carry its bytes."""
    from pydantic import BaseModel

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    for var in ("AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(var, raising=False)

    class Seen(BaseModel):
        animal: str

    thinker = "us.anthropic.claude-sonnet-4-20250514-v1:0"
    with ScriptedServer() as server:
        endpoint = SignedEndpoint(server, models=(thinker,))
        server.route("GET", "/cat.png", Reply.raw(200, PNG, content_type="image/png"))
        thought = {"type": "thinking", "thinking": "a cat", "signature": "c2ln"}
        endpoint.add(Reply.json(message(thought, {"type": "text", "text": "A cat."})))
        use = {"type": "tool_use", "id": "t1", "name": "Seen", "input": {"animal": "cat"}}
        endpoint.add(Reply.json(message(use, stop="tool_use")))
        with mp.LLM(
            f"bedrock-claude:{thinker}",
            base_url=server.url,
            options={"region": "us-east-1"},
            cache="never",
        ) as model:
            r = model.complete(
                ask(endpoint, "/cat.png"), response_format=Seen, reasoning_effort="low"
            )
        assert r.structured == Seen(animal="cat")
        assert endpoint.problems == []
        assert [q.path for q in server.requests if q.method == "GET"] == ["/cat.png"]
        assert len(endpoint.bodies) == 2
        for body in endpoint.bodies:
            (block,) = image_blocks(body)
            assert base64.b64decode(block["source"]["data"]) == PNG
