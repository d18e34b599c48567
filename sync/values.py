"""A replicated record's values, as the documents of the replicated tables hold them.

A record (sync/merge.py) keeps every field's versions with their stamps; a
document holds each field's winning value. Which tables replicate, by which
key, and which fields are quiet or joined is declared with each kind
(localapp/kinds.py). No I/O here.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import orjson

from .. import kinds
from . import hlc, merge

#: Replicated tables and the field that identifies a document across replicas.
#: Declared with each kind (localapp/kinds.py).
REPLICATED: dict[str, str] = kinds.replicated()
#: Fields each replica keeps for itself.
LOCAL_FIELDS = frozenset({"rev", "updated_at", "deleted", "deleted_at"})
#: Fields whose losing versions are not shown as conflicts: `created_at` is
#: written once (two devices seeding the same default record differ only
#: there), and a product's `price_history` is a log whose versions are joined
#: (see `joined`) rather than chosen between.
QUIET_FIELDS = frozenset(n for k in kinds.KINDS for n in k.names("quiet"))
#: Fields holding lists of entries that are joined, never lost: the document
#: gets every entry of every version, in time order.
JOINED_FIELDS = frozenset(n for k in kinds.KINDS for n in k.names("joined"))
merge.JOINED = JOINED_FIELDS


def seed_records() -> dict[tuple[str, str], dict[str, Any]]:
    """Records every store creates alike (the six default task types), as declared
    with their kinds."""
    return {(k.table, t[k.key]): dict(t) for k in kinds.KINDS for t in k.seeds}


def stamp_time(stamp: str) -> str:
    """A stamp's wall time as ISO 8601 UTC."""
    return _wall_time(hlc.parse(stamp).wall_ms)


@functools.lru_cache(maxsize=4096)  # the records of one import share their milliseconds
def _wall_time(ms: int) -> str:
    return (
        datetime.fromtimestamp(ms / 1000, UTC)
        .isoformat(timespec="milliseconds")
        .replace("+00:00", "Z")
    )


def newest_stamp(record: Mapping[str, Any]) -> str | None:
    stamps = [c["s"] for c in record.get("fields", {}).values()]
    if record.get("deleted"):
        stamps.append(record["deleted"]["s"])
    stamps += [c["s"] for c in record.get("_conflicts") or ()]
    return max(stamps) if stamps else None


def joined(record: Mapping[str, Any], name: str, winner: Any) -> Any:
    """Every entry of every version of a list field, oldest first, each once."""
    versions = [winner] + [
        c.get("v")
        for c in record.get("_conflicts") or ()
        if c["kind"] == "field" and c["field"] == name
    ]
    if not all(isinstance(v, list) for v in versions) or len(versions) == 1:
        return winner
    return merge.union_entries(versions)


def added_only(fields: Mapping[str, Any], shown: Mapping[str, Any]) -> dict[str, Any]:
    """`fields` of a local write, each joined list cut to the entries it adds to
    what was `shown` (what a pushed change needs: the receiver folds them into
    the entries it has, `merge.JOINED`). A list that dropped entries stays whole."""
    out = dict(fields)
    for name in JOINED_FIELDS & out.keys():
        new, old = out[name], shown.get(name)
        if not (isinstance(new, list) and isinstance(old, list)):
            continue
        canon = [orjson.dumps(e, option=orjson.OPT_SORT_KEYS) for e in new]
        had = {orjson.dumps(e, option=orjson.OPT_SORT_KEYS) for e in old}
        if had <= set(canon):
            out[name] = [e for e, c in zip(new, canon, strict=True) if c not in had]
    return out


def doc_values(record: Mapping[str, Any]) -> dict[str, Any]:
    """The fields a document shows for a record: the winners, lists joined."""
    values = merge.values(record)
    for name in JOINED_FIELDS & values.keys():
        values[name] = joined(record, name, values[name])
    return values


def replicated_fields(doc: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k not in LOCAL_FIELDS}


def same(a: Any, b: Any) -> bool:
    return bool(
        orjson.dumps(a, option=orjson.OPT_SORT_KEYS) == orjson.dumps(b, option=orjson.OPT_SORT_KEYS)
    )


def normal_form(rec: Mapping[str, Any]) -> dict[str, Any]:
    """`merge.normalize(rec)`, quicker for the common record: one version per
    field, no delete, no acks, no conflicts (what a device pulls of records
    made elsewhere). Raises like `merge.normalize` on a malformed record."""
    fields = rec.get("fields")
    if (
        rec.get("deleted")
        or rec.get("_acked")
        or rec.get("_conflicts")
        or type(fields) is not dict
        or "id" not in rec
        or "table" not in rec
    ):
        return merge.normalize(rec)
    last = None
    for cell in fields.values():
        if type(cell) is not dict or len(cell) != 2 or "v" not in cell:
            return merge.normalize(rec)
        stamp = cell.get("s")
        if stamp != last:  # a record's fields mostly share one stamp
            if stamp is None:
                return merge.normalize(rec)
            hlc.parse(stamp)
            last = stamp
    # The cells are exactly {"v", "s"}: shared, not copied (neither side changes them).
    return {
        "id": str(rec["id"]),
        "table": str(rec["table"]),
        "fields": {k: fields[k] for k in sorted(fields)},
        "deleted": None,
        "_acked": {},
        "_conflicts": [],
    }


def open_conflicts(record: Mapping[str, Any]) -> list[tuple[int, dict[str, Any]]]:
    """The conflicts a person must decide, with their index in `_conflicts`.

    A losing version equal to what is shown is not a conflict to anyone (two
    devices typed the same thing); it is closed by the next edit of the field.
    """
    out = []
    fields = record.get("fields") or {}
    for i, c in enumerate(record.get("_conflicts") or ()):
        if c.get("field") in QUIET_FIELDS:
            continue
        if (
            c["kind"] == "field"
            and c["field"] in fields
            and same(c.get("v"), fields[c["field"]]["v"])
        ):
            continue
        out.append((i, c))
    return out


def conflict_item(record: Mapping[str, Any], index: int, c: Mapping[str, Any]) -> dict[str, Any]:
    """One open conflict of `record` as the conflicts list shows it."""
    fields = record["fields"]
    label = next(
        (
            str(fields[n]["v"])
            for n in ("name", "number", "sku", "key")
            if n in fields and fields[n]["v"]
        ),
        record["id"],
    )
    field = c.get("field")
    return {
        "table": record["table"],
        "id": record["id"],
        "label": label,
        "index": index,
        "kind": c["kind"],
        "field": field,
        "value": c.get("v"),
        "current": fields[field]["v"] if field in fields else None,
        "deleted": merge.is_deleted(record),
        "replica": c.get("replica"),
        "at": stamp_time(c["s"]),
        "s": c["s"],
    }
