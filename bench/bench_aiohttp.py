"""modelport on the aiohttp transport against raw aiohttp, raw httpx2 and modelport's default.

Async only (the aiohttp transport delegates sync calls), one run, one loopback server
(``bench/run.py``'s ``BenchServer``, in its own process), the noise control of ``bench/run.py``:
every client warmed up, rounds whose client order rotates, medians, and paired ratios (each
round's ratio to the baseline measured in the same round). Timings are printed, never asserted.

1. sequential non-streamed requests (``acomplete``): wall and CPU µs per request;
2. a 1000-chunk stream: chunks per second; the baseline is raw aiohttp line iteration
   (``async for line in resp.content``); modelport runs with full normalization and the
   thinking parser on, on a plain stream and on a ``<think>``-tagged one;
3. 200 requests in flight (``asyncio.gather``): requests per second.

The targets (issue 12, item 6): with ``modelport-aiohttp``, overhead <= 1.3x raw aiohttp's,
streams >= 0.85x raw aiohttp line iteration, 200 in flight >= 0.85x raw aiohttp.

    python bench/bench_aiohttp.py [--quick] [--json PATH]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
# Peers installed apart from the dev environment (``pip install --target DIR litellm``) are
# found after everything else, so their copies of shared packages never shadow the real ones.
if _peers := os.environ.get("MODELPORT_BENCH_PEERS_PATH"):
    sys.path.append(_peers)
# LiteLLM fetches its model price list over the network at import unless told not to.
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

from _peers import LITELLM, OPENAI, Peers
from run import (
    CHUNKS,
    CONCURRENCY,
    KEY,
    MESSAGES,
    MODEL,
    POOL,
    PROMPT,
    THINK_MODEL,
    BenchServer,
    atimed,
    median,
    paired_ratio,
    rotated,
    say,
    spread,
    table,
)

TARGETS = {"overhead": 1.3, "stream": 0.85, "concurrent": 0.85}
RAW_AIO = "raw aiohttp"
RAW_HX = "raw httpx2"
MP_AIO = "modelport, aiohttp transport"
MP_HX = "modelport, default transport (httpx2)"


Fn = Callable[[], Awaitable[object]]


@dataclass(frozen=True)
class Config:
    seq_requests: int
    seq_rounds: int
    stream_rounds: int
    streams_per_round: int
    conc_rounds: int
    warmup: int


FULL = Config(
    seq_requests=200, seq_rounds=11, stream_rounds=11, streams_per_round=3, conc_rounds=15, warmup=3
)
QUICK = Config(
    seq_requests=40, seq_rounds=2, stream_rounds=2, streams_per_round=1, conc_rounds=2, warmup=1
)


class Clients:
    """Every async client, each with its own pool on the one event loop of the run.

    ``peers``: the openai SDK and LiteLLM too; ``modelport=False``: without modelport's clients
    (the raw clients stay, as the baseline the peers are paired with)."""

    def __init__(self, base_url: str, peers: bool = False, modelport: bool = True) -> None:
        import aiohttp
        import httpx2
        import modelport as mp

        self.url = base_url + "/chat/completions"
        self.auth = {"Authorization": f"Bearer {KEY}"}
        self.body = {"model": MODEL, "messages": MESSAGES, "temperature": 0}
        self.sbody = {**self.body, "stream": True, "stream_options": {"include_usage": True}}
        self.tbody = {**self.sbody, "model": THINK_MODEL}
        connector = aiohttp.TCPConnector(limit=POOL["max_connections"])
        self.aio = aiohttp.ClientSession(connector=connector)
        self.hx = httpx2.AsyncClient(limits=httpx2.Limits(**POOL), timeout=60.0)
        common: dict[str, Any] = {
            "base_url": base_url,
            "api_key": KEY,
            "temperature": 0,
            "cache": "never",
        }
        self.mp_aio = mp.LLM(f"openai-chat:{MODEL}", transport="aiohttp", **common)
        self.mp_aio_think = mp.LLM(f"openai-chat:{THINK_MODEL}", transport="aiohttp", **common)
        self.mp_hx = mp.LLM(f"openai-chat:{MODEL}", transport="httpx2", **common)
        self.modelport = modelport
        self.peers = Peers(base_url) if peers else None

    async def aclose(self) -> None:
        for llm in (self.mp_aio, self.mp_aio_think, self.mp_hx):
            await llm.aclose()
        await self.aio.close()
        await self.hx.aclose()
        if self.peers is not None:
            await self.peers.aclose()

    def completers(self) -> dict[str, Fn]:
        """Every client's one non-streamed request, by name (the peers when asked for)."""
        out: dict[str, Fn] = {RAW_AIO: self.aio_complete, RAW_HX: self.hx_complete}
        if self.modelport:
            out[MP_AIO] = lambda: self.mp_complete(self.mp_aio)
            out[MP_HX] = lambda: self.mp_complete(self.mp_hx)
        if self.peers is not None:
            out[OPENAI] = self.peers.oa_complete
            if self.peers.litellm is not None:
                out[LITELLM] = self.peers.ll_complete
        return out

    # non-streamed: the answer text
    async def aio_complete(self) -> str:
        async with self.aio.post(self.url, json=self.body, headers=self.auth) as r:
            return str(json.loads(await r.read())["choices"][0]["message"]["content"])

    async def hx_complete(self) -> str:
        r = await self.hx.post(self.url, json=self.body, headers=self.auth)
        return str(json.loads(r.content)["choices"][0]["message"]["content"])

    @staticmethod
    async def mp_complete(llm: Any) -> str:
        return str((await llm.acomplete(PROMPT)).text)

    # streamed: lines seen (raw), or (answer, reasoning) text (modelport)
    async def aio_lines(self, body: dict[str, Any]) -> int:
        n = 0
        async with self.aio.post(self.url, json=body, headers=self.auth) as r:
            async for _ in r.content:
                n += 1
        return n

    async def hx_lines(self, body: dict[str, Any]) -> int:
        n = 0
        async with self.hx.stream("POST", self.url, json=body, headers=self.auth) as r:
            async for _ in r.aiter_lines():
                n += 1
        return n

    @staticmethod
    async def mp_stream(llm: Any) -> tuple[str, str]:
        answer: list[str] = []
        reasoning: list[str] = []
        async for ev in llm.astream(PROMPT):
            if ev.type == "answer":
                answer.append(ev.content)
            elif ev.type == "reasoning":
                reasoning.append(ev.content)
        return "".join(answer), "".join(reasoning)


async def measure(clients: dict[str, Fn], rounds: int, per_round: int, warmup: int) -> Any:
    """(wall, cpu) samples per client: rounds in rotating order, ``per_round`` calls each.

    A sample lasts until the tasks it started have ended: LiteLLM logs each call in tasks of
    its own that run on after the call returned (some 200 of them, 30-40 ms of CPU after a
    batch of 200), and that is its cost, not the next client's. Before this, whichever client
    followed LiteLLM in the rotation ran against them (raw aiohttp's 200-in-flight median fell
    from 8,300 to 3,200 req/s)."""
    for fn in clients.values():
        for _ in range(warmup):
            await _settled(fn)()
    wall: dict[str, list[float]] = {name: [] for name in clients}
    cpu: dict[str, list[float]] = {name: [] for name in clients}
    for r in range(rounds):
        for name in rotated(list(clients), r):
            for _ in range(per_round):
                w, p = await atimed(_settled(clients[name]))
                wall[name].append(w)
                cpu[name].append(p)
    return wall, cpu


def _settled(fn: Fn) -> Fn:
    async def run() -> None:
        before = len(asyncio.all_tasks())
        await fn()
        await _drained(before)

    return run


async def _drained(before: int, limit_s: float = 5.0) -> None:
    """Until no more tasks run than ``before`` (bounded: a task that never ends is waited for
    ``limit_s`` at most)."""
    for _ in range(int(limit_s * 1000)):
        if len(asyncio.all_tasks()) <= before:
            return
        await asyncio.sleep(0.001)


async def bench_sequential(c: Clients, server: BenchServer, cfg: Config) -> dict[str, Any]:
    n = cfg.seq_requests
    say(f"1. sequential acomplete ({n} per round, median of {cfg.seq_rounds} rounds)")
    one = c.completers()
    answers = {name: await fn() for name, fn in one.items()}
    if len(set(answers.values())) != 1:
        say(f"  WARNING: clients disagree on the answer: {answers}")

    def loop(fn: Fn) -> Fn:
        async def run() -> None:
            for _ in range(n):
                await fn()

        return run

    before = server.requests_served()
    wall, cpu = await measure({k: loop(f) for k, f in one.items()}, cfg.seq_rounds, 1, 1)
    served = server.requests_served() - before - 1
    expected = n * len(one) * (cfg.seq_rounds + 1)
    if served != expected:
        say(f"  WARNING: {expected} calls but the server saw {served} requests")
    rows, res = [], {}
    for name in one:
        mw, mc = median(wall[name]) / n, median(cpu[name]) / n
        ratio = paired_ratio(wall[name], wall[RAW_AIO])
        cpu_ratio = paired_ratio(cpu[name], cpu[RAW_AIO])
        res[name] = {"wall_us": mw * 1e6, "cpu_us": mc * 1e6, "ratio": ratio, "cpu": cpu_ratio}
        rows.append(
            [
                name,
                f"{mw * 1e6:.0f}",
                f"±{spread(wall[name]):.0%}",
                f"{mc * 1e6:.0f}",
                f"{ratio:.2f}x",
                f"{cpu_ratio:.2f}x",
            ]
        )
    say(table(["client", "wall µs/req", "noise", "CPU µs/req", "wall vs aiohttp", "CPU"], rows))
    return res


async def bench_streams(c: Clients, cfg: Config) -> dict[str, Any]:
    k = cfg.streams_per_round
    say(
        f"2. {CHUNKS}-chunk stream ({k} streams x {cfg.stream_rounds} rounds per client, median;"
        " modelport: full normalization, thinking parser on)"
    )
    plain: dict[str, Fn] = {
        f"{RAW_AIO} line iteration (baseline)": lambda: c.aio_lines(c.sbody),
        f"{RAW_HX} aiter_lines": lambda: c.hx_lines(c.sbody),
    }
    if c.modelport:
        plain[f"{MP_AIO} astream"] = lambda: c.mp_stream(c.mp_aio)
        plain[f"{MP_HX} astream"] = lambda: c.mp_stream(c.mp_hx)
    if c.peers is not None:
        plain[f"{OPENAI} stream=True"] = c.peers.oa_stream
        if c.peers.litellm is not None:
            plain[f"{LITELLM} stream=True"] = c.peers.ll_stream
    think: dict[str, Fn] = {}
    if c.modelport:
        think[f"think: {RAW_AIO} line iteration"] = lambda: c.aio_lines(c.tbody)
        think[f"think: {MP_AIO} astream"] = lambda: c.mp_stream(c.mp_aio_think)
    expected_lines = 2 * (CHUNKS + 4)
    if (got := await c.aio_lines(c.sbody)) != expected_lines:
        say(f"  WARNING: expected {expected_lines} SSE lines, got {got}")
    if c.modelport:
        answer, _ = await c.mp_stream(c.mp_aio)
        same, _ = await c.mp_stream(c.mp_hx)
        t_answer, t_reason = await c.mp_stream(c.mp_aio_think)
        if answer != same or not answer or "think>" in t_answer or not t_reason:
            say("  WARNING: the aiohttp transport's streams differ from the default's")
    clients = {**plain, **think}
    wall, cpu = await measure(clients, cfg.stream_rounds, k, cfg.warmup)
    rows, res = [], {}
    for base, group in (
        (f"{RAW_AIO} line iteration (baseline)", plain),
        (f"think: {RAW_AIO} line iteration", think),
    ):
        for name in group:
            mw, mc = median(wall[name]), median(cpu[name])
            speed = 1 / paired_ratio(wall[name], wall[base], k)
            # The same from client CPU: steadier when other jobs share the machine's cores.
            cpu_speed = 1 / paired_ratio(cpu[name], cpu[base], k)
            res[name] = {"chunks_per_s": CHUNKS / mw, "cpu_us_per_chunk": mc / CHUNKS * 1e6}
            res[name]["ratio"] = speed
            res[name]["cpu_ratio"] = cpu_speed
            rows.append(
                [
                    name,
                    f"{CHUNKS / mw:,.0f}",
                    f"±{spread(wall[name]):.0%}",
                    f"{mc / CHUNKS * 1e6:.1f}",
                    f"{speed:.2f}x",
                    f"{cpu_speed:.2f}x",
                ]
            )
    heads = ["client", "chunks/s", "noise", "CPU µs/chunk", "speed vs aiohttp lines", "by CPU"]
    say(table(heads, rows))
    return res


async def bench_concurrent(c: Clients, cfg: Config) -> dict[str, Any]:
    say(f"3. {CONCURRENCY} requests in flight (asyncio.gather; median of {cfg.conc_rounds})")
    one = c.completers()

    def batch(fn: Fn) -> Fn:
        async def run() -> None:
            got = await asyncio.gather(*(fn() for _ in range(CONCURRENCY)))
            if len(set(got)) != 1:
                say("  WARNING: unexpected answers")

        return run

    wall, cpu = await measure({k: batch(f) for k, f in one.items()}, cfg.conc_rounds, 1, 2)
    rows, res = [], {}
    for name in one:
        mw, mc = median(wall[name]), median(cpu[name])
        speed = 1 / paired_ratio(wall[name], wall[RAW_AIO])
        res[name] = {"req_per_s": CONCURRENCY / mw, "cpu_ms": mc * 1e3, "ratio": speed}
        rows.append(
            [
                name,
                f"{CONCURRENCY / mw:,.0f}",
                f"±{spread(wall[name]):.0%}",
                f"{mc * 1e3:.1f}",
                f"{speed:.2f}x",
            ]
        )
    say(table(["client", "req/s", "noise", "CPU ms/batch", "speed vs aiohttp"], rows))
    return res


def summary(seq: dict[str, Any], streams: dict[str, Any], conc: dict[str, Any]) -> None:
    say("summary (the issue's table; ratios paired against raw aiohttp in the same rounds)")
    rows = []
    for name in (RAW_HX, RAW_AIO, MP_HX, MP_AIO):
        stream_key = next(k for k in streams if k.startswith(name) and not k.startswith("think"))
        rows.append(
            [
                name,
                f"{seq[name]['wall_us']:.0f} µs",
                f"{streams[stream_key]['chunks_per_s']:,.0f}",
                f"{conc[name]['req_per_s']:,.0f}",
            ]
        )
    say(table(["client", "overhead / request", "stream chunks/s", "200 in flight, req/s"], rows))
    think = streams[f"think: {MP_AIO} astream"]["ratio"]
    checks = [
        ("overhead vs raw aiohttp", seq[MP_AIO]["ratio"], "<=", TARGETS["overhead"]),
        (
            "stream vs raw aiohttp lines",
            streams[f"{MP_AIO} astream"]["ratio"],
            ">=",
            TARGETS["stream"],
        ),
        ("think stream vs raw aiohttp lines", think, ">=", TARGETS["stream"]),
        ("200 in flight vs raw aiohttp", conc[MP_AIO]["ratio"], ">=", TARGETS["concurrent"]),
    ]
    for label, value, op, target in checks:
        ok = value <= target if op == "<=" else value >= target
        verdict = "met" if ok else "NOT met"
        say(f"  modelport-aiohttp {label}: {value:.2f}x (target {op} {target}x): {verdict}")


async def run_all(
    base_url: str, server: BenchServer, cfg: Config, peers: bool = False, modelport: bool = True
) -> dict[str, Any]:
    """Sections 1-3; ``peers``: the openai SDK and LiteLLM measured too; ``modelport=False``:
    the raw clients and the peers only."""
    c = Clients(base_url, peers=peers, modelport=modelport)
    # Everything imported so far stays out of the collector's passes. LiteLLM's import leaves
    # some 370,000 tracked objects that every full collection would walk, and with 200
    # requests in flight those come often: a tax of having imported LiteLLM on every client
    # (raw aiohttp's batch of 200: 18.6 ms of CPU, 26.8 ms with LiteLLM imported, 17.7 ms with
    # it imported and the heap frozen). Frozen, every client runs on the same small heap.
    gc.collect()
    gc.freeze()
    try:
        seq = await bench_sequential(c, server, cfg)
        streams = await bench_streams(c, cfg)
        conc = await bench_concurrent(c, cfg)
    finally:
        gc.unfreeze()
        await c.aclose()
    return {"sequential": seq, "streams": streams, "concurrent": conc}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="few iterations (smoke run)")
    ap.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    args = ap.parse_args(argv)
    cfg = QUICK if args.quick else FULL
    import aiohttp

    say(f"modelport-aiohttp bench (aiohttp {aiohttp.__version__}, Python {sys.version.split()[0]})")
    server = BenchServer()
    try:
        results = asyncio.run(run_all(server.base_url, server, cfg))
    finally:
        server.stop()
    summary(results["sequential"], results["streams"], results["concurrent"])
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
        say(f"results written to {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
