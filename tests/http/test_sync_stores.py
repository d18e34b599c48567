"""Object stores that do and do not honour conditional writes, on 127.0.0.1.

moto's S3 server honours If-None-Match and If-Match. The same server behind a
proxy that drops those conditions is a store that ignores them (as s3rver and
some S3-compatible servers do). On it, two writers of one log number would
silently keep only one edit: the probe finds that out, a server refuses the
store for sharing and says so in /health, and `localapp sync check` says it
too. Appends of one process never race for a number, whatever the store.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import run_cli, start_server
from s3_proxy import FaultProxy

from localapp.sync.config import BucketConfig
from localapp.sync.log import Bucket, ChangeLog

pytest_plugins = ["s3"]


@pytest.fixture
def lax(s3_url: str) -> Iterator[FaultProxy]:
    """moto behind a proxy that forwards writes without their conditions."""
    proxy = FaultProxy(s3_url)
    proxy.ignore_conditions = True
    try:
        yield proxy
    finally:
        proxy.stop()


def through(config: BucketConfig, url: str) -> BucketConfig:
    return BucketConfig(config.bucket, url, config.region)


def bucket_env(config: BucketConfig, endpoint: str) -> dict[str, str]:
    from s3 import DUMMY

    return {
        **DUMMY,
        "LOCALAPP_S3_BUCKET": config.bucket,
        "LOCALAPP_S3_ENDPOINT": endpoint,
        "LOCALAPP_S3_REGION": "us-east-1",
    }


def test_the_probe_tells_the_two_stores_apart(config: BucketConfig, lax: FaultProxy) -> None:
    assert Bucket.from_config(config).probe() == {"put_if_absent": True, "compare_and_swap": True}
    found = Bucket.from_config(through(config, lax.url)).probe()
    assert found == {"put_if_absent": False, "compare_and_swap": False}
    listed = config.client().list_objects_v2(Bucket=config.bucket, Prefix="probe/")
    assert listed.get("KeyCount", 0) == 0, "the probe objects are removed"


def test_appends_of_one_process_never_share_a_number(config: BucketConfig, lax: FaultProxy) -> None:
    """Eight threads append 15 batches each through one log, on a store that would
    let a second write of one number replace the first: all 120 are kept."""
    changelog = ChangeLog(Bucket.from_config(through(config, lax.url)))
    errors: list[BaseException] = []

    def writer(w: int) -> None:
        try:
            for i in range(15):
                changelog.append([{"table": "tasks", "id": f"w{w}-{i}"}], batch_id=f"w{w}b{i}")
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    reader = ChangeLog(Bucket.from_config(config))
    seen: list[str] = []
    cursor = None
    for _ in range(100):  # bounded
        changes, cursor = reader.read_since(cursor)
        if not changes:
            break
        seen += [c["id"] for c in changes]
    assert sorted(seen) == sorted(f"w{w}-{i}" for w in range(8) for i in range(15))


def test_a_server_refuses_a_store_without_conditional_writes(
    tmp_path: Path, config: BucketConfig, lax: FaultProxy
) -> None:
    server = start_server(tmp_path / "one", env=bucket_env(config, lax.url))
    try:
        health: Any = server.request("GET", "/health", auth=False).json()
        assert health["status"] == "degraded"
        assert health["sync"]["error"]["code"] == "bucket_unsafe"
        assert "conditional writes" in health["sync"]["error"]["message"]
        r = server.request("POST", "/api/products", {"sku": "U-1", "name": "不安全", "price": 1})
        assert r.status == 503 and r.json()["error"]["code"] == "bucket_unsafe", r.body
        assert "does not honour conditional writes" in server.log()
        assert " ERROR " in server.log()
    finally:
        server.stop()
    logged = config.client().list_objects_v2(Bucket=config.bucket, Prefix="log/")
    assert logged.get("KeyCount", 0) == 0, "nothing was appended to the shared log"


def test_sync_check_names_the_missing_capability(
    tmp_path: Path, config: BucketConfig, lax: FaultProxy
) -> None:
    assert config.endpoint is not None
    good = run_cli(
        "sync", "check", "--data-dir", str(tmp_path / "a"), env=bucket_env(config, config.endpoint)
    )
    assert good.returncode == 0, good.stderr
    assert "put_if_absent: yes" in good.stdout and "compare_and_swap: yes" in good.stdout
    bad = run_cli(
        "sync", "check", "--data-dir", str(tmp_path / "b"), env=bucket_env(config, lax.url)
    )
    assert bad.returncode == 2
    assert "put_if_absent: NO" in bad.stdout and "If-None-Match" in bad.stderr


@pytest.mark.parametrize("multi", [True, False])
def test_compaction_deletes_many_objects_in_few_requests_or_one_by_one(
    config: BucketConfig, s3_url: str, multi: bool
) -> None:
    """Compaction deletes many objects a request (DeleteObjects, up to 1,000;
    10 here): 25 log entries go in three requests, not 25 (each held edits
    up). A store that refuses that request gets one DELETE per key, and
    nothing is left either way."""
    proxy = FaultProxy(s3_url)
    proxy.refuse_multi_delete = not multi
    try:
        bucket = Bucket.from_config(through(config, proxy.url))
        direct = config.client()
        keys = [f"log/{i:020d}.json" for i in range(1, 27)]
        for key in keys:
            direct.put_object(Bucket=config.bucket, Key=key, Body=b"{}")
        before = len(proxy.seen)
        bucket.delete_many(keys[:-1], per_request=10)
        calls = proxy.seen[before:]
        listed = direct.list_objects_v2(Bucket=config.bucket, Prefix="log/")
        assert [o["Key"] for o in listed.get("Contents", [])] == keys[-1:]
        if multi:
            assert [c[0] for c in calls] == ["POST"] * 3, calls
        else:
            assert [c[0] for c in calls] == ["POST"] + ["DELETE"] * 25, calls
            bucket.delete_many(keys[-1:])  # remembered: no multi-object request again
            assert [c[0] for c in proxy.seen[before + len(calls) :]] == ["DELETE"]
    finally:
        proxy.stop()
