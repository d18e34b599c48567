"""The sync promise as a property, end to end through real servers and faults.

Per example: a fresh bucket on moto's S3 server, behind a fault-injecting HTTP
proxy on 127.0.0.1 (S3 500s, 409 ConditionalRequestConflict on conditional
writes, connections dropped before the request reaches S3, and answers lost
after it did); two real `localapp serve` instances sharing that bucket; two or
three device replicas, each a real Store in its own data dir with a Replica
(and sometimes one more joining at the end, which starts from the newest
snapshot the instances wrote: they write one every 4 log batches here).

Hypothesis draws phases. In each, every device makes offline creates, edits and
deletes of products through the Catalogue, then devices sync in a random order
with a random instance (`rounds.run_round` over `HttpRemote`), some of them
killed mid-round: the process "dies" (a test exception at the remote boundary)
just before sending, after the instance took the batch but before the device
heard back, or after a page was fetched but before it was applied; the store
is then closed and opened again from disk, as after a crash. Finally devices
sync until quiet, and then:

- every device holds the same replicated records, and shows the same products;
- every write is the winner of its field or kept in `_conflicts`, unless the
  device that wrote over it had it on screen (tracked by the test as the writes
  happen, from the value each edit replaced);
- a deleted product stays deleted (nobody restores in this test);
- both instances serve the same products as the devices.

A separate test forces each fault kind onto the bucket writes in turn, so every
kind is exercised whatever hypothesis draws.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import tempfile
import threading
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import pytest
from conftest import Server, http, start_server
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from s3_proxy import FAULTS, FaultProxy

from localapp.catalogue import Catalogue
from localapp.schedule import Schedule
from localapp.store import Store
from localapp.sync import merge
from localapp.sync.config import BucketConfig
from localapp.sync.remote import HttpRemote, SyncUnreachable
from localapp.sync.replica import Replica
from localapp.sync.rounds import Summary, run_round
from localapp.sync.values import LOCAL_FIELDS, doc_values, normal_form, seed_records

# moto's S3 server, once per module (`s3_url`): tests/s3.py
pytest_plugins = ["s3"]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def proxy(s3_url: str) -> Iterator[FaultProxy]:
    p = FaultProxy(s3_url)
    try:
        yield p
    finally:
        p.stop()


# -- servers and devices --------------------------------------------------------------------


def new_bucket(s3_url: str) -> str:
    name = f"prop-{uuid.uuid4().hex[:12]}"
    BucketConfig(name, s3_url, "us-east-1", "testing", "testing").client().create_bucket(
        Bucket=name
    )
    return name


def start_instances(root: Path, proxy: FaultProxy, bucket: str, n: int = 2) -> list[Server]:
    """`n` instances on one bucket, reaching S3 through the proxy; started at once."""
    from s3 import DUMMY

    env = {
        **DUMMY,
        "LOCALAPP_S3_BUCKET": bucket,
        "LOCALAPP_S3_ENDPOINT": proxy.url,
        "LOCALAPP_S3_REGION": "us-east-1",
        # snapshots every few batches, so they are written (under faults) and read
        "LOCALAPP_SYNC_SNAPSHOT_EVERY": "4",
    }
    out: list[Server | BaseException | None] = [None] * n

    def start(i: int) -> None:
        try:
            out[i] = start_server(root / f"instance{i}", env=env)
        except BaseException as e:  # reported below, after every thread ended
            out[i] = e

    threads = [threading.Thread(target=start, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    servers = [s for s in out if isinstance(s, Server)]
    if len(servers) != n:
        for s in servers:
            s.stop()
        raise AssertionError(f"an instance did not start: {out}")
    return servers


class Node:
    """One device: a real store in its own data dir, with its Replica and Catalogue."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.made = 0
        self._open()

    def _open(self) -> None:
        self.store = Store.open(self.path)
        # as the app opens a data folder: the schedule makes the default task
        # types (alike everywhere, never sent), then sync attaches
        Schedule.open(self.store)
        self.replica = Replica.attach(self.store, seeds=seed_records())
        self.catalogue = Catalogue(self.store)

    def restart(self) -> None:
        """The process died: only what is on disk is left."""
        self.close()
        self._open()

    def close(self) -> None:
        self.replica.detach()
        self.store.close()

    def record(self, pid: str) -> dict[str, Any]:
        rec = self.replica.record("products", pid)
        assert rec is not None
        return rec


class Killed(Exception):
    """The device's process dies here."""


class Dying:
    """A remote through which the device dies once, at `when` (a fault at the boundary)."""

    def __init__(self, remote: HttpRemote, when: str | None) -> None:
        self.remote = remote
        self.when = when

    def _die(self, at: str) -> None:
        if self.when == at:
            self.when = None
            raise Killed(at)

    def push(self, batch: str, replica: str, records: list[dict[str, Any]]) -> dict[str, Any]:
        self._die("before_push")
        answer = self.remote.push(batch, replica, records)
        self._die("after_push")  # the instance has the batch; batch_done never runs
        return answer

    def pull(
        self, cursor: str | None, limit: int, *, lines: bool = False
    ) -> tuple[list[Any], str, bool]:
        page = self.remote.pull(cursor, limit, lines=lines)
        self._die("after_pull")  # the page is lost before it is applied
        return page


EXPECTED_FAILURE = re.compile(r"sync (bucket|log|storage)|sync manifest", re.IGNORECASE)


def sync_once(node: Node, instance: Server, die: str | None, failures: list[str]) -> Summary | None:
    """One round; None when it failed (a fault) or the device died."""
    assert instance.token is not None
    remote = Dying(HttpRemote(instance.url, instance.token, timeout=60), die)
    try:
        return run_round(node.replica, remote)
    except Killed:
        node.restart()
    except SyncUnreachable as e:
        # the instance could not reach the bucket even after its retries: fine,
        # as long as it says so (not an unexpected error of ours)
        failures.append(e.message)
        assert EXPECTED_FAILURE.search(e.message), e.message
    return None


def sync_until_quiet(
    nodes: list[Node], instances: list[Server], failures: list[str], rng: random.Random
) -> None:
    """Rounds over every device until a whole pass moves nothing; bounded."""
    for _ in range(12):
        quiet = True
        for node in nodes:
            for _ in range(25):
                summary = sync_once(node, rng.choice(instances), None, failures)
                if summary is not None:
                    break
            else:
                raise AssertionError(f"a device could not sync in 25 tries: {failures[-3:]}")
            if summary.pushed or summary.pulled:
                quiet = False
        if quiet:
            return
    raise AssertionError("the devices did not converge in 12 passes")


# -- what the devices do, and what the test remembers of it ---------------------------------

NAMES = ["螺栓", "螺母", "垫片 M8", "扳手"]
PRICES = [100, 250, 999]
EDITS: list[tuple[str, Any]] = [
    *(("name", v) for v in NAMES),
    *(("price", v) for v in PRICES),
    *(("category", v) for v in ["五金", "电料", ""]),
    *(("tags", v) for v in [[], ["常用"], ["常用", "进口"]]),
    *(("notes", v) for v in ["", "急", "第二行\n备注"]),
]
TRACKED = ("sku", "name", "price", "category", "tags", "notes")
DELETED = "_deleted"
KILLS = (None, None, "before_push", "after_push", "after_pull")


def _canon(v: Any) -> bytes:
    return orjson.dumps(v, option=orjson.OPT_SORT_KEYS)


@dataclass
class Ledger:
    """Every write the devices made (product, field, value, stamp), and the stamps
    each later write had on screen and replaced knowingly."""

    writes: list[tuple[str, str, Any, str]] = field(default_factory=list)
    replaced: dict[tuple[str, str], set[str]] = field(default_factory=lambda: defaultdict(set))
    deleted: set[str] = field(default_factory=set)


def create(node: Node, ledger: Ledger, name: str, price: int) -> None:
    sku = f"{node.replica.replica_id}-{node.made}"
    node.made += 1
    pid = node.catalogue.create({"sku": sku, "name": name, "price": price})["id"]
    rec = node.record(pid)
    for f in TRACKED:
        ledger.writes.append((pid, f, rec["fields"][f]["v"], rec["fields"][f]["s"]))


def live_ids(node: Node) -> list[str]:
    return sorted(str(d["id"]) for d in node.catalogue.all_live())


def edit(node: Node, ledger: Ledger, index: int, f: str, value: Any) -> None:
    live = live_ids(node)
    if not live:
        return
    pid = live[index % len(live)]
    current = node.catalogue.get(pid)
    before = node.record(pid)
    shown = before["fields"][f]
    # what the person sees is the record's winner
    assert _canon(current[f]) == _canon(shown["v"]), (pid, f, current[f], shown)
    if _canon(current[f]) == _canon(value):
        return  # not a change: nothing is written
    node.catalogue.update(pid, {f: value})
    after = node.record(pid)
    assert _canon(after["fields"][f]["v"]) == _canon(value) and after["fields"][f]["s"] > shown["s"]
    # the writer had the winner on screen, and versions equal to it look the same
    ledger.replaced[(pid, f)] |= {
        shown["s"],
        *(
            c["s"]
            for c in before["_conflicts"]
            if c["kind"] == "field" and c["field"] == f and _canon(c["v"]) == _canon(shown["v"])
        ),
    }
    ledger.writes.append((pid, f, value, after["fields"][f]["s"]))


def delete(node: Node, ledger: Ledger, index: int) -> None:
    live = live_ids(node)
    if not live:
        return
    pid = live[index % len(live)]
    before = node.record(pid)
    node.catalogue.delete(pid)
    after = node.record(pid)
    assert after["deleted"] and after["deleted"]["v"] is True
    if before.get("deleted"):
        ledger.replaced[(pid, DELETED)].add(before["deleted"]["s"])
    ledger.writes.append((pid, DELETED, True, after["deleted"]["s"]))
    ledger.deleted.add(pid)


def perform(node: Node, ledger: Ledger, op: tuple[Any, ...]) -> None:
    if op[0] == "create":
        create(node, ledger, op[1], op[2])
    elif op[0] == "edit":
        edit(node, ledger, op[1], *EDITS[op[2]])
    else:
        delete(node, ledger, op[1])


# -- the checks -------------------------------------------------------------------------------


def records_of(node: Node) -> dict[tuple[str, str], dict[str, Any]]:
    return {(r["table"], r["id"]): r for r in node.replica.all_records()}


def shown_products(node: Node) -> dict[str, dict[str, Any]]:
    """The live product documents as stored (price history too), without local bookkeeping."""
    live = set(live_ids(node))
    with node.store.reading():
        docs = [dict(d) for d in node.store.table("products").all()]
    shown = {
        str(d["id"]): {k: v for k, v in d.items() if k not in LOCAL_FIELDS}
        for d in docs
        if not d.get("deleted")
    }
    assert shown.keys() == live  # the catalogue's index agrees with the documents
    return shown


def check_converged(nodes: list[Node]) -> dict[tuple[str, str], dict[str, Any]]:
    first = records_of(nodes[0])
    for node in nodes[1:]:
        other = records_of(node)
        assert other.keys() == first.keys()
        for key, rec in first.items():
            assert _canon(other[key]) == _canon(rec), (key, rec, other[key])
    shown = shown_products(nodes[0])
    for node in nodes:
        # each device shows exactly its records' winners (lists joined)
        mine = shown_products(node)
        assert mine == shown
        for (table, rid), rec in first.items():
            if table != "products":
                continue
            if merge.is_deleted(rec):
                assert rid not in mine
            else:
                assert _canon(mine[rid]) == _canon(doc_values(rec)), (mine[rid], rec)
    return first


def check_nothing_lost(final: dict[tuple[str, str], dict[str, Any]], ledger: Ledger) -> None:
    for pid, f, value, stamp in ledger.writes:
        if stamp in ledger.replaced[(pid, f)]:
            continue  # written over by someone who had it on screen
        rec = final[("products", pid)]
        if f == DELETED:
            kept = (rec["deleted"] is not None and rec["deleted"]["s"] == stamp) or any(
                c["kind"] == "delete" and c["s"] == stamp for c in rec["_conflicts"]
            )
        else:
            kept = rec["fields"].get(f) == {"v": value, "s": stamp} or any(
                c["kind"] in ("field", "edit_vs_delete")
                and c.get("field") == f
                and c["s"] == stamp
                and _canon(c["v"]) == _canon(value)
                for c in rec["_conflicts"]
            )
        assert kept, f"lost: {f}={value!r} ({stamp}) of product {pid}: {json.dumps(rec)}"
    for pid in ledger.deleted:
        assert merge.is_deleted(final[("products", pid)]), f"product {pid} came back"


def check_instances(instances: list[Server], nodes: list[Node]) -> None:
    """Both instances serve what the devices show (their reads catch up with the bucket)."""
    want = {pid: (p["name"], p["price"]) for pid, p in shown_products(nodes[0]).items()}
    for s in instances:
        got: dict[str, tuple[Any, Any]] = {}
        for _ in range(40):  # reads catch up every couple of seconds: poll, bounded
            r = s.request("GET", "/api/products?per_page=500")
            assert r.status == 200, r.body
            got = {p["id"]: (p["name"], p["price"]) for p in r.json()["items"]}  # type: ignore[index]
            if got == want:
                break
            threading.Event().wait(0.25)
        assert got == want, s.url


# -- the property ---------------------------------------------------------------------------

new_product = st.tuples(st.just("create"), st.sampled_from(NAMES), st.sampled_from(PRICES))
op = st.one_of(
    new_product,
    # which live product (by position): few, so devices often pick the same one
    # the name half the time, so that devices often edit the same field at once
    st.tuples(
        st.just("edit"),
        st.integers(0, 2),
        st.one_of(st.integers(0, len(NAMES) - 1), st.integers(0, len(EDITS) - 1)),
    ),
    st.tuples(st.just("delete"), st.integers(0, 2)),
)
phase = st.fixed_dictionaries(
    {
        # every device syncs first, so the edits that follow are concurrent on shared products
        "share": st.booleans(),
        "ops": st.lists(st.lists(op, min_size=1, max_size=6), min_size=3, max_size=3),
        # (device, instance, where it dies or None)
        "syncs": st.lists(
            st.tuples(st.integers(0, 2), st.integers(0, 1), st.sampled_from(KILLS)), max_size=6
        ),
    }
)
plan = st.fixed_dictionaries(
    {
        "devices": st.integers(2, 3),
        # products every device has before the phases (made on each, then synced)
        "start": st.lists(st.lists(new_product, min_size=1, max_size=3), min_size=3, max_size=3),
        "phases": st.lists(phase, min_size=1, max_size=3),
        "fault_rate": st.sampled_from([0.05, 0.15, 0.25]),
        # a device that joins at the end, starting from the newest snapshot
        "late": st.booleans(),
        "seed": st.integers(0, 2**32 - 1),
    }
)


#: examples per run; SYNC_PROPERTY_EXAMPLES=100 for a longer hunt (about 9 s an example)
EXAMPLES = int(os.environ.get("SYNC_PROPERTY_EXAMPLES") or 12)


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=False,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(plan=plan)
def test_devices_converge_and_lose_nothing(
    plan: dict[str, Any], s3_url: str, proxy: FaultProxy
) -> None:
    root = Path(tempfile.mkdtemp(prefix="sync-prop-"))
    proxy.faults(0.0, 0)
    bucket = new_bucket(s3_url)
    instances = start_instances(root, proxy, bucket)
    nodes = [Node(root / f"device{i}") for i in range(plan["devices"])]
    rng = random.Random(plan["seed"])
    failures: list[str] = []
    ledger = Ledger()
    faults_before = Counter(proxy.injected)
    try:
        proxy.faults(plan["fault_rate"], plan["seed"])
        for node, ops in zip(nodes, plan["start"], strict=False):
            for o in ops:
                perform(node, ledger, o)
        sync_until_quiet(nodes, instances, failures, rng)
        for ph in plan["phases"]:
            if ph["share"]:
                sync_until_quiet(nodes, instances, failures, rng)
            for node, ops in zip(nodes, ph["ops"], strict=False):
                for o in ops:
                    perform(node, ledger, o)
            for d, i, die in ph["syncs"]:
                sync_once(nodes[d % len(nodes)], instances[i], die, failures)
        if plan["late"]:
            nodes.append(Node(root / "late"))
        sync_until_quiet(nodes, instances, failures, rng)
        final = check_converged(nodes)
        check_nothing_lost(final, ledger)
        proxy.faults(0.0, 0)
        injected = sum((proxy.injected - faults_before).values())
        event(f"faults injected: {'none' if not injected else '1-9' if injected < 10 else '10+'}")
        event(f"rounds failed: {'none' if not failures else 'some'}")
        kinds = {f"{t} {c['kind']}" for (t, _), r in final.items() for c in r["_conflicts"]}
        for kind in sorted(kinds):
            event(f"conflict kind: {kind}")
        snapshots = (
            BucketConfig(bucket, s3_url, "us-east-1", "testing", "testing")
            .client()
            .list_objects_v2(Bucket=bucket, Prefix="snapshots/")
            .get("KeyCount", 0)
        )
        event(
            f"snapshots written: {'some' if snapshots else 'none'}"
            f"{', a device joined late' if plan['late'] else ''}"
        )
        check_instances(instances, nodes)
    finally:
        proxy.faults(0.0, 0)
        for node in nodes:
            node.close()
        for s in instances:
            s.stop()
        shutil.rmtree(root, ignore_errors=True)


def test_every_fault_kind_on_bucket_writes_loses_nothing(
    s3_url: str, proxy: FaultProxy, tmp_path: Path
) -> None:
    """Each fault kind forced onto the log and marker writes in turn, with a
    device dying after its push landed: all converge, nothing is lost."""
    proxy.faults(0.0, 0)
    instances = start_instances(tmp_path, proxy, new_bucket(s3_url))
    nodes = [Node(tmp_path / f"device{i}") for i in range(2)]
    ledger = Ledger()
    failures: list[str] = []
    before = Counter(proxy.injected)
    try:
        for n, node in enumerate(nodes):
            for i in range(3):
                create(node, ledger, f"{NAMES[i]} {n}", PRICES[i])
        for node in nodes:
            sync_once(node, instances[0], None, failures)
        # the first device again, so that both hold all six products and pick
        # the same ones below (the concurrent renames, the edit against a delete)
        sync_once(nodes[0], instances[0], None, failures)
        assert live_ids(nodes[0]) == live_ids(nodes[1])
        edit(nodes[0], ledger, 0, "name", "甲改")
        edit(nodes[1], ledger, 0, "name", "乙改")
        delete(nodes[1], ledger, 1)
        edit(nodes[0], ledger, 1, "price", 12345)
        # 409 six times in a row outlasts the retries: that push fails, and is
        # sent again later with the same batch id
        proxy.forced = ["409", "500", "drop", "lost_answer", "409", "lost_answer", *["409"] * 6]
        sync_once(nodes[0], instances[1], "after_push", failures)
        sync_once(nodes[1], instances[0], None, failures)
        for _ in range(10):
            if not proxy.forced:
                break
            sync_once(nodes[0], instances[0], None, failures)
        assert proxy.forced == []
        sync_until_quiet(nodes, instances, failures, random.Random(1))
        final = check_converged(nodes)
        check_nothing_lost(final, ledger)
        check_instances(instances, nodes)
        injected = proxy.injected - before
        assert set(injected) == set(FAULTS), injected
        # the two concurrent renames: one won, the other is kept as a conflict
        names = [
            (
                r["fields"]["name"]["v"],
                [c["v"] for c in r["_conflicts"] if c.get("field") == "name"],
            )
            for (t, _), r in final.items()
            if t == "products"
        ]
        assert any({winner, *losers} == {"甲改", "乙改"} for winner, losers in names), names
        # 6 x 409 made one push fail once, said as such
        assert failures and all(EXPECTED_FAILURE.search(m) for m in failures)
    finally:
        proxy.forced = []
        for node in nodes:
            node.close()
        for s in instances:
            s.stop()


def test_the_proxy_passes_requests_through_untouched(proxy: FaultProxy, s3_url: str) -> None:
    """The proxy itself is transparent without faults (so failures above are ours)."""
    proxy.faults(0.0, 0)
    name = new_bucket(s3_url)
    client = BucketConfig(name, proxy.url, "us-east-1", "testing", "testing").client()
    client.put_object(Bucket=name, Key="k", Body=b"x" * 70_000, IfNoneMatch="*")
    assert client.get_object(Bucket=name, Key="k")["Body"].read() == b"x" * 70_000
    assert client.head_object(Bucket=name, Key="k")["ContentLength"] == 70_000
    with pytest.raises(Exception) as exc:
        client.put_object(Bucket=name, Key="k", Body=b"y", IfNoneMatch="*")
    assert "PreconditionFailed" in str(exc.value) or "412" in str(exc.value)
    assert http("GET", proxy.url + f"/{name}?list-type=2").status == 200


# -- the quick path for a record's canonical form --------------------------------------------

stamps = st.builds(
    lambda ms, c, r: f"{ms:013d}-{c:05d}-{r}",
    st.integers(0, 2 * 10**12),
    st.integers(0, 3),
    st.sampled_from(["a", "b", "seed"]),
)
values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 5),
    st.text(max_size=3),
    st.lists(st.integers(0, 2), max_size=2),
)
cell = st.fixed_dictionaries({"v": values, "s": stamps})
odd_cell = st.one_of(
    cell,
    st.fixed_dictionaries({"v": values}),  # no stamp
    st.fixed_dictionaries({"v": values, "s": st.just("yesterday")}),
    st.fixed_dictionaries({"v": values, "s": stamps, "x": values}),
    st.integers(),
)
records = st.fixed_dictionaries(
    {
        "id": st.sampled_from(["p1", 2]),
        "fields": st.dictionaries(
            st.sampled_from(["name", "price", "tags"]), st.one_of(cell, cell, odd_cell), max_size=3
        ),
    },
    optional={
        "table": st.just("products"),  # required: absent is refused
        "deleted": st.one_of(
            st.none(),
            st.fixed_dictionaries(
                {"v": st.booleans(), "s": stamps, "seen": st.lists(stamps, max_size=2)}
            ),
        ),
        "_acked": st.one_of(
            st.just({}),
            st.dictionaries(
                st.sampled_from(["name", "_deleted"]), st.lists(stamps, max_size=2), max_size=1
            ),
        ),
        "_conflicts": st.one_of(
            st.just([]),
            st.lists(
                st.fixed_dictionaries(
                    {"kind": st.just("field"), "field": st.just("name"), "v": values, "s": stamps}
                ),
                max_size=2,
            ),
        ),
    },
)


def _outcome(fn: Any, rec: dict[str, Any]) -> Any:
    try:
        return _canon(fn(rec))
    except Exception as e:  # the same refusal either way is what is compared
        return type(e).__name__


@settings(max_examples=300, deadline=None)
@given(rec=records)
def test_normal_form_is_merge_normalize(rec: dict[str, Any]) -> None:
    """`values.normal_form` (quick path for plain records, used for every record
    pulled and every record pushed to a server) gives exactly `merge.normalize`,
    and refuses exactly what it refuses."""
    assert _outcome(normal_form, rec) == _outcome(merge.normalize, rec)


# -- the outbox: what a device pushes -----------------------------------------------------------


def test_the_outbox_sends_oldest_first_and_an_edit_made_in_flight_again(tmp_path: Path) -> None:
    """Batches take the oldest marked records; a record edited while its batch
    is in flight stays marked and goes again with the edit; a batch whose answer
    was lost is taken again whole; another process on the same data dir sees the
    same outbox; a byte cap makes a batch smaller, never empty."""
    node = Node(tmp_path / "device")
    other = Node(tmp_path / "device")  # a second process (`localapp sync`) on the same dir
    try:
        before = node.replica.pending()
        ids = [
            node.catalogue.create({"sku": f"O-{i}", "name": f"件 {i}", "price": i + 1})["id"]
            for i in range(25)
        ]
        assert node.replica.pending() == other.replica.pending() == before + 25
        if before:  # records the store had before the products: out of the way
            first = node.replica.take_batch(before)
            assert first is not None
            node.replica.batch_done(first[0])
        taken = node.replica.take_batch(10)
        assert taken is not None
        batch, records = taken
        assert [r["id"] for r in records] == ids[:10]
        again = other.replica.take_batch(10)  # the answer was lost: the same batch, whole
        assert again is not None and again[0] == batch
        assert [r["id"] for r in again[1]] == ids[:10]
        node.catalogue.update(ids[3], {"name": "飞行中改"})
        node.replica.batch_done(batch)
        assert node.replica.pending() == other.replica.pending() == 25 - 10 + 1
        one = len(orjson.dumps(node.record(ids[10])))
        taken = node.replica.take_batch(1000, one * 3 + 10)
        assert taken is not None and [r["id"] for r in taken[1]] == ids[10:13]
        node.replica.batch_done(taken[0])
        tiny = node.replica.take_batch(1000, 1)
        assert tiny is not None and [r["id"] for r in tiny[1]] == ids[13:14]
        node.replica.batch_done(tiny[0])
        drained: list[dict[str, Any]] = []
        for _ in range(100):  # bounded
            taken = other.replica.take_batch(4)
            if taken is None:
                break
            drained += taken[1]
            other.replica.batch_done(taken[0])
        assert [r["id"] for r in drained] == [*ids[14:], ids[3]]
        assert drained[-1]["fields"]["name"]["v"] == "飞行中改"
        assert node.replica.pending() == other.replica.pending() == 0
    finally:
        other.close()
        node.close()
