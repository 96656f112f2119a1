"""The names DESIGN.md promises users, importable from ``modelport`` exactly as spelled."""

from __future__ import annotations

import subprocess
import sys

import modelport as mp

CONTRACT = [
    "LLM",
    "LLMError",
    "ConfigurationError",
    "ModelRequestError",
    "RateLimitError",
    "AuthenticationError",
    "LLMTimeoutError",
    "StructuredOutputError",
    "ToolExecutionError",
    "SchemaConversionError",
    "ContextWindowExceededError",
    "ModelNotFoundError",
    "ProviderServerError",
    "hookimpl",
    "Response",
    "StreamEvent",
    "Usage",
]


def test_every_exported_name_resolves() -> None:
    for name in mp.__all__:
        assert getattr(mp, name) is not None, name
    assert set(CONTRACT) <= set(mp.__all__)


def test_contract_fields() -> None:
    r = mp.Response()
    for field in (
        "text",
        "reasoning",
        "tool_calls",
        "tool_results",
        "structured",
        "usage",
        "stop_reason",
        "model",
        "provider",
        "latency_s",
        "tokens_per_second",
        "cache_source",
        "cache_key",
        "raw",
    ):
        assert hasattr(r, field), field
    for field in ("input_tokens", "output_tokens", "reasoning_tokens", "cached_tokens"):
        assert getattr(r.usage, field) == 0
    assert r.cache_source == "miss"
    assert mp.StreamEvent("answer", "x").content == "x"


def test_submodules_are_reachable_lazily() -> None:
    code = (
        "import sys, modelport as mp; assert 'modelport.tools' not in sys.modules; "
        "mp.tools.Depends; mp.thinking.CustomThinkingToken; mp.plugins.list_plugins; "
        "mp.testing.ScriptedServer; print('ok')"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "ok", out.stderr


def test_bad_options_are_configuration_errors() -> None:
    import pytest

    llm = mp.LLM("openai-chat:m", base_url="http://127.0.0.1:9/v1")
    for kw in (
        {"cache": "sometimes"},
        {"temperature": 0, "bogus": 1},
        {"max_tool_calls": -1, "tools": [lambda: None]},
        {"structured_retries": 9, "response_format": dict},
    ):
        with pytest.raises((mp.ConfigurationError, mp.SchemaConversionError)):
            llm.complete("hi", **kw)
    with pytest.raises(mp.ConfigurationError, match="provider:model"):
        mp.LLM("no-colon")
    with pytest.raises(mp.ConfigurationError):
        mp.LLM("openai-chat:m", base_url="http://127.0.0.1:9/v1", timeout=-1)
