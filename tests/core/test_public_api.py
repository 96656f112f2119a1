"""The names DESIGN.md promises users, importable from ``modelport`` exactly as spelled."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

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
        "mp.testing.ScriptedServer; mp.cache.SQLiteCache; mp.transport.Transport; "
        "mp.schema.make_strict; mp.provider.BaseProvider; print('ok')"
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


# -- the frozen public surface (as httpx does): a change here is an API change, on purpose ----

MODELPORT_ALL = {
    "LLM",
    "AbortSignal",
    "AuthenticationError",
    "BadRequestError",
    "ConfigurationError",
    "ContextWindowExceededError",
    "Cost",
    "HttpxTransport",
    "ImagePart",
    "IncompleteStreamError",
    "KeyPool",
    "LLMError",
    "LLMTimeoutError",
    "Limits",
    "Message",
    "ModelNotFoundError",
    "ModelProfile",
    "ModelRequestError",
    "ProgressEvent",
    "ProviderConnectionError",
    "ProviderProtocolError",
    "ProviderServerError",
    "RateLimitError",
    "RefusalError",
    "Request",
    "Response",
    "ResponseFormat",
    "RetryPolicy",
    "SchemaConversionError",
    "StdlibTransport",
    "StreamEvent",
    "StructuredOutputError",
    "TextPart",
    "Timeouts",
    "ToolCall",
    "ToolExecutionError",
    "ToolResult",
    "ToolSpec",
    "TruncatedOutputError",
    "Usage",
    "hookimpl",
    "set_price",
}

PROVIDER_ALL = {
    "ANTHROPIC_LIMIT_HEADERS",
    "ERROR_KINDS",
    "OPENAI_LIMIT_HEADERS",
    "PROVIDER_MEMBERS",
    "AttemptInfo",
    "AttemptObserver",
    "AuthenticationError",
    "BadRequestError",
    "BaseProvider",
    "CallInfo",
    "CallObserver",
    "ConfigurationError",
    "ContextWindowExceededError",
    "FinishDelta",
    "ImagePart",
    "IncompleteStreamError",
    "LLMError",
    "LLMTimeoutError",
    "LimitBackend",
    "LimitGrant",
    "LimitHeaders",
    "LimitReading",
    "Message",
    "MetaDelta",
    "ModelNotFoundError",
    "ModelProfile",
    "ModelReport",
    "ModelRequestError",
    "Provider",
    "ProviderConnectionError",
    "ProviderProtocolError",
    "ProviderServerError",
    "ProviderSettings",
    "RateLimitError",
    "ReasoningDelta",
    "RefusalDelta",
    "Request",
    "Response",
    "ResponseFormat",
    "SSEDecoder",
    "SSEEvent",
    "SSEResponseDecoder",
    "StopReason",
    "StreamDecoder",
    "StructuredStrategy",
    "TextDelta",
    "TextPart",
    "ThinkingMode",
    "ToolCall",
    "ToolCallDelta",
    "ToolObserver",
    "ToolSpec",
    "Usage",
    "UsageDelta",
    "WireDelta",
    "WireRequest",
    "add_cache_breakpoints",
    "anthropic_usage",
    "assemble",
    "cache_control",
    "check_provider_class",
    "decode_json",
    "error_for_kind",
    "error_for_status",
    "error_from_body",
    "error_from_payload",
    "error_object",
    "excerpt",
    "hookimpl",
    "merge_headers",
    "new_call_id",
    "normalize_stop_reason",
    "parse_retry_after",
    "parse_server_profile",
    "protocol_error",
    "read_limit_headers",
    "request_id_from",
    "retry_hint",
    "server_profile_requests",
}


def test_public_api_of_modelport_is_frozen() -> None:
    assert set(mp.__all__) == MODELPORT_ALL
    assert len(mp.__all__) == len(MODELPORT_ALL)  # no name listed twice


def test_public_api_of_the_provider_sdk_is_frozen() -> None:
    from modelport import provider

    assert set(provider.__all__) == PROVIDER_ALL
    assert len(provider.__all__) == len(PROVIDER_ALL)
    for name in provider.__all__:
        assert getattr(provider, name) is not None, name
    # One object per concept: the SDK re-exports the same classes users catch.
    assert provider.RateLimitError is mp.RateLimitError
    assert provider.Response is mp.Response


ROOT = Path(__file__).resolve().parents[2]


def _private_modules() -> set[str]:
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        from sync_banned_api import private_modules
    finally:
        sys.path.pop(0)
    return set(private_modules())


def test_the_lint_ban_names_every_private_module() -> None:
    """ruff's banned-api (TID251) keeps plugins off private modules; it takes no wildcard,
    so a new private module must be added to pyproject.toml: run scripts/sync_banned_api.py."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    banned = set(config["tool"]["ruff"]["lint"]["flake8-tidy-imports"]["banned-api"])
    missing = _private_modules() - banned
    assert not missing, f"add to [tool.ruff.lint.flake8-tidy-imports.banned-api]: {missing}"


_PRIVATE_IMPORT = re.compile(r"\bmodelport(?:\.testing)?\._[a-z]|from modelport import _")


def test_docs_never_touch_a_private_module() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}:{n}"
        for path in sorted((ROOT / "docs").rglob("*.md"))
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if _PRIVATE_IMPORT.search(line)
    ]
    assert not offenders, offenders
