"""A data folder written by the previous main (tests/data/datadir-dd6ab39) opens
with today's code with nothing lost: records, their history, their sync records
and the journal's last change; and the desktop (which records only once sync is
set up) and a server both go on from it, its sync records moved to a file of
their own at the next compaction."""

from __future__ import annotations

import shutil
from pathlib import Path

from conftest import ROOT

from localapp.catalogue import Catalogue
from localapp.schedule import Schedule
from localapp.store import Store
from localapp.sync.service import SyncService
from localapp.sync.shadow import RECORDS

OLD = ROOT / "tests" / "data" / "datadir-dd6ab39"


def test_a_data_folder_of_the_previous_main_opens_with_nothing_lost(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    for name in ("localapp.json", "localapp.json.journal"):
        shutil.copy(OLD / name, data / name)
    with Store.open(data) as store:
        sched = Schedule.open(store)
        projects = {p["name"] for p in sched.list_records("projects")["items"]}
        assert projects == {"旧版项目", "日志里的项目"}
        tasks = {t["name"]: t for t in sched.list_records("tasks")["items"]}
        assert tasks["联调"]["depends_on"] == [tasks["接口开发"]["id"]]
        assert sched.get("task_types", "1")["name"] == "基础开发"
        catalogue = Catalogue(store)
        items = catalogue.list({"per_page": "50"})["items"]
        assert sorted(p["sku"] for p in items) == [f"OLD-{i}" for i in range(5)]
        changed = next(p for p in items if p["price"] == 5555)
        history = catalogue.get(changed["id"])["price_history"]
        assert [h["price"] for h in history][-1] == 5555 and len(history) == 2
        old = {(r["t"], r["id"]): r["r"] for r in store.table(RECORDS).all()}
        kept = len(old)
        assert kept >= 10, "the sync records written by the old version are kept"
        desktop = SyncService(store)  # never set up: records nothing new
        pending = desktop.status()["pending"]  # the old version marked every write
        catalogue.create({"sku": "NEW-1", "name": "升级后", "price": 1})
        assert len(store.table(RECORDS).all()) == kept
        assert desktop.status()["pending"] == pending
    with Store.open(data) as store:
        server = SyncService(store)
        server.pull(None, 1)  # a device syncs: the server records, reconciling what changed
        assert server.status()["pending"] == pending + 1, "the desktop's new product is stamped"
        assert any(r["id"] for r in store.table(RECORDS).all())
        # the old version kept each record whole; they are packed now (their
        # values read from the documents), and each still says the same
        rows = store.table(RECORDS).all()
        assert all("p" in r for r in rows if r["t"] in ("products", "tasks", "projects"))
        for (table, rid), record in old.items():
            assert server.replica.record(table, rid) == record, (table, rid)
    # its sync records were in the data file; opening it moved them to a file
    # of their own (localapp/store/apart.py, schema 2), after a backup
    assert b"sync_records" not in (data / "localapp.json").read_bytes()
    assert list((data / "backups").glob("*before-schema-2*"))
    assert len(list(data.glob("localapp.json.sync-*"))) == 1
    with Store.open(data) as store:
        server = SyncService(store)
        for (table, rid), record in old.items():
            assert server.replica.record(table, rid) == record, (table, rid)
