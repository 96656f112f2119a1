"""What docs/limits.md and the plugin's README show, run as written (the Redis URL and the
server swapped for the test's own)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import modelport as mp
import pytest
import redis
from modelport.testing import RecordedRequest, Reply, ScriptedServer, chat_completion

from ._server import ROOT, RedisServer


def python_block_after(path: Path, heading: str) -> str:
    text = path.read_text()
    section = text[text.index(heading) :]
    match = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert match is not None, f"no python block after {heading!r} in {path}"
    return match.group(1)


@pytest.mark.parametrize(
    ("path", "heading"),
    [
        (ROOT / "docs" / "limits.md", "## Across processes and machines"),
        (ROOT / "plugins" / "redis" / "README.md", "pip install modelport-redis"),
    ],
)
def test_the_example_builds_a_shared_limit(
    path: Path, heading: str, redis_server: RedisServer, raw: redis.Redis
) -> None:
    code = re.sub(r"redis://[0-9.:]+/0", redis_server.url, python_block_after(path, heading))
    scope: dict[str, Any] = {}
    exec(compile(code, str(path), "exec"), scope)
    llm = scope["llm"]
    assert isinstance(llm, mp.LLM)
    limits = scope.get("limits") or llm._engine.setup.limiter.limits
    assert limits.backend is scope["redis_limits"]
    llm.close()


def test_a_config_file_names_the_backend(
    tmp_path: Path,
    redis_server: RedisServer,
    raw: redis.Redis,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    held: list[int] = []

    def handler(request: RecordedRequest) -> Reply:
        held.append(sum(raw.zcard(k) for k in raw.keys("*:limit:*:slots")))
        return chat_completion(input_tokens=5)

    with ScriptedServer() as server:
        server.route("POST", "/v1/chat/completions", handler)
        config = tmp_path / "modelport.toml"
        config.write_text(
            "[models.shared]\n"
            'spec = "openai-chat:from-config"\n'
            f'base_url = "{server.base_url}"\n'
            'api_key_env = "TEST_KEY"\n'
            'limits = { max_concurrency = 2, backend = "redis" }\n'
        )
        monkeypatch.setenv("MODELPORT_CONFIG", str(config))
        monkeypatch.setenv("TEST_KEY", "sk-x")
        monkeypatch.setenv("MODELPORT_REDIS_URL", redis_server.url)
        with mp.LLM("shared", cache="never") as llm:
            assert llm.complete("hi").text == "ok"
    assert held == [1]  # while the call ran, its slot was in Redis
