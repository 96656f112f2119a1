"""modelport.toml: aliases, the default model, redaction, and errors that name file and line.

Real files in tmp dirs, the environment through monkeypatch, the CLI as a subprocess, and a
real call through an alias to a ScriptedServer on loopback.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import modelport as mp
import pytest
from modelport._config import ConfigFileError, clear_cache, config_path, user_config_dir
from modelport.testing import Reply, ScriptedServer

SECRET = "sk-test-0123456789abcdef"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    for name in ("MODELPORT_CONFIG", "MODELPORT_MODEL", "XDG_CONFIG_HOME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))  # no real user config can leak in
    clear_cache()
    yield
    clear_cache()


def write(tmp_path: Path, text: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "modelport.toml"
    path.write_text(textwrap.dedent(text).lstrip())
    monkeypatch.setenv("MODELPORT_CONFIG", str(path))
    return path


BASIC = """
default = "fast"

[models.fast]
spec = "openai-chat:gpt-4o-mini"
base_url = "http://127.0.0.1:9/v1"
api_key_env = "MY_FAST_KEY"
defaults = {temperature = 0, max_tokens = 200}
limits = {max_concurrency = 4, requests_per_minute = 60}
timeout = 30
retry = 1
fallbacks = ["slow", "openai-chat:gpt-4o"]

[models.slow]
spec = "openai-chat:gpt-4o"
api_key = "sk-test-0123456789abcdef"
retry = {max_retries = 5, backoff_base = 0.1}
timeout = {connect = 2, read = 50}
"""


# -- where the file is ---------------------------------------------------------------------


def test_the_path_comes_from_modelport_config_else_the_user_config_dir(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("MODELPORT_CONFIG", str(tmp_path / "x.toml"))
    assert config_path() == (tmp_path / "x.toml", "MODELPORT_CONFIG")
    monkeypatch.delenv("MODELPORT_CONFIG")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert config_path()[0] == tmp_path / "xdg" / "modelport" / "modelport.toml"
    monkeypatch.delenv("XDG_CONFIG_HOME")
    if sys.platform not in ("win32", "darwin"):
        assert user_config_dir() == tmp_path / "home" / ".config"


def test_no_file_at_the_default_path_is_an_empty_config_but_a_named_missing_file_is_an_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    with pytest.raises(mp.ConfigurationError, match="provider:model"):
        mp.LLM("fast")
    monkeypatch.setenv("MODELPORT_CONFIG", str(tmp_path / "missing.toml"))
    with pytest.raises(mp.ConfigurationError, match=r"MODELPORT_CONFIG names .*missing\.toml"):
        mp.LLM("fast")


def test_a_spec_with_a_provider_prefix_never_reads_the_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    write(tmp_path, "this is = = not toml", monkeypatch)
    with mp.LLM("openai-chat:m", base_url="http://127.0.0.1:9/v1", api_key="k") as llm:
        assert llm.model == "m"
    with pytest.raises(ConfigFileError):
        mp.LLM("fast")


# -- aliases and precedence ------------------------------------------------------------------


def test_an_alias_brings_its_spec_url_key_defaults_limits_timeout_retry_and_fallbacks(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    write(tmp_path, BASIC, monkeypatch)
    monkeypatch.setenv("MY_FAST_KEY", "key-from-env")
    monkeypatch.setenv("OPENAI_API_KEY", "openai-key")  # the fallback spec's own key
    with mp.LLM("fast") as llm:
        assert (llm.provider_name, llm.model) == ("openai-chat", "gpt-4o-mini")
        assert llm.provider.settings.base_url == "http://127.0.0.1:9/v1"
        assert llm.provider.settings.api_key == "key-from-env"
        assert llm._defaults == {"temperature": 0, "max_tokens": 200}
        assert llm._engine.setup.retry.max_retries == 1
        assert llm._engine.setup.timeouts.read == 30
        assert llm._limits_key == ("openai-chat", "http://127.0.0.1:9/v1", "gpt-4o-mini")
        slow, spec = llm._fallbacks
        assert slow.model == "gpt-4o" and slow.provider.settings.api_key == SECRET
        assert spec.provider.settings.api_key == "openai-key"


def test_explicit_arguments_win_over_the_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    write(tmp_path, BASIC, monkeypatch)
    monkeypatch.setenv("MY_FAST_KEY", "key-from-env")
    monkeypatch.setenv("OPENAI_API_KEY", "openai-key")
    with mp.LLM(
        "fast",
        temperature=0.5,
        api_key="explicit",
        base_url="http://127.0.0.1:8/v1",
        retry=4,
        timeout=7,
        fallbacks=["openai-chat:other"],
    ) as llm:
        assert llm._defaults == {"temperature": 0.5, "max_tokens": 200}
        assert llm.provider.settings.api_key == "explicit"
        assert llm.provider.settings.base_url == "http://127.0.0.1:8/v1"
        assert llm._engine.setup.retry.max_retries == 4
        assert llm._engine.setup.timeouts.read == 7
        assert [f.model for f in llm._fallbacks] == ["other"]
    with mp.LLM("slow", retry=mp.RetryPolicy(max_retries=0)) as llm:
        assert llm._engine.setup.retry.max_retries == 0
    with mp.LLM("slow") as llm:
        assert (
            llm._engine.setup.retry.max_retries == 5 and llm._engine.setup.retry.backoff_base == 0.1
        )
        assert llm._engine.setup.timeouts.connect == 2 and llm._engine.setup.timeouts.read == 50


def test_an_unset_key_variable_is_an_error_not_another_providers_key(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = write(tmp_path, BASIC, monkeypatch)
    monkeypatch.delenv("MY_FAST_KEY", raising=False)
    monkeypatch.setenv("OPENAI_API_KEY", "a-key-for-another-server")
    with pytest.raises(ConfigFileError, match=r"\$MY_FAST_KEY, which is not set") as info:
        mp.LLM("fast")
    assert info.value.path == path and info.value.line == 6
    assert f"{path}:6:" in str(info.value)


def test_the_file_is_cached_per_path_and_modification(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = write(tmp_path, '[models.a]\nspec = "openai-chat:one"\napi_key = "k"\n', monkeypatch)
    assert mp.LLM("a").model == "one"
    path.write_text('[models.a]\nspec = "openai-chat:second"\napi_key = "k"\n')
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    assert mp.LLM("a").model == "second"


# -- the default model -----------------------------------------------------------------------


def test_the_default_model_comes_from_modelport_model_else_the_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    write(tmp_path, BASIC, monkeypatch)
    monkeypatch.setenv("MY_FAST_KEY", "k")
    monkeypatch.setenv("OPENAI_API_KEY", "k")
    assert mp.LLM().model == "gpt-4o-mini"  # default = "fast"
    monkeypatch.setenv("MODELPORT_MODEL", "slow")
    assert mp.LLM().model == "gpt-4o"
    monkeypatch.setenv("MODELPORT_MODEL", "openai-chat:spelled-out")
    llm = mp.LLM(api_key="k")
    assert (llm.provider_name, llm.model) == ("openai-chat", "spelled-out")
    monkeypatch.setenv("MODELPORT_MODEL", "nope")
    with pytest.raises(mp.ConfigurationError, match="'nope'"):
        mp.LLM()


def test_no_default_model_says_how_to_set_one(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    with pytest.raises(mp.ConfigurationError, match="MODELPORT_MODEL") as info:
        mp.LLM()
    assert 'default = "<alias>"' in str(info.value)
    write(tmp_path, '[models.a]\nspec = "openai-chat:m"\n', monkeypatch)
    with pytest.raises(mp.ConfigurationError, match="no default model"):
        mp.LLM()


# -- modelport config: the resolved configuration, redacted ---------------------------------


def run_config(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "modelport", "config", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=dict(os.environ),
    )


def test_modelport_config_prints_every_alias_with_secrets_redacted(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    text = BASIC.replace(
        "defaults = {temperature = 0, max_tokens = 200}",
        "defaults = {temperature = 0, extra_headers = "
        '{Authorization = "Bearer sk-hdr", X-Org = "o"}}',
    )
    path = write(tmp_path, text, monkeypatch)
    monkeypatch.setenv("MY_FAST_KEY", "sk-env-value-must-not-show")
    done = run_config()
    assert done.returncode == 0, done.stderr
    assert SECRET not in done.stdout and "sk-env-value" not in done.stdout
    assert "sk-hdr" not in done.stdout
    shown = json.loads(done.stdout)
    assert shown["path"] == str(path) and shown["source"] == "MODELPORT_CONFIG"
    assert shown["default"] == {
        "model": "fast",
        "from": str(path),
        "spec": "openai-chat:gpt-4o-mini",
    }
    fast, slow = shown["models"]["fast"], shown["models"]["slow"]
    assert fast["api_key_env"] == {"name": "MY_FAST_KEY", "set": True}
    assert fast["defaults"]["extra_headers"] == {"Authorization": "[REDACTED]", "X-Org": "o"}
    assert fast["limits"] == {"max_concurrency": 4, "requests_per_minute": 60}
    assert fast["fallbacks"] == ["slow", "openai-chat:gpt-4o"]
    assert fast["timeout"] == 30 and fast["retry"] == 1 and fast["line"] == 3
    assert slow["api_key"] == "[REDACTED]"
    assert slow["retry"]["max_retries"] == 5 and slow["timeout"]["connect"] == 2

    monkeypatch.delenv("MY_FAST_KEY")
    monkeypatch.setenv("MODELPORT_MODEL", "slow")
    shown = json.loads(run_config().stdout)
    assert shown["models"]["fast"]["api_key_env"] == {"name": "MY_FAST_KEY", "set": False}
    assert shown["default"]["from"] == "MODELPORT_MODEL"
    assert run_config("--path").stdout.strip() == str(path)


def test_modelport_config_on_a_bad_file_is_one_line_and_exit_2(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = write(tmp_path, '[models.a]\nspec = "openai-chat:m"\ncolour = 1\n', monkeypatch)
    done = run_config()
    assert done.returncode == 2
    assert f"{path}:3: models.a.colour: unknown key 'colour'" in done.stderr
    assert "Traceback" not in done.stderr


# -- bad config: every error names the file and the line ------------------------------------


BAD = [
    ("toml syntax", '[models.a]\nspec = "openai-chat:m"\nbase_url = \n', 3, "invalid TOML"),
    ("unknown top-level key", 'colour = "blue"\n', 1, "unknown key 'colour'"),
    ("models not a table", 'models = "x"\n', 1, "models: must be a table"),
    ("alias not a table", '[models]\nfast = "openai-chat:m"\n', 2, "models.fast: must be a table"),
    ("unknown alias key", '[models.a]\nspec = "openai-chat:m"\n\ncolor = 1\n', 4, "'color'"),
    ("missing spec", '[models.a]\nbase_url = "http://h"\n', 1, "missing spec"),
    ("spec without provider", '[models.a]\nspec = "gpt-4o"\n', 2, "'provider:model'"),
    ("spec wrong type", "[models.a]\nspec = 4\n", 2, "must be a non-empty string"),
    ("colon in alias name", '[models."a:b"]\nspec = "openai-chat:m"\n', 1, "contain no ':'"),
    ("base_url type", '[models.a]\nspec = "openai-chat:m"\nbase_url = 1\n', 3, "base_url"),
    (
        "api_key_env not a name",
        '[models.a]\nspec = "openai-chat:m"\napi_key_env = "sk-abc def"\n',
        3,
        "must name an environment variable",
    ),
    (
        "api_key and api_key_env",
        '[models.a]\nspec = "openai-chat:m"\napi_key_env = "K"\napi_key = "s"\n',
        4,
        "not both",
    ),
    (
        "unknown default",
        '[models.a]\nspec = "openai-chat:m"\ndefaults = {temprature = 0}\n',
        3,
        "models.a.defaults.temprature: unknown key",
    ),
    (
        "bad default value",
        '[models.a]\nspec = "openai-chat:m"\n[models.a.defaults]\ntop_p = 1\ntemperature = "hot"\n',
        5,
        "temperature",
    ),
    (
        "unknown limit",
        '[models.a]\nspec = "openai-chat:m"\nlimits = {rpm = 3}\n',
        3,
        "unknown key 'rpm'",
    ),
    (
        "bad limit value",
        '[models.a]\nspec = "openai-chat:m"\nlimits = {max_concurrency = 0}\n',
        3,
        "max_concurrency must be an int >= 1",
    ),
    ("bad timeout", '[models.a]\nspec = "openai-chat:m"\ntimeout = -1\n', 3, "must be positive"),
    (
        "timeout table key",
        '[models.a]\nspec = "openai-chat:m"\ntimeout = {whole = 3}\n',
        3,
        "'whole'",
    ),
    ("bad retry", '[models.a]\nspec = "openai-chat:m"\nretry = "3"\n', 3, "models.a.retry"),
    (
        "retry table type",
        '[models.a]\nspec = "openai-chat:m"\nretry = {max_retries = 1.5}\n',
        3,
        "must be an integer",
    ),
    (
        "fallbacks not a list",
        '[models.a]\nspec = "openai-chat:m"\nfallbacks = "b"\n',
        3,
        "must be a list",
    ),
    (
        "unknown fallback alias",
        '[models.a]\nspec = "openai-chat:m"\nfallbacks = ["nope"]\n',
        3,
        "unknown alias 'nope'",
    ),
    (
        "fallback cycle",
        '[models.a]\nspec = "openai-chat:m"\nfallbacks = ["b"]\n\n'
        '[models.b]\nspec = "openai-chat:n"\nfallbacks = ["a"]\n',
        7,
        "cycle: a -> b -> a",
    ),
    (
        "self fallback",
        '[models.a]\nspec = "openai-chat:m"\nfallbacks = ["a"]\n',
        3,
        "cycle: a -> a",
    ),
    ("unknown default alias", 'default = "fast"\n', 1, "unknown alias 'fast'"),
    ("default wrong type", "default = 3\n", 1, "default: must be a non-empty string"),
    (
        "dotted keys",
        'models.a.spec = "openai-chat:m"\nmodels.a.retry = -2\n',
        2,
        "must be >= 0",
    ),
]


@pytest.mark.parametrize(("text", "line", "message"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_config_names_the_file_and_the_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, text: str, line: int, message: str
) -> None:
    path = tmp_path / "modelport.toml"
    path.write_text(text)
    monkeypatch.setenv("MODELPORT_CONFIG", str(path))
    with pytest.raises(mp.ConfigurationError) as info:
        mp.LLM("a")
    error = info.value
    assert isinstance(error, ConfigFileError)
    assert error.path == path and error.line == line, str(error)
    assert str(error).startswith(f"{path}:{line}")
    assert message in str(error)


def test_a_secret_never_appears_in_an_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    write(tmp_path, f'[models.a]\nspec = "openai-chat:m"\napi_key = ["{SECRET}"]\n', monkeypatch)
    with pytest.raises(ConfigFileError, match="got a list") as info:
        mp.LLM("a")
    assert SECRET not in str(info.value) and info.value.line == 3


def test_an_unknown_alias_lists_the_known_ones(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = write(tmp_path, BASIC, monkeypatch)
    with pytest.raises(mp.ConfigurationError, match=r"provider:model.*\(fast, slow\)") as info:
        mp.LLM("quick")
    assert str(path) in str(info.value)


# -- a real call through an alias -----------------------------------------------------------


def completion(text: str) -> Reply:
    return Reply.json(
        {
            "id": "c",
            "object": "chat.completion",
            "model": "served",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": text},
                    "finish_reason": "stop",
                }
            ],
            "usage": {"prompt_tokens": 3, "completion_tokens": 1},
        }
    )


def test_a_call_through_an_alias_uses_the_files_url_key_and_defaults(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    with ScriptedServer() as server:
        write(
            tmp_path,
            f"""
            [models.local]
            spec = "openai-chat:served-model"
            base_url = "{server.base_url}"
            api_key_env = "LOCAL_KEY"
            retry = 0
            defaults = {{temperature = 0, max_tokens = 20, cache = "never"}}
            """,
            monkeypatch,
        )
        monkeypatch.setenv("LOCAL_KEY", "env-secret")
        server.add(completion("four"), completion("five"))
        with mp.LLM("local") as llm:
            assert llm.complete("2+2?").text == "four"
        with mp.LLM("local", max_tokens=5) as llm:
            assert llm.complete("2+3?").text == "five"
        first, second = server.requests
        assert first.headers["authorization"] == "Bearer env-secret"
        body = json.loads(first.body)
        assert body["model"] == "served-model"
        assert body["temperature"] == 0 and body["max_tokens"] == 20
        assert json.loads(second.body)["max_tokens"] == 5
