"""Sessions: tests, lint, typecheck, demo, bench. Each installs exactly what it needs.

Run ``python3 -m nox -s lint typecheck tests`` (what CI runs) or ``python3 -m nox -s demo``.
"""

from __future__ import annotations

import nox

nox.options.default_venv_backend = "venv"
nox.options.reuse_existing_virtualenvs = True
nox.options.sessions = ["lint", "typecheck", "tests"]

PYTHON = "3.11"
PACKAGES = [
    "./core",
    "./plugins/openai-chat",
    "./plugins/openai-responses",
    "./plugins/lmstudio",
    "./plugins/bedrock-claude",
    "./plugins/dynamodb-cache",
    "./plugins/aiohttp",
    "./plugins/otel",
    "./plugins/redis",
]
TEST_DEPS = [
    "pytest==9.2.0",
    "hypothesis==6.170.15",
    "openai==3.54.0",
    "botocore==1.44.5",
    "moto[server]==5.2.1",
    "pillow==13.0.0",
    "msgspec==0.23.0",  # the optional fast JSON of modelport-openai-chat[fast]
    "opentelemetry-sdk==1.45.2",  # the real SDK behind modelport-otel's tests
    "genai-prices==0.2.3",  # the price list of modelport[prices] (Response.cost)
    # The client of modelport-redis's tests (the plugin pins the same); the server itself comes
    # from ../shared/peers/redis-server.sh, which the test fixture runs (apt-get when missing).
    "redis==8.1.0",
    "lmstudio==1.5.0",  # modelport-lmstudio[sdk] (the plugin pins the same): SDK token counts
    "websockets==17.4",  # the scripted LM Studio WebSocket server of that count's tests
]
LINT_DEPS = ["ruff==0.17.6"]
LINT_PATHS = ["core", "plugins", "tests", "bench", "examples", "scripts", "noxfile.py"]
TYPE_DEPS = [
    "mypy==2.4.1",
    "pytest==9.2.0",
    "hypothesis==6.170.15",
    "msgspec==0.23.0",
    "genai-prices==0.2.3",  # typed: the price lookup in modelport._cost
    "lmstudio==1.5.0",  # typed: modelport-lmstudio's SDK token count
]
# LiteLLM only as a peer to measure against (bench_targets.py), never a dependency.
BENCH_DEPS = ["openai==3.54.0", "moto[server]==5.2.1", "msgspec==0.23.0", "litellm==1.110.2"]


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """Unit, conformance, property and end-to-end tests (real servers on 127.0.0.1)."""
    session.install(*PACKAGES, *TEST_DEPS)
    session.run("python", "-m", "pytest", *(session.posargs or ["tests"]))


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    session.install(*LINT_DEPS)
    session.run("ruff", "check", *LINT_PATHS)
    session.run("ruff", "format", "--check", *LINT_PATHS)


@nox.session(python=PYTHON)
def typecheck(session: nox.Session) -> None:
    """mypy --strict on the core and the plugins."""
    session.install(*PACKAGES, *TYPE_DEPS)
    session.run(
        "mypy",
        "core/src/modelport",
        "plugins/openai-chat/src/modelport_openai_chat",
        "plugins/openai-responses/src/modelport_openai_responses",
        "plugins/lmstudio/src/modelport_lmstudio",
        "plugins/bedrock-claude/src/modelport_bedrock_claude",
        "plugins/dynamodb-cache/src/modelport_dynamodb_cache",
        "plugins/aiohttp/src/modelport_aiohttp",
        "plugins/otel/src/modelport_otel",
        "plugins/redis/src/modelport_redis",
        "examples/anthropic-messages-plugin/src/modelport_anthropic_messages",
    )


@nox.session(python=PYTHON)
def demo(session: nox.Session) -> None:
    """Start the local llama.cpp server with the tiny model and stream a prompt through it."""
    session.install(*PACKAGES)
    session.run("python", "scripts/demo.py", *session.posargs)


@nox.session(python=PYTHON)
def bench(session: nox.Session) -> None:
    """Ratios of modelport to raw httpx2 and the openai SDK, measured in one run."""
    session.install(*PACKAGES, *BENCH_DEPS)
    session.run("python", "bench/run.py", *session.posargs)
    session.run("python", "bench/bench_cache_l1.py")
    session.run("python", "bench/bench_cache_l2.py")
    session.run("python", "bench/bench_engine.py")
    session.run("python", "bench/bench_limits.py")
    session.run("python", "bench/soak_limits.py")  # 10,000 calls, a limit, a key pool (~60 s)
    session.run("python", "bench/bench_redis.py")  # starts its own redis-server (../shared/peers)
    session.install("opentelemetry-sdk==1.45.2")  # the tracing case of bench_otel.py
    session.run("python", "bench/bench_otel.py")
    # Issue 12's targets in one run: raw httpx2 / aiohttp, openai SDK, LiteLLM, both transports
    # (bench_aiohttp.py's sections), cold start (bench_cold.py), memory (bench_memory.py).
    session.run("python", "bench/bench_targets.py")
