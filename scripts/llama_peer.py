"""Build (once, cached) and run the real llama.cpp server from ../shared/peers on loopback.

Used by the demo and the end-to-end tests. The server binds 127.0.0.1 on a free port, readiness
is polled in a bounded loop, and the process is stopped by its PID.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
import urllib.request
from pathlib import Path
from types import TracebackType

__all__ = ["LlamaServer", "peer_paths", "shared_dir"]

ROOT = Path(__file__).resolve().parent.parent


def shared_dir() -> Path:
    """``../shared`` beside the checkout (CI and sessions), or ``$MODELPORT_SHARED``."""
    env = os.environ.get("MODELPORT_SHARED")
    path = Path(env) if env else ROOT.parent / "shared"
    if not (path / "peers" / "llama-server.sh").exists():
        raise FileNotFoundError(f"../shared/peers not found at {path} (set MODELPORT_SHARED)")
    return path


def peer_paths() -> dict[str, str]:
    """Run the idempotent build script; returns LLAMA_SERVER, TINY_PLAIN and TINY_THINK."""
    script = shared_dir() / "peers" / "llama-server.sh"
    out = subprocess.run(
        ["bash", str(script)], check=True, capture_output=True, text=True, timeout=3600
    ).stdout
    paths = dict(line.split("=", 1) for line in out.splitlines() if "=" in line)
    missing = {"LLAMA_SERVER", "TINY_PLAIN", "TINY_THINK"} - set(paths)
    if missing:
        raise RuntimeError(f"llama-server.sh did not print {sorted(missing)}: {out[-500:]}")
    return paths


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LlamaServer:
    """``with LlamaServer("think") as srv: srv.base_url`` -> "http://127.0.0.1:PORT/v1"."""

    def __init__(self, variant: str = "think", *, alias: str = "tiny", ctx: int = 4096) -> None:
        if variant not in ("think", "plain"):
            raise ValueError("variant is 'think' or 'plain'")
        self.variant = variant
        self.alias = alias
        self.ctx = ctx
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        return self.url + "/v1"

    def start(self, ready_timeout: float = 60.0) -> LlamaServer:
        paths = peer_paths()
        model = paths["TINY_THINK" if self.variant == "think" else "TINY_PLAIN"]
        self.port = _free_port()
        cmd = [
            paths["LLAMA_SERVER"],
            "-m",
            model,
            "--alias",
            self.alias,
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "-c",
            str(self.ctx),
            "-t",
            "1",
            "-np",
            "1",
            "--no-webui",
            "--offline",
        ]
        self.proc = subprocess.Popen(
            cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
        )
        deadline = time.monotonic() + ready_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"llama-server exited with {self.proc.returncode}")
            try:
                with urllib.request.urlopen(self.url + "/health", timeout=1) as r:
                    if r.status == 200 and json.loads(r.read()).get("status") == "ok":
                        return self
            except OSError:
                pass
            time.sleep(0.1)
        self.stop()
        raise TimeoutError(f"llama-server not ready after {ready_timeout}s")

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)

    def __enter__(self) -> LlamaServer:
        return self.start()

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
