"""The Redis limit backend's costs and accuracy, measured in one run (ratios and rates).

1. Cost per request when nothing has to wait: the in-process limiter (enqueue granted at once,
   release) against the same through ``Limits(backend=RedisLimits(...))`` (a grant from the
   worker thread, then the release), against the backend's own acquire + release called
   directly (two scripts), against one raw ``EVALSHA`` round trip of a script that does
   nothing: the floor of any Redis-backed limit.
2. Throughput held at a configured requests-per-minute by two processes sharing one budget in
   Redis: once both are ready, the bucket is drained (its burst), then both call the local
   bench server as fast as the limit lets them; the rate of the steady second half, summed
   over both, is what the shared limit promises.

Starts its own redis-server (``../shared/peers/redis-server.sh`` says where it is; installs it
when missing) on a free loopback port, and stops it by its PID.

    python bench/bench_redis.py [--rpm 1200] [--seconds 4]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import modelport as mp
from modelport._limits import BackedLimiter, Limiter, limit_scope
from modelport_redis import RedisLimits
from run import BenchServer

ROOT = Path(__file__).resolve().parents[1]
MODEL = "openai-chat:gpt-4o-mini"


# -- a redis-server of our own -------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def start_redis(workdir: str) -> tuple[subprocess.Popen[bytes], str]:
    script = ROOT.parent / "shared" / "peers" / "redis-server.sh"
    out = subprocess.run(["bash", str(script)], capture_output=True, text=True, timeout=300)
    binary = [ln for ln in out.stdout.splitlines() if ln.startswith("REDIS_SERVER=")][-1]
    port = _free_port()
    proc = subprocess.Popen(
        [
            *(binary.split("=", 1)[1], "--bind", "127.0.0.1", "--port", str(port)),
            *("--save", "", "--appendonly", "no", "--dir", workdir, "--daemonize", "no"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(200):  # bounded: 200 x 25 ms
        if _ping(port):
            return proc, f"redis://127.0.0.1:{port}/0"
        time.sleep(0.025)
    os.kill(proc.pid, signal.SIGKILL)
    raise RuntimeError("redis-server did not start")


# -- 1. cost per request -------------------------------------------------------------------------


def per_call(fn: object, n: int) -> float:
    assert callable(fn)
    start = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - start) / n


def costs(url: str) -> dict[str, float]:
    unbound = mp.Limits(max_concurrency=64, requests_per_minute=1e9, tokens_per_minute=1e12)
    local = Limiter(unbound)
    noop = lambda: None  # noqa: E731
    out = {"local": per_call(lambda: local.release(local.enqueue(100, noop), 50), 200_000)}

    backend = RedisLimits(url, prefix="bench-cost")
    client = backend.client()
    sha = client.script_load("return 1")
    client.evalsha(sha, 0)
    out["evalsha"] = per_call(lambda: client.evalsha(sha, 0), 3000)

    limits = dataclasses.replace(unbound, backend=backend)
    counter = iter(range(10**9))

    def direct() -> None:
        holder = f"h{next(counter)}"
        backend.acquire("direct", holder, limits, 100, 15.0)
        backend.release("direct", holder, limits, 50)

    out["backend"] = per_call(direct, 2000)

    backed = BackedLimiter(limits, limit_scope("p", "u", "m", limits), backend)
    event = threading.Event()

    def through_core() -> None:
        event.clear()
        ticket = backed.enqueue(100, event.set)
        while backed.poll(ticket) != 0.0:
            event.wait(5)
            event.clear()
        backed.release(ticket, 50)

    through_core()  # the worker thread starts
    out["backed"] = per_call(through_core, 2000)
    return out


# -- 2. held rate across two processes -----------------------------------------------------------


async def child(base_url: str, url: str, prefix: str, rpm: float, calls: int) -> list[float]:
    limits = mp.Limits(requests_per_minute=rpm, backend=RedisLimits(url, prefix=prefix))
    async with mp.LLM(
        MODEL, base_url=base_url, api_key="sk-x", cache="never", limits=limits
    ) as llm:
        print("ready", flush=True)
        sys.stdin.readline()  # the parent drained the bucket: go
        ends: list[float] = []

        async def one() -> None:
            await llm.acomplete("hi", max_tokens=1)
            ends.append(time.time())

        await asyncio.gather(*(one() for _ in range(calls)))
    return ends


def held_rate(base_url: str, url: str, rpm: float, seconds: float) -> tuple[int, float]:
    prefix = "bench-rate"
    backend = RedisLimits(url, prefix=prefix)
    limits = mp.Limits(requests_per_minute=rpm, backend=backend)
    scope = limit_scope("openai-chat", base_url, "gpt-4o-mini", limits)
    calls = max(6, int(rpm / 60 * seconds / 2))
    argv = [sys.executable, __file__, "--child", base_url, url, prefix, repr(rpm), str(calls)]
    procs = [
        subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    for proc in procs:  # both imported and built their LLM
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    # Drain the burst (a full bucket is one minute's worth) right before they start, so that
    # every call measured waits for the refill.
    for i in range(int(rpm) * 2):
        if not backend.acquire(scope, f"burst{i}", limits, 1, 15.0).granted:
            break
    ends: list[float] = []
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.write("go\n")
        proc.stdin.flush()
    for proc in procs:
        out, _ = proc.communicate(timeout=120)
        ends += json.loads(out.strip().splitlines()[-1])
    ends.sort()
    half = ends[len(ends) // 2 :]  # steady: both processes compete for every refill
    return len(half) - 1, half[-1] - half[0]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rpm", type=float, default=1200.0)
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--child", nargs=5, metavar="ARG")
    args = parser.parse_args()
    if args.child:
        base_url, url, prefix, rpm, calls = args.child
        print(json.dumps(asyncio.run(child(base_url, url, prefix, float(rpm), int(calls)))))
        return 0
    with tempfile.TemporaryDirectory() as workdir:
        redis_proc, url = start_redis(workdir)
        try:
            c = costs(url)
            server = BenchServer()
            try:
                intervals, elapsed = held_rate(server.base_url, url, args.rpm, args.seconds)
            finally:
                server.stop()
        finally:
            os.kill(redis_proc.pid, signal.SIGTERM)
            redis_proc.wait(timeout=10)
    print("limiter cost per request, no wait (acquire + release)")
    print(f"  in-process Limiter:            {c['local'] * 1e6:8.2f} µs")
    print(f"  raw EVALSHA round trip:        {c['evalsha'] * 1e6:8.2f} µs (the floor)")
    print(
        f"  RedisLimits acquire + release: {c['backend'] * 1e6:8.2f} µs "
        f"({c['backend'] / c['evalsha']:.1f}x one EVALSHA; two scripts)"
    )
    print(
        f"  through the core (worker):     {c['backed'] * 1e6:8.2f} µs "
        f"({c['backed'] / c['evalsha']:.1f}x one EVALSHA, {c['backed'] / c['local']:.0f}x local)"
    )
    achieved = intervals / elapsed * 60
    print(f"held rate at requests_per_minute={args.rpm:g}, 2 processes sharing one Redis budget")
    print(
        f"  {intervals} intervals in {elapsed:.2f} s = {achieved:.0f} per minute "
        f"({achieved / args.rpm:.3f}x the limit)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
