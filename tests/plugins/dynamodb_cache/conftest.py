"""Fixtures: the moto server and DynamoDB Local (one process each per session), a clean AWS
environment per test with canary credentials, and helpers to look at the table directly."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ._servers import DynamoDBLocal, MotoServer, raw_client

# Canary credentials: they must appear in no item and in no error text.
CANARY_SECRET = "canary-SECRET-7f3a9c41-do-not-store-anywhere"
CANARY_TOKEN = "canary-TOKEN-5d2e8b07-do-not-store-anywhere"
ACCESS_KEY = "testing"
CANARIES = (CANARY_SECRET, CANARY_TOKEN)

_AWS_VARS = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_DYNAMODB",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ROLE_ARN",
    "AWS_MAX_ATTEMPTS",
    "AWS_RETRY_MODE",
    "MODELPORT_DYNAMODB_TABLE",
    "MODELPORT_DYNAMODB_REGION",
    "MODELPORT_DYNAMODB_ENDPOINT_URL",
    "MODELPORT_DYNAMODB_CREATE_TABLE",
    "MODELPORT_LOAD_PLUGINS",
    "MODELPORT_DISABLE_PLUGINS",
)


@pytest.fixture(autouse=True)
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Fake credentials through the standard chain's first link (the environment); no config
    files, no instance metadata, so nothing on the machine leaks in or slows a test down."""
    for name in _AWS_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", CANARY_SECRET)
    monkeypatch.setenv("AWS_SESSION_TOKEN", CANARY_TOKEN)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")


@pytest.fixture(scope="session")
def moto_server() -> Iterator[MotoServer]:
    with MotoServer() as server:
        yield server


@pytest.fixture
def moto(moto_server: MotoServer) -> str:
    """The moto server's URL, with all state wiped before the test."""
    moto_server.reset()
    return moto_server.url


@pytest.fixture(scope="session")
def ddb_local() -> Iterator[DynamoDBLocal]:
    with DynamoDBLocal() as server:
        yield server


def scan_all(endpoint_url: str, table: str) -> list[dict[str, Any]]:
    """Every item of ``table``, raw (botocore's attribute-value form)."""
    client = raw_client(endpoint_url)
    try:
        items: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {"TableName": table}
        while True:
            page = client.scan(**kwargs)
            items += page.get("Items", [])
            if "LastEvaluatedKey" not in page:
                return items
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    finally:
        client.close()


def assert_no_canary(*texts: Any) -> None:
    for text in texts:
        blob = text if isinstance(text, str) else repr(text)
        for canary in CANARIES:
            assert canary not in blob
    assert os.environ["AWS_SECRET_ACCESS_KEY"] == CANARY_SECRET  # the canary was really in use
