"""A bucket written by an older localapp opens with today's code (issue 14).

`tests/data/bucket-4cf4f0a/` is a sync bucket as the main of that commit left
it (made by tests/data/make_bucket_fixture.py): a project with two linked
tasks, five products (one repriced, one deleted), a snapshot up to log entry
10 and one edit after it in entry 11. Its objects are put into a fresh bucket
on moto's S3 server and a new `localapp serve` with an empty data dir starts
on it, as a FaaS cold start would: everything is there from its first answer,
a desktop syncing with it gets the same, and new edits go on.

Run twice: with the whole log, and with the log up to the snapshot deleted (as
compaction leaves a bucket), so the snapshot's own format is read.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import ROOT, Server, connect, start_server

from localapp.sync.config import BucketConfig

pytest_plugins = ["s3"]
pytestmark = pytest.mark.slow

OLD = ROOT / "tests" / "data" / "bucket-4cf4f0a"
EXPECTED = json.loads((OLD / "EXPECTED.json").read_text())


def fill(config: BucketConfig, *, whole_log: bool) -> int:
    client = config.client()
    count = 0
    for path in sorted(p for p in OLD.rglob("*") if p.is_file() and p.name != "EXPECTED.json"):
        key = path.relative_to(OLD).as_posix()
        if not whole_log and key.startswith("log/") and int(Path(key).stem) <= 10:
            continue  # compacted: the snapshot up to 10 holds these
        client.put_object(Bucket=config.bucket, Key=key, Body=path.read_bytes())
        count += 1
    return count


def products(s: Server) -> dict[str, dict[str, object]]:
    r = s.request("GET", "/api/products?per_page=100")
    assert r.status == 200, r.body
    return {p["id"]: p for p in r.json()["items"]}  # type: ignore[index]


def check_everything_is_there(s: Server) -> None:
    shown = products(s)
    live = [pid for pid in EXPECTED["products"] if pid != EXPECTED["deleted"]]
    assert set(shown) == set(live)
    assert shown[EXPECTED["renamed"]]["name"] == "快照之后改名", "the log after the snapshot"
    assert shown[EXPECTED["repriced"]]["price"] == 2500
    r = s.request("GET", f"/api/products/{EXPECTED['repriced']}")
    history = r.json()["product"]["price_history"]  # type: ignore[index]
    assert [h["price"] for h in history] == [200, 2500]
    projects = s.request("GET", "/api/projects").json()["items"]  # type: ignore[index]
    (project,) = [p for p in projects if p["name"] == "旧桶项目"]
    tasks = s.request("GET", f"/api/tasks?project_id={project['id']}").json()["items"]  # type: ignore[index]
    by_name = {t["name"]: t for t in tasks}
    assert set(by_name) == {"设计", "施工"}
    assert by_name["施工"]["depends_on"] == [by_name["设计"]["id"]]


@pytest.mark.parametrize("whole_log", [True, False], ids=["whole-log", "compacted"])
def test_a_bucket_of_an_older_main_opens_with_nothing_lost(
    tmp_path: Path, config: BucketConfig, whole_log: bool
) -> None:
    from s3 import DUMMY

    assert fill(config, whole_log=whole_log) >= 10
    env = {
        **DUMMY,
        "LOCALAPP_S3_BUCKET": config.bucket,
        "LOCALAPP_S3_ENDPOINT": config.endpoint or "",
        "LOCALAPP_S3_REGION": "us-east-1",
    }
    instance = start_server(tmp_path / "instance", env=env)
    desktop = None
    try:
        check_everything_is_there(instance)  # from its first answer: no polling
        desktop = start_server(tmp_path / "desktop")
        connect(desktop, instance, "desktop-old-bucket")
        r = desktop.request("POST", "/api/sync/run")
        assert r.status == 200, r.body
        check_everything_is_there(desktop)
        # and it goes on: a new product reaches the log after the old entries
        r = instance.request(
            "POST", "/api/products", {"sku": "NEW-1", "name": "新商品", "price": 1}
        )
        assert r.status == 201, r.body
        keys = [
            o["Key"]
            for o in config.client().list_objects_v2(Bucket=config.bucket, Prefix="log/")[
                "Contents"
            ]
        ]
        assert keys[-1] > "log/00000000000000000011.json"
    finally:
        instance.stop()
        if desktop is not None:
            desktop.stop()
