"""A desktop that never set sync up records nothing: its data file holds its
records once, not twice (the scale issue: a full sync copy of every record made
two thirds of the file). Setting sync up stamps everything once, and from then
on every write is recorded."""

from __future__ import annotations

import json
from pathlib import Path

from localapp.catalogue import Catalogue
from localapp.schedule import Schedule
from localapp.store import Store
from localapp.sync.service import SyncService
from localapp.sync.shadow import RECORDS


def data_bytes(data: Path) -> int:
    return sum(p.stat().st_size for p in data.glob("localapp.json*") if p.is_file())


def test_a_desktop_without_sync_keeps_each_record_once_then_setup_stamps_them(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    with Store.open(data) as store:
        Schedule.open(store)
        catalogue = Catalogue(store)
        service = SyncService(store)
        for i in range(300):
            catalogue.create(
                {"sku": f"N-{i}", "name": f"不同步 {i}", "price": 100 + i, "notes": "备注" * 20}
            )
        assert store.table(RECORDS).all() == []
        assert service.status()["pending"] == 0
        store.storage.compact()
        products = [dict(d) for d in store.table("products").all()]
        own = len(json.dumps(products, ensure_ascii=False).encode())
        assert data_bytes(data) <= 1.3 * own, (data_bytes(data), own)

        service.configure(url="http://127.0.0.1:9", token="la_token-for-the-test")
        pending = service.status()["pending"]
        assert pending >= 300, "every record is stamped once sync is set up"
        catalogue.create({"sku": "AFTER", "name": "之后", "price": 1})
        assert service.status()["pending"] == pending + 1, "and every later write is recorded"


def test_a_server_records_from_the_first_device_sync_and_at_every_start_after(
    tmp_path: Path,
) -> None:
    """`localapp serve` nobody syncs with keeps its records once too; the first
    push or pull makes it a hub, which it stays after a restart."""
    data = tmp_path / "data"
    with Store.open(data) as store:
        service = SyncService(store)
        Catalogue(store).create({"sku": "S-1", "name": "服务器", "price": 1})
        assert store.table(RECORDS).all() == []
        pulled = service.pull(None, 100)["records"]
        assert [r["fields"]["sku"]["v"] for r in pulled if r["table"] == "products"] == ["S-1"]
    with Store.open(data) as store:
        service = SyncService(store)
        Catalogue(store).create({"sku": "S-2", "name": "重启后", "price": 2})
        pulled = service.pull(None, 100)["records"]
        skus = {r["fields"]["sku"]["v"] for r in pulled if r["table"] == "products"}
        assert skus == {"S-1", "S-2"}, "a hub records every write after a restart"


def test_a_synced_store_keeps_each_value_once_and_sees_edits_made_without_sync(
    tmp_path: Path,
) -> None:
    """Once sync is set up, a record's sync metadata is its stamps, not its
    values again (issue 13): each product's text is in the data file once. An
    edit stamps only the field it changed. A product edited while nothing
    recorded (another tool, an older version) is still found and pushed."""
    data = tmp_path / "data"
    with Store.open(data) as store:
        Schedule.open(store)
        catalogue = Catalogue(store)
        service = SyncService(store)
        ids = [
            catalogue.create(
                {
                    "sku": f"P-{i}",
                    "name": f"独一无二的名称{i:04d}",
                    "price": 10 + i,
                    "notes": "备注" * 20,
                }
            )["id"]
            for i in range(300)
        ]
        service.configure(url="http://127.0.0.1:9", token="la_token-for-the-test")
        assert service.status()["pending"] >= 300
        store.storage.compact()
        text = (data / "localapp.json").read_text(encoding="utf-8")
        assert text.count("独一无二的名称0042") == 1, "a product's name is kept once"
        products = [dict(d) for d in store.table("products").all()]
        own = len(json.dumps(products, ensure_ascii=False).encode())
        records = len(json.dumps(store.table(RECORDS).all(), ensure_ascii=False).encode())
        assert records <= 200 * 300, (records, own)  # about 150 bytes a record, not 1.3 KB

        batch = service.replica.take_batch(10_000)
        assert batch is not None
        service.replica.batch_done(batch[0])  # as if pushed: nothing pending
        assert service.status()["pending"] == 0
        before = service.replica.record("products", ids[7])
        assert before is not None and before["fields"]["name"]["v"] == "独一无二的名称0007"
        catalogue.update(ids[7], {"price": 999})
        after = service.replica.record("products", ids[7])
        assert after is not None
        assert after["fields"]["price"] == {"v": 999, "s": after["fields"]["price"]["s"]}
        assert after["fields"]["price"]["s"] > before["fields"]["price"]["s"]
        assert after["fields"]["name"] == before["fields"]["name"], "other fields keep their stamp"

        assert service.status()["pending"] == 1
        service.replica.detach()  # nothing records: as another tool would edit
        catalogue.update(ids[8], {"name": "改于同步之外"})
        catalogue.update(ids[9], {"name": "也改于同步之外"})
        assert service.status()["pending"] == 1
    with Store.open(data) as store:
        # a server that listens first compares the documents later (check_now=False)
        service = SyncService(store, check_now=False)
        catalogue = Catalogue(store)
        catalogue.update(ids[9], {"price": 1})  # an edit before that: it sees the name too
        rec = service.replica.record("products", ids[9])
        assert rec is not None and rec["fields"]["name"]["v"] == "也改于同步之外"
        assert rec["fields"]["name"]["s"] == rec["fields"]["price"]["s"]
        assert service.status()["pending"] == 2
        was = service.replica.record("products", ids[8])
        assert was is not None
        service.replica.check()  # the comparison, once the app is up
        rec = service.replica.record("products", ids[8])
        assert rec is not None and rec["fields"]["name"]["v"] == "改于同步之外"
        assert rec["fields"]["name"]["s"] > was["fields"]["name"]["s"], "stamped anew"
        assert service.status()["pending"] == 3
        pushed = service.replica.take_batch(1000)
        assert pushed is not None
        assert {r["id"] for r in pushed[1]} == {ids[7], ids[8], ids[9]}


def test_a_hub_serves_pulls_in_change_order_and_pages_see_edits_made_between_them(
    tmp_path: Path,
) -> None:
    """A server without a bucket (a hub) serves pulls from its records by
    sequence number: every record once, oldest change first; a product edited
    after the first page was served comes again, edited, on a later page, and
    another process's edit is seen too."""
    with Store.open(tmp_path / "hub") as store:
        Schedule.open(store)
        catalogue = Catalogue(store)
        replica = SyncService(store).replica
        replica.start_recording()
        ids = [
            catalogue.create({"sku": f"H-{i}", "name": f"件 {i}", "price": i + 1})["id"]
            for i in range(30)
        ]
        seen: list[str] = []
        records, seq, more = replica.records_since(0, 10)
        seen += [r["id"] for r in records if r["table"] == "products"]
        assert more
        catalogue.update(ids[0], {"name": "改过"})  # already served: comes again, last
        with Store.open(tmp_path / "hub") as other:  # another process on the same data
            SyncService(other).replica.start_recording()
            Catalogue(other).update(ids[1], {"price": 999})
        for _ in range(10):  # bounded
            records, seq, more = replica.records_since(seq, 10)
            seen += [r["id"] for r in records if r["table"] == "products"]
            last = {r["id"]: r for r in records}
            if not more:
                break
        assert seen[: len(ids)] == ids
        assert seen[len(ids) :] == [ids[0], ids[1]]
        assert last[ids[0]]["fields"]["name"]["v"] == "改过"
        assert last[ids[1]]["fields"]["price"]["v"] == 999
        assert replica.records_since(seq, 10) == ([], seq, False)


def test_records_pulled_as_lines_make_the_same_store_as_whole_ones(tmp_path: Path) -> None:
    """A first sync reads snapshot records as lines (their values once); the
    store it makes is the one the same records make whole: same documents,
    same sync records, and an edit or a delete on top merges the same way."""
    import orjson

    from localapp.sync import packed
    from localapp.sync.replica import Replica

    with Store.open(tmp_path / "source") as source:
        catalogue = Catalogue(source)
        made = [
            catalogue.create(
                {"sku": f"L-{i}", "name": f"线 {i}", "price": 100 + i, "tags": ["五金"]}
            )
            for i in range(40)
        ]
        replica = Replica.attach(source)
        catalogue.update(made[0]["id"], {"price": 5})
        catalogue.delete(made[1]["id"])
        records = replica.all_records()
        replica.detach()
    lines = [packed.line_of(r) for r in records]
    assert sum(1 for item in lines if item[2] is not None) >= 38, "plain records travel as lines"

    def stored(name: str, items: list[object]) -> dict[str, list[bytes]]:
        with Store.open(tmp_path / name) as store:
            rep = Replica.attach(store)
            assert rep.apply(orjson.loads(orjson.dumps(items))) >= 40
            out = {
                t: sorted(
                    orjson.dumps(d, option=orjson.OPT_SORT_KEYS)
                    for d in store.storage.documents(t).values()
                )
                for t in ("products", RECORDS)
            }
            shown = {d["sku"]: d for d in store.table("products").all()}
            assert shown["L-0"]["price"] == 5 and shown["L-1"]["deleted"] is True
            assert shown["L-2"]["tags"] == ["五金"] and shown["L-2"]["deleted"] is False
            rep.detach()
            return out

    assert stored("lines", list(lines)) == stored("whole", list(records))


def test_stamping_existing_data_stores_what_packing_each_whole_record_would(
    tmp_path: Path,
) -> None:
    """`sync setup` (and a hub's first pull) stamps every existing document
    straight in packed form (`Shadow._put_fresh`): each row is what packing
    its whole record against its document gives, and the record a device is
    sent is that whole record, every value under the one stamp."""
    from localapp.sync import packed
    from localapp.sync.values import replicated_fields

    data = tmp_path / "data"
    with Store.open(data) as store:
        sched = Schedule.open(store)
        catalogue = Catalogue(store)
        for i in range(50):
            catalogue.create({"sku": f"P-{i}", "name": f"扳手 {i}", "price": i, "tags": ["五金"]})
        project = sched.create("projects", {"name": "老数据"})
        sched.create("tasks", {"project_id": project["id"], "name": "任务", "start": "2026-12-01"})
        server = SyncService(store)
        pulled = {(r["table"], r["id"]): r for r in server.pull(None, 1000)["records"]}
        rows = store.table(RECORDS).all()
        assert len(rows) >= 52
        for row in rows:
            doc = server.replica._doc_of(row["t"], row["id"])
            fields = replicated_fields(doc or {})
            stamp = row["p"]["s"]
            whole = {"fields": {k: {"v": v, "s": stamp} for k, v in fields.items()}}
            assert row["p"] == packed.pack(whole, fields), row
            record = pulled[(row["t"], row["id"])]
            assert {k: c["v"] for k, c in record["fields"].items()} == fields
            assert {c["s"] for c in record["fields"].values()} == {stamp}
