"""Several `localapp serve` instances sharing one bucket, as a deployed FaaS copy
runs: moto's S3 server on 127.0.0.1 holds the bucket, two instances serve it
at once, and desktops (more `localapp serve` instances, no bucket, set up as
sync clients) push to one instance and pull from the other. What must hold:
what reaches one instance reaches every instance and every device; writes to
both instances at once lose nothing; an instance started again with an empty
data dir serves everything from its first request; files go through the bucket.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import polling
import pytest
from conftest import Server, connect, localapp_cmd, run_cli, start_server, upload

from localapp.sync.config import BucketConfig

# moto's S3 server (`s3_url`) and a fresh bucket per test (`config`): tests/s3.py
pytest_plugins = ["s3"]
pytestmark = pytest.mark.slow


def wait_for(check: Callable[[], Any], what: str, timeout: float = 15) -> Any:
    """Reads catch up with the bucket at most every second or so: poll, bounded."""
    return polling.wait_for(check, what, timeout, every=0.25)


def bucket_env(config: BucketConfig) -> dict[str, str]:
    """What a deployment sets: the bucket by the LOCALAPP_* names, keys by boto3's chain."""
    from s3 import DUMMY  # imported once pytest has loaded it as a plugin

    assert config.endpoint is not None
    return {
        **DUMMY,
        "LOCALAPP_S3_BUCKET": config.bucket,
        "LOCALAPP_S3_ENDPOINT": config.endpoint,
        "LOCALAPP_S3_REGION": "us-east-1",
    }


def sync(device: Server) -> dict[str, Any]:
    r = device.request("POST", "/api/sync/run")
    assert r.status == 200, r.body
    answer = r.json()
    assert isinstance(answer, dict)
    return answer


def products(s: Server) -> dict[str, dict[str, Any]]:
    r = s.request("GET", "/api/products?per_page=500")
    assert r.status == 200, r.body
    body = r.json()
    assert isinstance(body, dict)
    return {p["id"]: p for p in body["items"]}


def project_names(s: Server) -> set[str]:
    r = s.request("GET", "/api/projects?per_page=1000")
    assert r.status == 200, r.body
    body = r.json()
    assert isinstance(body, dict)
    return {p["name"] for p in body["items"]}


def create_product(s: Server, sku: str, name: str, price: int) -> str:
    r = s.request("POST", "/api/products", {"sku": sku, "name": name, "price": price})
    assert r.status == 201, r.body
    body = r.json()
    assert isinstance(body, dict)
    return str(body["product"]["id"])


class Fleet:
    """Started servers, stopped at the end of the test."""

    def __init__(self, tmp: Path, config: BucketConfig) -> None:
        self.tmp = tmp
        self.env = bucket_env(config)
        self.servers: list[Server] = []

    def instance(self, name: str) -> Server:
        s = start_server(self.tmp / name, env=self.env)
        self.servers.append(s)
        return s

    def device(self, name: str, instance: Server) -> Server:
        s = start_server(self.tmp / name)
        self.servers.append(s)
        connect(s, instance, f"device-{name}")
        return s

    def stop(self) -> None:
        for s in self.servers:
            s.stop()


@pytest.fixture
def fleet(tmp_path: Path, config: BucketConfig) -> Iterator[Fleet]:
    f = Fleet(tmp_path, config)
    try:
        yield f
    finally:
        f.stop()


def test_a_push_to_one_instance_is_pulled_from_the_other(fleet: Fleet) -> None:
    one, two = fleet.instance("one"), fleet.instance("two")
    a, b = fleet.device("a", one), fleet.device("b", two)
    made = {create_product(a, f"A-{i}", f"角钢 {i}", 100 + i): f"角钢 {i}" for i in range(12)}
    r = a.request("POST", "/api/projects", {"name": "桥梁加固"})
    assert r.status == 201, r.body
    pushed = sync(a)
    assert pushed["summary"]["pushed"] >= 13 and pushed["status"]["pending"] == 0
    pulled = sync(b)
    assert pulled["status"]["error"] is None
    seen = products(b)
    assert {pid: seen[pid]["name"] for pid in made} == made
    assert "桥梁加固" in project_names(b)
    # instance 2 itself serves them too (its reads catch up with the bucket)
    wait_for(lambda: made.keys() <= products(two).keys(), "instance two lists a's products")
    assert "桥梁加固" in project_names(two)
    # and b's edit goes the other way round: b -> two -> bucket -> one -> a
    pid = next(iter(made))
    assert b.request("PATCH", f"/api/products/{pid}", {"price": 999}).status == 200
    sync(b)
    sync(a)
    assert products(a)[pid]["price"] == 999
    wait_for(lambda: products(one)[pid]["price"] == 999, "instance one shows b's edit")


def test_an_edit_on_one_instance_reaches_the_other(fleet: Fleet) -> None:
    one, two = fleet.instance("one"), fleet.instance("two")
    pid = create_product(two, "I2-1", "镀锌管", 4200)
    wait_for(lambda: pid in products(one), "instance one lists a product made on two")
    assert two.request("PATCH", f"/api/products/{pid}", {"name": "镀锌管 DN50"}).status == 200
    wait_for(
        lambda: products(one)[pid]["name"] == "镀锌管 DN50",
        "instance one shows the edit made on two",
    )
    assert one.request("DELETE", f"/api/products/{pid}").status == 200
    wait_for(
        lambda: two.request("GET", f"/api/products/{pid}").status == 404,
        "instance two sees the delete made on one",
    )
    # a device pulling from either instance gets the same outcome
    d = fleet.device("d", one)
    sync(d)
    assert d.request("GET", f"/api/products/{pid}").status == 404
    assert d.request("GET", "/api/sync/status").json()["conflicts"] == 0


def test_writes_to_both_instances_at_once_lose_nothing(fleet: Fleet) -> None:
    one, two = fleet.instance("one"), fleet.instance("two")
    a, b = fleet.device("a", one), fleet.device("b", two)
    per_writer = 15
    # the devices' offline edits, pushed while the instances take web edits
    device_made = {
        create_product(d, f"{tag}-{i}", f"{tag} 材料 {i}", i + 1): f"{tag} 材料 {i}"
        for d, tag in ((a, "DA"), (b, "DB"))
        for i in range(per_writer)
    }
    made: dict[str, str] = {}
    problems: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(4)

    def write(instance: Server, tag: str) -> None:
        start.wait(timeout=30)
        for i in range(per_writer):
            name = f"{tag} 螺母 {i}"
            r = instance.request(
                "POST", "/api/products", {"sku": f"{tag}-{i}", "name": name, "price": i + 1}
            )
            with lock:
                if r.status == 201:
                    made[r.json()["product"]["id"]] = name  # type: ignore[index]
                else:
                    problems.append(f"{tag} {i}: {r.status} {r.body[:200]!r}")

    def push(device: Server, tag: str) -> None:
        start.wait(timeout=30)
        r = device.request("POST", "/api/sync/run")
        if r.status != 200:
            with lock:
                problems.append(f"{tag} sync: {r.status} {r.body[:200]!r}")

    threads = [
        threading.Thread(target=write, args=(one, "W1")),
        threading.Thread(target=write, args=(two, "W2")),
        threading.Thread(target=push, args=(a, "a")),
        threading.Thread(target=push, args=(b, "b")),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads)
    assert problems == []
    assert len(made) == 2 * per_writer
    expected = {**made, **device_made}
    for s in (one, two):
        wait_for(
            lambda s=s: expected.keys() <= products(s).keys(),
            f"{s.url} lists every product written anywhere",
        )
        shown = products(s)
        assert {pid: shown[pid]["name"] for pid in expected} == expected
    for d in (a, b):
        sync(d)
        shown = products(d)
        assert {pid: shown[pid]["name"] for pid in expected} == expected
        assert d.request("GET", "/api/sync/status").json()["pending"] == 0


def test_an_instance_started_with_an_empty_dir_serves_everything_at_once(fleet: Fleet) -> None:
    one, two = fleet.instance("one"), fleet.instance("two")
    a = fleet.device("a", two)
    made = {create_product(a, f"R-{i}", f"槽钢 {i}", 10 * i + 1): 10 * i + 1 for i in range(8)}
    assert a.request("POST", "/api/projects", {"name": "冷启动"}).status == 201
    sync(a)
    web = create_product(one, "R-web", "网页录入", 77)
    made[web] = 77
    data_dir = one.data_dir
    one.stop()
    fleet.servers.remove(one)
    shutil.rmtree(data_dir)
    assert not data_dir.exists()
    again = fleet.instance("one")  # the same (now empty) dir, as /tmp after a cold start
    assert again.data_dir == data_dir
    # the first request already sees everything: no polling here
    shown = products(again)
    assert {pid: shown[pid]["price"] for pid in made} == made
    assert "冷启动" in project_names(again)
    assert again.request("GET", f"/api/products/{web}").json()["product"]["name"] == "网页录入"
    # and it goes on taking writes that reach the other instance and the devices
    later = create_product(again, "R-later", "重启后", 5)
    wait_for(lambda: later in products(two), "instance two lists a product made after restart")
    sync(a)
    assert later in products(a)


def product_total(s: Server) -> int:
    r = s.request("GET", "/api/products?per_page=1")
    assert r.status == 200, r.body
    body = r.json()
    assert isinstance(body, dict)
    return int(body["total"])


def test_an_instance_and_a_desktop_start_from_a_snapshot_of_several_pages(
    tmp_path: Path, config: BucketConfig
) -> None:
    """2,508 products in a snapshot: three pages of 1,000 for an instance's
    catch-up and for a desktop's pull. A new instance with an empty data dir
    must serve them all, and a new desktop must get them all; both hung
    before, served the snapshot's first page for ever (issue 14, part 1)."""
    fleet = Fleet(tmp_path, config)
    fleet.env["LOCALAPP_SYNC_SNAPSHOT_EVERY"] = "1"
    try:
        one = fleet.instance("one")
        a = fleet.device("a", one)
        rows = "\n".join(f"SN-{i:05d},扁钢 {i},{i + 1}.50" for i in range(2508))
        r = upload(a, "/api/products/import", "价格表.csv", f"货号,品名,单价\n{rows}\n".encode())
        assert r.status == 200, r.body
        sync(a)  # (the background round may have sent some of them already)
        assert a.request("GET", "/api/sync/status").json()["pending"] == 0
        listed = config.client().list_objects_v2
        wait_for(
            lambda: listed(Bucket=config.bucket, Prefix="snapshots/").get("KeyCount", 0),
            "instance one writes a snapshot",
            timeout=60,
        )
        one.stop()
        fleet.servers.remove(one)

        two = fleet.instance("two")  # empty data dir: starts from the snapshot
        assert two.request("GET", "/health").status == 200
        assert product_total(two) == 2508
        b = fleet.device("b", two)
        sync(b)
        assert product_total(b) == 2508
        assert products(b).keys() <= products(two).keys()
    finally:
        fleet.stop()


def task_types(s: Server) -> dict[str, str]:
    r = s.request("GET", "/api/task-types")
    assert r.status == 200, r.body
    body = r.json()
    assert isinstance(body, dict)
    return {t["id"]: t["name"] for t in body["items"]}


def test_a_cold_start_does_not_undo_edits_of_the_default_task_types(fleet: Fleet) -> None:
    one = fleet.instance("one")
    a = fleet.device("a", one)
    assert a.request("PATCH", "/api/task-types/1", {"name": "基础施工"}).status == 200
    assert a.request("DELETE", "/api/task-types/6").status == 200
    sync(a)
    data_dir = one.data_dir
    one.stop()
    fleet.servers.remove(one)
    shutil.rmtree(data_dir)
    again = fleet.instance("one")
    for s in (again, a):
        if s is a:
            connect(a, again, "device-a-again")  # a new URL here: set up again
            sync(a)
        types = task_types(s)
        assert types.get("1") == "基础施工" and "6" not in types, (s.url, types)
        assert s.request("GET", "/api/sync/conflicts").json()["total"] == 0


def test_files_put_on_one_instance_are_served_by_the_other(fleet: Fleet) -> None:
    one, two = fleet.instance("one"), fleet.instance("two")
    data = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40
    digest = hashlib.sha256(data).hexdigest()
    missing = two.request("GET", f"/api/sync/blobs/{digest}")
    assert missing.status == 404, missing.body
    r = one.request(
        "PUT", f"/api/sync/blobs/{digest}", data, {"Content-Type": "application/octet-stream"}
    )
    assert r.status == 200, r.body
    # a second upload of the same bytes (another device) is fine
    r = two.request(
        "PUT", f"/api/sync/blobs/{digest}", data, {"Content-Type": "application/octet-stream"}
    )
    assert r.status == 200, r.body
    got = two.request("GET", f"/api/sync/blobs/{digest}")
    assert got.status == 200 and got.body == data
    # bytes that do not match their name are refused, and nothing is stored
    other = hashlib.sha256(b"other").hexdigest()
    r = one.request(
        "PUT", f"/api/sync/blobs/{other}", data, {"Content-Type": "application/octet-stream"}
    )
    assert r.status == 400, r.body
    assert two.request("GET", f"/api/sync/blobs/{other}").status == 404
    # without a token nothing is served
    assert two.request("GET", f"/api/sync/blobs/{digest}", auth=False).status == 401


def test_a_malformed_push_is_refused_before_it_reaches_the_log(fleet: Fleet) -> None:
    """The bucket log is never rewritten: one bad record in it would make every
    later pull and catch-up fail, for every device and instance. So it is
    refused whole, with a 400 naming the record, and nothing is stored."""
    one, two = fleet.instance("one"), fleet.instance("two")
    good = {
        "id": "g1",
        "table": "products",
        "deleted": None,
        "_acked": {},
        "_conflicts": [],
        "fields": {"name": {"v": "好", "s": "1764500000000-00000-dev1"}},
    }
    bad = {
        **good,
        "id": "b1",
        "fields": {
            "name": {"v": "坏", "s": "1764500000000-00000-dev1"},
            "price": {"v": 1, "s": "0-bad"},
        },
    }
    auth = {"Authorization": f"Bearer {one.token}"}
    for junk in (bad, {**good, "fields": [1, 2]}, {"table": "products"}):
        r = one.request(
            "POST",
            "/api/sync/push",
            {"batch": "junk", "replica": "dev1", "records": [good, junk]},
            auth,
        )
        assert r.status == 400, r.body
        assert "Record 2" in r.json()["error"]["message"]

    # nothing of the refused batch was stored; pulls and catch-ups go on
    def pulled_products() -> list[str]:
        r = two.request("GET", "/api/sync/pull")
        assert r.status == 200, r.body
        return [x["id"] for x in r.json()["records"] if x["table"] == "products"]

    assert pulled_products() == []
    r = one.request(
        "POST", "/api/sync/push", {"batch": "fine", "replica": "dev1", "records": [good]}, auth
    )
    assert r.status == 200, r.body
    assert pulled_products() == ["g1"]
    wait_for(
        lambda: two.request("GET", "/api/products/g1").status == 200,
        "instance two shows the good record",
    )


def test_a_device_token_works_on_every_instance_and_after_a_cold_start(fleet: Fleet) -> None:
    one, two = fleet.instance("one"), fleet.instance("two")
    a = fleet.device("a", one)  # its token was made with `localapp token create` on one
    made = a.request("POST", "/api/products", {"sku": "T-1", "name": "令牌", "price": 950})
    assert made.status == 201, made.body
    r = a.request("PUT", "/api/sync/settings", {"url": two.url})  # the token is kept
    assert r.status == 200, r.body
    assert sync(a)["summary"]["pushed"] >= 1, "instance two accepted one's token"
    data_dir = one.data_dir
    one.stop()
    fleet.servers.remove(one)
    shutil.rmtree(data_dir)
    again = fleet.instance("one")  # on a new port here; a deployment keeps its address
    r = a.request("PUT", "/api/sync/settings", {"url": again.url})
    assert r.status == 200, r.body
    sync(a)
    assert "T-1" in {p["sku"] for p in products(again).values()}
    listed = run_cli("token", "list", "--data-dir", str(fleet.tmp / "elsewhere"), env=fleet.env)
    assert listed.returncode == 0, listed.stderr
    assert "device-a" in listed.stdout, "the bucket's tokens, from any machine with its settings"


def test_signed_in_on_one_instance_is_signed_in_on_all(fleet: Fleet) -> None:
    """Behind a FaaS front end each request may reach another instance."""
    one, two = fleet.instance("one"), fleet.instance("two")
    r = one.request(
        "POST", "/api/login", {"username": "admin", "password": "admin-test-pw"}, auth=False
    )
    assert r.status == 200, r.body
    cookie = r.headers["set-cookie"].split(";", 1)[0]
    csrf = r.json()["csrf"]
    seen = two.request("GET", "/api/session", headers={"Cookie": cookie}, auth=False).json()
    assert seen["authenticated"] and seen["user"]["name"] == "admin"
    made = two.request(
        "POST",
        "/api/projects",
        {"name": "登录后"},
        headers={"Cookie": cookie, "X-CSRF-Token": csrf},
        auth=False,
    )
    assert made.status == 201, made.body
    out = two.request(
        "POST", "/api/logout", headers={"Cookie": cookie, "X-CSRF-Token": csrf}, auth=False
    )
    assert out.status == 200, out.body
    after = one.request("GET", "/api/session", headers={"Cookie": cookie}, auth=False).json()
    assert not after["authenticated"], "signed out everywhere (this instance had not cached it)"


def test_no_admin_password_is_made_up_into_a_deployments_log(fleet: Fleet) -> None:
    fleet.env["LOCALAPP_ADMIN_PASSWORD"] = ""
    one = fleet.instance("one")
    log = one.log()
    assert "password:" not in log and "LOCALAPP_ADMIN_PASSWORD" in log, log
    r = one.request(
        "POST", "/api/login", {"username": "admin", "password": "chosen-pw-1"}, auth=False
    )
    assert r.status == 401
    made = subprocess.run(
        localapp_cmd("user", "passwd", "admin", "--data-dir", str(fleet.tmp / "laptop")),
        input="chosen-pw-1\n",
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **fleet.env},
    )
    assert made.returncode == 0 and "Created the account admin" in made.stdout, made.stderr
    r = one.request(
        "POST", "/api/login", {"username": "admin", "password": "chosen-pw-1"}, auth=False
    )
    assert r.status == 200, r.body


def log_objects(config: BucketConfig) -> int:
    listed = config.client().list_objects_v2(Bucket=config.bucket, Prefix="log/")
    return int(listed.get("KeyCount", 0))


def test_a_start_with_nothing_to_push_writes_nothing(fleet: Fleet, config: BucketConfig) -> None:
    """Every cold start used to append a batch (the six default task types). They
    are made alike by every store, so they are never sent: an instance that only
    started, even with an empty data dir, leaves the log as it was."""
    one = fleet.instance("one")
    assert one.request("GET", "/api/task-types").status == 200
    assert log_objects(config) == 0
    data_dir = one.data_dir
    one.stop()
    fleet.servers.remove(one)
    shutil.rmtree(data_dir)
    again = fleet.instance("one")
    assert len(task_types(again)) == 6
    assert log_objects(config) == 0
    create_product(again, "N-1", "有内容", 1)
    assert log_objects(config) == 1


def newest_log_entry(config: BucketConfig) -> tuple[str, int]:
    """(key, bytes) of the newest log object (keys sort by number)."""
    client = config.client()
    listed = client.list_objects_v2(Bucket=config.bucket, Prefix="log/", MaxKeys=1000)
    assert not listed.get("IsTruncated"), "more log objects than this test expects"
    newest = max(listed["Contents"], key=lambda o: o["Key"])
    return str(newest["Key"]), int(newest["Size"])


def test_a_price_edit_is_a_small_log_entry_whatever_the_history(
    fleet: Fleet, config: BucketConfig
) -> None:
    """Issue 14: a log entry carried the whole record with every acknowledgement of
    its history (31 KB for a product edited 200 times). It now carries the change:
    under 1 KiB, from an instance and from a desktop, and every reader still ends
    with the whole product."""
    one = fleet.instance("one")
    pid = create_product(one, "H-1", "热镀锌角钢 50×5", 100)
    for price in range(101, 251):  # 150 edits, each stored in the log before its answer
        r = one.request("PATCH", f"/api/products/{pid}", {"price": price})
        assert r.status == 200, r.body
    key, size = newest_log_entry(config)
    assert size <= 1024, f"{key} is {size} bytes for one price edit"
    device = fleet.device("d", one)
    sync(device)
    assert products(device)[pid]["price"] == 250
    assert device.request("PATCH", f"/api/products/{pid}", {"price": 777}).status == 200
    sync(device)
    key2, size2 = newest_log_entry(config)
    assert key2 != key and size2 <= 1024, f"{key2} is {size2} bytes for the desktop's edit"
    # an instance with an empty data dir reads the log from the start: whole product
    fresh = fleet.instance("fresh")
    got = wait_for(lambda: products(fresh).get(pid), "a new instance lists the product")
    assert (got["name"], got["sku"], got["price"]) == ("热镀锌角钢 50×5", "H-1", 777)
    wait_for(lambda: products(one)[pid]["price"] == 777, "instance one shows the desktop's edit")
