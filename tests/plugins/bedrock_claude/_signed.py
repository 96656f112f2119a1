"""Test helpers: SigV4 verification of each request (with botocore and the fake
credentials), a scripted Bedrock endpoint that answers 403 ``InvalidSignatureException`` like
Bedrock when a signature does not match, and an AWS environment with no credentials in it."""

from __future__ import annotations

import hmac
import json
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote

import pytest
from modelport.testing import Fault, RecordedRequest, Reply

from ._bedrock import ACCESS_KEY, MODEL, REGION, SECRET_KEY, THINKER

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
