"""A bucket outage while people edit on a bucket-backed instance.

A real `localapp serve` reaches moto's S3 server through a gate on 127.0.0.1
that can be shut: while it is shut every connection to the bucket is dropped
unanswered, as when the storage service is down or unreachable. What a person
must see:

- an edit made during the outage is answered 503 `not_durable`, saying the
  change is kept on this server and sent when the storage is back, and that
  it may be lost if the server restarts first; the instance keeps showing it;
- /health tells how many edits wait on the instance;
- once the storage is back, the instance sends the edit by itself (nobody
  repeats it): it reaches the bucket's log once, and another instance started
  on the bucket shows it, once.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import polling
import pytest
from conftest import Server, start_server
from s3_proxy import FaultProxy

from localapp.sync.config import BucketConfig
from localapp.sync.log import Bucket, ChangeLog

# moto's S3 server (`s3_url`) and a fresh bucket per test (`config`): tests/s3.py
pytest_plugins = ["s3"]
pytestmark = pytest.mark.slow


def wait_for(check: Callable[[], Any], what: str, timeout: float = 60) -> Any:
    """Reads catch up with the bucket at most every second or so: poll, bounded."""
    return polling.wait_for(check, what, timeout, every=0.25)


@pytest.fixture
def gate(s3_url: str) -> Iterator[FaultProxy]:
    """The bucket as seen through a proxy that can be shut (`gate.shut = True`)."""
    g = FaultProxy(s3_url)
    try:
        yield g
    finally:
        g.stop()


def instance(path: Path, config: BucketConfig, endpoint: str) -> Server:
    from s3 import DUMMY  # imported once pytest has loaded it as a plugin

    return start_server(
        path,
        env={
            **DUMMY,
            "LOCALAPP_S3_BUCKET": config.bucket,
            "LOCALAPP_S3_ENDPOINT": endpoint,
            "LOCALAPP_S3_REGION": "us-east-1",
        },
    )


def in_bucket(config: BucketConfig, pid: str) -> int:
    """How many log entries (read straight from moto) carry product `pid`."""
    changelog = ChangeLog(Bucket.from_config(config))
    found, cursor = 0, None
    for _ in range(10_000):
        changes, cursor = changelog.read_since(cursor)
        if not changes:
            return found
        found += sum(1 for c in changes if c["table"] == "products" and c["id"] == pid)
    raise AssertionError("the log never ended")


def health(s: Server) -> dict[str, Any]:
    r = s.request("GET", "/health", auth=False)
    assert r.status == 200, r.body
    body = r.json()
    assert isinstance(body, dict)
    return body


def product_names(s: Server) -> list[str]:
    r = s.request("GET", "/api/products?per_page=500")
    assert r.status == 200, r.body
    return [p["name"] for p in r.json()["items"]]  # type: ignore[index]


def test_an_edit_made_while_the_bucket_is_down_is_answered_503_and_sent_later(
    tmp_path: Path, config: BucketConfig, gate: FaultProxy
) -> None:
    one = instance(tmp_path / "one", config, gate.url)
    try:
        r = one.request("POST", "/api/products", {"sku": "G-1", "name": "闸阀", "price": 10})
        assert r.status == 201, r.body
        assert health(one)["sync"]["unflushed"] == 0

        gate.shut = True
        started = time.monotonic()
        r = one.request("POST", "/api/products", {"sku": "G-2", "name": "停电时录入", "price": 20})
        took = time.monotonic() - started
        assert r.status == 503, r.body
        error = r.json()["error"]  # type: ignore[index]
        assert error["code"] == "not_durable"
        assert error["title"]
        for words in (
            "saved on this server",
            "as soon as the storage is back",
            "no need to enter it again",
            "restarts",
        ):
            assert words in error["message"], error["message"]
        assert gate.injected["drop"] > 0
        assert took < 20, took  # a bounded wait, not a hang
        print(f"the 503 came after {took:.1f} s")

        # the instance keeps it and says so; reads still answer from its copy
        assert "停电时录入" in product_names(one)
        waiting = health(one)["sync"]
        assert waiting["unflushed"] >= 1 and waiting["error"]["code"] == "storage_unavailable"
        r = one.request("GET", "/api/sync/status")
        assert r.status == 200 and r.json()["pending"] >= 1  # type: ignore[index]

        pid = next(
            p["id"]
            for p in one.request("GET", "/api/products?per_page=500").json()["items"]
            if p["name"] == "停电时录入"
        )  # type: ignore[index]
        assert in_bucket(config, pid) == 0

        # storage back: the instance sends it by itself, once
        gate.shut = False
        wait_for(
            lambda: health(one)["sync"]["unflushed"] == 0 and health(one)["sync"]["error"] is None,
            "the waiting edit was sent once the bucket was back",
        )
        assert in_bucket(config, pid) == 1

        # another instance, started on the bucket afterwards, shows it once
        two = instance(tmp_path / "two", config, gate.url)
        try:
            assert product_names(two).count("停电时录入") == 1
            assert product_names(two).count("闸阀") == 1
        finally:
            two.stop()
    finally:
        one.stop()


def test_a_refused_write_keeps_its_own_answer_during_an_outage(
    tmp_path: Path, config: BucketConfig, gate: FaultProxy
) -> None:
    """Only writes that recorded changes wait for the bucket: a write refused
    for its input still says why, at once, while the storage is down."""
    one = instance(tmp_path / "one", config, gate.url)
    try:
        assert product_names(one) == []
        gate.shut = True
        started = time.monotonic()
        r = one.request("POST", "/api/products", {"name": "没有编号"})
        assert r.status == 400, r.body
        assert r.json()["error"]["code"] != "not_durable"  # type: ignore[index]
        assert time.monotonic() - started < 2
        assert health(one)["sync"]["unflushed"] == 0
    finally:
        gate.shut = False
        one.stop()


def test_an_instance_starts_while_the_bucket_is_down_and_recovers_by_itself(
    tmp_path: Path, config: BucketConfig, gate: FaultProxy
) -> None:
    """It used to exit 1 at start (while its message said "local editing goes on"):
    a FaaS cold start during an outage crash-looped. Now it listens, /health says
    degraded, and once the bucket answers it signs people in and takes edits."""
    from s3 import DUMMY

    gate.shut = True
    env = {
        **DUMMY,
        "LOCALAPP_S3_BUCKET": config.bucket,
        "LOCALAPP_S3_ENDPOINT": gate.url,
        "LOCALAPP_S3_REGION": "us-east-1",
    }
    server = start_server(tmp_path / "cold", env=env, token=False)
    try:
        body = health(server)
        assert body["status"] == "degraded"
        assert body["sync"]["error"]["code"] == "storage_unavailable"
        assert "Could not read the sync bucket at start" in server.log()
        gate.shut = False
        wait_for(lambda: health(server)["status"] == "healthy", "the bucket to be read")
        r = server.request(
            "POST", "/api/login", {"username": "admin", "password": "admin-test-pw"}, auth=False
        )
        assert r.status == 200, r.body
    finally:
        server.stop()
