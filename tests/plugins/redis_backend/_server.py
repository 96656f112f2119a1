"""The real Redis server for the tests: ``../shared/peers/redis-server.sh`` installs it (from
Debian, when missing) and says where; each server here runs on a free loopback port with a
temporary directory, is polled for readiness in a bounded loop, and is stopped by its PID."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
PEER_SCRIPT = ROOT.parent / "shared" / "peers" / "redis-server.sh"


def redis_server_binary() -> str:
    found = os.environ.get("REDIS_SERVER")
    if found:
        return found
    out = subprocess.run(
        ["bash", str(PEER_SCRIPT)], capture_output=True, text=True, timeout=300, check=True
    ).stdout
    for line in reversed(out.splitlines()):
        if line.startswith("REDIS_SERVER="):
            return line.split("=", 1)[1].strip()
    raise RuntimeError(f"{PEER_SCRIPT} printed no REDIS_SERVER= line")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def ping(port: int, timeout: float = 0.2) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


class RedisServer:
    def __init__(self, binary: str, workdir: Path) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = subprocess.Popen(
            [
                binary,
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(workdir),
                "--daemonize",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(200):  # bounded: 200 x 25 ms
            if ping(self.port):
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.025)
        self.stop()
        raise RuntimeError(f"redis-server did not answer on port {self.port}")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.kill(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)
