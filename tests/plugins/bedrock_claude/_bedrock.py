"""Test helpers: the recorded corpus, an AWS event-stream frame encoder, SigV4 verification and
a scripted Bedrock endpoint on ``modelport.testing.ScriptedServer``.

The frame encoder is written from the event-stream format (prelude: total length, headers
length, CRC32 of those 8 bytes; headers as ``name-len name type=7 value-len value``; payload;
CRC32 of everything before it), not from botocore, so botocore's decoder checks our bytes and
our bytes check the plugin. The SigV4 check recomputes each request's signature with botocore
and the same fake credentials, answering 403 ``InvalidSignatureException`` like Bedrock when it
does not match.
"""

from __future__ import annotations

import base64
import hmac
import json
import os
import re
import struct
import zlib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote

import pytest
from hypothesis import HealthCheck, settings
from modelport.provider import ProviderSettings, Response, WireDelta
from modelport.provider import assemble as sdk_assemble
from modelport.testing import Fault, RecordedRequest, Reply
from modelport_bedrock_claude._provider import BedrockClaudeProvider
from modelport_bedrock_claude._stream import BedrockStreamDecoder

FAST = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

MODEL = "anthropic.claude-3-5-sonnet-20240620-v1:0"
THINKER = "anthropic.claude-3-7-sonnet-20250219-v1:0"  # a manual-budget thinking model
ACCESS_KEY = "AKIDEXAMPLEMODELPORT"
SECRET_KEY = "canary-SECRET-7f3a9c1e5b2d4f6a8c0e"  # must never appear in any error or repr
REGION = "us-east-1"


def _corpus_root() -> Path:
    env = os.environ.get("MODELPORT_CONFORMANCE_DIR")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[3].parent / "shared" / "conformance"


CORPUS = _corpus_root() / "bedrock-claude"

requires_corpus = pytest.mark.skipif(
    not CORPUS.is_dir(), reason=f"conformance corpus not found at {CORPUS}"
)


def recording(name: str) -> Path:
    return CORPUS / name


def index_entry(name: str) -> dict[str, Any]:
    for entry in json.loads((CORPUS / "index.json").read_text())["files"]:
        if entry["file"] == name:
            return dict(entry)
    raise LookupError(name)


def provider(base_url: str | None = None, **options: Any) -> BedrockClaudeProvider:
    options.setdefault("region", REGION)
    return BedrockClaudeProvider(ProviderSettings(model=MODEL, base_url=base_url, options=options))


# -- feeding a decoder ------------------------------------------------------------------------


def feed_chunks(chunks: Iterable[bytes]) -> list[WireDelta]:
    decoder = BedrockStreamDecoder(model=MODEL)
    out: list[WireDelta] = []
    for chunk in chunks:
        out.extend(decoder.feed(chunk))
    out.extend(decoder.close())
    return out


def assemble(deltas: Iterable[WireDelta]) -> Response:
    return sdk_assemble(deltas, provider="bedrock-claude", model=MODEL)


def split_at(data: bytes, cuts: Iterable[int]) -> list[bytes]:
    points = sorted({c for c in cuts if 0 < c < len(data)})
    pieces, start = [], 0
    for p in points:
        pieces.append(data[start:p])
        start = p
    pieces.append(data[start:])
    return pieces


# -- event-stream frames ----------------------------------------------------------------------


def _headers(headers: Mapping[str, str]) -> bytes:
    out = bytearray()
    for name, value in headers.items():
        n, v = name.encode(), value.encode()
        out += bytes([len(n)]) + n + b"\x07" + struct.pack(">H", len(v)) + v
    return bytes(out)


def frame(headers: Mapping[str, str], payload: bytes) -> bytes:
    """One event-stream message: prelude + prelude CRC, headers, payload, message CRC."""
    hb = _headers(headers)
    prelude = struct.pack(">II", 16 + len(hb) + len(payload), len(hb))
    message = prelude + struct.pack(">I", zlib.crc32(prelude)) + hb + payload
    return message + struct.pack(">I", zlib.crc32(message))


def chunk_frame(event: Mapping[str, Any], *, pad: str | None = None) -> bytes:
    """A Bedrock ``chunk`` event carrying one Anthropic stream event (base64 JSON)."""
    wrapper: dict[str, str] = {"bytes": base64.b64encode(json.dumps(event).encode()).decode()}
    if pad is not None:
        wrapper["p"] = pad
    headers = {
        ":event-type": "chunk",
        ":content-type": "application/json",
        ":message-type": "event",
    }
    return frame(headers, json.dumps(wrapper).encode())


def exception_frame(name: str, message: str) -> bytes:
    headers = {
        ":exception-type": name,
        ":content-type": "application/json",
        ":message-type": "exception",
    }
    return frame(headers, json.dumps({"message": message}).encode())


def stream_bytes(events: Iterable[Mapping[str, Any]]) -> bytes:
    return b"".join(chunk_frame(e) for e in events)


def sse_events(path: Path) -> list[dict[str, Any]]:
    """The JSON events of a recorded Anthropic SSE stream (its data: lines)."""
    out = []
    for line in path.read_text().splitlines():
        if line.startswith("data:"):
            out.append(json.loads(line[5:].strip()))
    return out


def message_events(message: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The stream events Claude sends for a (non-streamed) message, split into fragments."""
    head = {k: v for k, v in message.items() if k not in ("content", "stop_reason", "usage")}
    usage = dict(message.get("usage") or {})
    out_tokens = usage.pop("output_tokens", 0)
    events: list[dict[str, Any]] = [
        {
            "type": "message_start",
            "message": {
                **head,
                "content": [],
                "stop_reason": None,
                "usage": {**usage, "output_tokens": 1},
            },
        }
    ]
    for i, block in enumerate(message["content"]):
        kind = block["type"]
        if kind == "text":
            events.append(
                {"type": "content_block_start", "index": i, "content_block": {**block, "text": ""}}
            )
            for piece in _pieces(block["text"]):
                events.append(
                    {
                        "type": "content_block_delta",
                        "index": i,
                        "delta": {"type": "text_delta", "text": piece},
                    }
                )
        elif kind == "thinking":
            start = {"type": "thinking", "thinking": "", "signature": ""}
            events.append({"type": "content_block_start", "index": i, "content_block": start})
            for piece in _pieces(block["thinking"]):
                events.append(
                    {
                        "type": "content_block_delta",
                        "index": i,
                        "delta": {"type": "thinking_delta", "thinking": piece},
                    }
                )
            events.append(
                {
                    "type": "content_block_delta",
                    "index": i,
                    "delta": {"type": "signature_delta", "signature": block["signature"]},
                }
            )
        elif kind == "redacted_thinking":
            events.append({"type": "content_block_start", "index": i, "content_block": block})
        elif kind == "tool_use":
            start = {**block, "input": {}}
            events.append({"type": "content_block_start", "index": i, "content_block": start})
            for piece in _pieces(json.dumps(block["input"])):
                events.append(
                    {
                        "type": "content_block_delta",
                        "index": i,
                        "delta": {"type": "input_json_delta", "partial_json": piece},
                    }
                )
        events.append({"type": "content_block_stop", "index": i})
    events.append(
        {
            "type": "message_delta",
            "delta": {"stop_reason": message.get("stop_reason"), "stop_sequence": None},
            "usage": {"output_tokens": out_tokens},
        }
    )
    events.append({"type": "message_stop"})
    return events


def _pieces(text: str, size: int = 7) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)] or []


# -- SigV4 verification -----------------------------------------------------------------------

_AUTH_RE = re.compile(
    r"AWS4-HMAC-SHA256 Credential=(?P<key>[^/]+)/(?P<date>\d{8})/(?P<region>[^/]+)/"
    r"(?P<service>[^/]+)/aws4_request, SignedHeaders=(?P<signed>[^,]+), "
    r"Signature=(?P<sig>[0-9a-f]{64})$"
)


KEYS: Mapping[str, str] = {ACCESS_KEY: SECRET_KEY}


def signature_problem(
    req: RecordedRequest, url: str, *, keys: Mapping[str, str] = KEYS
) -> str | None:
    """None when ``req`` carries a valid SigV4 signature for one of ``keys`` (access key to
    secret), recomputed with botocore's signer: an implementation independent of the plugin's."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    auth = req.headers.get("authorization", "")
    m = _AUTH_RE.match(auth)
    if m is None:
        return "missing or malformed Authorization header"
    secret = keys.get(m["key"])
    if secret is None:
        return "unrecognized access key"
    if (m["region"], m["service"]) != (REGION, "bedrock"):
        return f"wrong scope {m['region']}/{m['service']}"
    amz_date = req.headers.get("x-amz-date", "")
    if amz_date[:8] != m["date"]:
        return "X-Amz-Date does not match the credential scope"
    signed = m["signed"].split(";")
    if "host" not in signed or "x-amz-date" not in signed:
        return "host and x-amz-date must be signed"
    headers = {name: req.headers.get(name, "") for name in signed}
    aws = AWSRequest(method=req.method, url=url + req.target, headers=headers, data=req.body)
    aws.context["timestamp"] = amz_date
    token = req.headers.get("x-amz-security-token")
    signer = SigV4Auth(Credentials(m["key"], secret, token), m["service"], m["region"])
    canonical = signer.canonical_request(aws)
    expected = signer.signature(signer.string_to_sign(aws, canonical), aws)
    if not hmac.compare_digest(expected, m["sig"]):
        return "signature mismatch"
    return None


def aws_error(status: int, error_type: str, message: str, **headers: str) -> Reply:
    return Reply.raw(
        status,
        json.dumps({"message": message}),
        content_type="application/json",
        headers={
            "x-amzn-ErrorType": f"{error_type}:http://internal.amazon.com/coral/com.amazon.bedrock/",
            "x-amzn-RequestId": "req-0000-test",
            **headers,
        },
    )


class SignedEndpoint:
    """A queue of replies behind SigV4 verification, installed as the server's routes.

    Each request must be signed correctly, go to ``/model/{quoted MODEL}/invoke[...]``
    and carry ``anthropic_version``; else it gets Bedrock's 403 / 400. ``problems`` records
    every rejection, so a test can assert there was none; ``signed_by`` the access key of every
    accepted request. ``keys`` are the credentials it knows (access key to secret).
    """

    def __init__(
        self,
        server: Any,
        keys: Mapping[str, str] = KEYS,
        models: Iterable[str] = (MODEL, THINKER),
    ) -> None:
        self.server = server
        self.keys = keys
        self.replies: list[Reply | Fault] = []
        self.problems: list[str] = []
        self.bodies: list[dict[str, Any]] = []
        self.signed_by: list[str] = []
        self.paths: list[str] = []
        self.listed: list[str] = []  # the target (path and query) of every listing request
        for model in models:
            self.serve(model)

    def serve(self, model: str) -> None:
        """Route ``model``'s two actions (by its quoted id, as Bedrock's paths carry it)."""
        quoted = quote(model, safe="")
        for action in ("invoke", "invoke-with-response-stream"):
            self.server.route("POST", f"/model/{quoted}/{action}", self._answer)

    def listing(self, models: Mapping[str, Any], *profile_pages: Mapping[str, Any]) -> None:
        """Serve the control plane: ``GET /foundation-models`` answers ``models``;
        ``GET /inference-profiles`` answers ``profile_pages`` in order of ``nextToken``
        (page ``i`` is asked for with the token ``"page-<i>"``, the first without)."""
        pages = list(profile_pages)

        def models_answer(req: RecordedRequest) -> Reply:
            return self._signed_get(req) or Reply.json(dict(models))

        def profiles_answer(req: RecordedRequest) -> Reply:
            refused = self._signed_get(req)
            if refused is not None:
                return refused
            token = dict(parse_qsl(req.query)).get("nextToken")
            index = 0 if token is None else int(token.rsplit("-", 1)[1])
            return Reply.json(dict(pages[index]))

        self.server.route("GET", "/foundation-models", models_answer)
        self.server.route("GET", "/inference-profiles", profiles_answer)

    def _signed_get(self, req: RecordedRequest) -> Reply | None:
        self.listed.append(req.target)
        problem = signature_problem(req, self.server.url, keys=self.keys)
        if problem is None:
            return None
        self.problems.append(problem)
        return aws_error(403, "InvalidSignatureException", "signature mismatch")

    def add(self, *replies: Reply | Fault) -> None:
        self.replies.extend(replies)

    def _answer(self, req: RecordedRequest) -> Reply | Fault:
        problem = signature_problem(req, self.server.url, keys=self.keys)
        if problem is not None:
            self.problems.append(problem)
            return aws_error(
                403,
                "InvalidSignatureException",
                "The request signature we calculated does not match the signature you provided.",
            )
        match = _AUTH_RE.match(req.headers.get("authorization", ""))
        self.signed_by.append(match["key"] if match else "")
        self.paths.append(req.path)
        body = req.json()
        self.bodies.append(body)
        if body.get("anthropic_version") != "bedrock-2023-05-31":
            self.problems.append("anthropic_version missing")
            return aws_error(400, "ValidationException", "Malformed input request")
        if not self.replies:
            return aws_error(500, "InternalServerException", "nothing scripted")
        return self.replies.pop(0)


# -- an AWS environment with nothing in it ----------------------------------------------------

_AWS_VARS = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_CREDENTIAL_EXPIRATION",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN",
)


def empty_aws(monkeypatch: pytest.MonkeyPatch, home: Path) -> tuple[Path, Path]:
    """Clear every credential source botocore's chain reads (and turn off instance metadata,
    the one that would go to the network); returns the (credentials, config) file paths,
    which do not exist yet: a test writes what it needs into them."""
    for var in _AWS_VARS:
        monkeypatch.delenv(var, raising=False)
    credentials, config = home / "aws-credentials", home / "aws-config"
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    return credentials, config
