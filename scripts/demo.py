"""The demo: start the real llama.cpp server with a tiny model, then run ``modelport prompt``
against it, streaming the answer as it arrives (reasoning on stderr)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from llama_peer import LlamaServer


def main() -> int:
    print("[demo] building/starting llama.cpp server (first build takes ~8 min, then cached)")
    with LlamaServer("think") as server:
        print(f"[demo] server ready at {server.base_url}")
        print("[demo] modelport plugins:")
        subprocess.run([sys.executable, "-m", "modelport", "plugins"], check=True)
        cmd = [
            sys.executable,
            "-m",
            "modelport",
            "prompt",
            "Say hello.",
            "-m",
            "openai-chat:tiny",
            "--base-url",
            server.base_url,
            "--system",
            "You are a tiny test model.",
            "--max-tokens",
            "64",
            "--temperature",
            "0",
            "--show-reasoning",
            "--usage",
            "--no-cache",  # stream from the model every time, not a cached replay
        ]
        print("[demo] $ modelport prompt 'Say hello.' -m openai-chat:tiny --base-url ...")
        return subprocess.run(cmd).returncode


if __name__ == "__main__":
    sys.exit(main())
