"""A real S3-compatible store that ignores conditional writes: s3rver 3.7.1 (from
npm, installed by build/run-tests.sh into tests/npm/). It accepts `If-None-Match`
and `If-Match` and overwrites anyway, so two server instances sharing it would
silently keep one of two edits. The probe must find that out: `localapp sync
check` refuses it, naming the capability, and a server started on it writes
nothing to it and says why in /health, the log and its answers, in Chinese and
English. (tests/http/test_sync_stores.py does the same through a proxy that
drops the conditions from moto; this is the store as users meet it.)
"""

from __future__ import annotations

import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from conftest import ROOT, free_port, http, require, run_cli, start_server, stop_process

S3RVER = ROOT / "tests" / "npm" / "node_modules" / ".bin" / "s3rver"
KEYS = {"AWS_ACCESS_KEY_ID": "S3RVER", "AWS_SECRET_ACCESS_KEY": "S3RVER"}


@dataclass
class S3rver:
    url: str
    bucket: str

    def env(self) -> dict[str, str]:
        return {
            **KEYS,
            "LOCALAPP_S3_BUCKET": self.bucket,
            "LOCALAPP_S3_ENDPOINT": self.url,
            "LOCALAPP_S3_REGION": "us-east-1",
        }

    def keys(self, prefix: str) -> list[str]:
        client: Any = boto3.client(
            "s3",
            endpoint_url=self.url,
            region_name="us-east-1",
            aws_access_key_id=KEYS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=KEYS["AWS_SECRET_ACCESS_KEY"],
        )
        listed = client.list_objects_v2(Bucket=self.bucket, Prefix=prefix)
        return [item["Key"] for item in listed.get("Contents") or ()]


@pytest.fixture
def s3rver(tmp_path: Path) -> Iterator[S3rver]:
    require(S3RVER.exists(), f"s3rver is not installed in tests/npm ({S3RVER})")
    port = free_port()
    bucket = f"lax-{uuid.uuid4().hex[:8]}"
    (tmp_path / "s3rver").mkdir()
    log = open(tmp_path / "s3rver.log", "wb")  # noqa: SIM115  # closed below
    proc = subprocess.Popen(
        [str(S3RVER), "-d", str(tmp_path / "s3rver"), "-a", "127.0.0.1", "-p", str(port)]
        + ["--configure-bucket", bucket, "--silent"],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                if http("GET", f"{url}/{bucket}", timeout=2).status < 500:
                    break
            except OSError:
                pass
            assert proc.poll() is None, (tmp_path / "s3rver.log").read_text()
            assert time.monotonic() < deadline, "s3rver did not start in 20 s"
            time.sleep(0.1)
        yield S3rver(url, bucket)
    finally:
        stop_process(proc)
        log.close()


def test_sync_check_refuses_s3rver_naming_the_capability(tmp_path: Path, s3rver: S3rver) -> None:
    out = run_cli("sync", "check", "--data-dir", str(tmp_path / "data"), env=s3rver.env())
    assert out.returncode == 2, out.stdout + out.stderr
    assert "put_if_absent: NO" in out.stdout
    assert "If-None-Match" in out.stderr and "不支持条件写入" in out.stderr
    assert s3rver.keys("") == [], "the probe object is removed"


def test_a_server_on_s3rver_writes_nothing_and_says_why(tmp_path: Path, s3rver: S3rver) -> None:
    server = start_server(tmp_path / "one", env=s3rver.env())
    try:
        health: Any = server.request("GET", "/health", auth=False).json()
        assert health["status"] == "degraded"
        assert health["sync"]["error"]["code"] == "bucket_unsafe"
        r = server.request("POST", "/api/products", {"sku": "S3R-1", "name": "不安全", "price": 1})
        assert r.status == 503, r.body
        error: Any = r.json()
        assert error["error"]["code"] == "bucket_unsafe"
        assert "不支持条件写入" in error["error"]["message"]
        assert " ERROR " in server.log() and "does not honour conditional writes" in server.log()
    finally:
        server.stop()
    assert s3rver.keys("log/") == [], "nothing was appended to the shared log"
