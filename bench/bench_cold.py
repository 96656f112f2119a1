"""Cold start: a fresh interpreter's import, client construction and first request, per client.

Each sample is a new Python process (the first run of each client only warms the .pyc files
and the OS page cache, and is discarded) against the one loopback bench server; the figure is
the median, measured inside the child from before its first import to the first answer, so
interpreter start-up (the same for every client) is left out. Then where modelport's cold start
goes: ``python -X importtime`` of the same first call, its import time summed by top-level
package, and ``import modelport`` alone (target < 40 ms).

Every row is shown against raw httpx2's sync first request (the issue's baseline) and against
the raw client making the same kind of call: modelport's sync call against raw httpx2's sync
one, its async call on httpx2 against raw httpx2's async one (``AsyncClient`` in
``asyncio.run``: both pay for asyncio and httpx2's async stack), its async call on aiohttp
against raw aiohttp. The verdict takes the worse of the sync and async httpx2 rows.

    python bench/bench_cold.py [--reps N]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import re
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_aiohttp import LITELLM, MP_AIO, MP_HX, OPENAI, RAW_AIO, RAW_HX
from run import KEY, MODEL, BenchServer, rotated, say, table

MP_SYNC = "modelport, sync (httpx2)"
RAW_HX_ASYNC = "raw httpx2, async"
_BODY = "{'model': %r, 'messages': [{'role': 'user', 'content': 'hi'}]}" % MODEL  # noqa: UP031
CLIENTS: dict[str, str] = {
    RAW_HX: (
        "import httpx2, json\n"
        "with httpx2.Client() as c:\n"
        f"    r = c.post(URL + '/chat/completions', json={_BODY}, headers={{'Authorization': "
        f"'Bearer {KEY}'}})\n"
        "    json.loads(r.content)['choices'][0]['message']['content']\n"
    ),
    RAW_HX_ASYNC: (
        "import asyncio, httpx2, json\n"
        "async def main():\n"
        "    async with httpx2.AsyncClient() as c:\n"
        f"        r = await c.post(URL + '/chat/completions', json={_BODY}, headers={{"
        f"'Authorization': 'Bearer {KEY}'}})\n"
        "        json.loads(r.content)['choices'][0]['message']['content']\n"
        "asyncio.run(main())\n"
    ),
    RAW_AIO: (
        "import asyncio, json, aiohttp\n"
        "async def main():\n"
        "    async with aiohttp.ClientSession() as s:\n"
        f"        async with s.post(URL + '/chat/completions', json={_BODY}, "
        f"headers={{'Authorization': 'Bearer {KEY}'}}) as r:\n"
        "            json.loads(await r.read())['choices'][0]['message']['content']\n"
        "asyncio.run(main())\n"
    ),
    MP_HX: (
        "import asyncio, modelport as mp\n"
        "async def main():\n"
        f"    async with mp.LLM('openai-chat:{MODEL}', base_url=URL, api_key='{KEY}', "
        "cache='never') as llm:\n"
        "        (await llm.acomplete('hi')).text\n"
        "asyncio.run(main())\n"
    ),
    MP_SYNC: (
        "import modelport as mp\n"
        f"with mp.LLM('openai-chat:{MODEL}', base_url=URL, api_key='{KEY}', "
        "cache='never') as llm:\n"
        "    llm.complete('hi').text\n"
    ),
    MP_AIO: (
        "import asyncio, modelport as mp\n"
        "async def main():\n"
        f"    async with mp.LLM('openai-chat:{MODEL}', base_url=URL, api_key='{KEY}', "
        "cache='never', transport='aiohttp') as llm:\n"
        "        (await llm.acomplete('hi')).text\n"
        "asyncio.run(main())\n"
    ),
    OPENAI: (
        "import openai\n"
        f"c = openai.OpenAI(base_url=URL, api_key='{KEY}')\n"
        f"c.chat.completions.create(model='{MODEL}', messages=[{{'role': 'user', "
        "'content': 'hi'}]).choices[0].message.content\n"
    ),
}
LITELLM_CODE = (
    "import litellm\n"
    f"litellm.completion(model='openai/{MODEL}', api_base=URL, api_key='{KEY}', "
    "messages=[{'role': 'user', 'content': 'hi'}]).choices[0].message.content\n"
)
BASE = RAW_HX
# Like for like: each modelport row against the raw client doing the same kind of first call.
LIKE = {MP_SYNC: RAW_HX, MP_HX: RAW_HX_ASYNC, MP_AIO: RAW_AIO}
TARGET = 1.3  # modelport's cold start / raw httpx2's (issue 12, item 5)
IMPORT_TARGET_MS = 40.0


def child_env() -> dict[str, str]:
    """The children's environment, with bytecode caching on.

    An installed package has its ``.pyc`` files (pip compiles them at install); a source
    checkout gets them on its first import, which the discarded warm-up sample is for. With
    ``PYTHONDONTWRITEBYTECODE`` set (as on this project's machines) every sample would compile
    modelport's modules from source again, a cost no installed user pays and raw httpx2 (from
    site-packages, compiled) does not pay here either.
    """
    return {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def _child(code: str, url: str, importtime: bool = False) -> tuple[float, str]:
    """(ms from the first import to the answer, the child's stderr)."""
    # Only LiteLLM's child sees the peers' folder (bench_targets.py): other packages there (h2,
    # say) would change what httpx2 and the rest import.
    extra = os.environ.get("MODELPORT_BENCH_PEERS_PATH") if code is LITELLM_CODE else None
    path = f"import sys; sys.path.append({extra!r})\n" if extra else ""
    wrapped = (
        f"import time\n{path}URL = {url!r}\nt0 = time.perf_counter()\n{code}"
        "print((time.perf_counter() - t0) * 1e3)\n"
    )
    flags = ["-X", "importtime"] if importtime else []
    out = subprocess.run(
        [sys.executable, *flags, "-c", wrapped],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        env=child_env(),
    )
    return float(out.stdout.strip().splitlines()[-1]), out.stderr


# modelport modules that define its boundary types (records since issue 12; pydantic before).
PYDANTIC_TYPES = (
    "modelport._record",
    "modelport._response",
    "modelport._messages",
    "modelport._parts",
    "modelport._request",
)


def import_breakdown(stderr: str) -> dict[str, float]:
    """Self import time (ms) summed by top-level package, from ``-X importtime`` output; the
    modules that define modelport's boundary types are counted as one entry of their own."""
    by_top: dict[str, float] = {}
    for line in stderr.splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+\d+ \|\s*(\S+)", line)
        if m:
            name = m.group(2)
            top = "modelport boundary types" if name in PYDANTIC_TYPES else name.split(".")[0]
            by_top[top] = by_top.get(top, 0.0) + int(m.group(1)) / 1e3
    return by_top


def import_modelport_ms(reps: int) -> float:
    """``import modelport`` in fresh interpreters, by ``-X importtime``'s cumulative figure."""
    samples = []
    for _ in range(reps + 1):
        err = subprocess.run(
            [sys.executable, "-X", "importtime", "-c", "import modelport"],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
            env=child_env(),
        ).stderr
        m = re.search(r"import time:\s+\d+ \|\s+(\d+) \| modelport$", err, re.M)
        if m:
            samples.append(int(m.group(1)) / 1e3)
    return statistics.median(samples[1:]) if len(samples) > 1 else float("nan")


def bench_cold(url: str, reps: int) -> dict[str, Any]:
    say(f"cold start (fresh interpreter per sample, import to first answer, median of {reps})")
    clients = dict(CLIENTS)
    if importlib.util.find_spec("litellm") is not None:
        clients[LITELLM] = LITELLM_CODE
    for code in clients.values():  # warm .pyc files and the page cache
        _child(code, url)
    samples: dict[str, list[float]] = {name: [] for name in clients}
    for r in range(reps):
        for name in rotated(list(clients), r):
            samples[name].append(_child(clients[name], url)[0])
    res: dict[str, Any] = {"clients": {}}
    rows = []

    def paired(xs: list[float], base: str) -> float:
        # Each round's ratio to the baseline's sample of the same round, then the median, so
        # load that hits one round cancels out.
        return statistics.median(x / b for x, b in zip(xs, samples[base], strict=True))

    for name, xs in samples.items():
        ms = statistics.median(xs)
        ratio = paired(xs, BASE)
        like = LIKE.get(name)
        res["clients"][name] = {"ms": ms, "ratio": ratio}
        shown = ""
        if like is not None:
            res["clients"][name]["like_ratio"] = paired(xs, like)
            res["clients"][name]["like"] = like
            shown = f"{res['clients'][name]['like_ratio']:.2f}x {like}"
        rows.append([name, f"{ms:.0f}", f"{ratio:.2f}x", shown])
    say(table(["client", "cold start ms", "vs raw httpx2 (sync)", "like for like"], rows))

    _, err = _child(CLIENTS[MP_SYNC], url, importtime=True)
    parts = import_breakdown(err)
    total = sum(parts.values())
    top = sorted(parts.items(), key=lambda kv: -kv[1])[:10]
    say(
        "  where modelport's first sync call spends its import time (-X importtime, self ms by "
        "package)"
    )
    say(table(["package", "ms", "share"], [[k, f"{v:.1f}", f"{v / total:.0%}"] for k, v in top]))
    pyd = sum(
        v
        for k, v in parts.items()
        if k.startswith(("pydantic", "annotated_types", "typing_inspection"))
    )
    res["imports_ms"] = parts
    res["pydantic_ms"] = pyd
    imp = import_modelport_ms(reps)
    res["import_modelport_ms"] = imp
    sync_ratio = res["clients"][MP_SYNC]["like_ratio"]
    async_ratio = res["clients"][MP_HX]["like_ratio"]
    res["verdict_ratio"] = max(sync_ratio, async_ratio)
    say(
        f"  import modelport: {imp:.1f} ms (target < {IMPORT_TARGET_MS:.0f} ms: "
        f"{'met' if imp < IMPORT_TARGET_MS else 'NOT met'}); cold start {sync_ratio:.2f}x raw "
        f"httpx2 (sync call), {async_ratio:.2f}x raw httpx2 (async call) (target <= {TARGET}x: "
        f"{'met' if res['verdict_ratio'] <= TARGET else 'NOT met'}); "
        f"pydantic: {pyd:.0f} ms of {total:.0f} ms of imports"
    )
    return res


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--reps", type=int, default=7)
    args = ap.parse_args(argv)
    server = BenchServer()
    try:
        bench_cold(server.base_url, args.reps)
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
