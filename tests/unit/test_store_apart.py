"""Sync records in a file of their own, read at their first use (localapp/store/apart.py).

A server devices sync with keeps a sync record per product; these tests run
a real hub on real files and check what a user would see: the data file
holds the products and not the sync records, the products are there after a
restart even before the sync records are read, an edit after the last
compaction is kept, and nothing is lost whichever file a crash leaves behind.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from localapp.catalogue import Catalogue
from localapp.errors import StoreCorrupt, StoreError
from localapp.store import Store
from localapp.store.datafile import parse_snapshot
from localapp.store.storage import DB_NAME
from localapp.sync.service import SyncService
from localapp.sync.shadow import RECORDS


def _sync_files(data: Path) -> list[str]:
    return sorted(p.name for p in data.glob(f"{DB_NAME}.sync-*"))


def _hub(data: Path, n: int = 20) -> dict[str, str]:
    """A server a device synced with, compacted: product id -> its price's stamp."""
    with Store.open(data) as store:
        catalogue = Catalogue(store)
        for i in range(n):
            catalogue.create({"sku": f"AP-{i}", "name": f"扳手 {i}", "price": 10 + i})
        server = SyncService(store)
        server.pull(None, 1)  # a device syncs: the server records from now on
        store.storage.compact()
        return {
            p["id"]: server.replica.record("products", p["id"])["fields"]["price"]["s"]
            for p in catalogue.list({"per_page": "100"})["items"]
        }


def test_the_data_file_holds_the_products_and_the_sync_records_are_apart(data_dir: Path) -> None:
    stamps = _hub(data_dir)
    main = (data_dir / DB_NAME).read_bytes()
    assert b"AP-3" in main and b"sync_records" not in main
    (apart,) = _sync_files(data_dir)
    assert b"sync_records" in (data_dir / apart).read_bytes()
    with Store.open(data_dir) as store:
        server = SyncService(store)
        for pid, stamp in stamps.items():
            assert server.replica.record("products", pid)["fields"]["price"]["s"] == stamp


def test_products_are_served_before_the_sync_records_are_read(data_dir: Path) -> None:
    """The sync file is not read at open: a damaged one does not keep the
    catalogue from opening, and the first use of sync says what is wrong."""
    _hub(data_dir)
    (apart,) = _sync_files(data_dir)
    (data_dir / apart).write_bytes(b'{"format": "localapp-store", "tables": {')
    with Store.open(data_dir) as store:
        items = Catalogue(store).list({"per_page": "100"})["items"]
        assert len(items) == 20
        with pytest.raises(StoreCorrupt, match=apart):
            store.table(RECORDS).all()


def test_an_edit_after_the_compaction_is_kept_with_its_sync_record(data_dir: Path) -> None:
    stamps = _hub(data_dir)
    pid = sorted(stamps)[0]
    with Store.open(data_dir) as store:
        SyncService(store)  # a hub records every write from its start
        Catalogue(store).update(pid, {"price": 999})
    with Store.open(data_dir) as store:  # the change waits in the journal
        record = SyncService(store).replica.record("products", pid)
        assert record["fields"]["price"]["v"] == 999
        assert record["fields"]["price"]["s"] > stamps[pid]
        store.storage.compact()
    with Store.open(data_dir) as store:
        assert SyncService(store).replica.record("products", pid)["fields"]["price"]["v"] == 999
    assert len(_sync_files(data_dir)) == 1, "the older sync file is removed"


def test_a_compaction_keeps_an_unchanged_sync_file_without_reading_it(data_dir: Path) -> None:
    _hub(data_dir)
    (apart,) = _sync_files(data_dir)
    before = (data_dir / apart).stat()
    with Store.open(data_dir) as store:
        store.table("notes").insert({"text": "不同步的表"})
        store.storage.compact()
    assert _sync_files(data_dir) == [apart]
    assert (data_dir / apart).stat().st_mtime_ns == before.st_mtime_ns


def test_a_sync_file_left_by_a_crash_mid_compaction_is_ignored_then_removed(
    data_dir: Path,
) -> None:
    stamps = _hub(data_dir)
    (apart,) = _sync_files(data_dir)
    generation = int(apart.rsplit("-", 1)[1])
    orphan = data_dir / f"{DB_NAME}.sync-{generation + 1}"  # written, data file not yet
    orphan.write_bytes(b"half a file")
    with Store.open(data_dir) as store:
        server = SyncService(store)
        pid = sorted(stamps)[0]
        assert server.replica.record("products", pid)["fields"]["price"]["s"] == stamps[pid]
        Catalogue(store).update(pid, {"price": 1})
        store.storage.compact()
    assert not orphan.exists() or orphan.read_bytes() != b"half a file"
    assert len(_sync_files(data_dir)) == 1


def test_a_missing_sync_file_is_refused_at_open_naming_it(data_dir: Path) -> None:
    _hub(data_dir)
    (apart,) = _sync_files(data_dir)
    (data_dir / apart).unlink()
    with pytest.raises(StoreCorrupt, match=apart):
        Store.open(data_dir)


def test_another_process_compacting_meanwhile_is_followed(data_dir: Path) -> None:
    stamps = _hub(data_dir)
    pid = sorted(stamps)[0]
    with Store.open(data_dir) as reader, Store.open(data_dir) as writer:
        assert Catalogue(reader).get(pid)["price"] != 77  # sync records not read yet
        SyncService(writer)
        Catalogue(writer).update(pid, {"price": 77})
        writer.storage.compact()  # a new sync file; the one `reader` knew is gone
        record = SyncService(reader).replica.record("products", pid)
        assert record["fields"]["price"]["v"] == 77


def test_a_backup_holds_the_sync_records_and_restores_them(data_dir: Path) -> None:
    stamps = _hub(data_dir)
    with Store.open(data_dir) as store:
        backup = store.backup()
        tables, _schema, _gen = parse_snapshot(backup.read_bytes(), backup)
        assert len(tables[RECORDS]) >= len(stamps)
        # the data file itself is not a backup: it holds no sync records
        with pytest.raises(StoreError, match="not a backup"):
            store.restore(data_dir / DB_NAME)
        store.restore(backup)
    with Store.open(data_dir) as store:
        server = SyncService(store)
        for pid, stamp in stamps.items():
            assert server.replica.record("products", pid)["fields"]["price"]["s"] == stamp


def test_restoring_over_a_damaged_data_file_keeps_its_sync_file_beside_it(
    data_dir: Path,
) -> None:
    stamps = _hub(data_dir)
    with Store.open(data_dir) as store:
        backup = store.backup()
    (apart,) = _sync_files(data_dir)
    (data_dir / DB_NAME).write_bytes(b"{ broken")
    kept = Store.restore_into(data_dir, backup)
    names = sorted(p.name for p in kept)
    assert any(n.startswith(f"{apart}.damaged-") for n in names), names
    with Store.open(data_dir) as store:
        server = SyncService(store)
        for pid, stamp in stamps.items():
            assert server.replica.record("products", pid)["fields"]["price"]["s"] == stamp
