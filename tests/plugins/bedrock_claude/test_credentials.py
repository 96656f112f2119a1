"""Credential resolution end to end: botocore's real chain (environment variables, a shared
credentials file, a ``credential_process`` program) behind ``mp.LLM``, against the scripted
SigV4-verifying Bedrock server.

Where the resolution ran is observed, not assumed: a Python audit hook records the thread that
opens the credentials file or starts the credential process, and a ticker task measures how
long the event loop went without running while a deliberately slow credential process ran.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import shlex
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import modelport as mp
import pytest
from modelport.testing import Reply, ScriptedServer
from modelport_bedrock_claude._credentials import REFRESH_WINDOW_S

from ._bedrock import ACCESS_KEY, MODEL, SECRET_KEY, provider, recording, requires_corpus
from ._signed import SignedEndpoint, empty_aws

pytestmark = requires_corpus

KEY_B = "AKIDEXAMPLEREFRESHED"
SECRET_B = "canary-SECRET-B-0d9e8f7a6b5c4d3e2f1a"
KEYS = {ACCESS_KEY: SECRET_KEY, KEY_B: SECRET_B}


# -- observing which thread touched a file or started a process ------------------------------


class _Watch:
    """What the audit hook saw: (event, thread id) for the watched paths."""

    def __init__(self) -> None:
        self.paths: set[str] = set()
        self.seen: list[tuple[str, int]] = []


_WATCH: list[_Watch] = []  # the active watch, if any (audit hooks cannot be removed)
_HOOKED = False


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if not _WATCH:
        return
    watch = _WATCH[0]
    try:
        if event == "open" and isinstance(args[0], str) and args[0] in watch.paths:
            watch.seen.append((f"open {Path(args[0]).name}", threading.get_ident()))
        elif event == "subprocess.Popen":
            argv = args[1] if len(args) > 1 else None
            if isinstance(argv, list | tuple) and any(str(a) in watch.paths for a in argv):
                watch.seen.append(("credential_process", threading.get_ident()))
    except Exception:  # an audit hook must never break the code it observes
        pass


@pytest.fixture
def watch() -> Iterator[_Watch]:
    global _HOOKED
    if not _HOOKED:
        sys.addaudithook(_audit)
        _HOOKED = True
    w = _Watch()
    _WATCH.append(w)
    try:
        yield w
    finally:
        _WATCH.clear()


# -- fixtures ------------------------------------------------------------------------------


@pytest.fixture
def aws_files(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> tuple[Path, Path]:
    return empty_aws(monkeypatch, tmp_path)


@pytest.fixture
def bedrock(aws_files: tuple[Path, Path]) -> Iterator[SignedEndpoint]:
    with ScriptedServer() as server:
        endpoint = SignedEndpoint(server, keys=KEYS)
        yield endpoint
        assert endpoint.problems == []


def llm(endpoint: SignedEndpoint, **kw: Any) -> mp.LLM:
    return mp.LLM(
        f"bedrock-claude:{MODEL}",
        base_url=endpoint.server.url,
        options={"region": "us-east-1", **kw.pop("options", {})},
        cache="never",
        retry=mp.RetryPolicy(max_retries=0),
        **kw,
    )


def answers(endpoint: SignedEndpoint, n: int) -> None:
    for _ in range(n):
        endpoint.add(Reply.from_file(recording("invoke-text.json")))


def write_credentials(path: Path) -> None:
    path.write_text(
        f"[default]\naws_access_key_id = {ACCESS_KEY}\naws_secret_access_key = {SECRET_KEY}\n"
    )


def credential_process(
    tmp: Path,
    config: Path,
    *,
    sleep_s: float = 0.0,
    lifetime_s: float | None = None,
    succeed_runs: int = 1000,
) -> Path:
    """A real ``credential_process`` program in the profile; returns its run log (one line
    per run). It sleeps ``sleep_s``, reports credentials expiring ``lifetime_s`` after each run
    (static when None), and fails with a message on stderr after ``succeed_runs`` runs."""
    log = tmp / "credential-process.log"
    script = tmp / "credential_process.py"
    script.write_text(
        f"""\
import datetime, json, pathlib, sys, time
log = pathlib.Path({str(log)!r})
runs = len(log.read_text().splitlines()) + 1 if log.exists() else 1
with log.open("a") as f:
    f.write("run\\n")
time.sleep({sleep_s!r})
if runs > {succeed_runs!r}:
    sys.stderr.write("credential source unavailable")
    sys.exit(1)
out = {{"Version": 1, "AccessKeyId": {ACCESS_KEY!r}, "SecretAccessKey": {SECRET_KEY!r}}}
lifetime = {lifetime_s!r}
if lifetime is not None:
    when = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=lifetime)
    out["SessionToken"] = "canary-TOKEN-process"
    out["Expiration"] = when.isoformat()
print(json.dumps(out))
"""
    )
    command = f"{shlex.quote(sys.executable)} {shlex.quote(str(script))}"
    config.write_text(f"[default]\ncredential_process = {command}\n")
    return log


def runs(log: Path) -> int:
    return len(log.read_text().splitlines()) if log.exists() else 0


def expiring_env(monkeypatch: pytest.MonkeyPatch, key: str, secret: str, in_s: float) -> float:
    """Environment credentials with ``AWS_CREDENTIAL_EXPIRATION``: botocore makes them
    refreshable, re-reading the environment on refresh. Returns the expiry (epoch seconds)."""
    expiry = datetime.now(UTC) + timedelta(seconds=in_s)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", secret)
    monkeypatch.setenv("AWS_SESSION_TOKEN", f"canary-TOKEN-{key}")
    monkeypatch.setenv("AWS_CREDENTIAL_EXPIRATION", expiry.isoformat())
    return expiry.timestamp()


# -- off the event loop ------------------------------------------------------------------


def test_async_resolution_reads_the_credentials_file_off_the_loop(
    bedrock: SignedEndpoint, aws_files: tuple[Path, Path], watch: _Watch
) -> None:
    credentials, config = aws_files
    write_credentials(credentials)
    watch.paths |= {str(credentials), str(config)}
    answers(bedrock, 2)

    async def run() -> tuple[int, list[mp.Response]]:
        async with llm(bedrock) as model:
            return threading.get_ident(), [await model.acomplete("hi") for _ in range(2)]

    loop_thread, results = asyncio.run(run())
    assert [r.text[:4] for r in results] == ["Here"] * 2
    assert bedrock.signed_by == [ACCESS_KEY, ACCESS_KEY]
    opened = [thread for what, thread in watch.seen if what == f"open {credentials.name}"]
    assert opened, "botocore never read the credentials file"
    assert loop_thread not in opened, "the credentials file was read on the event loop"
    assert len({t for _, t in watch.seen}) == 1  # one resolution, in one worker thread


def test_slow_credential_process_never_blocks_the_loop(
    bedrock: SignedEndpoint, aws_files: tuple[Path, Path], tmp_path: Path, watch: _Watch
) -> None:
    _, config = aws_files
    log = credential_process(tmp_path, config, sleep_s=0.5)
    watch.paths.add(str(tmp_path / "credential_process.py"))
    answers(bedrock, 4)

    async def run() -> tuple[int, float, list[mp.Response]]:
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        ticks: list[float] = []

        async def ticker() -> None:
            for _ in range(2000):  # bounded: 20 s at most
                ticks.append(loop.time())
                if stop.is_set():
                    return
                await asyncio.sleep(0.01)

        task = asyncio.create_task(ticker())
        async with llm(bedrock) as model:
            results = await asyncio.gather(*(model.acomplete("hi") for _ in range(4)))
        stop.set()
        await task
        gap = max(b - a for a, b in itertools.pairwise(ticks))
        return threading.get_ident(), gap, list(results)

    loop_thread, gap, results = asyncio.run(run())
    assert len(results) == 4 and bedrock.signed_by == [ACCESS_KEY] * 4
    assert runs(log) == 1, "four concurrent calls must resolve the credentials once"
    started = [thread for what, thread in watch.seen if what == "credential_process"]
    assert len(started) == 1 and started[0] != loop_thread
    # The process takes 0.5 s; a loop that waited for it would show a gap that long.
    assert gap < 0.25, f"the event loop stalled for {gap:.3f}s"


# -- cached: once per provider, across calls and threads ---------------------------------


def test_concurrent_prepare_auth_resolves_once(
    aws_files: tuple[Path, Path], tmp_path: Path
) -> None:
    _, config = aws_files
    log = credential_process(tmp_path, config, sleep_s=0.2)
    p = provider()
    assert p.auth_pending() and p.secrets() == []
    barrier = threading.Barrier(8)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait(timeout=5)
            p.prepare_auth()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    assert errors == [] and not any(t.is_alive() for t in threads)
    assert runs(log) == 1
    assert not p.auth_pending()  # static credentials: never stale
    assert set(p.secrets()) == {ACCESS_KEY, SECRET_KEY}


def test_sync_calls_reuse_the_cached_credentials(
    bedrock: SignedEndpoint, aws_files: tuple[Path, Path], tmp_path: Path
) -> None:
    _, config = aws_files
    log = credential_process(tmp_path, config)
    answers(bedrock, 3)
    with llm(bedrock) as model:
        for _ in range(3):
            model.complete("hi")
        assert not model.provider.auth_pending()
    assert runs(log) == 1 and bedrock.signed_by == [ACCESS_KEY] * 3


# -- refreshed near expiry ---------------------------------------------------------------


def test_refreshable_credentials_far_from_expiry_stay_cached(
    bedrock: SignedEndpoint, monkeypatch: pytest.MonkeyPatch
) -> None:
    expiring_env(monkeypatch, ACCESS_KEY, SECRET_KEY, 3600)
    answers(bedrock, 2)
    with llm(bedrock) as model:
        model.complete("hi")
        expiring_env(monkeypatch, KEY_B, SECRET_B, 7200)  # the source changed...
        model.complete("hi")  # ...but an hour is left: no resolution, no refresh
    assert bedrock.signed_by == [ACCESS_KEY, ACCESS_KEY]


def test_near_expiry_credentials_are_refreshed(
    bedrock: SignedEndpoint, monkeypatch: pytest.MonkeyPatch
) -> None:
    expiry = expiring_env(monkeypatch, ACCESS_KEY, SECRET_KEY, REFRESH_WINDOW_S + 1.5)
    answers(bedrock, 3)
    with llm(bedrock) as model:
        model.complete("hi")
        expiring_env(monkeypatch, KEY_B, SECRET_B, 3600)
        time.sleep(max(0.0, expiry - REFRESH_WINDOW_S - time.time()) + 0.2)
        assert model.provider.auth_pending()  # inside the refresh window now
        model.complete("hi")
        assert not model.provider.auth_pending()  # an hour left on the new ones
        model.complete("hi")
        secrets = model.provider.secrets()
    assert bedrock.signed_by == [ACCESS_KEY, KEY_B, KEY_B]
    assert [b.headers["x-amz-security-token"] for b in bedrock.server.requests] == [
        f"canary-TOKEN-{ACCESS_KEY}",
        f"canary-TOKEN-{KEY_B}",
        f"canary-TOKEN-{KEY_B}",
    ]
    assert {SECRET_B, SECRET_KEY} <= set(secrets)  # both generations are scrubbed


def test_failed_refresh_keeps_valid_credentials_then_fails_typed(
    bedrock: SignedEndpoint, aws_files: tuple[Path, Path], tmp_path: Path
) -> None:
    # Runs 1 and 2 (load, then botocore's immediate refresh of short-lived credentials)
    # succeed with a 2.5 s lifetime; every later run fails.
    _, config = aws_files
    log = credential_process(tmp_path, config, lifetime_s=2.5, succeed_runs=2)
    answers(bedrock, 2)
    with llm(bedrock) as model:
        model.complete("hi")
        assert runs(log) == 2 and model.provider.auth_pending()
        model.complete("hi")  # refresh fails (run 3), but the credentials are still valid
        assert runs(log) == 3
        time.sleep(3.0)
        with pytest.raises(mp.ConfigurationError) as info:
            model.complete("hi")  # expired, and the refresh fails again: typed, not botocore's
    assert runs(log) == 4 and len(bedrock.server.requests) == 2
    assert type(info.value) is mp.ConfigurationError
    message = str(info.value)
    assert "could not refresh AWS credentials" in message
    assert "credential source unavailable" in message
    assert SECRET_KEY not in message and "canary-TOKEN" not in message


# -- missing or broken configuration -----------------------------------------------------


def test_missing_credentials_sync_and_async(bedrock: SignedEndpoint) -> None:
    with llm(bedrock) as model, pytest.raises(mp.ConfigurationError) as sync_info:
        model.complete("hi")

    async def run() -> None:
        async with llm(bedrock) as model:
            await model.acomplete("hi")

    with pytest.raises(mp.ConfigurationError) as async_info:
        asyncio.run(run())
    for info in (sync_info, async_info):
        assert type(info.value) is mp.ConfigurationError  # not a botocore exception
        assert "no AWS credentials found" in str(info.value)
        assert info.value.provider == "bedrock-claude"
    assert bedrock.server.requests == []  # nothing unsigned ever left, and no retries


def test_unknown_profile(bedrock: SignedEndpoint, aws_files: tuple[Path, Path]) -> None:
    credentials, _ = aws_files
    write_credentials(credentials)
    with llm(bedrock, options={"profile": "no-such-profile"}) as model:
        with pytest.raises(mp.ConfigurationError, match="ProfileNotFound") as info:
            model.complete("hi")
    assert "no-such-profile" in str(info.value)
    assert bedrock.server.requests == []


def test_authenticate_without_prepare_falls_back(aws_files: tuple[Path, Path]) -> None:
    """A caller that drives the provider itself (no core) still gets a signed request."""
    credentials, _ = aws_files
    write_credentials(credentials)
    p = provider()
    from modelport.provider import Message, Request

    wire = p.build_request(Request(model=MODEL, messages=[Message.user("hi")]))
    wire.content = json.dumps(wire.body).encode()
    p.authenticate(wire)
    assert wire.headers["Authorization"].startswith(f"AWS4-HMAC-SHA256 Credential={ACCESS_KEY}/")
    assert not p.auth_pending()
    for text in (repr(p), repr(wire), repr(p._credentials)):
        assert SECRET_KEY not in text
