"""L2 cache hit latency: ``DynamoDBCache.get`` against a direct botocore ``get_item``.

Both read the same item from the same moto server (``python -m moto.server``, started here in
its own process on 127.0.0.1 and stopped by PID), through the same kind of botocore client, so
the difference is what the backend adds: building the request, the expiry check, decompressing
and JSON-decoding the entry. Two entries: a typical ~1.5 KB response (stored compressed, over
the 1 KB default threshold) and a small one stored as a plain string. The calls alternate in
rounds so drift on a shared machine hits both alike; the figures are medians. No assertions.

Fake credentials only (the server is local): real AWS variables are overridden for this process.

    python bench/bench_cache_l2.py [--n 200]
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import time
import timeit
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "core" / "src"))
sys.path.insert(0, str(ROOT / "plugins" / "dynamodb-cache" / "src"))

os.environ.update(
    AWS_ACCESS_KEY_ID="testing",
    AWS_SECRET_ACCESS_KEY="testing",
    AWS_DEFAULT_REGION="us-east-1",
    AWS_EC2_METADATA_DISABLED="true",
)
for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB"):
    os.environ.pop(name, None)

from modelport_dynamodb_cache import DynamoDBCache
from modelport_dynamodb_cache._items import decode_item

TABLE = "modelport-bench"
TYPICAL: dict[str, Any] = {
    "text": "The capital of France is Paris. " * 30,
    "reasoning": "The user asks a geography question; the answer is well known. " * 4,
    "tool_calls": [],
    "structured": None,
    "finish_reason": "stop",
    "usage": {"input_tokens": 31, "output_tokens": 240, "cached_tokens": 0},
    "model": "gpt-4o-mini-2024-07-18",
    "provider": "openai-chat",
    "created_at": 1769546683.25,
    "provider_metadata": {"id": "chatcmpl-Bench0123456789", "system_fingerprint": "fp_0123"},
}
SMALL: dict[str, Any] = {"text": "4", "finish_reason": "stop", "usage": {"output_tokens": 1}}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_moto() -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    cmd = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            with urllib.request.urlopen(url + "/moto-api/", timeout=1) as r:
                if r.status == 200:
                    return proc, url
        except (urllib.error.URLError, OSError):
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("moto server did not start (pip install 'moto[server]')")


def median_us(samples: list[float]) -> float:
    return statistics.median(samples) * 1e6


def measure(backend: DynamoDBCache, raw: Any, key: str, n: int) -> tuple[float, float]:
    params = {"TableName": TABLE, "Key": {"cache_key": {"S": key}}}
    for _ in range(20):  # warm up: connections, code paths
        backend.get(key)
        raw.get_item(**params)
    ours: list[float] = []
    direct: list[float] = []
    clock = time.perf_counter
    for i in range(n):
        for which in (0, 1) if i % 2 == 0 else (1, 0):
            t0 = clock()
            if which == 0:
                hit = backend.get(key)
                ours.append(clock() - t0)
                assert hit is not None
            else:
                out = raw.get_item(**params)
                direct.append(clock() - t0)
                assert "Item" in out
    return median_us(ours), median_us(direct)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--n", type=int, default=200)
    args = ap.parse_args()

    proc, url = start_moto()
    try:
        import botocore.session

        backend = DynamoDBCache(TABLE, endpoint_url=url, create_table=True)
        backend.set("typical", TYPICAL, 3600)
        backend.set("small", SMALL, 3600)
        raw = botocore.session.get_session().create_client(
            "dynamodb", region_name="us-east-1", endpoint_url=url
        )
        print(f"L2 hit latency against moto on loopback, median of {args.n}")
        print(f"  {'entry':<26}{'DynamoDBCache.get':>18}{'botocore get_item':>19}{'ratio':>8}")
        entries = (("typical", "typical (~1.5 KB, zlib)"), ("small", "small (JSON string)"))
        for key, label in entries:
            ours, direct = measure(backend, raw, key, args.n)
            print(f"  {label:<26}{ours:>15.0f} us{direct:>16.0f} us{ours / direct:>7.2f}x")
        print("  the backend's own work per hit (decode_item: expiry check, zlib, JSON):")
        for key, label in entries:
            item = raw.get_item(TableName=TABLE, Key={"cache_key": {"S": key}})["Item"]
            timer = timeit.Timer(
                lambda item=item: decode_item(item, now=time.time(), ttl_attribute="expires_at")
            )
            loops, _ = timer.autorange()
            best = min(timer.repeat(5, loops)) / loops * 1e6
            print(f"  {label:<26}{best:>15.1f} us")
        raw.close()
        backend.close()
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


if __name__ == "__main__":
    main()
