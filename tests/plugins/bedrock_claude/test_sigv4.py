"""SigV4 signing as a pure function: fixed inputs and time give a fixed signature, which AWS's
published test vector, botocore's signer and the scripted Bedrock server all accept."""

from __future__ import annotations

import http.client
import json
from datetime import UTC, datetime, timedelta, timezone
from urllib.parse import urlsplit

from modelport.provider import WireRequest
from modelport.testing import Reply, ScriptedServer
from modelport_bedrock_claude._sigv4 import SERVICE, SigningCredentials, sign

from ._bedrock import ACCESS_KEY, MODEL, REGION, SECRET_KEY, recording, requires_corpus
from ._signed import SignedEndpoint

NOW = datetime(2015, 8, 30, 12, 36, tzinfo=UTC)
CREDS = SigningCredentials(ACCESS_KEY, SECRET_KEY)
TEMPORARY = SigningCredentials(ACCESS_KEY, SECRET_KEY, "canary-TOKEN-sigv4-0123456789")


def invoke(base: str = "https://bedrock-runtime.us-east-1.amazonaws.com") -> WireRequest:
    body = {"anthropic_version": "bedrock-2023-05-31", "max_tokens": 8, "messages": []}
    return WireRequest(
        "POST",
        f"{base}/model/{MODEL.replace(':', '%3A')}/invoke",
        {"Content-Type": "application/json", "Accept": "application/json"},
        body,
        json.dumps(body).encode(),
    )


def test_aws_published_vector() -> None:
    # "get-vanilla" from AWS's Signature Version 4 test suite.
    wire = WireRequest("GET", "https://example.amazonaws.com/", {}, None, None)
    creds = SigningCredentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
    sign(wire, creds, "us-east-1", "service", NOW)
    assert wire.headers == {
        "X-Amz-Date": "20150830T123600Z",
        "Authorization": "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/"
        "aws4_request, SignedHeaders=host;x-amz-date, "
        "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
    }


def test_same_inputs_same_signature() -> None:
    a, b = invoke(), invoke()
    sign(a, TEMPORARY, REGION, SERVICE, NOW)
    sign(b, TEMPORARY, REGION, SERVICE, NOW)
    assert a.headers == b.headers
    assert a.headers["X-Amz-Date"] == "20150830T123600Z"
    assert a.headers["X-Amz-Security-Token"] == TEMPORARY.token
    auth = a.headers["Authorization"]
    assert auth.startswith(f"AWS4-HMAC-SHA256 Credential={ACCESS_KEY}/20150830/us-east-1/bedrock/")
    assert "SignedHeaders=accept;content-type;host;x-amz-date;x-amz-security-token," in auth
    # the same instant in another timezone, or naive (taken as UTC), is the same signature
    c, d = invoke(), invoke()
    sign(c, TEMPORARY, REGION, SERVICE, NOW.astimezone(timezone(timedelta(hours=-7))))
    sign(d, TEMPORARY, REGION, SERVICE, NOW.replace(tzinfo=None))
    assert c.headers == a.headers == d.headers


def test_any_input_changes_the_signature() -> None:
    base = invoke()
    sign(base, CREDS, REGION, SERVICE, NOW)
    variants = [invoke() for _ in range(4)]
    sign(variants[0], CREDS, REGION, SERVICE, NOW + timedelta(seconds=1))
    sign(variants[1], CREDS, "us-west-2", SERVICE, NOW)
    variants[2].content = b'{"changed":true}'
    sign(variants[2], CREDS, REGION, SERVICE, NOW)
    sign(variants[3], SigningCredentials(ACCESS_KEY, "another-secret"), REGION, SERVICE, NOW)
    signatures = {v.headers["Authorization"] for v in variants}
    assert len(signatures) == 4 and base.headers["Authorization"] not in signatures


def test_resigning_replaces_stale_headers() -> None:
    wire = invoke()
    sign(wire, TEMPORARY, REGION, SERVICE, NOW)
    first = dict(wire.headers)
    wire.headers["x-amz-content-sha256"] = "0" * 64  # a caller's own: would break the hash
    sign(wire, CREDS, REGION, SERVICE, NOW + timedelta(minutes=1))  # a retry, no token now
    lowered = [k.lower() for k in wire.headers]
    assert lowered.count("authorization") == 1 and lowered.count("x-amz-date") == 1
    assert "x-amz-security-token" not in lowered and "x-amz-content-sha256" not in lowered
    assert wire.headers["Authorization"] != first["Authorization"]


def test_transport_headers_are_not_signed() -> None:
    wire = invoke()
    wire.headers["User-Agent"] = "x"
    wire.headers["Content-Length"] = "1"
    wire.headers["X-Amzn-Bedrock-Trace"] = "  ENABLED  "
    sign(wire, CREDS, REGION, SERVICE, NOW)
    signed = wire.headers["Authorization"].split("SignedHeaders=")[1].split(",")[0]
    assert signed == "accept;content-type;host;x-amz-date;x-amzn-bedrock-trace"


def test_secrets_never_in_reprs() -> None:
    wire = invoke()
    sign(wire, TEMPORARY, REGION, SERVICE, NOW)
    for text in (repr(TEMPORARY), repr(wire)):
        assert SECRET_KEY not in text and "canary-TOKEN" not in text


@requires_corpus
def test_fixed_time_signature_accepted_by_the_verifying_server() -> None:
    """The server recomputes the signature with botocore (it checks the signature, not the
    clock), so a request signed in 2015 proves the two implementations agree byte for byte."""
    with ScriptedServer() as server:
        endpoint = SignedEndpoint(server)
        endpoint.add(Reply.from_file(recording("invoke-text.json")))
        wire = invoke(server.url)
        sign(wire, TEMPORARY, REGION, SERVICE, NOW)
        again = invoke(server.url)
        sign(again, TEMPORARY, REGION, SERVICE, NOW)
        assert again.headers == wire.headers
        parts = urlsplit(wire.url)
        conn = http.client.HTTPConnection(parts.netloc, timeout=10)
        try:
            conn.request(wire.method, parts.path, body=wire.content, headers=wire.headers)
            response = conn.getresponse()
            status, body = response.status, response.read()
        finally:
            conn.close()
        assert endpoint.problems == []
        assert status == 200 and json.loads(body)["content"][0]["type"] == "text"
        assert endpoint.signed_by == [ACCESS_KEY]
