"""Async clients and load: the server lives in its own threads, so asyncio code just uses it."""

from __future__ import annotations

import asyncio
import threading

import httpx2
import pytest
from modelport.testing import Fault, Reply, ScriptedServer

WIDE = httpx2.Limits(max_connections=250, max_keepalive_connections=250)


def test_async_client_json_and_stream(server: ScriptedServer) -> None:
    server.add(Reply.json({"n": 1}), Reply.sse([b"data: 1\n\n", b"data: 2\n\n"]))

    async def main() -> tuple[object, list[str]]:
        async with httpx2.AsyncClient(base_url=server.base_url) as client:
            first = (await client.post("/chat/completions", json={})).json()
            async with client.stream("POST", "/chat/completions") as response:
                lines = [line async for line in response.aiter_lines() if line]
        return first, lines

    assert asyncio.run(main()) == ({"n": 1}, ["data: 1", "data: 2"])
    assert [r.connection for r in server.requests] == [1, 1]


def test_async_client_sees_faults(server: ScriptedServer) -> None:
    stream = Reply.sse([b"data: 1\n\n", b"data: 2\n\n", b"data: 3\n\n"])
    server.add(
        Fault.reset_mid_stream(stream, after_chunks=1), Fault.slow_first_byte(stream, delay=1)
    )

    async def collect(response: httpx2.Response, into: list[bytes]) -> None:
        async for data in response.aiter_raw():
            into.append(data)

    async def main() -> bytes:
        received: list[bytes] = []
        timeout = httpx2.Timeout(5.0, read=0.1)
        async with httpx2.AsyncClient(base_url=server.base_url, timeout=timeout) as client:
            async with client.stream("POST", "/chat/completions") as response:
                with pytest.raises(httpx2.ReadError):
                    await collect(response, received)
            with pytest.raises(httpx2.ReadTimeout):
                await client.post("/chat/completions")
        return b"".join(received)

    assert asyncio.run(main()) == b"data: 1\n\n"


def test_200_concurrent_async_requests(server: ScriptedServer) -> None:
    server.route("POST", "/v1/chat/completions", lambda r: Reply.json({"echo": r.json()}))
    release = threading.Event()
    server.route(
        "POST",
        "/v1/gate",
        lambda r: Reply.json({"ok": release.wait(5)}),  # hold every connection open at once
    )

    async def main() -> None:
        async with httpx2.AsyncClient(base_url=server.base_url, limits=WIDE) as client:
            # 200 requests in flight together: 200 connections, all served concurrently.
            gated = [asyncio.create_task(client.post("/gate")) for _ in range(200)]
            await asyncio.to_thread(server.wait_for_requests, 200, 10)
            release.set()
            assert [r.json() for r in await asyncio.gather(*gated)] == [{"ok": True}] * 200
            # And a burst over the warm pool, each answer matched to its request.
            responses = await asyncio.gather(
                *(client.post("/chat/completions", json={"i": i}) for i in range(200))
            )
            assert [r.json() for r in responses] == [{"echo": {"i": i}} for i in range(200)]

    asyncio.run(main())
    assert server.connection_count == 200
    assert len(server.requests) == 400


def test_200_concurrent_async_streams(server: ScriptedServer) -> None:
    events = [f"data: {i}\n\n".encode() for i in range(20)]
    server.route("POST", "/v1/chat/completions", Reply.sse(events))

    async def one(client: httpx2.AsyncClient) -> bytes:
        async with client.stream("POST", "/chat/completions") as response:
            return await response.aread()

    async def main() -> list[bytes]:
        async with httpx2.AsyncClient(base_url=server.base_url, limits=WIDE) as client:
            return await asyncio.gather(*(one(client) for _ in range(200)))

    assert asyncio.run(main()) == [b"".join(events)] * 200


def test_queue_is_consumed_exactly_once_under_concurrency(server: ScriptedServer) -> None:
    server.add(*(Reply.json(i) for i in range(100)))

    async def main() -> list[int]:
        async with httpx2.AsyncClient(base_url=server.url, limits=WIDE) as client:
            responses = await asyncio.gather(*(client.post("/") for _ in range(100)))
        return sorted(r.json() for r in responses)

    assert asyncio.run(main()) == list(range(100))
    assert server.pending == 0
