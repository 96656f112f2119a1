"""Each distribution installs on its own with plain pip, into a fresh virtual environment:
the core alone lists no providers; adding the openai-chat plugin makes openai-chat:* usable."""

from __future__ import annotations

import json
import subprocess
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def fresh_env(tmp_path_factory: pytest.TempPathFactory) -> Path:
    env = tmp_path_factory.mktemp("venv")
    venv.EnvBuilder(with_pip=True).create(env)
    return env / "bin" / "python"


def run(python: Path, *args: str) -> str:
    out = subprocess.run([str(python), *args], capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stdout + out.stderr
    return out.stdout


def test_core_alone_then_with_the_plugin(fresh_env: Path) -> None:
    run(fresh_env, "-m", "pip", "install", "--quiet", str(ROOT / "core"))
    listed = json.loads(run(fresh_env, "-m", "modelport", "models"))
    assert listed == {"providers": []}
    plugins = json.loads(run(fresh_env, "-m", "modelport", "plugins"))
    assert [p["name"] for p in plugins] == [
        "builtin-cache",
        "builtin-thinking",
        "builtin-transports",
    ]
    imported = run(
        fresh_env,
        "-c",
        "import sys, modelport; print(sorted(m for m in sys.modules "
        "if m.split('.')[0] in ('httpx2','pydantic','openai','modelport_openai_chat')))",
    )
    assert imported.strip() == "[]"

    run(fresh_env, "-m", "pip", "install", "--quiet", str(ROOT / "plugins" / "openai-chat"))
    assert json.loads(run(fresh_env, "-m", "modelport", "models")) == {"providers": ["openai-chat"]}
    plugins = {p["name"]: p for p in json.loads(run(fresh_env, "-m", "modelport", "plugins"))}
    assert plugins["openai-chat"]["hooks"] == ["register_providers"]
    assert plugins["openai-chat"]["version"] == "0.1.0"
    # the plugin does not pull the openai SDK in
    assert "openai" not in run(fresh_env, "-m", "pip", "list", "--format=freeze").lower().replace(
        "modelport-openai-chat", ""
    )
