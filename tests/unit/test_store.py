"""The store, on real files: durability, rollback, several processes, damage.

These tests open real stores in tmp_path and run real child processes; the
crash test kills writers with SIGKILL and checks every acknowledged write.
"""

from __future__ import annotations

import os
import random
import signal
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import orjson
import pytest
from tinydb import where

from localapp.errors import StoreCorrupt, StoreError
from localapp.store import Store, migrations
from localapp.store.storage import DB_NAME


def child(script: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(script), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_data_survives_reopen_and_utf8_is_kept_unescaped(data_dir: Path) -> None:
    with Store.open(data_dir) as store:
        store.table("products").insert({"sku": "LSD-1", "name": "螺丝刀", "price_cents": 1250})
        store.storage.compact()
        store.table("products").update({"price_cents": 1300}, where("sku") == "LSD-1")
    with Store.open(data_dir) as store:
        assert store.table("products").all() == [
            {"sku": "LSD-1", "name": "螺丝刀", "price_cents": 1300}
        ]
    assert "螺丝刀".encode() in (data_dir / DB_NAME).read_bytes()


def test_failed_transaction_changes_nothing_in_memory_or_on_disk(data_dir: Path) -> None:
    with Store.open(data_dir) as store:
        t = store.table("tasks")
        t.insert({"name": "keep", "n": 1})
        with pytest.raises(RuntimeError), store.transaction():
            t.insert({"name": "half-done"})
            t.update({"n": 2}, doc_ids=[1])
            t.remove(doc_ids=[1])
            raise RuntimeError("import failed half way")
        assert t.all() == [{"name": "keep", "n": 1}]
    with Store.open(data_dir) as store:
        assert store.table("tasks").all() == [{"name": "keep", "n": 1}]


def test_returned_documents_are_copies(data_dir: Path) -> None:
    with Store.open(data_dir) as store:
        t = store.table("products")
        t.insert({"history": [1]})
        t.get(doc_id=1)["history"].append(2)
        assert t.get(doc_id=1) == {"history": [1]}


def test_unstorable_value_is_refused_and_nothing_written(data_dir: Path) -> None:
    with Store.open(data_dir) as store:
        with pytest.raises(StoreError):
            store.table("t").insert({"when": object()})
        assert store.table("t").all() == []


COUNTER = """
    import sys
    from pathlib import Path
    from localapp.store import Store
    store = Store.open(Path(sys.argv[1]))
    t = store.table("counter")
    for _ in range(int(sys.argv[2])):
        with store.transaction():
            doc = t.get(doc_id=1)
            t.update({"n": doc["n"] + 1}, doc_ids=[1])
        t.insert({"by": sys.argv[3]})
    print("done")
"""


def test_two_processes_read_modify_write_lose_nothing(data_dir: Path) -> None:
    with Store.open(data_dir) as store:
        store.table("counter").insert({"n": 0})
    procs = [child(COUNTER, str(data_dir), "500", name) for name in ("a", "b")]
    for p in procs:
        out, err = p.communicate(timeout=240)
        assert p.returncode == 0, err
    with Store.open(data_dir) as store:
        t = store.table("counter")
        assert t.get(doc_id=1)["n"] == 1000
        others = [doc for doc in t.all() if "by" in doc]
        assert len(others) == 1000  # no id handed out twice
        assert {d.doc_id for d in others} == set(range(2, 1002))


WRITER = """
    import sys
    from pathlib import Path
    from localapp.store import Store
    store = Store.open(Path(sys.argv[1]), compact_min_bytes=16384)
    t = store.table(sys.argv[3])
    i = int(sys.argv[2])
    while True:
        with store.transaction():
            t.insert({"seq": i, "pad": "x" * 200})
            t.upsert({"key": "last", "seq": i}, __import__("tinydb").where("key") == "last")
        print(i, flush=True)  # acknowledged: the transaction returned
        i += 1
"""


@pytest.mark.parametrize("table", ["acks", "sync_records"])
def test_sigkill_during_writes_never_loses_an_acknowledged_write(
    data_dir: Path, table: str
) -> None:
    """Also in a table kept in a file of its own (localapp/store/apart.py),
    whose compactions write two files."""
    rng = random.Random(7)
    acked: list[int] = []
    start = 0
    for _round in range(6):
        p = child(WRITER, str(data_dir), str(start), table)
        assert p.stdout is not None
        deadline = time.monotonic() + 20
        wanted = rng.randint(20, 120)
        got = 0
        while got < wanted and time.monotonic() < deadline:
            line = p.stdout.readline()
            if not line:
                break
            acked.append(int(line))
            got += 1
        time.sleep(rng.random() * 0.05)
        p.send_signal(signal.SIGKILL)
        rest, err = p.communicate(timeout=10)
        acked.extend(int(x) for x in rest.split())
        assert got > 0, err
        with Store.open(data_dir) as store:
            seqs = {d["seq"] for d in store.table(table).all() if "seq" in d and "key" not in d}
            assert set(acked) <= seqs
            start = max(seqs) + 1
    assert len(acked) > 100


def _good_store_with_backup(data_dir: Path) -> Path:
    with Store.open(data_dir) as store:
        store.table("projects").insert({"name": "上线准备"})
        return store.backup()


@pytest.mark.parametrize("damage", ["garbage", "truncated", "empty"])
def test_damaged_data_file_is_refused_untouched_with_a_way_back(
    data_dir: Path, damage: str
) -> None:
    backup = _good_store_with_backup(data_dir)
    with Store.open(data_dir) as store:
        store.storage.compact()
    path = data_dir / DB_NAME
    good = path.read_bytes()
    bad = {
        "garbage": b"\x00\x01not json at all",
        "truncated": good[: len(good) // 2],
        "empty": b"",
    }[damage]
    path.write_bytes(bad)
    with pytest.raises(StoreCorrupt) as exc:
        Store.open(data_dir)
    message = exc.value.message
    assert str(path) in message
    assert str(backup) in message
    assert "localapp restore" in message
    assert path.read_bytes() == bad  # nothing overwritten
    with Store.open(data_dir / "elsewhere") as other:  # restore makes it usable again
        other.restore(backup)
        assert other.table("projects").all() == [{"name": "上线准备"}]


def test_damaged_journal_middle_is_refused_but_torn_tail_is_dropped(data_dir: Path) -> None:
    with Store.open(data_dir) as store:
        for i in range(3):
            store.table("t").insert({"i": i})
    jpath = data_dir / f"{DB_NAME}.journal"
    intact = jpath.read_bytes()
    # A torn last write (a crash mid-append) is normal: ignored, then cleaned up.
    jpath.write_bytes(intact + b'0badc0de {"at":1,"t":{"t":{"s":{"9":')
    with Store.open(data_dir) as store:
        assert [d["i"] for d in store.table("t").all()] == [0, 1, 2]
        store.table("t").insert({"i": 3})
    with Store.open(data_dir) as store:
        assert [d["i"] for d in store.table("t").all()] == [0, 1, 2, 3]
    # A damaged line with good lines after it is not a crash: refuse.
    lines = jpath.read_bytes().split(b"\n")
    lines[2] = lines[2].replace(b'"i":1', b'"i":7')
    jpath.write_bytes(b"\n".join(lines))
    before = jpath.read_bytes()
    with pytest.raises(StoreCorrupt, match="checksum"):
        Store.open(data_dir)
    assert jpath.read_bytes() == before


def test_rolling_backups_keep_the_newest_n(data_dir: Path) -> None:
    with Store.open(data_dir, backup_keep=3) as store:
        made = []
        for i in range(5):
            store.table("t").insert({"i": i})
            made.append(store.backup())
        kept = store.list_backups()
        assert kept == sorted(made[-3:], reverse=True)


def test_restore_replaces_state_for_every_process_and_keeps_a_way_back(data_dir: Path) -> None:
    with Store.open(data_dir) as a, Store.open(data_dir) as b:
        a.table("t").insert({"v": "old"})
        snap = a.backup()
        a.table("t").update({"v": "new"}, doc_ids=[1])
        before = b.restore(snap)
        assert a.table("t").all() == [{"v": "old"}]  # the other handle sees it
        assert before.name.endswith("before-restore.json")
        b.restore(before)
        assert a.table("t").all() == [{"v": "new"}]


def test_file_mode_is_kept_across_rewrites(data_dir: Path) -> None:
    with Store.open(data_dir) as store:
        store.table("t").insert({"i": 1})
        os.chmod(data_dir / DB_NAME, 0o640)
        store.storage.compact()
    assert stat.S_IMODE(os.stat(data_dir / DB_NAME).st_mode) == 0o640


def test_old_schema_is_migrated_after_a_backup(data_dir: Path) -> None:
    old = {
        "format": "localapp-store",
        "schema": 0,
        "generation": 4,
        "tables": {"t": {"1": {"v": 1}}},
    }
    (data_dir / DB_NAME).write_bytes(orjson.dumps(old))
    with Store.open(data_dir) as store:
        assert store.info()["schema"] == migrations.LATEST
        assert store.table("t").all() == [{"v": 1}]
        assert any("before-schema" in p.name for p in store.list_backups())


def test_newer_schema_is_refused(data_dir: Path) -> None:
    newer = {
        "format": "localapp-store",
        "schema": migrations.LATEST + 1,
        "generation": 1,
        "tables": {},
    }
    (data_dir / DB_NAME).write_bytes(orjson.dumps(newer))
    with pytest.raises(StoreError, match="newer version"):
        Store.open(data_dir)


def test_listeners_hear_local_and_other_process_changes(data_dir: Path) -> None:
    heard: list[tuple[str | None, set[str] | None]] = []
    with Store.open(data_dir) as a, Store.open(data_dir) as b:
        a.add_listener(lambda t, k: heard.append((t, k)))
        a.table("t").insert({"v": 1})
        assert heard[-1] == ("t", {"1"})
        b.table("t").insert({"v": 2})
        a.table("t").all()  # catching up tells the listener
        assert heard[-1] == ("t", {"2"})


def test_restore_into_a_damaged_store_keeps_the_damaged_files(data_dir: Path) -> None:
    backup = _good_store_with_backup(data_dir)
    (data_dir / DB_NAME).write_bytes(b"{ broken")
    kept = Store.restore_into(data_dir, backup)
    assert [p.read_bytes() for p in kept if p.name.startswith(f"{DB_NAME}.damaged")][
        0
    ] == b"{ broken"
    with Store.open(data_dir) as store:
        assert store.table("projects").all() == [{"name": "上线准备"}]


def test_temp_files_of_killed_backups_are_removed_at_open_and_by_the_next_backup(
    tmp_path: Path,
) -> None:
    """A `localapp backup` killed mid-write left hidden .tmp- files for ever (100 MB
    after 40 kills), not counted by LOCALAPP_BACKUP_KEEP."""
    import os
    import time

    from localapp.store import backups

    data = tmp_path / "data"
    with Store.open(data) as store:
        store.backup()
    folder = backups.backup_dir(data)
    old = time.time() - 3600

    def leftover(name: str, age: float = old) -> Path:
        path = folder / f".localapp-{name}.json.tmp-abc123"
        path.write_bytes(b"x" * 1000)
        os.utime(path, (age, age))
        return path

    first, fresh = leftover("killed1"), leftover("writing", time.time())
    with Store.open(data):
        pass
    assert not first.exists(), "removed at open"
    assert fresh.exists(), "a backup still being written is left alone"
    second = leftover("killed2")
    with Store.open(data, backup_keep=2) as store:
        second.touch()  # as if written just now: only the next backup's own check sees it
        os.utime(second, (old, old))
        store.backup()
        store.backup()
    assert not second.exists(), "removed by the next backup"
    assert len(backups.list_backups(data)) == 2


def test_a_zero_length_journal_is_started_again_not_appended_to_headless(
    data_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A 0-byte journal was accepted silently, new lines were appended without a
    header and acknowledged, and the next open failed."""
    with Store.open(data_dir) as store:
        store.table("t").insert({"i": 0})
        store.storage.compact()
        store.table("t").insert({"i": 1})
    jpath = data_dir / f"{DB_NAME}.journal"
    jpath.write_bytes(b"")
    with caplog.at_level("WARNING"), Store.open(data_dir) as store:
        assert [d["i"] for d in store.table("t").all()] == [0]
        store.table("t").insert({"i": 2})
    assert "is empty" in caplog.text and "gone" in caplog.text
    with Store.open(data_dir) as store:  # opens again, with what was acknowledged
        assert [d["i"] for d in store.table("t").all()] == [0, 2]


def test_a_damaged_complete_last_line_is_refused_not_cut_off(data_dir: Path) -> None:
    """One flipped byte in the last (acknowledged, complete) journal line used to be
    dropped as "an unfinished last write" and cut off at the next write."""
    with Store.open(data_dir) as store:
        for i in range(3):
            store.table("t").insert({"i": i})
    jpath = data_dir / f"{DB_NAME}.journal"
    data = jpath.read_bytes()
    assert data.endswith(b"\n")
    flipped = data[:-3] + bytes([data[-3] ^ 0x01]) + data[-2:]
    jpath.write_bytes(flipped)
    with pytest.raises(StoreCorrupt, match="checksum"):
        Store.open(data_dir)
    assert jpath.read_bytes() == flipped, "never truncated"


def test_many_transactions_in_bulk_fold_the_journal_once_at_the_end(tmp_path: Path) -> None:
    """A first sync commits a page at a time; the journal is folded into the
    data file once, after the last page, and every page is there after a
    reopen (each was durable in the journal meanwhile)."""
    with Store.open(tmp_path, compact_min_bytes=1024) as store:
        storage = store.storage
        generation = storage.generation
        with storage.bulk():
            for page in range(20):
                with store.transaction():
                    store.table("products").insert_multiple(
                        {"sku": f"B-{page}-{i}", "notes": "x" * 200} for i in range(10)
                    )
            assert storage.generation == generation, "not folded while the pages arrive"
        assert storage.generation == generation + 1, "folded once, at the end"
        with store.transaction():
            store.table("products").insert({"sku": "AFTER", "notes": "x" * 20_000})
        assert storage.generation == generation + 2, "and as before after it"
    with Store.open(tmp_path) as store:
        assert len(store.table("products")) == 201
