"""A bucket that stays its size: once a snapshot is current, the log entries and
batch markers older than the previous snapshot are deleted, and two snapshots
are kept. A desktop that was offline through several compactions, with edits of
its own, finds its place in the log gone: it reads the newest snapshot again,
sends its edits, and nothing is lost on either side (issue 14, part 5).

Real parts: moto's S3 server, `localapp serve` instances and desktops.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import run_cli
from test_sync_buckets import Fleet, create_product, products, sync, wait_for

from localapp.sync.config import BucketConfig

pytest_plugins = ["s3"]
pytestmark = pytest.mark.slow


def keys(config: BucketConfig, prefix: str) -> list[str]:
    listed = config.client().list_objects_v2(Bucket=config.bucket, Prefix=prefix)
    return sorted(item["Key"] for item in listed.get("Contents") or ())


def log_numbers(config: BucketConfig) -> list[int]:
    return [int(k.split("/")[-1].split(".")[0]) for k in keys(config, "log/")]


def compactions(log: str) -> int:
    return len(re.findall(r"Compacted the sync bucket: deleted [1-9]", log))


def test_a_desktop_offline_through_three_compactions_loses_nothing(
    tmp_path: Path, config: BucketConfig
) -> None:
    fleet = Fleet(tmp_path, config)
    fleet.env["LOCALAPP_SYNC_SNAPSHOT_EVERY"] = "1"  # a snapshot after every batch
    try:
        one = fleet.instance("one")
        a = fleet.device("a", one)
        b = fleet.device("b", one)
        base = create_product(a, "BASE-1", "底座", 100)
        sync(a)
        sync(b)
        assert base in products(b)

        # b goes offline (it syncs only when asked) and edits: a new product and
        # a price of one it shares with everyone.
        mine = create_product(b, "OFF-1", "离线新增", 200)
        rev = products(b)[base]["rev"]
        r = b.request("PATCH", f"/api/products/{base}", {"price": 150}, {"If-Match": str(rev)})
        assert r.status == 200, r.body

        # Meanwhile a keeps working: every sync is a batch, a snapshot and a compaction.
        online = []
        for i in range(5):
            online.append(create_product(a, f"ON-{i}", f"在线 {i}", 300 + i))
            sync(a)
            wait_for(lambda n=i: len(keys(config, "snapshots/")) >= min(n + 1, 2), "a snapshot")
        wait_for(lambda: compactions(one.log()) >= 3, "three compactions", timeout=30)
        numbers = log_numbers(config)
        assert numbers and numbers[0] > 2, f"the oldest log entries are deleted: {numbers}"
        # (the newest may have just been written, the oldest not yet pruned)
        wait_for(lambda: len(keys(config, "snapshots/")) == 2, "the two newest snapshots kept")

        summary = sync(b)  # its cursor points into the deleted part of the log
        assert summary.get("error") is None, summary
        on_b = products(b)
        assert set(online) | {base, mine} <= on_b.keys(), "b has everything a made"
        assert on_b[base]["price"] == 150, "and its own offline edit"
        sync(a)
        on_a = products(a)
        assert mine in on_a and on_a[base]["price"] == 150, "a has what b made offline"
        assert on_a.keys() == on_b.keys()
    finally:
        fleet.stop()

    # The operator sees what the bucket holds, by prefix.
    out = run_cli("sync", "status", "--data-dir", str(tmp_path / "status"), env=fleet.env)
    assert out.returncode == 0, out.stderr
    assert f"bucket:    {config.bucket}" in out.stdout
    assert re.search(r"snapshots/\s+2 objects", out.stdout), out.stdout
    assert re.search(r"log/\s+\d+ objects", out.stdout), out.stdout
