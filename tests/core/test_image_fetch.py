"""The core's image step for any provider: the profile's limits are checked before any request,
and a provider whose profile says ``image_urls=False`` gets remote images fetched and inlined.

openai-chat stands in for "a server that cannot fetch URLs" (a local server, told so by the
user's ``[profiles]`` entry); one scripted loopback server is both the image host and the
Chat Completions endpoint. Bedrock's own case is tests/plugins/bedrock_claude/test_image_fetch.py.
"""

from __future__ import annotations

import asyncio
import base64
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import modelport as mp
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from modelport._host._plugins import PluginHost
from modelport._images import check_limits, dimensions
from modelport.testing import MemoryCache, Reply, ScriptedServer
from test_images import JPEG, PNG

ANSWER = {"choices": [{"message": {"content": "seen"}, "finish_reason": "stop"}]}


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "modelport.toml"
    path.write_text("")
    monkeypatch.setenv("MODELPORT_CONFIG", str(path))
    return path


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    with ScriptedServer() as s:
        yield s


def chat_bodies(server: ScriptedServer) -> list[dict[str, Any]]:
    return [r.json() for r in server.requests if r.method == "POST"]


def image_urls_sent(body: dict[str, Any]) -> list[str]:
    return [
        p["image_url"]["url"]
        for m in body["messages"]
        if isinstance(m["content"], list)
        for p in m["content"]
        if p["type"] == "image_url"
    ]


def pil_image(fmt: str, size: tuple[int, int]) -> bytes:
    pil = pytest.importorskip("PIL.Image")
    buf = io.BytesIO()
    pil.new("RGB", size).save(buf, format=fmt)
    return buf.getvalue()


# -- the header reader and the limit check ----------------------------------------------------


@settings(max_examples=30, deadline=None)
@given(
    fmt=st.sampled_from(["PNG", "JPEG", "GIF", "WEBP"]),
    w=st.integers(1, 3000),
    h=st.integers(1, 3000),
)
def test_dimensions_agree_with_pillow(fmt: str, w: int, h: int) -> None:
    assert dimensions(pil_image(fmt, (w, h))) == (w, h)


@given(st.binary(max_size=64))
def test_dimensions_of_any_bytes_is_a_pair_or_none(data: bytes) -> None:
    for head in (b"", b"\xff\xd8", b"\x89PNG\r\n\x1a\n", b"RIFF\0\0\0\0WEBPVP8L"):
        got = dimensions(head + data)
        assert got is None or (isinstance(got, tuple) and len(got) == 2)


def test_check_limits_names_the_image_and_the_model() -> None:
    data = base64.b64encode(PNG).decode()
    check_limits(data, len(PNG), 1, "image 1", "m")  # exactly at the limits: fine
    with pytest.raises(mp.ConfigurationError, match=rf"image 1 is {len(PNG)} bytes; m takes"):
        check_limits(data, len(PNG) - 1, None, "image 1", "m")
    wide = base64.b64encode(pil_image("PNG", (30, 2))).decode()
    with pytest.raises(mp.ConfigurationError, match="30x2 px; m takes images of at most 29 px"):
        check_limits(wide, None, 29, "image 1", "m")


# -- through a call ---------------------------------------------------------------------------


def test_a_url_is_sent_as_a_url_by_default(config: Path, server: ScriptedServer) -> None:
    server.add(Reply.json(ANSWER))
    part = mp.ImagePart.from_url("https://example.com/cat.png")
    with mp.LLM("openai-chat:m", base_url=server.base_url) as llm:
        llm.complete([mp.Message.user([mp.TextPart(text="what"), part])])
    assert image_urls_sent(chat_bodies(server)[0]) == ["https://example.com/cat.png"]


@pytest.mark.parametrize("way", ["sync", "async"])
def test_image_urls_false_fetches_and_inlines(
    config: Path, server: ScriptedServer, way: str
) -> None:
    config.write_text('[profiles."openai-chat:m"]\nimage_urls = false\n')
    server.route("GET", "/a.jpg", Reply.raw(200, JPEG, content_type="image/jpeg"))
    server.add(Reply.json(ANSWER))
    messages = [mp.Message.user([mp.ImagePart.from_url(server.url + "/a.jpg")])]
    llm = mp.LLM("openai-chat:m", base_url=server.base_url, cache="never")
    if way == "sync":
        with llm:
            r = llm.complete(messages)
    else:

        async def run() -> mp.Response:
            async with llm:
                return await llm.acomplete(messages)

        r = asyncio.run(run())
    assert r.text == "seen"
    sent = image_urls_sent(chat_bodies(server)[0])
    assert sent == [f"data:image/jpeg;base64,{base64.b64encode(JPEG).decode()}"]
    assert messages[0].content[0].url == server.url + "/a.jpg"  # type: ignore[index,union-attr]


class CachePlugin:
    def __init__(self) -> None:
        self.backend = MemoryCache()

    @mp.hookimpl
    def register_caches(self, register: Any) -> None:
        register(self.backend, level=1)


def test_the_cache_key_follows_the_fetched_bytes(config: Path, server: ScriptedServer) -> None:
    """Same URL, new content: a new key (the key hashes the inlined request, not the URL), and
    neither the bytes nor their base64 are in a key or an entry."""
    config.write_text('[profiles."openai-chat:m"]\nimage_urls = false\n')
    served = {"body": PNG}
    server.route("GET", "/x", lambda req: Reply.raw(200, served["body"]))
    server.route("POST", "/v1/chat/completions", Reply.json(ANSWER))
    plugin = CachePlugin()
    host = PluginHost(blocked=["builtin-sqlite-cache"])
    host.register(plugin, name="memcache")
    messages = [mp.Message.user([mp.ImagePart.from_url(server.url + "/x")])]
    with mp.LLM("openai-chat:m", base_url=server.base_url, plugins=host, cache="always") as llm:
        first = llm.complete(messages)
        again = llm.complete(messages)
        served["body"] = JPEG
        changed = llm.complete(messages)
    assert first.cache_source == "miss" and again.cache_source == "l1"
    assert again.cache_key == first.cache_key
    assert changed.cache_source == "miss" and changed.cache_key != first.cache_key
    assert len(plugin.backend.data) == 2
    stored = repr(plugin.backend.data)
    for data in (PNG, JPEG):
        assert base64.b64encode(data).decode() not in stored
    assert [r.path for r in server.requests if r.method == "GET"] == ["/x"] * 3


def test_the_profiles_size_limit_is_checked_before_any_request(
    config: Path, server: ScriptedServer
) -> None:
    config.write_text('[profiles."openai-chat:m"]\nmax_image_bytes = 100\nmax_image_side = 50\n')
    with mp.LLM("openai-chat:m", base_url=server.base_url) as llm:
        big = mp.ImagePart.from_bytes(PNG + b"\0" * 100)
        with pytest.raises(mp.ConfigurationError, match="openai-chat takes images of at most 100"):
            llm.complete([mp.Message.user([big])])
        wide = mp.ImagePart.from_bytes(pil_image("GIF", (51, 1)))
        with pytest.raises(mp.ConfigurationError, match="51x1 px"):
            llm.complete([mp.Message.user([wide])])
    assert server.requests == []


DOCS = Path(__file__).resolve().parents[2] / "docs" / "images.md"


def test_the_docs_profiles_example_as_written(config: Path, server: ScriptedServer) -> None:
    text = DOCS.read_text()
    start = text.index("```toml\n") + len("```toml\n")
    config.write_text(text[start : text.index("```", start)])
    server.route("GET", "/p.png", Reply.raw(200, PNG))
    server.add(Reply.json(ANSWER))
    with mp.LLM("openai-chat:qwen2.5-vl", base_url=server.base_url) as llm:
        llm.complete([mp.Message.user([mp.ImagePart.from_url(server.url + "/p.png")])])
    (sent,) = image_urls_sent(chat_bodies(server)[0])
    assert sent == f"data:image/png;base64,{base64.b64encode(PNG).decode()}"


def test_a_refused_connection_keeps_its_type_and_names_the_image(
    config: Path, server: ScriptedServer
) -> None:
    config.write_text('[profiles."openai-chat:m"]\nimage_urls = false\n')
    with ScriptedServer() as gone:
        dead = gone.url + "/a.png?key=k3y"
    with (
        mp.LLM("openai-chat:m", base_url=server.base_url) as llm,
        pytest.raises(mp.ProviderConnectionError, match="fetching the image") as info,
    ):
        llm.complete([mp.Message.user([mp.ImagePart.from_url(dead)])])
    assert "k3y" not in str(info.value)
    assert server.requests == []
