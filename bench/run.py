"""modelport benchmarks: absolute figures and ratios against raw httpx2 and the openai SDK.

Everything is measured in one run against one loopback server (``bench/_server.py``, started
in its own process so it never competes with the client for the GIL or its event loop), so the
ratios compare like with like on the same noisy machine at the same moment. Timings are never
asserted: the run prints figures, the targets next to them, and optionally writes JSON.

Sections (see issue 2 item 11 and issue 4 item 6):

a. cold import time in fresh interpreters, and which heavy modules ``import modelport`` pulls in;
b. sequential non-streamed requests: wall and CPU time per request;
c. 1000-chunk stream throughput, plain and with ``<think>`` tags (thinking parser on vs off),
   plus the parser micro-benchmark ``bench/bench_thinking.py``;
d. 200 concurrent requests with ``asyncio.gather``;
e. modelport's own CPU per request and per chunk with the HTTP stack taken out (an in-memory
   transport through the public ``transport=`` seam), the part modelport controls, and the
   cost of each per-chunk step with its share (``bench/bench_steps.py``).

Noise control: every client is warmed up first (connections open, plugins loaded, code paths
hot); measurements are repeated in rounds whose client order rotates, so drift on a shared
2-core machine hits every client alike; the figure reported is the median over rounds. CPU
time (``time.process_time``) is the client process only, the server being elsewhere; it is the
cleaner measure of per-request overhead, wall time the one users feel. Ratios are paired: the
median over rounds of each round's ratio, so load from elsewhere that hits one round cancels.

modelport is called with ``cache="never"``: a cache hit would skip the server and make the
figure meaningless (the server's request counter is checked as well).

    python bench/run.py [--quick] [--json PATH] [--sections a,b,c,d,e] [--profile]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import platform
import select
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
KEY = "sk-bench"
MODEL = "gpt-4o-mini"
THINK_MODEL = "bench-think"  # the server answers a model named *think* with <think> tags
PROMPT = "What is the capital of France?"
MESSAGES = [{"role": "user", "content": PROMPT}]
CHUNKS = 1000
CONCURRENCY = 200
# One pool size for every async client, the one modelport's transport uses: the comparison is
# about per-request overhead, not about whose default keep-alive pool is smaller.
POOL = {"max_connections": 512, "max_keepalive_connections": 256}

# Statements timed in fresh interpreters. "LLM(...)" also loads the plugins (entry points).
IMPORTS = [
    ("import modelport", "import modelport"),
    ("import modelport; modelport.LLM", "import modelport; modelport.LLM"),
    (
        "modelport.LLM(...) constructed",
        "import modelport; modelport.LLM('openai-chat:m', base_url='http://127.0.0.1:9/v1', "
        "api_key='k')",
    ),
    ("import httpx2", "import httpx2"),
    ("import openai", "import openai"),
]
FORBIDDEN_AT_IMPORT = ("httpx2", "httpcore2", "openai", "botocore")
WATCHED_AT_IMPORT = (*FORBIDDEN_AT_IMPORT, "pydantic", "pluggy", "anyio", "h11")

TARGETS = {
    "import": 0.040,  # seconds, import modelport (issue 12: under 40 ms)
    "request_ratio": 1.2,  # modelport / raw httpx2, per-request time
    "stream_ratio": 0.8,  # modelport / raw httpx2 iter_lines, chunks per second
    "thinking_cost": 0.10,  # extra client CPU of the thinking parser on a tagged stream
}


@dataclass(frozen=True)
class Config:
    """Iteration counts; ``--quick`` is the CI smoke run (seconds, figures indicative only)."""

    import_reps: int
    seq_requests: int
    seq_warmup: int
    seq_rounds: int
    stream_rounds: int
    streams_per_round: int
    conc_rounds: int
    thinking_repeat: int
    no_io_requests: int
    no_io_streams: int


FULL = Config(
    import_reps=7,
    seq_requests=150,
    seq_warmup=50,
    seq_rounds=15,
    stream_rounds=7,
    streams_per_round=3,
    conc_rounds=7,
    thinking_repeat=7,
    no_io_requests=1000,
    no_io_streams=20,
)
QUICK = Config(
    import_reps=3,
    seq_requests=40,
    seq_warmup=10,
    seq_rounds=2,
    stream_rounds=2,
    streams_per_round=1,
    conc_rounds=2,
    thinking_repeat=2,
    no_io_requests=200,
    no_io_streams=5,
)


# -- the server ----------------------------------------------------------------------------


class BenchServer:
    """``bench/_server.py`` in a child process: started, queried and stopped by its PID."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, str(BENCH / "_server.py")],
            stdin=subprocess.PIPE,  # the server exits when this closes (we died or stopped it)
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        ready, _, _ = select.select([self.proc.stdout], [], [], 20.0)
        line = self.proc.stdout.readline() if ready else ""
        if not line.startswith("READY "):
            self.stop()
            raise RuntimeError(f"bench server did not start (got {line!r})")
        self.port = int(line.split()[1])
        self.base_url = f"http://127.0.0.1:{self.port}/v1"

    def requests_served(self) -> int:
        url = f"http://127.0.0.1:{self.port}/bench/stats"
        with urllib.request.urlopen(url, timeout=10) as resp:
            return int(json.loads(resp.read())["requests"])

    def stop(self) -> None:
        proc = self.proc
        if proc.poll() is None:
            if proc.stdin is not None:
                proc.stdin.close()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.terminate()
                try:
                    proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(timeout=5)
        if proc.stdout is not None:
            proc.stdout.close()


# -- measuring -----------------------------------------------------------------------------


def timed(fn: Callable[[], object]) -> tuple[float, float]:
    """(wall seconds, client CPU seconds) of one call; garbage from earlier runs collected first
    so one client does not pay for another's garbage."""
    gc.collect()
    c0 = time.process_time()
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0, time.process_time() - c0


async def atimed(fn: Callable[[], Awaitable[object]]) -> tuple[float, float]:
    gc.collect()
    c0 = time.process_time()
    t0 = time.perf_counter()
    await fn()
    return time.perf_counter() - t0, time.process_time() - c0


def rotated(names: list[str], r: int) -> list[str]:
    """Client order for round ``r``: each client takes each position in turn."""
    k = r % len(names)
    return names[k:] + names[:k]


def median(xs: list[float]) -> float:
    return statistics.median(xs) if xs else float("nan")


def paired_ratio(xs: list[float], base: list[float], per_round: int = 1) -> float:
    """Median over rounds of (this client's time / the baseline's time in the same round).

    Clients of one round run back to back, so a burst of load from elsewhere on the machine
    tends to hit a round's measurements alike and cancels out of its ratio; a ratio of two
    overall medians would keep it. ``per_round`` samples per client per round are reduced to
    their median first.
    """

    def rounds(v: list[float]) -> list[float]:
        return [median(v[i : i + per_round]) for i in range(0, len(v), per_round)]

    return median([x / b for x, b in zip(rounds(xs), rounds(base), strict=True)])


def spread(xs: list[float]) -> float:
    """Relative half-range of the middle half (a robust noise figure for the table)."""
    if len(xs) < 4:
        return (max(xs) - min(xs)) / 2 / median(xs) if len(xs) > 1 else 0.0
    q = statistics.quantiles(xs, n=4)
    return (q[2] - q[0]) / 2 / median(xs)


def table(headers: list[str], rows: list[list[str]], indent: str = "  ") -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    out = []
    for j, row in enumerate([headers, *rows]):
        cells = [c.ljust(widths[i]) if i == 0 else c.rjust(widths[i]) for i, c in enumerate(row)]
        out.append(indent + "  ".join(cells).rstrip())
        if j == 0:
            out.append((indent + "  ".join("-" * w for w in widths)).rstrip())
    return "\n".join(out)


def say(text: str = "") -> None:
    print(text, flush=True)


# -- a. imports ----------------------------------------------------------------------------


def _import_once(stmt: str) -> tuple[float, float]:
    """(import seconds inside the child, whole child wall seconds incl. interpreter start)."""
    code = f"import time; t0 = time.perf_counter()\n{stmt}\nprint(time.perf_counter() - t0)"
    t0 = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    return float(out.stdout.strip().splitlines()[-1]), time.perf_counter() - t0


def bench_imports(cfg: Config) -> dict[str, Any]:
    """Fresh interpreters each time: the first run of each statement only warms the .pyc files
    and the OS page cache, and is discarded."""
    say(f"a. cold import (fresh interpreter per sample, median of {cfg.import_reps})")
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name, _ in IMPORTS}
    for _name, stmt in IMPORTS:
        _import_once(stmt)
    for r in range(cfg.import_reps):
        for name in rotated([n for n, _ in IMPORTS], r):
            samples[name].append(_import_once(dict(IMPORTS)[name]))
    probe = (
        "import json, sys\nimport modelport\n"
        f"watched = {WATCHED_AT_IMPORT!r}\n"
        "tops = {m.split('.')[0] for m in sys.modules}\n"
        "print(json.dumps({'found': sorted(tops & set(watched)), 'modules': len(sys.modules)}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True
    )
    found = json.loads(out.stdout)
    res: dict[str, Any] = {"statements": {}}
    base = median([s[0] for s in samples["import httpx2"]])
    rows = []
    for name, _ in IMPORTS:
        imp = median([s[0] for s in samples[name]])
        proc = median([s[1] for s in samples[name]])
        res["statements"][name] = {"import_s": imp, "process_s": proc}
        rows.append([name, f"{imp * 1e3:.1f}", f"{proc * 1e3:.1f}", f"{imp / base:.2f}x"])
    say(table(["statement", "import ms", "process ms", "vs httpx2"], rows))
    forbidden = [m for m in found["found"] if m in FORBIDDEN_AT_IMPORT]
    say(
        f"  after `import modelport`: {found['modules']} modules in sys.modules; "
        f"of {', '.join(WATCHED_AT_IMPORT)} present: {found['found'] or 'none'}"
    )
    say(f"  forbidden at import (httpx2/httpcore2/openai/botocore): {forbidden or 'none'}")
    res["modules_after_import"] = found["modules"]
    res["heavy_found"] = found["found"]
    res["forbidden_found"] = forbidden
    return res


# -- clients -------------------------------------------------------------------------------


class SyncClients:
    """The three sync clients, each with its own keep-alive connection to the server."""

    def __init__(self, base_url: str) -> None:
        import httpx2
        import modelport as mp
        import openai

        self.base_url = base_url
        self.url = base_url + "/chat/completions"
        self.auth = {"Authorization": f"Bearer {KEY}"}
        self.body = {"model": MODEL, "messages": MESSAGES, "temperature": 0}
        self.sbody = {**self.body, "stream": True, "stream_options": {"include_usage": True}}
        self.tbody = {**self.sbody, "model": THINK_MODEL}
        common = {"base_url": base_url, "api_key": KEY, "temperature": 0, "cache": "never"}
        self.mp = mp.LLM(f"openai-chat:{MODEL}", **common)
        self.mp_off = mp.LLM(f"openai-chat:{MODEL}", thinking=False, **common)
        self.mp_think = mp.LLM(f"openai-chat:{THINK_MODEL}", **common)
        self.mp_think_off = mp.LLM(f"openai-chat:{THINK_MODEL}", thinking=False, **common)
        # The same API over the stdlib http.client transport (the transport seam at work).
        self.mp_std = mp.LLM(f"openai-chat:{MODEL}", transport=mp.StdlibTransport(), **common)
        self.hx = httpx2.Client(timeout=60.0)
        self.oa = openai.OpenAI(base_url=base_url, api_key=KEY)

    def close(self) -> None:
        for llm in (self.mp, self.mp_off, self.mp_think, self.mp_think_off, self.mp_std):
            llm.close()
        self.hx.close()
        self.oa.close()

    # non-streamed: each returns the answer text
    def mp_complete(self) -> str:
        return str(self.mp.complete(PROMPT).text)

    def mp_std_complete(self) -> str:
        return str(self.mp_std.complete(PROMPT).text)

    def hx_complete(self) -> str:
        r = self.hx.post(self.url, json=self.body, headers=self.auth)
        return str(json.loads(r.content)["choices"][0]["message"]["content"])

    def oa_complete(self) -> str:
        r = self.oa.chat.completions.create(model=MODEL, messages=MESSAGES, temperature=0)
        return str(r.choices[0].message.content)

    # streamed: each returns what it saw (answer text, or a line count for the raw baseline)
    def hx_lines(self, body: dict[str, Any]) -> int:
        n = 0
        with self.hx.stream("POST", self.url, json=body, headers=self.auth) as r:
            for _ in r.iter_lines():
                n += 1
        return n

    def hx_bytes(self, body: dict[str, Any]) -> int:
        """What modelport's transport reads (``iter_bytes``): the HTTP stack's own floor."""
        n = 0
        with self.hx.stream("POST", self.url, json=body, headers=self.auth) as r:
            for chunk in r.iter_bytes():
                n += len(chunk)
        return n

    def hx_json(self, body: dict[str, Any]) -> str:
        parts = []
        loads = json.loads
        with self.hx.stream("POST", self.url, json=body, headers=self.auth) as r:
            for line in r.iter_lines():
                if line.startswith("data: ") and line != "data: [DONE]":
                    choices = loads(line[6:])["choices"]
                    if choices:
                        content = choices[0]["delta"].get("content")
                        if content:
                            parts.append(content)
        return "".join(parts)

    @staticmethod
    def mp_stream_with(llm: Any) -> tuple[str, str]:
        answer: list[str] = []
        reasoning: list[str] = []
        for ev in llm.stream(PROMPT):
            if ev.type == "answer":
                answer.append(ev.content)
            elif ev.type == "reasoning":
                reasoning.append(ev.content)
        return "".join(answer), "".join(reasoning)

    def oa_stream(self, model: str) -> str:
        parts = []
        stream = self.oa.chat.completions.create(
            model=model,
            messages=MESSAGES,
            temperature=0,
            stream=True,
            stream_options={"include_usage": True},
        )
        for chunk in stream:
            if chunk.choices:
                content = chunk.choices[0].delta.content
                if content:
                    parts.append(content)
        return "".join(parts)


# -- b. sequential non-streamed --------------------------------------------------------------


def bench_sequential(c: SyncClients, server: BenchServer, cfg: Config) -> dict[str, Any]:
    n = cfg.seq_requests
    say(
        f"b. non-streamed requests, sequential ({n} per round after {cfg.seq_warmup} warm-up, "
        f"median of {cfg.seq_rounds} rounds)"
    )
    clients: dict[str, Callable[[], str]] = {
        "raw httpx2 Client.post + json.loads": c.hx_complete,
        "modelport LLM.complete": c.mp_complete,
        "modelport LLM.complete, StdlibTransport": c.mp_std_complete,
        "openai SDK chat.completions.create": c.oa_complete,
    }
    answers = {name: fn() for name, fn in clients.items()}
    if len(set(answers.values())) != 1:
        say(f"  WARNING: clients disagree on the answer: {answers}")
    for fn in clients.values():
        for _ in range(cfg.seq_warmup):
            fn()

    def run(fn: Callable[[], str]) -> Callable[[], None]:
        def loop() -> None:
            for _ in range(n):
                fn()

        return loop

    wall: dict[str, list[float]] = {k: [] for k in clients}
    cpu: dict[str, list[float]] = {k: [] for k in clients}
    for r in range(cfg.seq_rounds):
        for name in rotated(list(clients), r):
            before = server.requests_served()
            w, p = timed(run(clients[name]))
            served = server.requests_served() - before - 1  # minus the stats request itself
            if served != n:
                say(f"  WARNING: {name}: {n} calls but the server saw {served} requests")
            wall[name].append(w / n)
            cpu[name].append(p / n)
    base = "raw httpx2 Client.post + json.loads"
    bc = median(cpu[base])
    rows = []
    res: dict[str, Any] = {"requests_per_round": n, "rounds": cfg.seq_rounds, "clients": {}}
    for name in clients:
        mw, mc = median(wall[name]), median(cpu[name])
        rw, rc = paired_ratio(wall[name], wall[base]), paired_ratio(cpu[name], cpu[base])
        res["clients"][name] = {
            "wall_us": mw * 1e6,
            "cpu_us": mc * 1e6,
            "wall_ratio": rw,
            "cpu_ratio": rc,
            "wall_noise": spread(wall[name]),
            "cpu_noise": spread(cpu[name]),
        }
        rows.append(
            [
                name,
                f"{mw * 1e6:.0f}",
                f"±{spread(wall[name]):.0%}",
                f"{mc * 1e6:.0f}",
                f"±{spread(cpu[name]):.0%}",
                f"{rw:.2f}x",
                f"{rc:.2f}x",
            ]
        )
    say(
        table(
            [
                "client",
                "wall µs/req",
                "noise",
                "CPU µs/req",
                "noise",
                "wall vs raw",
                "CPU vs raw",
            ],
            rows,
        )
    )
    mpr = res["clients"]["modelport LLM.complete"]
    say(
        f"  modelport overhead over raw httpx2: {(mpr['cpu_us'] - bc * 1e6):+.0f} µs CPU/req "
        f"(target <= {TARGETS['request_ratio']}x raw)"
    )
    return res


# -- c. streams ----------------------------------------------------------------------------


def bench_streams(c: SyncClients, cfg: Config) -> dict[str, Any]:
    k = cfg.streams_per_round
    say(
        f"c. stream throughput, {CHUNKS} content chunks per stream ({k} streams x "
        f"{cfg.stream_rounds} rounds per client, median)"
    )
    expected_lines = 2 * (CHUNKS + 4)  # role, content..., finish, usage, [DONE]; + blank lines
    plain: dict[str, Callable[[], object]] = {
        "raw httpx2 iter_lines (baseline)": lambda: c.hx_lines(c.sbody),
        "raw httpx2 iter_bytes (no line split)": lambda: c.hx_bytes(c.sbody),
        "raw httpx2 iter_lines + json.loads": lambda: c.hx_json(c.sbody),
        "modelport stream()": lambda: c.mp_stream_with(c.mp),
        "modelport stream(), thinking=False": lambda: c.mp_stream_with(c.mp_off),
        "modelport stream(), StdlibTransport": lambda: c.mp_stream_with(c.mp_std),
        "openai SDK stream=True": lambda: c.oa_stream(MODEL),
    }
    think: dict[str, Callable[[], object]] = {
        "think: raw httpx2 iter_lines": lambda: c.hx_lines(c.tbody),
        "think: modelport stream(), parser on": lambda: c.mp_stream_with(c.mp_think),
        "think: modelport stream(), thinking=False": lambda: c.mp_stream_with(c.mp_think_off),
    }
    clients = {**plain, **think}

    # correctness first: a fast wrong answer is not a result
    raw_text = c.hx_json(c.sbody)
    lines = c.hx_lines(c.sbody)
    if lines != expected_lines:
        say(f"  WARNING: expected {expected_lines} SSE lines, got {lines}")
    mp_answer, _ = c.mp_stream_with(c.mp)
    if mp_answer.strip() != raw_text.strip() or c.oa_stream(MODEL) != raw_text:
        say("  WARNING: modelport / openai stream text differs from the raw stream")
    t_answer, t_reason = c.mp_stream_with(c.mp_think)
    off_answer, _ = c.mp_stream_with(c.mp_think_off)
    if "think>" in t_answer or not t_reason or "</think>" not in off_answer:
        say("  WARNING: the thinking stream was not split as expected")

    for fn in clients.values():  # warm-up
        for _ in range(2):
            fn()
    wall: dict[str, list[float]] = {name: [] for name in clients}
    cpu: dict[str, list[float]] = {name: [] for name in clients}
    for r in range(cfg.stream_rounds):
        for name in rotated(list(clients), r):
            for _ in range(k):
                w, p = timed(clients[name])
                wall[name].append(w)
                cpu[name].append(p)

    res: dict[str, Any] = {"chunks": CHUNKS, "streams": k * cfg.stream_rounds, "clients": {}}
    rows = []
    for group_base, group in (
        ("raw httpx2 iter_lines (baseline)", plain),
        ("think: raw httpx2 iter_lines", think),
    ):
        for name in group:
            mw, mc = median(wall[name]), median(cpu[name])
            # speed relative to the baseline: > 1 is faster (the baseline's time / this time)
            speed = 1 / paired_ratio(wall[name], wall[group_base], k)
            cpu_speed = 1 / paired_ratio(cpu[name], cpu[group_base], k)
            res["clients"][name] = {
                "chunks_per_s": CHUNKS / mw,
                "wall_ms": mw * 1e3,
                "cpu_us_per_chunk": mc / CHUNKS * 1e6,
                "ratio": speed,
                "cpu_ratio": cpu_speed,
                "wall_noise": spread(wall[name]),
            }
            rows.append(
                [
                    name,
                    f"{CHUNKS / mw:,.0f}",
                    f"{mw * 1e3:.1f}",
                    f"±{spread(wall[name]):.0%}",
                    f"{mc / CHUNKS * 1e6:.1f}",
                    f"{speed:.2f}x",
                    f"{cpu_speed:.2f}x",
                ]
            )
    say(
        table(
            [
                "client",
                "chunks/s",
                "ms/stream",
                "noise",
                "CPU µs/chunk",
                "speed vs raw lines",
                "by CPU",
            ],
            rows,
        )
    )
    # The parser's cost is a few percent, within the noise of separate medians, so it is
    # measured again in pairs: parser on, then off, back to back; the median of the pairs'
    # ratios cancels drift that hits both halves of a pair alike. CPU time, not wall time:
    # what the parser adds is client work.
    pairs = cfg.stream_rounds * k * 2
    res["thinking_cost"] = {}
    on_off = [
        (
            "tagged stream",
            think["think: modelport stream(), parser on"],
            think["think: modelport stream(), thinking=False"],
        ),
        ("plain stream", plain["modelport stream()"], plain["modelport stream(), thinking=False"]),
    ]
    for label, on_fn, off_fn in on_off:
        ratios = []
        for i in range(pairs):
            first, second = (on_fn, off_fn) if i % 2 == 0 else (off_fn, on_fn)
            a, b = timed(first)[1], timed(second)[1]
            on_cpu, off_cpu = (a, b) if i % 2 == 0 else (b, a)
            ratios.append(on_cpu / off_cpu)
        cost = median(ratios) - 1
        res["thinking_cost"][label] = cost
        say(
            f"  thinking parser cost on the {label}: {cost:+.1%} CPU (median of {pairs} on/off "
            f"pairs, ±{spread(ratios):.0%}; target <= {TARGETS['thinking_cost']:.0%})"
        )
    return res


def bench_thinking_micro(cfg: Config) -> dict[str, Any]:
    """The parser in isolation (bench/bench_thinking.py, written separately): ns per chunk."""
    script = BENCH / "bench_thinking.py"
    say(f"c'. thinking parser micro-benchmark ({script.name} --repeat {cfg.thinking_repeat})")
    if not script.exists():
        say("  (not present)")
        return {"status": "missing"}
    try:
        out = subprocess.run(
            [sys.executable, str(script), "--repeat", str(cfg.thinking_repeat)],
            capture_output=True,
            text=True,
            timeout=300,
            cwd=ROOT,
        )
    except subprocess.TimeoutExpired:
        say("  timed out")
        return {"status": "timeout"}
    text = out.stdout.rstrip()
    for line in text.splitlines():
        say("  " + line)
    if out.returncode != 0:
        tail = out.stderr.strip().splitlines()[-1:] or ["?"]
        say(f"  failed (exit {out.returncode}): {tail[0]}")
        return {"status": "failed", "stderr": out.stderr[-2000:]}
    return {"status": "ok", "output": text}


# -- d. concurrency ------------------------------------------------------------------------


async def _bench_concurrent(base_url: str, cfg: Config) -> dict[str, Any]:
    import httpx2
    import modelport as mp
    import openai

    limits = httpx2.Limits(**POOL)
    llm = mp.LLM(
        f"openai-chat:{MODEL}", base_url=base_url, api_key=KEY, temperature=0, cache="never"
    )
    hx = httpx2.AsyncClient(limits=limits, timeout=60.0)
    oa = openai.AsyncOpenAI(
        base_url=base_url,
        api_key=KEY,
        http_client=openai.DefaultAsyncHttpx2Client(limits=limits, timeout=60.0),
    )
    url = base_url + "/chat/completions"
    body = {"model": MODEL, "messages": MESSAGES, "temperature": 0}
    auth = {"Authorization": f"Bearer {KEY}"}

    async def mp_one() -> str:
        return str((await llm.acomplete(PROMPT)).text)

    async def hx_one() -> str:
        r = await hx.post(url, json=body, headers=auth)
        return str(json.loads(r.content)["choices"][0]["message"]["content"])

    async def oa_one() -> str:
        r = await oa.chat.completions.create(model=MODEL, messages=MESSAGES, temperature=0)
        return str(r.choices[0].message.content)

    clients: dict[str, Callable[[], Awaitable[str]]] = {
        "raw httpx2 AsyncClient": hx_one,
        "modelport acomplete": mp_one,
        "openai AsyncOpenAI": oa_one,
    }

    def batch(one: Callable[[], Awaitable[str]]) -> Callable[[], Awaitable[list[str]]]:
        async def run() -> list[str]:
            return await asyncio.gather(*(one() for _ in range(CONCURRENCY)))

        return run

    try:
        for name, one in clients.items():  # warm-up: opens the pool's connections
            for _ in range(2):
                got = await batch(one)()
                if len(got) != CONCURRENCY or len(set(got)) != 1:
                    say(f"  WARNING: {name} returned unexpected answers")
        wall: dict[str, list[float]] = {name: [] for name in clients}
        cpu: dict[str, list[float]] = {name: [] for name in clients}
        for r in range(cfg.conc_rounds):
            for name in rotated(list(clients), r):
                w, p = await atimed(batch(clients[name]))
                wall[name].append(w)
                cpu[name].append(p)
    finally:
        await llm.aclose()
        await hx.aclose()
        await oa.close()
    base = "raw httpx2 AsyncClient"
    res: dict[str, Any] = {"concurrency": CONCURRENCY, "rounds": cfg.conc_rounds, "clients": {}}
    rows = []
    for name in clients:
        mw, mc = median(wall[name]), median(cpu[name])
        rw, rc = paired_ratio(wall[name], wall[base]), paired_ratio(cpu[name], cpu[base])
        res["clients"][name] = {
            "wall_ms": mw * 1e3,
            "cpu_ms": mc * 1e3,
            "req_per_s": CONCURRENCY / mw,
            "wall_ratio": rw,
            "cpu_ratio": rc,
            "wall_noise": spread(wall[name]),
        }
        rows.append(
            [
                name,
                f"{mw * 1e3:.1f}",
                f"±{spread(wall[name]):.0%}",
                f"{CONCURRENCY / mw:,.0f}",
                f"{mc * 1e3:.1f}",
                f"{rw:.2f}x",
                f"{rc:.2f}x",
            ]
        )
    say(
        table(
            ["client", "wall ms", "noise", "req/s", "CPU ms", "wall vs raw", "CPU vs raw"],
            rows,
        )
    )
    return res


def bench_concurrent(base_url: str, cfg: Config) -> dict[str, Any]:
    say(
        f"d. {CONCURRENCY} concurrent non-streamed requests (asyncio.gather; pools of "
        f"{POOL['max_connections']} connections; median of {cfg.conc_rounds} rounds)"
    )
    return asyncio.run(_bench_concurrent(base_url, cfg))


# -- e. modelport's own work, no I/O --------------------------------------------------------


class _MemoryResponse:
    """A recorded reply served from memory through the public ``transport=`` seam."""

    def __init__(self, chunks: list[bytes], streamed: bool) -> None:
        self.status = 200
        kind = "text/event-stream" if streamed else "application/json"
        self.headers = {"content-type": kind, "x-request-id": "req_bench"}
        self._chunks = chunks

    def iter_bytes(self) -> Any:
        return iter(self._chunks)

    def read(self) -> bytes:
        return b"".join(self._chunks)

    def close(self) -> None:
        pass

    def abort(self) -> None:
        pass


class _MemoryTransport:
    def __init__(self, whole: bytes, stream: list[bytes]) -> None:
        self.whole, self.stream = whole, stream

    def send(self, request: Any, timeouts: Any) -> _MemoryResponse:
        streamed = bool((getattr(request, "body", None) or {}).get("stream"))
        return _MemoryResponse(self.stream if streamed else [self.whole], streamed)

    async def asend(self, request: Any, timeouts: Any) -> Any:
        raise NotImplementedError

    def close(self) -> None:
        pass

    async def aclose(self) -> None:
        pass


def bench_no_io(cfg: Config) -> dict[str, Any]:
    """modelport's own CPU per request and per chunk, with the HTTP stack taken out.

    Over real sockets, modelport's work is interleaved with httpx2's and pays for it in CPU
    caches (the same decoder costs about twice as much per chunk there), so the figures in b and
    c mix both. These are the part modelport controls, on the same recorded bytes the server
    sends, each chunk as one read: the figure to watch for regressions in the core and plugin.
    """
    import _server
    import modelport as mp

    say("e. modelport's own work without I/O (in-memory transport, the server's exact bytes)")
    whole = _server.completion_body(MODEL)
    framed = _server.stream_events(MODEL, CHUNKS, False)[:-1]
    chunks = [ev.partition(b"\r\n")[2][:-2] for ev in framed]  # HTTP chunk framing removed
    transport = _MemoryTransport(whole, chunks)
    rows = []
    res: dict[str, Any] = {}
    reps, streams = cfg.no_io_requests, cfg.no_io_streams
    for label, kw in (("thinking on", {}), ("thinking=False", {"thinking": False})):
        llm = mp.LLM(
            f"openai-chat:{MODEL}",
            api_key=KEY,
            base_url="http://127.0.0.1:9/v1",
            temperature=0,
            cache="never",
            transport=transport,
            **kw,
        )

        def complete_many(llm: Any = llm) -> None:
            for _ in range(reps):
                llm.complete(PROMPT)

        def stream_many(llm: Any = llm) -> None:
            for _ in range(streams):
                for _ev in llm.stream(PROMPT):
                    pass

        text = llm.complete(PROMPT).text
        answer = "".join(ev.content for ev in llm.stream(PROMPT) if ev.type == "answer")
        if text != _server.ANSWER or len(answer) < CHUNKS:
            say(f"  WARNING: unexpected output through the in-memory transport ({label})")
        complete_many()
        stream_many()
        per_req = median([timed(complete_many)[1] / reps for _ in range(cfg.seq_rounds)])
        per_chunk = median(
            [timed(stream_many)[1] / streams / CHUNKS for _ in range(cfg.stream_rounds)]
        )
        res[label] = {"cpu_us_per_request": per_req * 1e6, "cpu_us_per_chunk": per_chunk * 1e6}
        rows.append([f"modelport, {label}", f"{per_req * 1e6:.1f}", f"{per_chunk * 1e6:.2f}"])
    loads = json.loads
    payloads = [c[6:].decode().rstrip() for c in chunks if c.startswith(b"data: {")]

    def loads_chunks() -> None:
        for _ in range(5):
            for p in payloads:
                loads(p)

    json_s = median([timed(loads_chunks)[1] / 5 / len(payloads) for _ in range(7)])
    whole_s = median([timed(lambda: [loads(whole) for _ in range(reps)])[1] / reps])
    rows.append(["json.loads only (for scale)", f"{whole_s * 1e6:.1f}", f"{json_s * 1e6:.2f}"])
    res["json_loads"] = {"us_per_body": whole_s * 1e6, "us_per_chunk": json_s * 1e6}
    say(table(["", "CPU µs per complete()", "CPU µs per stream chunk"], rows))
    return res


# -- profiling (optional) ------------------------------------------------------------------


def profile(c: SyncClients, n: int) -> None:
    """Where modelport's per-request and per-chunk time goes, for whoever optimizes it next."""
    import cProfile
    import pstats

    for title, fn, reps in (
        ("modelport LLM.complete", c.mp_complete, n),
        ("modelport stream() of 1000 chunks", lambda: c.mp_stream_with(c.mp), max(3, n // 50)),
    ):
        for _ in range(10):
            fn()
        prof = cProfile.Profile(time.process_time)  # CPU, not time blocked in recv
        prof.enable()
        for _ in range(reps):
            fn()
        prof.disable()
        stats = pstats.Stats(prof)
        areas: dict[str, float] = {}
        for (filename, _line, _func), row in stats.stats.items():  # type: ignore[attr-defined]
            area = _area(filename)
            areas[area] = areas.get(area, 0.0) + row[2]  # row[2]: own time
        total = sum(areas.values())
        say(f"profile: {title} x {reps}; own time by area (profiler overhead inflates all)")
        rows = [
            [area, f"{t / reps * 1e6:.0f}", f"{t / total:.0%}"]
            for area, t in sorted(areas.items(), key=lambda kv: -kv[1])
        ]
        say(table(["area", "µs per call", "share"], rows))
        say(f"profile: {title}, top 20 functions by own time")
        stats.sort_stats("tottime").print_stats(20)


def _area(filename: str) -> str:
    """Which layer a profiled function belongs to, to tell modelport's cost from httpx2's."""
    path = filename.replace("\\", "/")
    for marker, area in (
        ("/modelport_openai_chat/", "modelport openai-chat plugin"),
        ("/modelport/", "modelport core"),
        ("/httpx2/", "httpx2 + httpcore2 + h11"),
        ("/httpcore2/", "httpx2 + httpcore2 + h11"),
        ("/h11/", "httpx2 + httpcore2 + h11"),
        ("/pydantic", "pydantic"),
        ("/pluggy/", "pluggy"),
    ):
        if marker in path:
            return area
    if filename == "~":
        return "C builtins (socket, json, str, ...)"
    return "stdlib (Python)"


# -- summary -------------------------------------------------------------------------------


def summary(results: dict[str, Any]) -> None:
    rows: list[list[str]] = []

    def verdict(ok: bool) -> str:
        return "ok" if ok else "MISSED"

    imp = results.get("imports")
    if imp:
        t = imp["statements"]["import modelport"]["import_s"]
        rows.append(
            [
                "import modelport",
                f"<= {TARGETS['import']} s",
                f"{t:.3f} s",
                verdict(t <= TARGETS["import"]),
            ]
        )
        bad = imp["forbidden_found"]
        rows.append(
            [
                "no httpx2/openai/botocore at import",
                "none",
                ",".join(bad) or "none",
                verdict(not bad),
            ]
        )
    seq = results.get("sequential")
    if seq:
        m = seq["clients"]["modelport LLM.complete"]
        o = seq["clients"]["openai SDK chat.completions.create"]
        goal = TARGETS["request_ratio"]
        rows.append(
            [
                "request overhead, CPU vs raw httpx2",
                f"<= {goal}x",
                f"{m['cpu_ratio']:.2f}x (openai {o['cpu_ratio']:.2f}x)",
                verdict(m["cpu_ratio"] <= goal),
            ]
        )
        rows.append(
            [
                "request time, wall vs raw httpx2",
                f"<= {goal}x",
                f"{m['wall_ratio']:.2f}x (openai {o['wall_ratio']:.2f}x)",
                verdict(m["wall_ratio"] <= goal),
            ]
        )
        ms = seq["clients"]["modelport LLM.complete, StdlibTransport"]
        rows.append(
            [
                "  same, StdlibTransport (CPU)",
                f"<= {goal}x",
                f"{ms['cpu_ratio']:.2f}x",
                verdict(ms["cpu_ratio"] <= goal),
            ]
        )
    st = results.get("streams")
    if st:
        m = st["clients"]["modelport stream()"]
        o = st["clients"]["openai SDK stream=True"]
        goal = TARGETS["stream_ratio"]
        rows.append(
            [
                "stream chunks/s vs raw iter_lines",
                f">= {goal}x",
                f"{m['ratio']:.2f}x (openai {o['ratio']:.2f}x)",
                verdict(m["ratio"] >= goal),
            ]
        )
        ms = st["clients"]["modelport stream(), StdlibTransport"]
        rows.append(
            [
                "  same, StdlibTransport",
                f">= {goal}x",
                f"{ms['ratio']:.2f}x",
                verdict(ms["ratio"] >= goal),
            ]
        )
        cost = st["thinking_cost"]["tagged stream"]
        rows.append(
            [
                "thinking parser cost (tagged stream)",
                f"<= {TARGETS['thinking_cost']:.0%}",
                f"{cost:+.1%}",
                verdict(cost <= TARGETS["thinking_cost"]),
            ]
        )
    conc = results.get("concurrent")
    if conc:
        m = conc["clients"]["modelport acomplete"]
        o = conc["clients"]["openai AsyncOpenAI"]
        rows.append(
            [
                f"{CONCURRENCY} concurrent, wall vs raw httpx2",
                "(no target)",
                f"{m['wall_ratio']:.2f}x (openai {o['wall_ratio']:.2f}x)",
                "",
            ]
        )
    no_io = results.get("no_io")
    if no_io:
        on = no_io["thinking on"]
        rows.append(
            [
                "modelport own CPU, no I/O",
                "(no target)",
                f"{on['cpu_us_per_request']:.0f} µs/req, {on['cpu_us_per_chunk']:.1f} µs/chunk",
                "",
            ]
        )
    if rows:
        say("summary (targets from issues 2 and 4; figures, not assertions)")
        say(table(["measure", "target", "measured", ""], rows))


# -- main ----------------------------------------------------------------------------------


def versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for dist in ("modelport", "modelport-openai-chat", "httpx2", "openai", "pydantic"):
        try:
            out[dist] = version(dist)
        except PackageNotFoundError:
            out[dist] = "not installed"
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="few iterations (CI smoke run)")
    ap.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    ap.add_argument(
        "--sections", default="a,b,c,d,e", help="comma-separated subset of a,b,c,d,e (default all)"
    )
    ap.add_argument(
        "--profile", action="store_true", help="then cProfile modelport's request and stream"
    )
    args = ap.parse_args(argv)
    cfg = QUICK if args.quick else FULL
    sections = {s.strip() for s in args.sections.split(",") if s.strip()}
    started = time.perf_counter()
    meta = {
        **versions(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "quick": args.quick,
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    say(
        "modelport bench: "
        + ", ".join(f"{k} {v}" for k, v in meta.items() if k not in ("started", "platform"))
    )
    results: dict[str, Any] = {"meta": meta, "targets": TARGETS}
    if "a" in sections:
        say()
        results["imports"] = bench_imports(cfg)
    if sections & {"b", "c", "d"} or args.profile:
        server = BenchServer()
        say(f"server: {server.base_url} (pid {server.proc.pid})")
        try:
            clients = SyncClients(server.base_url)
            try:
                if "b" in sections:
                    say()
                    results["sequential"] = bench_sequential(clients, server, cfg)
                if "c" in sections:
                    say()
                    results["streams"] = bench_streams(clients, cfg)
                    say()
                    results["thinking_micro"] = bench_thinking_micro(cfg)
                if "d" in sections:
                    say()
                    results["concurrent"] = bench_concurrent(server.base_url, cfg)
                if args.profile:
                    say()
                    profile(clients, 40 if args.quick else 500)
            finally:
                clients.close()
        finally:
            server.stop()
    if "e" in sections:
        from bench_steps import bench_steps

        say()
        results["no_io"] = bench_no_io(cfg)
        say()
        results["steps"] = bench_steps(args.quick)
    say()
    summary(results)
    elapsed = time.perf_counter() - started
    results["meta"]["elapsed_s"] = elapsed
    say(f"\ntotal {elapsed:.0f} s")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
        say(f"results written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
