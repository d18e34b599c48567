"""Merge of replicated records: table-driven cases for every conflict kind,
and property tests (hypothesis) that replicas converge whatever the order and
that no edit disappears unless someone saw it and replaced it."""

from __future__ import annotations

import itertools
import random
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from localapp.sync import hlc
from localapp.sync.errors import BadStamp
from localapp.sync.merge import (
    apply_change,
    dismiss,
    is_deleted,
    make_change,
    merge,
    merge_record,
    normalize,
    resolve,
    values,
)

T0 = 1_700_000_000.0


class Replica:
    """One device: its clock, its records and every change it made."""

    def __init__(self, name: str, wall: list[float]) -> None:
        self.name = name
        self.clock = hlc.Clock(name, now=lambda: wall[0])
        self.records: dict[str, dict[str, Any]] = {}
        self.made: list[dict[str, Any]] = []

    def _write(self, rid: str, **kw: Any) -> dict[str, Any]:
        change = make_change(
            self.records.get(rid), table="tasks", id=rid, stamp=self.clock.now(), **kw
        )
        return self.apply(change)

    def apply(self, change: dict[str, Any]) -> dict[str, Any]:
        self.records[change["id"]] = apply_change(self.records.get(change["id"]), change)
        self.made.append(change)
        return change

    def edit(self, rid: str, **fields: Any) -> dict[str, Any]:
        return self._write(rid, fields=fields)

    def delete(self, rid: str) -> dict[str, Any]:
        return self._write(rid, deleted=True)

    def restore(self, rid: str) -> dict[str, Any]:
        return self._write(rid, deleted=False)

    def pull(self, other: Replica) -> None:
        """State-based sync: take everything `other` has."""
        for stamp in _stamps(other.records.values()):
            self.clock.update(stamp)
        merged, _ = merge(self.records.values(), other.records.values())
        self.records = {r["id"]: r for r in merged}

    def get(self, rid: str) -> dict[str, Any]:
        return self.records[rid]


def _stamps(records: Any) -> list[str]:
    out: list[str] = []
    for r in records:
        out += [c["s"] for c in r["fields"].values()] + [c["s"] for c in r["_conflicts"]]
        if r["deleted"]:
            out.append(r["deleted"]["s"])
    return out


def pair() -> tuple[Replica, Replica, list[float]]:
    """Two replicas sharing record t1 {name: start, price: 1}."""
    wall = [T0]
    a, b = Replica("a", wall), Replica("b", wall)
    a.edit("t1", name="start", price=1)
    b.pull(a)
    wall[0] += 1
    return a, b, wall


def both(a: Replica, b: Replica) -> dict[str, Any]:
    a.pull(b)
    b.pull(a)
    assert a.records == b.records
    return a.get("t1")


def kinds(rec: dict[str, Any]) -> list[tuple[str, Any]]:
    return [(c["kind"], c.get("field"), c["v"]) for c in rec["_conflicts"]]


# -- table-driven: one case per kind of concurrent history ------------------


def _concurrent_same_field(a: Replica, b: Replica, wall: list[float]) -> None:
    a.edit("t1", name="from a")
    wall[0] += 0.001
    b.edit("t1", name="from b")


def _concurrent_other_fields(a: Replica, b: Replica, wall: list[float]) -> None:
    a.edit("t1", name="from a")
    b.edit("t1", price=2)


def _sequential(a: Replica, b: Replica, wall: list[float]) -> None:
    a.edit("t1", name="from a")
    b.pull(a)
    b.edit("t1", name="from b")


def _delete_then_older_edit(a: Replica, b: Replica, wall: list[float]) -> None:
    a.edit("t1", price=5)  # older stamp than the delete
    wall[0] += 1
    b.delete("t1")


def _delete_then_newer_edit(a: Replica, b: Replica, wall: list[float]) -> None:
    b.delete("t1")
    wall[0] += 1
    a.edit("t1", price=5)  # newer stamp than the delete, never saw it


def _delete_after_seeing_edit(a: Replica, b: Replica, wall: list[float]) -> None:
    a.edit("t1", price=5)
    b.pull(a)
    b.delete("t1")


def _delete_vs_restore(a: Replica, b: Replica, wall: list[float]) -> None:
    a.delete("t1")
    b.pull(a)
    b.restore("t1")
    wall[0] += 0.001
    a.delete("t1")  # a deletes again, never having seen b's restore


def _two_deletes_one_saw_the_edit(a: Replica, b: Replica, wall: list[float]) -> None:
    a.edit("t1", price=5)
    c = Replica("c", wall)
    c.pull(a)
    c.delete("t1")  # c saw the edit and deleted anyway
    wall[0] += 1
    b.delete("t1")  # b never saw it; its newer delete wins
    b.pull(c)


CASES = [
    # (history, expected values, deleted?, expected conflicts)
    (_concurrent_same_field, {"name": "from b", "price": 1}, False, [("field", "name", "from a")]),
    (_concurrent_other_fields, {"name": "from a", "price": 2}, False, []),
    (_sequential, {"name": "from b", "price": 1}, False, []),
    (
        _delete_then_older_edit,
        {"name": "start", "price": 5},
        True,
        [("edit_vs_delete", "price", 5)],
    ),
    (
        _delete_then_newer_edit,
        {"name": "start", "price": 5},
        True,
        [("edit_vs_delete", "price", 5)],
    ),
    (_delete_after_seeing_edit, {"name": "start", "price": 5}, True, []),
    (_delete_vs_restore, {"name": "start", "price": 1}, True, [("delete", None, False)]),
    (_two_deletes_one_saw_the_edit, {"name": "start", "price": 5}, True, [("delete", None, True)]),
]


@pytest.mark.parametrize(
    "history,expect,deleted,conflicts", CASES, ids=[c[0].__name__.strip("_") for c in CASES]
)
def test_merge_cases(
    history: Any, expect: dict[str, Any], deleted: bool, conflicts: list[tuple[str, Any, Any]]
) -> None:
    a, b, wall = pair()
    history(a, b, wall)
    rec = both(a, b)
    assert values(rec) == expect
    assert is_deleted(rec) is deleted
    assert kinds(rec) == conflicts
    for c in rec["_conflicts"]:
        assert c["replica"] in {"a", "b", "c"} and hlc.parse(c["s"])


def test_an_ordinary_edit_leaves_an_open_conflict_open() -> None:
    a, b, wall = pair()
    _concurrent_same_field(a, b, wall)
    both(a, b)
    wall[0] += 1
    a.edit("t1", name="typed over it")
    rec = both(a, b)
    assert values(rec)["name"] == "typed over it"
    assert kinds(rec) == [("field", "name", "from a")]


@pytest.mark.parametrize("action,expect", [(resolve, "from a"), (dismiss, "from b")])
def test_use_this_version_and_keep_current_close_the_conflict_everywhere(
    action: Any, expect: str
) -> None:
    a, b, wall = pair()
    _concurrent_same_field(a, b, wall)
    rec = both(a, b)
    wall[0] += 1
    change = action(rec, 0, a.clock.now())
    assert change["replica"] == "a" and change["stamp"] > rec["fields"]["name"]["s"]
    a.apply(change)
    rec = both(a, b)
    assert values(rec)["name"] == expect
    assert rec["_conflicts"] == []


def test_resolving_edit_vs_delete_restores_the_record_with_that_edit() -> None:
    a, b, wall = pair()
    _delete_then_newer_edit(a, b, wall)
    rec = both(a, b)
    b.apply(resolve(rec, 0, b.clock.now()))
    rec = both(a, b)
    assert not is_deleted(rec) and values(rec)["price"] == 5 and rec["_conflicts"] == []


def test_dismissing_edit_vs_delete_confirms_the_delete() -> None:
    a, b, wall = pair()
    _delete_then_newer_edit(a, b, wall)
    rec = both(a, b)
    b.apply(dismiss(rec, 0, b.clock.now()))
    rec = both(a, b)
    assert is_deleted(rec) and rec["_conflicts"] == []


def test_duplicates_and_replays_change_nothing() -> None:
    a, b, wall = pair()
    _concurrent_same_field(a, b, wall)
    rec = both(a, b)
    again = rec
    for change in a.made + b.made + a.made:
        again = apply_change(again, change)
    assert again == rec
    assert merge([rec, rec], [rec])[0] == [rec]


def test_merge_lists_conflicts_with_table_and_id_and_keeps_tables_apart() -> None:
    a, b, wall = pair()
    _concurrent_same_field(a, b, wall)
    other = apply_change(
        None,
        make_change(None, table="projects", id="t1", stamp=a.clock.now(), fields={"name": "p"}),
    )
    merged, conflicts = merge([a.get("t1"), other], [b.get("t1")])
    assert [(r["table"], r["id"]) for r in merged] == [("projects", "t1"), ("tasks", "t1")]
    assert [(c["table"], c["id"], c["v"]) for c in conflicts] == [("tasks", "t1", "from a")]


def test_damaged_input_is_refused() -> None:
    a, _, _ = pair()
    rec = a.get("t1")
    broken = {**rec, "fields": {"name": {"v": "x", "s": "yesterday"}}}
    with pytest.raises(BadStamp):
        merge([rec], [broken])
    with pytest.raises(ValueError):
        merge_record(rec, {**rec, "id": "other"})


# -- properties --------------------------------------------------------------

REPLICAS = ("a", "b", "c")
IDS = ("t1", "t2")
FIELDS = ("name", "price")

op = st.one_of(
    st.tuples(
        st.just("edit"),
        st.sampled_from(REPLICAS),
        st.sampled_from(IDS),
        st.sampled_from(FIELDS),
        st.integers(0, 9),
    ),
    st.tuples(st.just("delete"), st.sampled_from(REPLICAS), st.sampled_from(IDS)),
    st.tuples(st.just("restore"), st.sampled_from(REPLICAS), st.sampled_from(IDS)),
    st.tuples(
        st.just("resolve"),
        st.sampled_from(REPLICAS),
        st.sampled_from(IDS),
        st.integers(0, 5),
        st.booleans(),
    ),
    st.tuples(st.just("sync"), st.sampled_from(REPLICAS), st.sampled_from(REPLICAS)),
    st.tuples(st.just("sync"), st.sampled_from(REPLICAS), st.sampled_from(REPLICAS)),
    st.tuples(st.just("tick"), st.integers(0, 3000)),
)
PROPS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def run(
    ops: list[tuple[Any, ...]], *, offline: bool = False
) -> tuple[dict[str, Replica], list[float]]:
    wall = [T0]
    reps = {name: Replica(name, wall) for name in REPLICAS}
    for rid in IDS:  # every record starts on every replica
        reps["a"].edit(rid, name="new", price=0)
    for name in REPLICAS:
        reps[name].pull(reps["a"])
    for o in ops:
        kind, who = o[0], reps.get(o[1]) if len(o) > 1 else None
        if kind == "tick":
            wall[0] += o[1] / 1000
        elif kind == "sync" and not offline:
            assert who is not None
            who.pull(reps[o[2]])
        elif kind in ("edit", "delete", "restore", "resolve"):
            assert who is not None
            rec = who.get(o[2])
            if kind == "edit" and not is_deleted(rec):
                who.edit(o[2], **{o[3]: o[4]})
            elif kind == "delete" and not is_deleted(rec):
                who.delete(o[2])
            elif kind == "restore" and is_deleted(rec):
                who.restore(o[2])
            elif kind == "resolve" and rec["_conflicts"]:
                pick = resolve if o[4] else dismiss
                who.apply(pick(rec, o[3] % len(rec["_conflicts"]), who.clock.now()))
    return reps, wall


def states(reps: dict[str, Replica]) -> list[list[dict[str, Any]]]:
    return [list(r.records.values()) for r in reps.values()]


@PROPS
@given(st.lists(op, max_size=60))
def test_merge_is_commutative_associative_idempotent(ops: list[tuple[Any, ...]]) -> None:
    reps, _ = run(ops)
    x, y, z = states(reps)
    xy = merge(x, y)[0]
    assert xy == merge(y, x)[0]
    assert merge(xy, z)[0] == merge(x, merge(y, z)[0])[0]
    assert merge(x, x)[0] == sorted((normalize(r) for r in x), key=lambda r: (r["table"], r["id"]))
    assert merge(xy, xy)[0] == xy


@PROPS
@given(st.lists(op, max_size=60), st.randoms(use_true_random=False))
def test_replicas_converge_whatever_the_order_and_duplicates(
    ops: list[tuple[Any, ...]], rnd: random.Random
) -> None:
    reps, _ = run(ops)
    everything = merge(*states(reps)[:2])[0]
    everything = merge(everything, states(reps)[2])[0]
    # any order of whole states ...
    for order in itertools.permutations(states(reps)):
        acc: list[dict[str, Any]] = []
        for s in order:
            acc = merge(acc, s)[0]
        assert acc == everything
    # ... and the raw change log, shuffled and with duplicates, gives the same
    changes = [c for r in reps.values() for c in r.made]
    changes += rnd.sample(changes, len(changes) // 3)
    rnd.shuffle(changes)
    folded: dict[str, dict[str, Any]] = {}
    for c in changes:
        folded[c["id"]] = apply_change(folded.get(c["id"]), c)
    assert sorted(folded.values(), key=lambda r: r["id"]) == everything


@PROPS
@given(st.lists(op, max_size=60))
def test_every_edit_is_the_winner_or_kept_unless_someone_saw_it(ops: list[tuple[Any, ...]]) -> None:
    reps, _ = run(ops)
    final = {r["id"]: r for r in merge(merge(*states(reps)[:2])[0], states(reps)[2])[0]}
    for rep in reps.values():
        for change in rep.made:
            rec = final[change["id"]]
            for name in change["fields"]:
                kept = {rec["fields"][name]["s"]} | {
                    c["s"] for c in rec["_conflicts"] if c.get("field") == name
                }
                assert change["stamp"] in kept | set(rec["_acked"].get(name, ()))


@PROPS
@given(st.lists(op, max_size=60))
def test_offline_edits_are_all_visible_after_sync(ops: list[tuple[Any, ...]]) -> None:
    """No replica syncs until the end: every replica's last edit of a field is
    the winner or a conflict, and a delete surfaces every edit it never saw."""
    reps, _ = run(ops, offline=True)
    creations = reps["a"].made[: len(IDS)]
    final = {r["id"]: r for r in merge(merge(*states(reps)[:2])[0], states(reps)[2])[0]}
    for rep in reps.values():
        last: dict[tuple[str, str], dict[str, Any]] = {}
        for change in rep.made:
            for name in change["fields"]:
                last[(change["id"], name)] = change
        for (rid, name), change in last.items():
            rec = final[rid]
            if any(change is c for c in creations):
                continue  # the shared creation, seen by everyone before they edited
            shown = {
                (c["kind"], c["v"])
                for c in rec["_conflicts"]
                if c.get("field") == name and c["s"] == change["stamp"]
            }
            is_winner = rec["fields"][name]["s"] == change["stamp"]
            assert is_winner or ("field", change["fields"][name]) in shown
            # Unless this replica itself deleted the record after the edit (and
            # did not restore it), the winning delete never saw the edit.
            own = [
                c["deleted"]
                for c in rep.made
                if c["id"] == rid and "deleted" in c and c["stamp"] > change["stamp"]
            ]
            if is_deleted(rec) and not (own and own[-1]):
                assert ("edit_vs_delete", change["fields"][name]) in shown


# -- joined lists pushed as their added entries only (issue 14) -------------------


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.tuples(st.sampled_from("ab"), st.integers(1, 999)), min_size=1, max_size=25),
    st.randoms(use_true_random=False),
)
def test_price_history_sent_as_added_entries_is_never_lost(
    edits: list[tuple[str, int]], rnd: random.Random
) -> None:
    """Each device appends to a product's price history as the app does (the whole
    list, one entry longer) but sends only the change with the entries it added.
    Delivered in any order, twice over, every device ends with every entry of
    every device, in time order, and the same record."""
    from localapp.sync.values import added_only, doc_values

    wall = [T0]
    devices = {n: hlc.Clock(n, now=lambda: wall[0]) for n in "ab"}
    base = make_change(
        None,
        table="products",
        id="p1",
        stamp=devices["a"].now(),
        fields={"price": 1, "price_history": [{"price": 1, "at": "0000"}]},
    )
    records = {n: apply_change(None, base) for n in "ab"}
    sent: list[dict[str, Any]] = []
    for i, (who, price) in enumerate(edits):
        wall[0] += 1
        rec = records[who]
        shown = doc_values(rec)
        history = [*shown["price_history"], {"price": price, "at": f"{i + 1:04d}"}]
        change = make_change(
            rec,
            table="products",
            id="p1",
            stamp=devices[who].now(),
            fields={"price": price, "price_history": history},
        )
        records[who] = apply_change(rec, change)
        delta = apply_change(None, {**change, "fields": added_only(change["fields"], shown)})
        assert len(delta["fields"]["price_history"]["v"]) == 1
        sent.append(delta)
        if rnd.random() < 0.3:  # sometimes a device hears the other before editing
            other = "b" if who == "a" else "a"
            for d in sent:
                records[other] = merge_record(records[other], d)
    for n in "ab":
        for d in rnd.sample(sent, len(sent)) + sent:
            records[n] = merge_record(records[n], d)
    histories = {n: doc_values(records[n])["price_history"] for n in "ab"}
    want = [{"price": 1, "at": "0000"}] + [
        {"price": p, "at": f"{i + 1:04d}"} for i, (_, p) in enumerate(edits)
    ]
    assert histories["a"] == histories["b"] == want
    assert normalize(records["a"]) == normalize(records["b"])
