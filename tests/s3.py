"""Fixtures for tests against a real S3 server on 127.0.0.1: moto's standalone
server (`s3_url`, one per test module) and a fresh bucket per test (`config`).

A test module uses them with `pytest_plugins = ["s3"]` (tests/ is on
sys.path, as for conftest).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import free_port, require

from localapp.sync.config import BucketConfig

#: credentials and settings that keep boto3 away from any real account
DUMMY = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_EC2_METADATA_DISABLED": "true",
    "AWS_CONFIG_FILE": "/dev/null",
    "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
}


@pytest.fixture(scope="module")
def s3_url() -> Iterator[str]:
    try:
        from moto.server import ThreadedMotoServer
    except ImportError:
        require(False, "moto[server] is not installed (pip install 'moto[server]>=5')")
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture
def config(s3_url: str, monkeypatch: pytest.MonkeyPatch) -> BucketConfig:
    """A fresh bucket; keys given the seed's way (OSS_* aliases)."""
    for k, v in DUMMY.items():
        monkeypatch.setenv(k, v)
    cfg = BucketConfig.from_env(
        {
            "LOCALAPP_S3_ENDPOINT": s3_url,
            "LOCALAPP_S3_REGION": "us-east-1",
            "OSS_BUCKET": f"sync-{uuid.uuid4().hex[:12]}",
            "OSS_ACCESS_KEY": "testing",
            "OSS_SECRET_KEY": "testing",
        }
    )
    assert cfg is not None
    cfg.client().create_bucket(Bucket=cfg.bucket)
    return cfg


class _Raw:
    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.body


def http_error(status: int, code: str) -> Any:
    """An S3 error answer, for a `before-send` hook to return instead of
    sending the request (a fault injected at the HTTP boundary)."""
    body = (
        f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code>'
        f"<Message>injected by the test</Message></Error>"
    ).encode()
    return http_answer(status, {"Content-Type": "application/xml"}, body)


def http_answer(
    status: int, headers: dict[str, str], body: bytes = b"", url: str = "http://127.0.0.1/"
) -> Any:
    """Any S3 answer, for a `before-send` hook to return instead of sending."""
    from botocore.awsrequest import AWSResponse

    return AWSResponse(url, status, headers, _Raw(body))
