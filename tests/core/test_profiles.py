"""Profiles and their overrides (``_profiles/_resolve``, ``_config/_profiles``): the
``model_profile`` hook, ``[profiles]`` in modelport.toml, the order of precedence (table <
hook < server report < user), and ``modelport models`` showing them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import modelport as mp
import pytest
from llama_peer import LlamaServer
from modelport._config import clear_cache
from modelport._host._plugins import PluginHost
from modelport.cli import main
from modelport.testing import Reply, ScriptedServer


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    with ScriptedServer() as s:
        yield s


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    path = tmp_path / "modelport.toml"
    path.write_text("")
    monkeypatch.setenv("MODELPORT_CONFIG", str(path))
    monkeypatch.delenv("MODELPORT_MODEL", raising=False)
    clear_cache()
    yield path
    clear_cache()


class Plugin:
    def __init__(self, **fields: Any) -> None:
        self.fields = fields
        self.seen: list[mp.ModelProfile] = []

    @mp.hookimpl
    def model_profile(self, provider: str, model: str, profile: mp.ModelProfile) -> Any:
        self.seen.append(profile)
        return profile.merged(**self.fields) if self.fields else None


class First(Plugin):
    @mp.hookimpl(tryfirst=True)
    def model_profile(self, provider: str, model: str, profile: mp.ModelProfile) -> Any:
        return super().model_profile(provider, model, profile)


def host_with(**plugins: object) -> PluginHost:
    host = PluginHost()
    for name, plugin in plugins.items():
        host.register(plugin, name=name)
    return host


def test_hooks_chain_in_pluggy_order(server: ScriptedServer) -> None:
    first = First(context_window=1000, tools=True)
    later = Plugin(context_window=2000)
    quiet = Plugin()
    host = host_with(first=first, later=later, quiet=quiet)
    with mp.LLM("openai-chat:new-model", api_key="k", plugins=host) as llm:
        profile = llm.model_info()
    assert profile.context_window == 2000 and profile.tools is True
    assert later.seen[0].context_window == 1000  # each sees the profile so far
    assert quiet.seen  # called, returned None: kept


@pytest.mark.parametrize(
    ("plugin", "message"),
    [
        (type("Bad", (), {"model_profile": mp.hookimpl(lambda self, profile: "nope")})(), "str"),
        (
            type("Raises", (), {"model_profile": mp.hookimpl(lambda self, model: 1 / 0)})(),
            "ZeroDivisionError",
        ),
    ],
)
def test_a_broken_hook_is_a_configuration_error_naming_the_plugin(
    plugin: object, message: str
) -> None:
    with mp.LLM("openai-chat:m", api_key="k", plugins=host_with(broken=plugin)) as llm:
        with pytest.raises(mp.ConfigurationError, match="broken") as err:
            llm.model_info()
    assert message in str(err.value)


def test_user_config_overrides_by_spec_and_wildcard(config: Path) -> None:
    config.write_text(
        """
[profiles."openai-chat:qwen3-*"]
context_window = 32768
thinking_with_forced_tools = false
sampling_params = ["temperature", "top_p"]

[profiles."openai-chat:qwen3-8b"]
context_window = 40960
"""
    )
    with mp.LLM("openai-chat:qwen3-8b", api_key="k") as llm:
        exact = llm.model_info()
        family = llm.model_info("qwen3-4b")
        other = llm.model_info("llama-3")
    assert exact.context_window == 40960 and exact.thinking_with_forced_tools is False
    assert exact.sampling_params == frozenset({"temperature", "top_p"})
    assert family.context_window == 32768
    assert other.context_window is None and other.thinking_with_forced_tools is None


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ('[profiles."openai-chat:m"]\ncontext = 5\n', 2, "unknown key 'context'"),
        ('[profiles."openai-chat:m"]\ncontext_window = 0\n', 2, "positive integer"),
        ('[profiles."openai-chat:m"]\ntools = "yes"\n', 2, "true or false"),
        ('[profiles."openai-chat:m"]\nthinking = "lots"\n', 2, "manual_budget"),
        ('[profiles."openai-chat:m"]\nstructured_output = "xml"\n', 2, "json_schema"),
        ('[profiles."no-colon"]\ntools = true\n', 1, "provider:model"),
    ],
)
def test_a_bad_profile_entry_names_file_and_line(
    config: Path, text: str, line: int, message: str
) -> None:
    config.write_text(text)
    with mp.LLM("openai-chat:m", api_key="k") as llm:
        with pytest.raises(mp.ConfigurationError, match=message) as err:
            llm.model_info()
    assert f"{config}:{line}" in str(err.value)


def test_a_plain_call_never_reads_the_config_file(config: Path, server: ScriptedServer) -> None:
    config.write_text("this is not toml [")
    server.add(Reply.json({"choices": [{"message": {"content": "hi"}, "finish_reason": "stop"}]}))
    with mp.LLM("openai-chat:m", base_url=server.base_url) as llm:
        assert llm.complete("hi").text == "hi"
        with pytest.raises(mp.ConfigurationError, match="invalid TOML"):
            llm.model_info()


def test_precedence_table_hook_server_user(llama_plain: LlamaServer, config: Path) -> None:
    """The hook beats the table, the server's loaded window beats the hook, the user wins."""
    host = host_with(hook=Plugin(context_window=128000, images=True, max_output_tokens=8000))
    with mp.LLM("openai-chat:tiny", base_url=llama_plain.base_url, plugins=host) as llm:
        served = llm.model_info()
    assert served.context_window == 4096 and served.images is False  # /props
    assert served.max_output_tokens == 8000  # the server says nothing about it: the hook's
    config.write_text('[profiles."openai-chat:tiny"]\ncontext_window = 2048\nimages = true\n')
    with mp.LLM("openai-chat:tiny", base_url=llama_plain.base_url, plugins=host) as llm:
        mine = llm.model_info()
    assert mine.context_window == 2048 and mine.images is True


def test_a_config_entry_turns_on_two_pass_for_calls(
    config: Path, server: ScriptedServer, conformance: Path
) -> None:
    config.write_text('[profiles."openai-chat:reasoner"]\nthinking_with_forced_tools = false\n')
    think = conformance / "thinking" / "deepseek-reasoner-nonstream-reasoning-content.json"
    server.add(
        Reply.from_file(think),
        Reply.from_file(conformance / "openai-chat" / "chat-structured-json-schema.json"),
    )
    schema = {
        "name": "Joke",
        "schema": {
            "type": "object",
            "properties": {"joke": {"type": "string"}, "rating": {"type": "integer"}},
            "required": ["joke", "rating"],
        },
    }
    with mp.LLM("openai-chat:reasoner", base_url=server.base_url) as llm:
        r = llm.complete("joke", response_format=schema, reasoning_effort="high")
    assert len(server.requests) == 2 and r.structured["rating"] == 7 and r.reasoning


def test_config_command_shows_profiles(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config.write_text('[profiles."openai-chat:m"]\nsampling_params = ["top_p", "temperature"]\n')
    assert main(["config"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["profiles"] == {"openai-chat:m": {"sampling_params": ["temperature", "top_p"]}}


# -- modelport models --------------------------------------------------------------------------


def test_cli_lists_models_with_their_profiles(
    llama_plain: LlamaServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["models", "-m", "openai-chat", "--base-url", llama_plain.base_url]) == 0
    header, row = capsys.readouterr().out.splitlines()
    assert header.split() == [
        "MODEL",
        "CONTEXT",
        "MAX_OUT",
        "THINKING",
        "TOOLS",
        "IMAGES",
        "STRUCTURED",
        "THINK+FORCED",
        "SAMPLING",
    ]
    assert row.split() == [
        "openai-chat:tiny",
        "4096",
        "-",
        "-",
        "yes",
        "no",
        "json_schema",
        "-",
        "all",
    ]


def test_cli_shows_one_model_and_json(
    llama_plain: LlamaServer, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["models", "-m", "openai-chat:tiny", "--base-url", llama_plain.base_url]
    assert main(args) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "openai-chat:tiny"
    assert lines[1].split() == ["context_window", "4096"]
    assert dict(line.split() for line in lines[1:])["images"] == "no"
    assert main([*args, "--json"]) == 0
    [entry] = json.loads(capsys.readouterr().out)
    assert entry["model"] == "openai-chat:tiny" and entry["context_window"] == 4096
    assert entry["sampling_params"] is None and entry["tools"] is True


# -- the examples of docs/profiles.md, as written ---------------------------------------------

DOCS = Path(__file__).resolve().parents[2] / "docs" / "profiles.md"


def _block(lang: str, containing: str) -> str:
    text = DOCS.read_text()
    for part in text.split(f"```{lang}\n")[1:]:
        code = part.split("```", 1)[0]
        if containing in code:
            return code
    raise AssertionError(f"docs/profiles.md has no {lang} block with {containing!r}")


def test_docs_hook_example(monkeypatch: pytest.MonkeyPatch) -> None:
    namespace: dict[str, Any] = {}
    exec(_block("python", "class NewModels"), namespace)  # our own docs, as written
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
    host = host_with(new_models=namespace["NewModels"]())
    spec = "bedrock-claude:anthropic.claude-opus-5-v1:0"
    with mp.LLM(spec, options={"region": "us-east-1"}, plugins=host) as llm:
        info = llm.model_info()
    assert info.context_window == 500_000 and info.thinking == "adaptive_effort"


def test_docs_config_example(config: Path) -> None:
    config.write_text(_block("toml", '[profiles."openai-chat:qwen3-*"]'))
    with mp.LLM("openai-chat:qwen3-8b", api_key="k") as llm:
        assert llm.model_info().context_window == 40960
        four = llm.model_info("qwen3-4b")
    assert four.context_window == 32768 and four.thinking_with_forced_tools is False
    assert four.sampling_params == frozenset({"temperature", "top_p"})
