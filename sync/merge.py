"""Merging replicated records: pure functions, no I/O, no clock.

A replicated record (all plain JSON)::

    {"id": "9f2c...", "table": "tasks",
     "fields":  {"name": {"v": "Pour concrete", "s": "<stamp>"}, ...},   # winners
     "deleted": {"v": true, "s": "<stamp>", "seen": ["<stamp>", ...]} | null,
     "_acked":  {"name": ["<stamp>", ...], "_deleted": [...]},
     "_conflicts": [{"kind": "field", "field": "name", "v": ..., "s": ..., "replica": ...}, ...]}

Every field is a register of *cells* (a value and the HLC stamp of the write).
The winner is the cell with the newest stamp (last writer wins, per field).
The other cells stay on the record as `_conflicts` until someone overwrites
them knowingly: a write lists in `_acked` the stamps of the cells its writer
saw and meant to replace. An ordinary edit acknowledges only the value that was
shown (the winner); `resolve` and `dismiss` acknowledge every version of the
field. So nothing is dropped unless a person saw it and replaced it.

Deletes are a register too (`deleted`), a tombstone. A delete cell carries
`seen`: the stamps of every field version its writer had. A field version the
delete never saw (made concurrently, or later on a replica that had not
received the delete; with several live deletes, none of them saw it) is
surfaced as an `edit_vs_delete` conflict. The record
stays deleted: resurrecting it silently is how other tools grow duplicates,
and the person who deleted it meant it. `resolve` on that conflict restores the
record with the edit; `dismiss` deletes again, having now seen the edit.

The state behind a record is two grow-only sets (cells and acknowledged
stamps) and everything shown is computed from them, so `merge` is
commutative, associative and idempotent; acknowledged losing cells are pruned,
which cannot change the outcome because a pruned cell can never win again.
Writers must stamp with `hlc.Clock`, which makes a write newer than all it saw.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import orjson

from . import hlc

Record = dict[str, Any]
Change = dict[str, Any]
#: the key of the deleted register in `_acked`
DELETED = "_deleted"
KINDS = ("field", "delete", "edit_vs_delete")
#: Fields whose values are lists of entries that are joined, never lost (a
#: product's price history). Set from the record kinds by `values.py`; merging
#: itself knows no kinds. For these fields a cell may carry only the entries
#: its write added (what a pushed change holds), so a record keeps one version
#: of them: the entries of every version, under the newest stamp (a grow-only
#: set; versions of a joined list never conflict).
JOINED: frozenset[str] = frozenset()


def _canon(value: Any) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


def union_entries(lists: Iterable[Any]) -> list[Any]:
    """Every entry of the lists once, oldest (`at`) first, ties in canonical order."""
    seen: dict[bytes, Any] = {}
    for entries in lists:
        for entry in entries:
            seen.setdefault(_canon(entry), entry)
    return [
        seen[k]
        for k in sorted(
            seen,
            key=lambda k: (str(seen[k].get("at", "")) if isinstance(seen[k], dict) else "", k),
        )
    ]


def _joinable(name: str, *values: Any) -> bool:
    return name in JOINED and all(isinstance(v, list) for v in values)


class _State:
    """The grow-only sets behind one record."""

    __slots__ = ("id", "table", "fields", "deleted", "acked")

    def __init__(self, rid: str, table: str) -> None:
        self.id = rid
        self.table = table
        self.fields: dict[str, dict[str, dict[str, Any]]] = {}  # field -> stamp -> cell
        self.deleted: dict[str, dict[str, Any]] = {}  # stamp -> cell
        self.acked: dict[str, set[str]] = {}

    @staticmethod
    def _put(cells: dict[str, dict[str, Any]], cell: dict[str, Any], name: str = "") -> None:
        s = cell["s"]
        hlc.parse(s)
        old = cells.get(s)
        if old is not None and _joinable(name, old.get("v"), cell.get("v")):
            # one write, its whole value here and only its added entries there
            cells[s] = {"v": union_entries((old["v"], cell["v"])), "s": s}
        # One stamp is one write, so the cells agree; if damaged data makes
        # them differ, the larger canonical form wins in every merge order.
        elif old is None or _canon(cell) > _canon(old):
            cells[s] = cell

    def add_field(self, name: str, v: Any, s: str) -> None:
        self._put(self.fields.setdefault(name, {}), {"v": v, "s": s}, name)

    def add_deleted(self, v: bool, s: str, seen: Iterable[str]) -> None:
        self._put(self.deleted, {"v": bool(v), "s": s, "seen": sorted(set(seen))})

    def ack(self, name: str, stamps: Iterable[str]) -> None:
        self.acked.setdefault(name, set()).update(stamps)

    def join(self, other: _State) -> None:
        for name, cells in other.fields.items():
            for cell in cells.values():
                self._put(self.fields.setdefault(name, {}), cell, name)
        for cell in other.deleted.values():
            self._put(self.deleted, cell)
        for name, stamps in other.acked.items():
            self.ack(name, stamps)


def _rank(cell: dict[str, Any]) -> tuple[str, bytes]:
    return cell["s"], _canon(cell.get("v"))


def _split(
    cells: dict[str, dict[str, Any]], acked: set[str]
) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """(winner, unacknowledged losers in stamp order)."""
    if not cells:
        return None, []
    # Stamps are unique within a register (cells are keyed by them).
    winner = cells[max(cells)]
    losers = [cells[s] for s in sorted(cells) if s != winner["s"] and s not in acked]
    return winner, losers


def _explode(rec: Mapping[str, Any]) -> _State:
    try:
        state = _State(str(rec["id"]), str(rec["table"]))
    except KeyError as e:
        raise ValueError(f"a replicated record needs {e.args[0]!r}") from None
    for name, cell in (rec.get("fields") or {}).items():
        state.add_field(name, cell.get("v"), cell["s"])
    d = rec.get("deleted")
    if d:
        state.add_deleted(d["v"], d["s"], d.get("seen") or ())
    for c in rec.get("_conflicts") or ():
        if c["kind"] == "field":
            state.add_field(c["field"], c.get("v"), c["s"])
        elif c["kind"] == "delete":
            state.add_deleted(c["v"], c["s"], c.get("seen") or ())
        # edit_vs_delete entries are derived from the cells above
    for name, stamps in (rec.get("_acked") or {}).items():
        for s in stamps:
            hlc.parse(s)
        state.ack(name, stamps)
    return state


def _implode(state: _State) -> Record:
    fields: dict[str, Any] = {}
    conflicts: list[dict[str, Any]] = []
    visible: dict[str, list[dict[str, Any]]] = {}
    for name in sorted(state.fields):
        versions = state.fields[name]
        winner, losers = _split(versions, state.acked.get(name, set()))
        assert winner is not None
        if len(versions) > 1 and _joinable(name, *(c.get("v") for c in versions.values())):
            # a joined list keeps one version: every entry, under the newest stamp
            winner = {"v": union_entries(c["v"] for c in versions.values()), "s": winner["s"]}
            losers = []
        fields[name] = {"v": winner["v"], "s": winner["s"]}
        visible[name] = [winner, *losers]
        conflicts += [
            {
                "kind": "field",
                "field": name,
                "v": c["v"],
                "s": c["s"],
                "replica": hlc.replica_of(c["s"]),
            }
            for c in losers
        ]
    dwin, dlosers = _split(state.deleted, state.acked.get(DELETED, set()))
    conflicts += [
        {
            "kind": "delete",
            "v": c["v"],
            "s": c["s"],
            "seen": c["seen"],
            "replica": hlc.replica_of(c["s"]),
        }
        for c in dlosers
    ]
    if dwin is not None and dwin["v"]:
        # Every live delete counts: an edit one deleter saw was deleted knowingly,
        # even if a concurrent delete with a newer stamp won.
        seen = {s for c in (dwin, *dlosers) if c["v"] for s in c["seen"]}
        for name, cells in visible.items():
            conflicts += [
                {
                    "kind": "edit_vs_delete",
                    "field": name,
                    "v": c["v"],
                    "s": c["s"],
                    "replica": hlc.replica_of(c["s"]),
                    "deleted_s": dwin["s"],
                }
                for c in sorted(cells, key=_rank)
                if c["s"] not in seen
            ]
    conflicts.sort(key=lambda c: (KINDS.index(c["kind"]), c.get("field", ""), c["s"]))
    # Stamps acknowledged in a field that no longer exists still matter: a
    # late copy of that cell must stay hidden, so every ack is kept.
    return {
        "id": state.id,
        "table": state.table,
        "fields": fields,
        "deleted": dict(dwin) if dwin is not None else None,
        "_acked": {k: sorted(v) for k, v in sorted(state.acked.items()) if v},
        "_conflicts": conflicts,
    }


def normalize(record: Mapping[str, Any]) -> Record:
    """The canonical form of a record (what `merge` returns)."""
    return _implode(_explode(record))


def merge_record(a: Mapping[str, Any], b: Mapping[str, Any]) -> Record:
    """Join two versions of one record (same table and id)."""
    if (a.get("table"), a.get("id")) != (b.get("table"), b.get("id")):
        raise ValueError(
            f"cannot merge {a.get('table')}/{a.get('id')} with {b.get('table')}/{b.get('id')}"
        )
    state = _explode(a)
    state.join(_explode(b))
    return _implode(state)


def merge(
    local: Iterable[Mapping[str, Any]], remote: Iterable[Mapping[str, Any]]
) -> tuple[list[Record], list[dict[str, Any]]]:
    """Merge two sets of records -> (records sorted by table and id, all conflicts).

    Each conflict is the record's `_conflicts` entry plus its `table` and `id`.
    Duplicates inside either input are merged too.
    """
    states: dict[tuple[str, str], _State] = {}
    for rec in (*local, *remote):
        s = _explode(rec)
        key = (s.table, s.id)
        if key in states:
            states[key].join(s)
        else:
            states[key] = s
    merged = [_implode(states[k]) for k in sorted(states)]
    conflicts = [{"table": r["table"], "id": r["id"], **c} for r in merged for c in r["_conflicts"]]
    return merged, conflicts


def is_deleted(record: Mapping[str, Any]) -> bool:
    d = record.get("deleted")
    return bool(d and d["v"])


def values(record: Mapping[str, Any]) -> dict[str, Any]:
    """The winning value of each field, as the app shows it."""
    return {name: cell["v"] for name, cell in record["fields"].items()}


def _visible_field_stamps(record: Mapping[str, Any], name: str | None = None) -> list[str]:
    stamps = [c["s"] for f, c in record["fields"].items() if name in (None, f)]
    stamps += [
        c["s"] for c in record["_conflicts"] if c["kind"] == "field" and name in (None, c["field"])
    ]
    return sorted(set(stamps))


def _deleted_stamps(record: Mapping[str, Any]) -> list[str]:
    stamps = [record["deleted"]["s"]] if record.get("deleted") else []
    stamps += [c["s"] for c in record["_conflicts"] if c["kind"] == "delete"]
    return sorted(set(stamps))


def make_change(
    record: Mapping[str, Any] | None,
    *,
    table: str,
    id: str,
    stamp: str,
    fields: Mapping[str, Any] | None = None,
    deleted: bool | None = None,
) -> Change:
    """A local write on top of `record` (None for a new record).

    It acknowledges only what the writer was shown: the winning value of each
    field it sets (and versions equal to it), and the current delete state if
    it deletes or restores.
    Open conflicts stay open.
    """
    replica = hlc.replica_of(stamp)
    rec = normalize(record) if record is not None else None
    fields = dict(fields or {})
    acks: dict[str, list[str]] = {}
    change: Change = {
        "id": id,
        "table": table,
        "fields": fields,
        "stamp": stamp,
        "replica": replica,
    }
    if rec is not None:
        for name in fields:
            if name in rec["fields"]:
                # What was shown is the winner's value; versions holding the
                # same value were seen too (a person cannot tell them apart).
                shown = rec["fields"][name]
                acks[name] = sorted(
                    {
                        shown["s"],
                        *(
                            c["s"]
                            for c in rec["_conflicts"]
                            if c["kind"] == "field"
                            and c["field"] == name
                            and _canon(c["v"]) == _canon(shown["v"])
                        ),
                    }
                )
    if deleted is not None:
        change["deleted"] = bool(deleted)
        if rec is not None and rec.get("deleted"):
            acks[DELETED] = [rec["deleted"]["s"]]
        if deleted:
            # A delete has seen every version of every field it was shown,
            # conflicting ones included, and the fields set alongside it.
            change["seen"] = _visible_field_stamps(rec) if rec is not None else []
            if fields:
                change["seen"] = sorted({*change["seen"], stamp})
    change["acks"] = acks
    return change


def apply_change(record: Mapping[str, Any] | None, change: Mapping[str, Any]) -> Record:
    """Fold one change into a record (None if the record is new here)."""
    stamp = change["stamp"]
    if change.get("replica") not in (None, hlc.replica_of(stamp)):
        raise ValueError(f"change stamp {stamp!r} is not from replica {change['replica']!r}")
    state = _State(str(change["id"]), str(change["table"]))
    for name, v in (change.get("fields") or {}).items():
        state.add_field(name, v, stamp)
    if "deleted" in change and change["deleted"] is not None:
        state.add_deleted(bool(change["deleted"]), stamp, change.get("seen") or ())
    for name, stamps in (change.get("acks") or {}).items():
        for s in stamps:
            hlc.parse(s)
        state.ack(name, stamps)
    if record is not None:
        if (record.get("table"), record.get("id")) != (state.table, state.id):
            raise ValueError("change does not belong to this record")
        base = _explode(record)
        base.join(state)
        state = base
    return _implode(state)


def resolve(record: Mapping[str, Any], conflict_index: int, stamp: str) -> Change:
    """ "Use this version": a change making `_conflicts[conflict_index]` the winner.

    It acknowledges every version of what it settles, so the conflict closes on
    every replica that receives it. On a deleted record, choosing an edit (or
    any field version) restores the record: that is what picking it means.
    """
    rec = normalize(record)
    c = rec["_conflicts"][conflict_index]
    change = make_change(rec, table=rec["table"], id=rec["id"], stamp=stamp)
    acks: dict[str, list[str]] = {}
    if c["kind"] in ("field", "edit_vs_delete"):
        change["fields"] = {c["field"]: c["v"]}
        acks[c["field"]] = _visible_field_stamps(rec, c["field"])
        if is_deleted(rec):
            change["deleted"] = False
            acks[DELETED] = _deleted_stamps(rec)
    else:  # delete vs restore
        change["deleted"] = bool(c["v"])
        acks[DELETED] = _deleted_stamps(rec)
        if c["v"]:
            change["seen"] = _visible_field_stamps(rec)
    change["acks"] = acks
    return change


def dismiss(record: Mapping[str, Any], conflict_index: int, stamp: str) -> Change:
    """ "Keep the current version": close a conflict in favour of what is shown.

    For `edit_vs_delete` this confirms the delete, now having seen the edit.
    """
    rec = normalize(record)
    c = rec["_conflicts"][conflict_index]
    change = make_change(rec, table=rec["table"], id=rec["id"], stamp=stamp)
    if c["kind"] == "field":
        change["fields"] = {c["field"]: rec["fields"][c["field"]]["v"]}
        change["acks"] = {c["field"]: _visible_field_stamps(rec, c["field"])}
        if is_deleted(rec):  # the new value must not reopen an edit_vs_delete
            change["deleted"] = True
            # Only this field is settled: other edits the delete never saw stay open.
            change["seen"] = sorted(
                {*rec["deleted"]["seen"], *_visible_field_stamps(rec, c["field"]), stamp}
            )
            change["acks"][DELETED] = _deleted_stamps(rec)
    else:
        d = rec["deleted"]
        change["deleted"] = bool(d["v"])
        change["acks"] = {DELETED: _deleted_stamps(rec)}
        if d["v"]:
            change["seen"] = _visible_field_stamps(rec)
    return change
