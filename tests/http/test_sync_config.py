"""The sync bucket's settings (sync/config.py) as a deployment meets them:
Function Compute's role keys, Aliyun OSS endpoints, builds without boto3,
and keys that never show.

Round trips run against moto's S3 server on 127.0.0.1 (tests/s3.py). Aliyun
OSS cannot run here, so for OSS the real boto3 client builds and signs each
request and botocore's `before-send` hook catches it at the HTTP boundary
and answers the way OSS documents; no request leaves the machine.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sys
import uuid
from typing import Any

import boto3
import pytest

from localapp import logs
from localapp.sync.config import BucketConfig
from localapp.sync.errors import BucketUnsupported, StorageDenied, SyncConfigError, SyncError
from localapp.sync.log import Bucket, ChangeLog

pytest_plugins = ["s3"]

ROLE = {
    "ALIBABA_CLOUD_ACCESS_KEY_ID": "STS.role-key-id",
    "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "role-secret-a8f3e1",
    "ALIBABA_CLOUD_SECURITY_TOKEN": "role-token-CAIS-77d0",
}
SECRETS = ("role-secret-a8f3e1", "user-secret-5b9c2d")


@pytest.fixture
def no_aws_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing for boto3's own chain to find: the ALIBABA_CLOUD_* keys must do."""
    for name in list(os.environ):
        if name.startswith(("AWS_", "ALIBABA_CLOUD_", "OSS_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


def moto_env(s3_url: str, **more: str) -> dict[str, str]:
    return {
        "LOCALAPP_S3_BUCKET": f"cfg-{uuid.uuid4().hex[:12]}",
        "LOCALAPP_S3_ENDPOINT": s3_url,
        "LOCALAPP_S3_REGION": "us-east-1",
        **more,
    }


class Wire:
    """Requests caught at the HTTP boundary, answered like the store would."""

    def __init__(self, client: Any) -> None:
        self.sent: list[Any] = []
        self.answer: Any = None
        client.meta.events.register("before-send.s3", self._send)

    def _send(self, request: Any, **_: Any) -> Any:
        self.sent.append(request)
        return self.answer(request) if self.answer else None

    def headers(self, i: int = -1) -> dict[str, str]:
        return {
            k.lower(): v.decode() if isinstance(v, bytes) else str(v)
            for k, v in self.sent[i].headers.items()
        }


def http_error(status: int, code: str) -> Any:
    from s3 import http_error  # here: importing it at the top would load s3 before pytest_plugins

    return http_error(status, code)


def ok(request: Any) -> Any:
    from s3 import http_answer

    return http_answer(200, {"ETag": '"5d41402abc4b2a76b9719d911017c592"'}, url=request.url)


# -- Function Compute's role keys ----------------------------------------------


@pytest.mark.usefixtures("no_aws_credentials")
def test_function_compute_role_keys_alone_reach_the_bucket(
    s3_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = BucketConfig.from_env(moto_env(s3_url, **ROLE))
    assert config is not None
    bucket = Bucket.from_config(config)
    wire = Wire(bucket.client)
    bucket.client.create_bucket(Bucket=config.bucket)

    assert bucket.put_if_absent("log/00000000000000000001.json", b'{"n": 1}', "application/json")
    assert not bucket.put_if_absent(
        "log/00000000000000000001.json", b'{"n": 2}', "application/json"
    )
    assert bucket.get("log/00000000000000000001.json") == b'{"n": 1}'
    assert ChangeLog(bucket).append([{"id": "a"}], batch_id="b1") == 2  # numbers go on

    # every request was signed with the role's key and carried its token
    sent = [wire.headers(i) for i in range(len(wire.sent))]
    assert all("Credential=STS.role-key-id/" in h["authorization"] for h in sent)
    assert all(h["x-amz-security-token"] == ROLE["ALIBABA_CLOUD_SECURITY_TOKEN"] for h in sent)

    # without them there are no keys at all: refused, and the message says what to check
    # (boto3's default session caches credentials it found in an earlier test's
    # environment: start from a new one, as a new process does)
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)
    keyless = BucketConfig.from_env(moto_env(s3_url))
    with pytest.raises(StorageDenied) as denied:
        Bucket.from_config(keyless).get("log/00000000000000000001.json")
    assert "access key" in denied.value.message


def test_explicit_keys_win_over_the_role_and_half_a_pair_is_refused() -> None:
    both = BucketConfig.from_env(
        {
            "OSS_BUCKET": "b",
            "OSS_ACCESS_KEY": "user-key",
            "OSS_SECRET_KEY": "user-secret-5b9c2d",
            **ROLE,
        }
    )
    assert both is not None
    assert (both.access_key, both.secret_key, both.session_token) == (
        "user-key",
        "user-secret-5b9c2d",
        None,
    )

    role = BucketConfig.from_env({"OSS_BUCKET": "b", **ROLE})
    assert role is not None
    assert (role.access_key, role.secret_key, role.session_token) == (
        "STS.role-key-id",
        "role-secret-a8f3e1",
        "role-token-CAIS-77d0",
    )

    none = BucketConfig.from_env({"OSS_BUCKET": "b"})
    assert none is not None and none.access_key is None  # boto3's own chain decides

    for half in (
        {"ALIBABA_CLOUD_ACCESS_KEY_SECRET": "role-secret-a8f3e1"},
        {"OSS_ACCESS_KEY": "user-key"},
        {"OSS_SECRET_KEY": "user-secret-5b9c2d"},
    ):
        with pytest.raises(SyncConfigError) as e:
            BucketConfig.from_env({"OSS_BUCKET": "b", **half})
        assert "must be set together" in e.value.message
        assert not any(secret in e.value.message for secret in SECRETS)


# -- keys never show -------------------------------------------------------------


@pytest.mark.usefixtures("no_aws_credentials")
def test_keys_stay_out_of_repr_errors_and_logs(
    s3_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # botocore's most talkative level
    config = BucketConfig.from_env(moto_env(s3_url, **ROLE))
    assert config is not None
    shown = repr(config)
    assert config.bucket in shown
    assert not any(v in shown for v in ROLE.values())

    errors: list[SyncError] = []
    gone = Bucket(config.client(), "no-such-bucket-here")
    with pytest.raises(SyncError) as e:
        gone.put_if_absent("k", b"x", "text/plain")
    errors.append(e.value)
    with pytest.raises(SyncError) as e:
        list(gone.keys("log/"))
    errors.append(e.value)
    refused = Bucket(config.client(), config.bucket)
    refused.client.meta.events.register(
        "before-send.s3", lambda **_: http_error(403, "SignatureDoesNotMatch")
    )
    with pytest.raises(StorageDenied) as e:
        refused.get("k")
    errors.append(e.value)

    for error in errors:
        text = " ".join(
            [
                str(error),
                error.message,
                error.title,
                json.dumps(error.to_dict()),
                repr(error.__cause__),
            ]
        )
        assert not any(v in text for v in ROLE.values()), text
    logged = caplog.text
    assert logged  # botocore did log at DEBUG
    assert not any(secret in logged for secret in SECRETS)


@pytest.mark.usefixtures("no_aws_credentials")
def test_log_level_debug_does_not_print_the_role_token(s3_url: str) -> None:
    import io

    stream = io.StringIO()
    logs.setup("DEBUG", stream=stream)
    try:
        config = BucketConfig.from_env(moto_env(s3_url, **ROLE))
        assert config is not None
        client = config.client()
        client.create_bucket(Bucket=config.bucket)
        Bucket(client, config.bucket).put_if_absent("k", b"x", "text/plain")
    finally:
        logs.setup("INFO")
    assert ROLE["ALIBABA_CLOUD_SECURITY_TOKEN"] not in stream.getvalue()


# -- Aliyun OSS through its S3-compatible API ------------------------------------


@pytest.mark.usefixtures("no_aws_credentials")
@pytest.mark.parametrize(
    "endpoint",
    [
        "oss-cn-hangzhou.aliyuncs.com",  # as the OSS console shows it
        "oss-cn-hangzhou-internal.aliyuncs.com",
        "https://s3.oss-cn-hangzhou.aliyuncs.com",  # Aliyun's S3-compatible names
        "s3.oss-cn-hangzhou-internal.aliyuncs.com",
    ],
)
def test_oss_requests_are_ones_oss_accepts(endpoint: str) -> None:
    config = BucketConfig.from_env({"OSS_BUCKET": "my-localapp", "OSS_ENDPOINT": endpoint, **ROLE})
    assert config is not None
    bucket = Bucket.from_config(config)
    wire = Wire(bucket.client)
    wire.answer = ok
    body = b'{"batch": "b1", "changes": []}'

    assert bucket.put_if_absent("log/00000000000000000001.json", body, "application/json")

    request = wire.sent[-1]
    host = endpoint.removeprefix("https://")
    assert request.url == f"https://my-localapp.{host}/log/00000000000000000001.json"
    h = wire.headers()
    # SigV4 scoped to the region the endpoint names, with the role's token
    assert "/cn-hangzhou/s3/aws4_request" in h["authorization"]
    assert h["x-amz-security-token"] == ROLE["ALIBABA_CLOUD_SECURITY_TOKEN"]
    # a plain body whose hash is signed: no aws-chunked trailer, no CRC32 header
    assert h["x-amz-content-sha256"] == hashlib.sha256(body).hexdigest()
    assert "content-encoding" not in h and not any(k.startswith("x-amz-checksum") for k in h)
    sent_body = request.body
    assert (sent_body.getvalue() if hasattr(sent_body, "getvalue") else sent_body) == body
    # put-if-absent in OSS's own header, which is signed; If-None-Match is refused by OSS
    assert "if-none-match" not in h
    assert h["x-oss-forbid-overwrite"] == "true"
    assert "x-oss-forbid-overwrite" in h["authorization"]


@pytest.mark.usefixtures("no_aws_credentials")
def test_oss_refusing_to_overwrite_counts_as_taken() -> None:
    config = BucketConfig.from_env(
        {
            "OSS_BUCKET": "my-localapp",
            "OSS_ENDPOINT": "s3.oss-cn-shanghai-internal.aliyuncs.com",
            "LOCALAPP_S3_REGION": "cn-shanghai",
            **ROLE,
        }
    )
    assert config is not None
    bucket = Bucket.from_config(config)
    wire = Wire(bucket.client)
    wire.answer = lambda request: http_error(409, "FileAlreadyExists")

    assert bucket.put_if_absent("blobs/sha256/" + "0" * 64, b"x", "image/png") is False
    assert len(wire.sent) == 1  # taken is an answer, not a failure to retry
    assert "/cn-shanghai/s3/aws4_request" in wire.headers()["authorization"]

    # other conflicts are still reported as such
    wire.answer = lambda request: http_error(409, "ConditionalRequestConflict")
    with pytest.raises(SyncError):
        Bucket(bucket.client, "my-localapp", conflict_retries=0).put_if_absent(
            "k", b"x", "text/plain"
        )


@pytest.mark.usefixtures("no_aws_credentials")
@pytest.mark.parametrize(
    ("endpoint", "chunked"),
    [
        ("https://minio.example.internal:9000", False),  # other S3-compatible stores
        ("https://s3.oss-cn-beijing.aliyuncs.com", False),
        (None, True),  # AWS keeps botocore's checksums
    ],
)
def test_uploads_are_plain_except_to_aws(endpoint: str | None, chunked: bool) -> None:
    env = {
        "LOCALAPP_S3_BUCKET": "b",
        "LOCALAPP_S3_REGION": "eu-west-1",
        "OSS_ACCESS_KEY": "user-key",
        "OSS_SECRET_KEY": "user-secret-5b9c2d",
    }
    if endpoint:
        env["LOCALAPP_S3_ENDPOINT"] = endpoint
    config = BucketConfig.from_env(env)
    assert config is not None
    client = config.client()
    wire = Wire(client)
    wire.answer = ok
    client.put_object(Bucket="b", Key="k", Body=b"hello")
    assert (wire.headers().get("content-encoding") == "aws-chunked") is chunked


# -- builds without boto3 ----------------------------------------------------------


@pytest.mark.parametrize("frozen", [True, False])
def test_a_program_without_boto3_says_what_to_do(
    frozen: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "boto3", None)  # `import boto3` raises ImportError
    if frozen:
        monkeypatch.setattr(sys, "frozen", True, raising=False)
    else:
        monkeypatch.delattr(sys, "frozen", raising=False)
    config = BucketConfig.from_env({"OSS_BUCKET": "b", **ROLE})
    with pytest.raises(BucketUnsupported) as e:
        Bucket.from_config(config)
    message = e.value.message
    assert "localapp[sync]" not in message  # boto3 is no longer an extra
    if frozen:
        assert "desktop build has no bucket support" in message
        assert "sync setup --url" in message
    else:
        assert "Reinstall localapp" in message
    assert isinstance(e.value, SyncConfigError) and e.value.title
