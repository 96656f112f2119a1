"""The two real DynamoDB-compatible servers these tests run against, each in its own process.

- moto's server mode (``python -m moto.server``), in a subprocess rather than moto's threaded
  server: importing moto into the test process would install its botocore hooks there, and the
  backend under test would no longer talk to botocore exactly as it does in production.
- Amazon DynamoDB Local, the real AWS jar, fetched by ../shared/peers/dynamodb-local.sh.

Both bind 127.0.0.1 on a free port, are polled for readiness in a bounded loop and are stopped
by PID.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import Any

__all__ = ["DynamoDBLocal", "MotoServer", "free_port", "raw_client"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _status(url: str, method: str = "GET") -> int | None:
    """HTTP status of ``url``, or ``None`` while nothing answers."""
    try:
        with urllib.request.urlopen(urllib.request.Request(url, method=method), timeout=2) as r:
            return int(r.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
    except OSError:
        return None


class _Process:
    name = "server"
    ready_timeout_s = 30.0

    def __init__(self) -> None:
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 (closed in __exit__)
        self._workdir = tempfile.TemporaryDirectory(prefix="modelport-ddb-")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        raise NotImplementedError

    def is_ready(self) -> bool:
        raise NotImplementedError

    def start(self) -> Any:
        self.port = free_port()
        self.proc = subprocess.Popen(
            self.command(),
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=self._workdir.name,  # DynamoDB Local writes a metadata file into its cwd
        )
        deadline = time.monotonic() + self.ready_timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            if self.is_ready():
                return self
            time.sleep(0.1)
        self.stop()
        self._log.seek(0)
        tail = self._log.read()[-2000:].decode(errors="replace")
        raise RuntimeError(f"{self.name} did not become ready on {self.url}:\n{tail}")

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)

    def __enter__(self) -> Any:
        return self.start()

    def __exit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
        self._log.close()
        self._workdir.cleanup()


class MotoServer(_Process):
    name = "moto server"

    def command(self) -> list[str]:
        return [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)]

    def is_ready(self) -> bool:
        return _status(self.url + "/moto-api/") == 200

    def reset(self) -> None:
        """Wipe all state (``POST /moto-api/reset``)."""
        status = _status(self.url + "/moto-api/reset", method="POST")
        if status != 200:
            raise RuntimeError(f"moto reset answered {status}")


def _peers_dir() -> Path:
    scripts = str(Path(__file__).resolve().parents[3] / "scripts")
    if scripts not in sys.path:
        sys.path.insert(0, scripts)
    from llama_peer import shared_dir  # type: ignore[import-not-found, unused-ignore]

    return Path(shared_dir()) / "peers"


class DynamoDBLocal(_Process):
    """Amazon DynamoDB Local; a missing script or java is an error, never a skip."""

    name = "DynamoDB Local"
    ready_timeout_s = 60.0

    def __init__(self) -> None:
        super().__init__()
        java = shutil.which("java")
        if java is None:
            raise RuntimeError("java is not installed: DynamoDB Local needs it")
        self.java = java
        script = _peers_dir() / "dynamodb-local.sh"
        out = subprocess.run(
            ["bash", str(script)], check=True, capture_output=True, text=True, timeout=600
        ).stdout
        dirs = [line.split("=", 1)[1] for line in out.splitlines() if "DYNAMODB_LOCAL_DIR=" in line]
        if not dirs or not (Path(dirs[-1]) / "DynamoDBLocal.jar").exists():
            raise RuntimeError(f"dynamodb-local.sh did not provide DynamoDBLocal.jar: {out[-500:]}")
        self.dir = Path(dirs[-1])

    def command(self) -> list[str]:
        return [
            self.java,
            "-Xmx256m",
            f"-Djava.library.path={self.dir / 'DynamoDBLocal_lib'}",
            "-jar",
            str(self.dir / "DynamoDBLocal.jar"),
            "-inMemory",
            "-port",
            str(self.port),
            "-disableTelemetry",
        ]

    def is_ready(self) -> bool:
        return _status(self.url + "/") == 400


def raw_client(endpoint_url: str, region: str = "us-east-1") -> Any:
    """A plain botocore DynamoDB client, to look at the table behind the backend's back."""
    import botocore.session  # type: ignore[import-untyped, unused-ignore]

    return botocore.session.get_session().create_client(
        "dynamodb", region_name=region, endpoint_url=endpoint_url
    )
