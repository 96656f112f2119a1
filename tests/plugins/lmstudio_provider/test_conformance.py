"""Every file in ../shared/conformance/lmstudio, checked with values read from the file itself.

A file added to that folder without an entry in ``CHECKS`` fails ``test_every_file_is_checked``,
so nothing in the corpus goes unchecked.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable

import pytest
from modelport._errors import ModelRequestError, ProviderProtocolError
from modelport._messages import Message
from modelport._request import Request
from modelport_lmstudio import LMStudioModel, parse_model_info
from modelport_lmstudio._native import native_metadata, stop_from_stats

from ._lmstudio import CORPUS, corpus_bytes, corpus_json, provider, requires_corpus

pytestmark = requires_corpus

REQUEST = Request(model="phi-4-mini-instruct", messages=[Message(role="user", content="hi")])


def check_real_v1_models() -> None:
    body = corpus_bytes("real-v1-models.json")
    ids = [
        "text-embedding-nomic-embed-text-v1.5",
        "smollm2-ft-masteryoda-motih",
        "qwen3-4b-instruct-2507",
        "phi-4-mini-instruct",
        "qwen/qwen3-14b",
        "text-embedding-mxbai-embed-large-v1",
        "qwen/qwen3-8b",
    ]
    assert provider().parse_models(body) == ids
    assert provider(models_api="openai").parse_models(body) == ids
    infos = parse_model_info(body)
    # The OpenAI-compatible list says nothing but the id.
    assert infos[3] == LMStudioModel(id="phi-4-mini-instruct")
    assert all(m.state is None and m.type is None and not m.loaded for m in infos)
    assert infos[3].raw == {
        "id": "phi-4-mini-instruct",
        "object": "model",
        "owned_by": "organization_owner",
    }


def check_real_api_v0_models() -> None:
    body = corpus_bytes("real-api-v0-models.json")
    infos = parse_model_info(body)
    assert [m.id for m in infos] == provider().parse_models(body)
    assert len(infos) == 7
    assert infos[0] == LMStudioModel(
        id="text-embedding-nomic-embed-text-v1.5",
        type="embeddings",
        publisher="nomic-ai",
        arch="nomic-bert",
        quantization="Q4_K_M",
        state="not-loaded",
        max_context_length=2048,
        format="gguf",
    )
    qwen4 = infos[2]
    assert (qwen4.id, qwen4.publisher, qwen4.arch, qwen4.quantization) == (
        "qwen3-4b-instruct-2507",
        "unsloth",
        "qwen3",
        "Q4_K_S",
    )
    assert qwen4.max_context_length == 262144
    assert qwen4.capabilities == ("tool_use",)
    assert [m.id for m in infos if "tool_use" in m.capabilities] == [
        "qwen3-4b-instruct-2507",
        "qwen/qwen3-14b",
        "qwen/qwen3-8b",
    ]
    assert [m.type for m in infos].count("embeddings") == 2
    assert infos[3].id == "phi-4-mini-instruct" and infos[3].max_context_length == 131072
    assert infos[3].capabilities == ()
    assert {m.state for m in infos} == {"not-loaded"}
    assert infos[1].quantization == "F16" and infos[1].arch == "llama"


def check_docs_api_v0_models() -> None:
    infos = parse_model_info(corpus_bytes("docs-api-v0-models.json"))
    assert [(m.id, m.type, m.format) for m in infos] == [
        ("qwen2-vl-7b-instruct", "vlm", "mlx"),
        ("meta-llama-3.1-8b-instruct", "llm", "gguf"),
        ("text-embedding-nomic-embed-text-v1.5", "embeddings", "gguf"),
    ]
    assert infos[0].publisher == "mlx-community" and infos[0].quantization == "4bit"
    assert infos[0].arch == "qwen2_vl" and infos[0].max_context_length == 32768
    assert infos[1].max_context_length == 131072 and infos[2].quantization == "Q4_0"
    assert all(m.state == "not-loaded" for m in infos)


def check_docs_api_v1_models() -> None:
    body = corpus_bytes("docs-api-v1-models.json")
    assert provider(models_api="v1").parse_models(body) == [
        "google/gemma-4-26b-a4b",
        "deepseek-r1",
        "text-embedding-nomic-embed-text-v1.5-embedding",
    ]
    gemma, deepseek, nomic = parse_model_info(body)
    assert gemma == LMStudioModel(
        id="google/gemma-4-26b-a4b",
        type="llm",
        publisher="google",
        arch="gemma4",
        quantization="Q4_K_M",
        state="loaded",
        max_context_length=262144,
        capabilities=("tool_use", "vision", "reasoning"),
        display_name="Gemma 4 26B A4B",
        format="gguf",
        size_bytes=17990911801,
        loaded_instances=("google/gemma-4-26b-a4b",),
        loaded_context_length=4096,
    )
    assert gemma.loaded
    assert gemma.raw["capabilities"]["reasoning"] == {
        "allowed_options": ["off", "on"],
        "default": "on",
    }
    assert deepseek.state == "not-loaded" and not deepseek.loaded
    assert deepseek.capabilities == ("tool_use", "reasoning")
    assert deepseek.loaded_instances == () and deepseek.size_bytes == 40492610355
    assert deepseek.arch == "deepseek" and deepseek.display_name == "DeepSeek R1"
    assert nomic.type == "embedding" and nomic.arch is None and nomic.capabilities == ()
    assert nomic.quantization == "F16" and nomic.max_context_length == 2048
    assert nomic.publisher == "gaianet" and nomic.state == "not-loaded"


def _check_native_chat(name: str) -> None:
    body = corpus_bytes(name)
    data = json.loads(body)
    r = provider(api="native").parse_response(body, REQUEST)
    assert r.provider == "lmstudio"
    assert r.model == data["model"]
    assert r.text == data["choices"][0]["message"]["content"]
    assert r.stop_reason == "stop" and r.raw_stop_reason == "stop"
    assert r.usage.input_tokens == data["usage"]["prompt_tokens"]
    assert r.usage.output_tokens == data["usage"]["completion_tokens"]
    assert r.provider_metadata["response_id"] == data["id"]
    assert r.provider_metadata["stats"] == data["stats"]
    assert r.provider_metadata["model_info"] == data["model_info"]
    assert r.provider_metadata["runtime"] == data["runtime"]
    assert r.time_to_first_token_s == data["stats"]["time_to_first_token"]
    assert r.tool_calls == [] and r.reasoning is None


def check_real_api_v0_chat_completions() -> None:
    name = "real-api-v0-chat-completions.json"
    _check_native_chat(name)
    r = provider(api="native").parse_response(corpus_bytes(name), REQUEST)
    assert r.model == "phi-4-mini-instruct"
    assert r.text.startswith("Greetings, I'm a digital sprite,\nCreated to brighten your day")
    assert r.text.endswith("Together we'll find a smooth and swift way!")
    assert (r.usage.input_tokens, r.usage.output_tokens, r.usage.total_tokens) == (14, 89, 103)
    # "reasoning_content": "" and "tool_calls": [] mean none, not an empty thought.
    assert r.reasoning is None and r.tool_calls == []
    assert r.provider_metadata["stats"] == {
        "tokens_per_second": 63.72271083858157,
        "time_to_first_token": 0.073,
        "generation_time": 1.396,
        "stop_reason": "eosFound",
    }
    assert r.provider_metadata["model_info"]["context_length"] == 66856
    assert r.provider_metadata["runtime"]["name"] == "llama.cpp-win-x86_64-nvidia-cuda12-avx2"
    assert r.provider_metadata["runtime"]["version"] == "1.51.0"
    assert r.time_to_first_token_s == 0.073
    # Through the OpenAI-compatible path the same body decodes the same (stats included).
    assert provider().parse_response(corpus_bytes(name), REQUEST).text == r.text


def check_docs_api_v0_chat_completions() -> None:
    name = "docs-api-v0-chat-completions.json"
    _check_native_chat(name)
    r = provider(api="native").parse_response(corpus_bytes(name), REQUEST)
    assert r.model == "granite-3.0-2b-instruct"
    assert r.text.startswith("Greetings, I'm a helpful AI, here to assist,")
    assert (r.usage.input_tokens, r.usage.output_tokens) == (24, 53)
    assert r.provider_metadata["stats"]["tokens_per_second"] == 51.43709529007664
    assert r.provider_metadata["stats"]["generation_time"] == 0.954
    assert r.provider_metadata["model_info"] == {
        "arch": "granite",
        "quant": "Q4_K_M",
        "format": "gguf",
        "context_length": 4096,
    }
    assert r.provider_metadata["runtime"]["supported_formats"] == ["gguf"]
    assert r.time_to_first_token_s == 0.111


def check_docs_api_v0_completions() -> None:
    data = corpus_json("docs-api-v0-completions.json")
    # LM Studio's own vocabulary agrees with the OpenAI finish reason next to it.
    assert data["choices"][0]["finish_reason"] == "length"
    assert stop_from_stats(data["stats"]["stop_reason"]) == "length"
    assert native_metadata(data)["stats"]["tokens_per_second"] == 57.69230769230769
    # A text completion is not a chat completion: a typed error, named for this provider.
    with pytest.raises(ProviderProtocolError) as info:
        provider(api="native").parse_response(corpus_bytes("docs-api-v0-completions.json"), REQUEST)
    assert info.value.provider == "lmstudio" and info.value.model == "phi-4-mini-instruct"
    # Its stats on a chat body without finish_reason give the stop reason.
    chat = corpus_json("docs-api-v0-chat-completions.json")
    chat["choices"][0]["finish_reason"] = None
    chat["stats"] = data["stats"]
    r = provider(api="native").parse_response(json.dumps(chat).encode(), REQUEST)
    assert r.stop_reason == "length" and r.raw_stop_reason == "maxPredictedTokensReached"


def check_docs_api_v1_models_load() -> None:
    data = corpus_json("docs-api-v1-models-load.json")
    assert data["instance_id"] == "openai/gpt-oss-20b" and data["status"] == "loaded"
    assert data["load_config"]["context_length"] == 16384 and data["load_time_seconds"] == 9.099
    # Not a model list: refused with a typed error rather than read as an empty list.
    with pytest.raises(ProviderProtocolError, match="no model array"):
        parse_model_info(corpus_bytes("docs-api-v1-models-load.json"))


def check_docs_api_v1_models_unload() -> None:
    assert corpus_json("docs-api-v1-models-unload.json") == {"instance_id": "openai/gpt-oss-20b"}
    with pytest.raises(ProviderProtocolError) as info:
        provider().parse_models(corpus_bytes("docs-api-v1-models-unload.json"))
    assert info.value.provider == "lmstudio"


def check_docs_api_v1_chat() -> None:
    data = corpus_json("docs-api-v1-chat.json")
    assert data["model_instance_id"] == "qwen/qwen3-vl-4b"
    assert native_metadata(data) == {"stats": data["stats"]}
    assert data["stats"]["total_output_tokens"] == 50
    # /api/v1/chat is a different protocol; its body is not mistaken for a completion.
    with pytest.raises(ProviderProtocolError, match="no choices") as info:
        provider(api="native").parse_response(corpus_bytes("docs-api-v1-chat.json"), REQUEST)
    assert info.value.provider == "lmstudio"


STREAM_TYPES = [
    "chat.start",
    "model_load.start",
    "model_load.progress",
    "model_load.end",
    "prompt_processing.start",
    "prompt_processing.progress",
    "prompt_processing.end",
    "reasoning.start",
    "reasoning.delta",
    "reasoning.end",
    "tool_call.start",
    "tool_call.arguments",
    "tool_call.success",
    "tool_call.failure",
    "message.start",
    "message.delta",
    "message.end",
    "error",
    "chat.end",
]


def stream_blocks() -> list[dict[str, object]]:
    text = corpus_bytes("docs-api-v1-chat-streaming-events.txt").decode()
    return [json.loads(block) for block in text.split("\n\n") if block.strip()]


def check_docs_api_v1_chat_streaming_events() -> None:
    blocks = stream_blocks()
    assert [b["type"] for b in blocks] == STREAM_TYPES
    # Sent the way the docs say ("event: <type>\ndata: <json>") into our stream decoder: the
    # events before the error carry no choices and yield nothing; the error is typed.
    decoder = provider().stream_decoder(REQUEST)
    deltas = []
    error = None
    for block in blocks:
        wire = f"event: {block['type']}\ndata: {json.dumps(block)}\n\n".encode()
        try:
            deltas.extend(decoder.feed(wire))
        except ModelRequestError as exc:
            error = exc
            break
    assert [d for d in deltas if type(d).__name__ != "MetaDelta"] == []
    assert error is not None and block["type"] == "error"
    assert error.provider == "lmstudio" and error.model == "phi-4-mini-instruct"
    assert error.provider_message == '"model" is required'
    assert error.code == "missing_required_parameter"
    end = blocks[-1]["result"]
    assert isinstance(end, dict)
    assert end["stats"]["reasoning_output_tokens"] == 5


def check_index() -> None:
    index = corpus_json("index.json")
    assert index["provider_dir"] == "lmstudio"
    listed = {f["file"] for f in index["files"]}
    assert listed == set(CHECKS) - {"index.json"}
    for entry in index["files"]:
        data = corpus_bytes(entry["file"])
        assert len(data) == entry["bytes"]
        assert hashlib.sha256(data).hexdigest() == entry["sha256"]


CHECKS: dict[str, Callable[[], None]] = {
    "real-v1-models.json": check_real_v1_models,
    "real-api-v0-models.json": check_real_api_v0_models,
    "real-api-v0-chat-completions.json": check_real_api_v0_chat_completions,
    "docs-api-v0-models.json": check_docs_api_v0_models,
    "docs-api-v0-chat-completions.json": check_docs_api_v0_chat_completions,
    "docs-api-v0-completions.json": check_docs_api_v0_completions,
    "docs-api-v1-models.json": check_docs_api_v1_models,
    "docs-api-v1-models-load.json": check_docs_api_v1_models_load,
    "docs-api-v1-models-unload.json": check_docs_api_v1_models_unload,
    "docs-api-v1-chat.json": check_docs_api_v1_chat,
    "docs-api-v1-chat-streaming-events.txt": check_docs_api_v1_chat_streaming_events,
    "index.json": check_index,
}


def test_every_file_is_checked() -> None:
    assert sorted(p.name for p in CORPUS.iterdir() if p.is_file()) == sorted(CHECKS)


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_recording(name: str) -> None:
    CHECKS[name]()
