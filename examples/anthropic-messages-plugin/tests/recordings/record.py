"""Re-record the bodies in this folder from a real llama.cpp server's ``/v1/messages``.

    python tests/recordings/record.py --plain http://127.0.0.1:PORT --think http://127.0.0.1:PORT

where the two servers run the tiny models from ``../shared/peers/llama-server.sh`` (``tiny-plain``
and ``tiny-think``, both with ``--alias tiny``). Each case writes the body exactly as it arrived,
named the way modelport's conformance suite reads a folder: ``<name>.json`` for a whole response,
``<name>.sse`` for the same answer streamed (its twin), ``<name>-error-<status>.json`` for an
HTTP error. What was sent goes to ``_requests/`` (the suite skips ``_`` folders). Standard
library only, so recording does not depend on the code under test.
"""

from __future__ import annotations

import argparse
import json
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
WEATHER = {
    "name": "get_weather",
    "description": "The current weather in a city.",
    "input_schema": {
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
    },
}
HI = [{"role": "user", "content": "hi"}]
ASK = [{"role": "user", "content": "What is the weather in Paris?"}]
ANSWERED = [
    *ASK,
    {
        "role": "assistant",
        "content": [
            {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "Paris"}}
        ],
    },
    {
        "role": "user",
        "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": "sunny"}],
    },
]


def cases() -> list[tuple[str, str, dict[str, Any]]]:
    """(name, server, body) for every recording."""
    base = {"model": "tiny", "temperature": 0, "max_tokens": 64}
    out: list[tuple[str, str, dict[str, Any]]] = []
    for stream in (False, True):
        out += [
            ("text", "plain", {**base, "messages": HI, "stream": stream}),
            ("thinking", "think", {**base, "messages": HI, "stream": stream}),
            ("tool-use", "plain", {**base, "messages": ASK, "tools": [WEATHER], "stream": stream}),
            (
                "tool-result",
                "plain",
                {**base, "messages": ANSWERED, "tools": [WEATHER], "stream": stream},
            ),
            ("length", "plain", {**base, "max_tokens": 3, "messages": HI, "stream": stream}),
        ]
    long = [{"role": "user", "content": "hello " * 5000}]
    out.append(("context-window", "plain", {**base, "messages": long}))
    return out


def record(url: str, name: str, body: dict[str, Any]) -> None:
    request = urllib.request.Request(
        f"{url}/v1/messages",
        data=json.dumps(body).encode(),
        headers={
            "content-type": "application/json",
            "anthropic-version": "2023-06-01",
            "x-api-key": "not-checked-by-llama.cpp",
        },
    )
    status = 200
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            data = response.read()
    except urllib.error.HTTPError as exc:
        status, data = exc.code, exc.read()
    stream = bool(body.get("stream"))
    suffix = f"-error-{status}.json" if status >= 400 else (".sse" if stream else ".json")
    (HERE / f"{name}{suffix}").write_bytes(data)
    sent = HERE / "_requests" / f"{name}{'.stream' if stream else ''}.json"
    sent.parent.mkdir(exist_ok=True)
    sent.write_text(json.dumps({"status": status, "body": body}, indent=2) + "\n")
    print(f"{name}{suffix}: HTTP {status}, {len(data)} bytes")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plain", required=True, help="base URL of the tiny-plain server")
    parser.add_argument("--think", required=True, help="base URL of the tiny-think server")
    args = parser.parse_args()
    servers = {"plain": args.plain.rstrip("/"), "think": args.think.rstrip("/")}
    for name, server, body in cases():
        record(servers[server], name, body)


if __name__ == "__main__":
    main()
