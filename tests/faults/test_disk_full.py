"""A full disk (a small tmpfs as the data dir): a write is acknowledged if and only if
it is durable, a refused write never comes back after a restart, /health says what
is wrong, and writes work again as soon as space is freed, without a restart.

The case that broke: the journal line was fsynced, then compaction (which needs
room for a whole new data file) failed; the transaction was rolled back in memory
only and answered 500, and the write came back after a restart (three retries of
one create left three products with one SKU).

Bounded: at most MAX_WRITES attempts per case (LOCALAPP_FAULT_WRITES raises it).
"""

from __future__ import annotations

import io
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import require, start_server, upload
from PIL import Image

from localapp.errors import StoreFull
from localapp.store import Store

MAX_WRITES = int(os.environ.get("LOCALAPP_FAULT_WRITES", "3000"))
NOTE = "备" * 3000  # about 9 KB of JSON a record


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 3 MB tmpfs with a 512 KB ballast file that a test deletes to free space."""
    disk = tmp_path / "disk"
    disk.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(disk)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    require(done.returncode == 0, f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        (disk / "ballast").write_bytes(b"\0" * 512 * 1024)
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], capture_output=True, timeout=30)


def test_a_write_is_acknowledged_if_and_only_if_it_is_durable(small_disk: Path) -> None:
    data = small_disk / "data"
    acknowledged: list[int] = []
    refused = 0
    # compaction after every ~20 KB of journal: on a full disk it fails long before
    # the journal itself does, which is the case that made phantom writes
    with Store.open(data, compact_min_bytes=20_000) as store:
        table = store.table("products")
        for i in range(MAX_WRITES):
            try:
                table.insert({"n": i, "notes": NOTE})
                acknowledged.append(i)
            except StoreFull:
                refused += 1
                if refused >= 5:
                    break
        problem = store.storage.problem
        assert refused == 5, "the disk never filled"
        assert problem and "No space left" in problem
        print(f"{len(acknowledged)} writes acknowledged, {refused} refused as the disk filled")
        for _ in range(3):  # a client retrying one create
            with pytest.raises(StoreFull):
                table.insert({"n": -1, "sku": "DUP-B", "notes": NOTE})
    with Store.open(data) as store:  # after a restart: exactly what was acknowledged
        stored = sorted(d["n"] for d in store.table("products").all())
        assert stored == acknowledged, "no phantom, nothing lost"
        (small_disk / "ballast").unlink()
        store.table("products").insert({"n": 10**6, "notes": "room again"})
        assert store.storage.problem is None
    with Store.open(data) as store:
        assert sorted(d["n"] for d in store.table("products").all()) == [*acknowledged, 10**6]


def test_the_server_says_507_and_degraded_and_recovers_without_a_restart(
    small_disk: Path,
) -> None:
    server = start_server(small_disk / "data")
    try:
        answers: list[int] = []
        for i in range(MAX_WRITES):
            r = server.request(
                "POST",
                "/api/products",
                {"sku": f"F-{i}", "name": f"满盘 {i}", "price": 1, "notes": NOTE},
            )
            answers.append(r.status)
            if r.status != 201:
                break
        assert answers[-1] == 507, (answers[-3:], r.body)
        error = r.json()["error"]
        assert error["code"] == "disk_full" and "Free some space" in error["message"]
        health = server.request("GET", "/health", auth=False).json()
        assert health["status"] == "degraded" and "No space left" in health["storage"]["problem"]
        made = answers.count(201)
        assert server.request("GET", "/api/products?per_page=1").json()["total"] == made
        # a picture on the full disk: the same clear 507, not a 500
        pid = server.request("GET", "/api/products?per_page=1").json()["items"][0]["id"]
        picture = io.BytesIO()
        Image.effect_noise((400, 400), 90).convert("RGB").save(picture, "PNG")
        r = upload(
            server, f"/api/products/{pid}/images", "满盘.png", picture.getvalue(), ctype="image/png"
        )
        assert r.status == 507, r.body
        assert r.json()["error"]["code"] == "disk_full"
        (small_disk / "ballast").unlink()
        r = server.request(
            "POST", "/api/products", {"sku": "AFTER", "name": "腾出空间", "price": 2}
        )
        assert r.status == 201, r.body
        assert server.request("GET", "/health", auth=False).json()["status"] == "healthy"
    finally:
        server.stop()
