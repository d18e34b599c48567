"""Snapshots and their hint against a real S3 server on 127.0.0.1 (moto):
a snapshot plus the log after it gives exactly what replaying the whole log
gives; the newest snapshot only moves forward under racing writers, however
the hint lags; a store that refuses `If-Match` (Aliyun OSS) gets the same;
damaged or missing objects fall back to an older snapshot; pruning keeps the
newest K."""

from __future__ import annotations

import gzip
import logging
import random
import threading
import time
from typing import Any

import orjson
import pytest

from localapp.sync import hlc, merge
from localapp.sync.config import BucketConfig
from localapp.sync.errors import StorageUnavailable
from localapp.sync.log import Bucket, ChangeLog
from localapp.sync.snapshots import (
    MANIFEST_KEY,
    SnapshotStore,
    Written,
    restore,
    should_snapshot,
    snapshot_key,
)

# the moto server (`s3_url`) and a fresh bucket per test (`config`); as a
# plugin rather than imported names, which every test's argument would shadow
pytest_plugins = ["s3"]
T0 = 1_700_000_000.0


def no_sleep(_: float) -> None:
    """Backoff without waiting where the number of tries is what matters."""


def bucket(config: BucketConfig, **kw: Any) -> Bucket:
    """A bucket with its own client, as another device or instance has."""
    return Bucket.from_config(config, **kw)


def recs(upto: int, n: int = 2) -> list[dict[str, Any]]:
    """Stand-in records that say which snapshot they came from."""
    return [
        {
            "id": f"r{i}",
            "table": "tasks",
            "fields": {"upto": {"v": upto, "s": "x"}},
            "deleted": None,
            "_acked": {},
            "_conflicts": [],
        }
        for i in range(n)
    ]


def raw_put(config: BucketConfig, key: str, body: bytes) -> None:
    """Write an object behind our code's back (damage, or an old layout)."""
    config.client().put_object(Bucket=config.bucket, Key=key, Body=body)


def on_manifest_put(b: Bucket, action: Any) -> list[int]:
    """Call `action()` just before each PutObject of the manifest is sent."""
    calls: list[int] = []

    def hook(request: Any, **_: Any) -> None:
        if request.url.split("?", 1)[0].endswith("/" + MANIFEST_KEY):
            calls.append(1)
            action(len(calls))

    b.client.meta.events.register("before-send.s3.PutObject", hook)
    return calls


def count_requests(b: Bucket, operation: str, url_part: str) -> list[str]:
    """The URLs of the `operation` requests `b` sends whose URL holds `url_part`."""
    urls: list[str] = []

    def hook(request: Any, **_: Any) -> None:
        if url_part in request.url:
            urls.append(request.url)

    b.client.meta.events.register(f"before-send.s3.{operation}", hook)
    return urls


def crash(_: int) -> None:
    """The instance dies (or is frozen) as it sends its manifest update."""
    raise ConnectionResetError("the instance was frozen mid-write")


# -- basics ----------------------------------------------------------------------


def test_should_snapshot_and_keys() -> None:
    assert not should_snapshot(199, 0)
    assert should_snapshot(200, 0) and should_snapshot(650, 400, every=250)
    assert not should_snapshot(5, 3, every=3)
    assert snapshot_key(200) == "snapshots/00000000000000000200.json.gz"


def test_empty_bucket_has_no_snapshot(config: BucketConfig) -> None:
    store = SnapshotStore(bucket(config))
    assert store.latest() == (0, [])
    assert store.manifest() is None and store.keys() == [] and store.prune() == []
    with pytest.raises(ValueError):
        store.write(0, [])
    with pytest.raises(ValueError):
        SnapshotStore(bucket(config), keep=0)


def test_write_then_latest_round_trip(config: BucketConfig) -> None:
    store = SnapshotStore(bucket(config), replica="faas-1")
    assert store.write(200, recs(200, 5)) == Written(snapshot_key(200), True)
    m = store.manifest()
    assert m is not None and (m.snapshot, m.upto, m.replica) == (snapshot_key(200), 200, "faas-1")
    # a new instance (its own client, nothing in /tmp) loads it
    assert SnapshotStore(bucket(config)).latest() == (200, recs(200, 5))
    lines = gzip.decompress(bucket(config).get(snapshot_key(200)) or b"").splitlines()
    head = orjson.loads(lines[0])  # a header line, then a line a record
    assert (head["format"], head["upto"], head["count"], len(lines)) == (2, 200, 5, 6)
    assert head["made_at"]
    # each record's values once, their stamps packed: {"upto": {"v": 200, "s": "x"}}
    assert orjson.loads(lines[1]) == ["tasks", "r0", {"upto": 200}, {"s": "x"}]
    # the same point written again by another instance: its copy is kept, no error
    assert SnapshotStore(bucket(config)).write(200, recs(200, 5)).current is True
    # a later snapshot moves the manifest; an earlier one written late does not
    assert store.write(400, recs(400)).current is True
    assert store.write(300, recs(300)) == Written(snapshot_key(300), False)
    assert store.latest() == (400, recs(400))
    # the two newest are kept (KEEP): the oldest is pruned
    assert store.keys() == [snapshot_key(n) for n in (300, 400)]


def test_bucket_compare_and_swap(config: BucketConfig) -> None:
    b = bucket(config, sleep=no_sleep)
    assert b.get_with_etag("m") is None
    assert b.put_if_match("m", b"1", "text/plain", None) is True
    assert b.put_if_match("m", b"again", "text/plain", None) is False  # exists
    got = b.get_with_etag("m")
    assert got is not None and got[0] == b"1"
    assert b.put_if_match("m", b"2", "text/plain", got[1]) is True
    assert b.put_if_match("m", b"3", "text/plain", got[1]) is False  # stale ETag: 412
    assert b.get("m") == b"2"
    b.delete("m")
    b.delete("m")  # already gone: fine
    assert b.put_if_match("m", b"4", "text/plain", got[1]) is False  # gone: 404, lost too
    assert b.get("m") is None


# -- the point of it: snapshot + log tail == whole log ----------------------------


class Device:
    """A replica making offline edits on its own view, catching up now and then."""

    def __init__(self, name: str, wall: list[float]) -> None:
        self.name = name
        self.clock = hlc.Clock(name, now=lambda: wall[0])
        self.view: dict[tuple[str, str], dict[str, Any]] = {}
        self.cursor = ""

    def catch_up(self, changelog: ChangeLog) -> None:
        for _ in range(1000):
            changes, self.cursor = changelog.read_since(self.cursor)
            if not changes:
                return
            for c in changes:
                self.clock.update(c["stamp"])
                key = (c["table"], c["id"])
                self.view[key] = merge.apply_change(self.view.get(key), c)

    def edit(self, rng: random.Random) -> dict[str, Any]:
        table = rng.choice(["tasks", "products"])
        rid = f"{table[0]}{rng.randrange(8)}"
        rec = self.view.get((table, rid))
        roll = rng.random()
        if rec is not None and rec["_conflicts"] and roll < 0.2:
            i = rng.randrange(len(rec["_conflicts"]))
            decide = merge.resolve if rng.random() < 0.5 else merge.dismiss
            change = decide(rec, i, self.clock.now())
        elif rec is not None and roll < 0.35:
            change = merge.make_change(
                rec, table=table, id=rid, stamp=self.clock.now(), deleted=not merge.is_deleted(rec)
            )
        else:
            field = rng.choice(["name", "price", "note"])
            change = merge.make_change(
                rec, table=table, id=rid, stamp=self.clock.now(), fields={field: rng.randrange(4)}
            )
        self.view[(table, rid)] = merge.apply_change(rec, change)
        return change


def build_log(changelog: ChangeLog, batches: int, seed: int) -> list[list[dict[str, Any]]]:
    rng = random.Random(seed)
    wall = [T0]
    devices = [Device(n, wall) for n in ("desk1", "desk2", "faas")]
    written: list[list[dict[str, Any]]] = []
    for _ in range(batches):
        wall[0] += rng.choice([0.0, 0.001, 2.0])
        device = rng.choice(devices)
        if rng.random() < 0.3:
            device.catch_up(changelog)
        changes = [device.edit(rng) for _ in range(rng.randint(1, 4))]
        if written and rng.random() < 0.1:
            changes += rng.choice(written)  # a batch delivered twice
        changelog.append(changes, replica=device.name)
        written.append(changes)
    return written


def fold(
    changes: list[dict[str, Any]], into: dict[tuple[str, str], dict[str, Any]] | None = None
) -> dict[tuple[str, str], dict[str, Any]]:
    out = dict(into or {})
    for c in changes:
        key = (c["table"], c["id"])
        out[key] = merge.apply_change(out.get(key), c)
    return out


def test_snapshot_plus_log_after_it_equals_replaying_the_whole_log(config: BucketConfig) -> None:
    changelog = ChangeLog(bucket(config), page_size=7)
    batches = build_log(changelog, 60, seed=6)
    whole, _ = merge.merge(fold([c for b in batches for c in b]).values(), [])
    assert any(r["_conflicts"] for r in whole) and any(merge.is_deleted(r) for r in whole)

    writer = SnapshotStore(bucket(config), keep=10)
    for upto in (1, 17, 40, 59, 60):
        # what an instance that has applied batches 1..upto holds
        held = fold([c for b in batches[:upto] for c in b])
        writer.write(upto, merge.merge(held.values(), [])[0])

        # a cold instance: the snapshot, then the log after it, page by page
        start, records = SnapshotStore(bucket(config)).latest()
        assert start == upto
        state = {(r["table"], r["id"]): r for r in records}
        cursor = str(start)
        for _ in range(100):
            changes, cursor = ChangeLog(bucket(config), page_size=7).read_since(cursor)
            if not changes:
                break
            state = fold(changes, state)
        assert merge.merge(state.values(), [])[0] == whole
        assert int(cursor) == 60

        # the same through restore(), which the engine uses; it reads only
        # the log batches after the snapshot
        cold = bucket(config)
        reads = count_requests(cold, "GetObject", "/log/")
        restored, cur = restore(SnapshotStore(bucket(config)), ChangeLog(cold))
        assert restored == whole and int(cur) == 60
        assert len(reads) == 60 - upto


def test_restore_without_a_snapshot_replays_the_whole_log(config: BucketConfig) -> None:
    changelog = ChangeLog(bucket(config))
    batches = build_log(changelog, 15, seed=1)
    whole, _ = merge.merge(fold([c for b in batches for c in b]).values(), [])
    restored, cursor = restore(SnapshotStore(bucket(config)), changelog)
    assert restored == whole and int(cursor) == 15


def test_restore_reads_logs_of_records_too(config: BucketConfig) -> None:
    """Servers append merged records rather than changes: the same result."""
    batches = build_log(ChangeLog(bucket(config), page_size=50), 30, seed=2)
    whole, _ = merge.merge(fold([c for b in batches for c in b]).values(), [])
    records_log = ChangeLog(Bucket(config.client(), config.bucket, prefix="records/"))
    for batch in batches:
        records_log.append(merge.merge([merge.apply_change(None, c) for c in batch], [])[0])
    store = SnapshotStore(records_log.bucket)
    store.write(12, merge.merge(fold([c for b in batches[:12] for c in b]).values(), [])[0])
    restored, cursor = restore(store, records_log)
    assert restored == whole and int(cursor) == 30


# -- racing writers ------------------------------------------------------------------


def test_two_writers_race_and_the_newest_snapshot_only_moves_forward(config: BucketConfig) -> None:
    plans = {"w1": list(range(10, 301, 10)), "w2": list(range(15, 316, 15))}  # both hit 30, 60..
    results: dict[str, list[Written]] = {"w1": [], "w2": []}
    seen: list[int] = []
    errors: list[BaseException] = []
    start = threading.Barrier(3)
    done = threading.Event()

    def writer(name: str) -> None:
        try:
            store = SnapshotStore(bucket(config), replica=name)
            start.wait(timeout=30)
            for upto in plans[name]:
                results[name].append(store.write(upto, recs(upto)))
        except BaseException as e:  # reported below
            errors.append(e)

    def reader() -> None:
        try:
            store = SnapshotStore(bucket(config))
            start.wait(timeout=30)
            for _ in range(2000):
                m = store.newest()
                seen.append(m.upto if m else 0)
                upto, records = store.latest()
                assert records == (recs(upto) if upto else [])  # never a torn snapshot
                if done.is_set():
                    return
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=writer, args=(n,)) for n in plans]
    threads.append(threading.Thread(target=reader))
    for t in threads:
        t.start()
    for t in threads[:2]:
        t.join(timeout=240)
    done.set()
    threads[2].join(timeout=60)
    assert not errors, errors
    assert not any(t.is_alive() for t in threads)
    assert [len(results[n]) for n in plans] == [len(plans[n]) for n in plans]
    assert seen == sorted(seen) and seen[-1] > 0  # the newest never moved back
    store = SnapshotStore(bucket(config))
    m = store.newest()
    assert m is not None and m.upto == 315 and results["w2"][-1].current
    assert store.latest() == (315, recs(315))
    assert store.keys()[-2:] == [snapshot_key(300), snapshot_key(315)]


def test_a_hint_that_lags_or_names_a_pruned_snapshot_is_only_a_starting_point(
    config: BucketConfig,
) -> None:
    store = SnapshotStore(bucket(config))
    for upto in (100, 200, 300):
        store.write(upto, recs(upto))
    assert store.keys() == [snapshot_key(200), snapshot_key(300)]
    # A slow writer read the hint before the others moved it and put its own,
    # older one last: it names snapshot 100, pruned since.
    raw_put(config, MANIFEST_KEY, orjson.dumps({"snapshot": snapshot_key(100), "upto": 100}))
    reader = SnapshotStore(bucket(config))
    listed = count_requests(reader.bucket, "ListObjectsV2", "snapshots")
    assert reader.latest() == (300, recs(300))
    newest = reader.newest()
    assert newest is not None and newest.upto == 300
    # each LIST starts at the hint, so it stays short however old the bucket is
    assert listed and all("start-after=snapshots" in u for u in listed)
    # the next snapshot puts the hint forward again
    assert store.write(400, recs(400)).current is True
    m = store.manifest()
    assert m is not None and (m.snapshot, m.upto) == (snapshot_key(400), 400)


def test_a_store_without_compare_and_swap_gets_moving_snapshots(config: BucketConfig) -> None:
    """Aliyun OSS answers S3's If-Match with 501 NotImplemented. Nothing about
    snapshots may need it: each one moves the newest, the old ones are pruned,
    and a damaged one is skipped."""
    from s3 import http_error  # here: importing it at the top would load s3 before pytest_plugins

    asked: list[str] = []

    def no_if_match(request: Any, **_: Any) -> Any:
        if request.method == "PUT" and "If-Match" in request.headers:
            asked.append(request.url)
            return http_error(501, "NotImplemented")
        return None

    oss = bucket(config)
    oss.client.meta.events.register("before-send.s3", no_if_match)
    store = SnapshotStore(oss)
    for upto in (200, 400, 600):
        assert store.write(upto, recs(upto)).current is True
        assert SnapshotStore(bucket(config)).latest() == (upto, recs(upto))
    assert store.keys() == [snapshot_key(400), snapshot_key(600)]
    assert not asked
    # a damaged snapshot at our own key cannot be replaced without If-Match:
    # it is left, and readers skip it
    good = oss.get(snapshot_key(600)) or b""
    raw_put(config, snapshot_key(600), good[:10])
    assert store.write(600, recs(600)).current is True
    assert len(asked) == 1
    assert store.latest() == (400, recs(400))


# -- damage and fallbacks -------------------------------------------------------------


def test_damaged_or_missing_snapshot_falls_back_to_an_older_one(
    config: BucketConfig, caplog: pytest.LogCaptureFixture
) -> None:
    store = SnapshotStore(bucket(config), keep=5)
    for upto in (100, 200, 300):
        store.write(upto, recs(upto))
    caplog.set_level(logging.WARNING, logger="localapp.sync.snapshots")

    good = bucket(config).get(snapshot_key(300)) or b""
    raw_put(config, snapshot_key(300), good[: len(good) // 2])  # truncated
    assert store.latest() == (200, recs(200))
    assert "snapshots/00000000000000000300.json.gz is damaged" in caplog.text

    # whole gzip (its CRC holds), one record line damaged: found before any page is read
    lines = gzip.decompress(bucket(config).get(snapshot_key(200)) or b"").splitlines()
    raw_put(config, snapshot_key(200), gzip.compress(b"\n".join([*lines[:2], b"[1, 2"]) + b"\n"))
    assert store.latest() == (100, recs(100))
    assert "snapshots/00000000000000000200.json.gz is damaged" in caplog.text
    raw_put(config, snapshot_key(200), gzip.compress(b"\n".join(lines[:2]) + b"\n"))  # cut short
    assert store.latest() == (100, recs(100))
    assert "snapshots/00000000000000000200.json.gz is not whole" in caplog.text
    raw_put(config, snapshot_key(200), gzip.compress(b"{not json"))
    assert store.latest() == (100, recs(100))
    raw_put(
        config,
        snapshot_key(100),
        gzip.compress(orjson.dumps({"format": 1, "upto": 99, "records": []})),
    )  # parses, but is not what its name says
    raw_put(
        config,
        snapshot_key(50),
        gzip.compress(orjson.dumps({"format": 3, "upto": 50, "records": []})),
    )  # a later version's layout
    assert store.latest() == (0, [])  # nothing usable: replay the whole log
    assert "has format 3" in caplog.text

    caplog.clear()
    store.write(400, recs(400))
    bucket(config).delete(snapshot_key(400))  # the manifest names a missing one
    store.write(350, recs(350))  # below the manifest: stored, manifest unchanged
    assert store.latest() == (350, recs(350))
    assert "snapshots/00000000000000000400.json.gz is missing" in caplog.text

    # rewriting a damaged snapshot at the same point repairs it
    assert store.write(300, recs(300)).current is False
    assert SnapshotStore(bucket(config)).latest() == (350, recs(350))
    bucket(config).delete(snapshot_key(350))
    assert store.latest() == (300, recs(300))


def test_missing_or_damaged_manifest_never_raises(
    config: BucketConfig, caplog: pytest.LogCaptureFixture
) -> None:
    store = SnapshotStore(bucket(config))
    # a snapshot without a hint (its writer died before putting it) is found
    crashed = SnapshotStore(bucket(config))
    on_manifest_put(crashed.bucket, crash)
    with pytest.raises(StorageUnavailable):
        crashed.write(100, recs(100))
    assert store.manifest() is None
    assert store.latest() == (100, recs(100))

    raw_put(config, MANIFEST_KEY, b"\x00garbage")
    caplog.set_level(logging.WARNING, logger="localapp.sync.snapshots")
    assert store.manifest() is None and store.latest() == (100, recs(100))
    assert "manifest.json is damaged" in caplog.text
    # the next writer replaces the damaged hint
    assert store.write(200, recs(200)).current is True
    m = store.manifest()
    assert m is not None and (m.snapshot, m.upto) == (snapshot_key(200), 200)

    raw_put(config, MANIFEST_KEY, orjson.dumps({"snapshot": snapshot_key(150), "upto": 999}))
    assert store.manifest() is None and store.latest() == (200, recs(200))


# -- pruning ---------------------------------------------------------------------------


def test_pruning_keeps_the_newest_k(config: BucketConfig) -> None:
    store = SnapshotStore(bucket(config), keep=3)
    for upto in range(100, 701, 100):
        store.write(upto, recs(upto))
    assert store.keys() == [snapshot_key(n) for n in (500, 600, 700)]

    # A snapshot whose writer died before putting the hint is whole all the
    # same (one put): it is the newest, and counts among the three kept.
    crashed = SnapshotStore(bucket(config), keep=3)
    on_manifest_put(crashed.bucket, crash)
    with pytest.raises(StorageUnavailable):
        crashed.write(900, recs(900))
    assert store.latest() == (900, recs(900))
    assert store.prune() == [snapshot_key(500)]
    # a snapshot written late, below the newest, is pruned as the oldest goes
    assert store.write(650, recs(650)).current is False
    assert store.keys() == [snapshot_key(n) for n in (650, 700, 900)]
    assert store.write(800, recs(800)).current is False
    assert store.keys() == [snapshot_key(n) for n in (700, 800, 900)]
    assert store.latest() == (900, recs(900))

    keep1 = SnapshotStore(bucket(config), keep=1)
    assert keep1.prune() == [snapshot_key(700), snapshot_key(800)]
    assert keep1.keys() == [snapshot_key(900)]


def test_pruning_refused_by_the_bucket_does_not_fail_the_write(
    config: BucketConfig, caplog: pytest.LogCaptureFixture
) -> None:
    from s3 import http_error  # here: importing it at the top would load s3 before pytest_plugins

    store = SnapshotStore(bucket(config), keep=1)
    store.bucket.client.meta.events.register(
        "before-send.s3.DeleteObject", lambda **_: http_error(403, "AccessDenied")
    )
    caplog.set_level(logging.WARNING, logger="localapp.sync.snapshots")
    store.write(1, recs(1))
    assert store.write(2, recs(2)).current is True
    assert "Could not prune" in caplog.text and "refused" in caplog.text
    assert store.keys() == [snapshot_key(1), snapshot_key(2)]


# -- size ---------------------------------------------------------------------------------


def test_ten_thousand_records_write_and_load(config: BucketConfig) -> None:
    clock = hlc.Clock("desk1", now=lambda: T0)
    records = [
        merge.apply_change(
            None,
            merge.make_change(
                None,
                table="products",
                id=f"p{i:05d}",
                stamp=clock.now(),
                fields={
                    "name": f"Product {i}",
                    "price": i * 1.25,
                    "unit": "m2",
                    "image": f"{i:064x}",
                    "tags": ["a", "b"],
                },
            ),
        )
        for i in range(10_000)
    ]
    store = SnapshotStore(bucket(config))
    t0 = time.perf_counter()
    store.write(10_000, records)
    t1 = time.perf_counter()
    upto, loaded = SnapshotStore(bucket(config)).latest()
    t2 = time.perf_counter()
    assert upto == 10_000 and loaded == records
    # read a page at a time, on from the last page or from anywhere else
    page, end = loaded.page(0, 4000)
    assert (page, end) == (records[:4000], 4000)
    assert loaded.page(end, 4000) == (records[4000:8000], 8000)
    assert loaded.page(1234, 3) == (records[1234:1237], 1237)  # back: read again from the start
    assert loaded[-1] == records[-1] and loaded[5:7] == records[5:7]
    one = len(orjson.dumps(records[0]))
    # a byte cap: stops past it (a page's size is estimated from the lines,
    # within a few per cent: 1.9 records' bytes stop after the second)
    assert loaded.page(9990, 100, one * 19 // 10)[1] == 9992
    assert loaded.page(9990, 100, 1)[1] == 9991  # at least one
    size = len(bucket(config).get(snapshot_key(10_000)) or b"")
    print(
        f"\n10,000 records: snapshot {size / 1e6:.2f} MB gzipped, "
        f"write {t1 - t0:.3f} s, load {t2 - t1:.3f} s"
    )


# -- an instance writes them by itself ---------------------------------------------


def test_an_instance_taking_only_pushes_writes_snapshots_of_exactly_the_log(
    config: BucketConfig, tmp_path: Any
) -> None:
    """Pushes are answered without reading the log back; the background reads it
    and writes a snapshot when one is due. The snapshot holds exactly what the
    log holds up to its number, and a cold start from it misses nothing."""
    from localapp.store import Store
    from localapp.sync.background import Background
    from localapp.sync.service import SyncService

    store = Store.open(tmp_path / "instance")
    service = SyncService(store, bucket=config, uploads=tmp_path / "uploads", snapshot_every=3)
    keeper = Background(service).start()
    pushed: list[list[dict[str, Any]]] = []
    try:
        for b in range(7):
            batch = [
                {
                    "id": f"p{b}-{i}",
                    "table": "products",
                    "deleted": None,
                    "_acked": {},
                    "_conflicts": [],
                    "fields": {
                        "name": {
                            "v": f"第{b}批 {i}",
                            "s": hlc.encode(1_700_000_000_000 + b, i, "desk"),
                        }
                    },
                }
                for i in range(4)
            ]
            assert service.push(f"batch{b}", "desk", batch)["duplicate"] is False
            pushed.append(batch)
        snaps = SnapshotStore(bucket(config))
        deadline = time.monotonic() + 30
        while (
            snaps.manifest() is None or snaps.manifest().upto < 6
        ) and time.monotonic() < deadline:
            time.sleep(0.1)
        manifest = snaps.manifest()
        assert manifest is not None and manifest.upto >= 6
        upto, records = snaps.latest()
        # One process pushed the batches in order: log entry n is pushed[n - 1]. (The
        # log before the previous snapshot is compacted away, so it is not re-read.)
        folded = {(c["table"], c["id"]): merge.normalize(c) for b in pushed[:upto] for c in b}
        canon = [orjson.dumps(r, option=orjson.OPT_SORT_KEYS) for r in records]
        assert sorted(canon) == sorted(
            orjson.dumps(r, option=orjson.OPT_SORT_KEYS) for r in folded.values()
        )
        # a cold start from the snapshot plus the log after it has every product
        everything, _ = restore(snaps, ChangeLog(bucket(config)))
        names = {r["id"] for r in everything if r["table"] == "products"}
        assert names == {f"p{b}-{i}" for b in range(7) for i in range(4)}
    finally:
        keeper.stop()
        service.replica.detach()
        store.close()
