"""A replicated record as the store keeps it: its stamps, not its values again.

A record (sync/merge.py) holds every field's winning value with its stamp. The
document of the record holds those values already, so the store keeps, per
record, only what merging needs besides them (issue 13: replication metadata
that grows with edits, not with data)::

    {"s": "<stamp>",              # the stamp most of the fields share
     "h": "<16 hex digits>",      # digest of the document's fields when packed
     "f": {"price": "<stamp>"},   # fields stamped otherwise (edited later)
     "v": {"name": ...},          # values the document does not hold as they are
     "n": ["extra"],              # fields the document holds and the record not
     "del": {...}, "ack": {...}, "con": [...]}   # only when there are any

So a product that was made and never edited costs one stamp and a digest,
about 60 bytes, whatever its size; every later edit of a field adds that
field's stamp, and acknowledgements and conflicts are stored only when they
exist. `unpack` rebuilds the record from the packed form and the document's
fields. `digest` lets the safety net (`Replica.record_all`) see a document
edited while nothing recorded (an older version, another tool): its digest no
longer matches, so every field it holds is stamped again, losing nothing.

A record whose document is missing (a table from a newer version, a document
removed outright) is kept whole, as before. Pure functions, no I/O.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Mapping
from typing import Any, NamedTuple

import orjson

#: The keys of a packed record that hold a register or set of the record as they are.
EXTRAS = {"del": "deleted", "ack": "_acked", "con": "_conflicts"}
_SCALARS = (str, int, float, bool, type(None))


def digest(fields: Mapping[str, Any]) -> str:
    """A short digest of a document's replicated fields (sorted canonical JSON)."""
    data = orjson.dumps(fields, option=orjson.OPT_SORT_KEYS)
    return hashlib.blake2b(data, digest_size=8).hexdigest()


_digest = digest  # `pack` has a parameter of that name


def _equal(a: Any, b: Any) -> bool:
    """Whether two JSON values are the same value (1 and 1.0 and True differ)."""
    if a is b:
        return True
    if type(a) is not type(b):
        return False
    if isinstance(a, _SCALARS):
        return bool(a == b)
    return orjson.dumps(a, option=orjson.OPT_SORT_KEYS) == orjson.dumps(
        b, option=orjson.OPT_SORT_KEYS
    )


def _shared_stamp(stamps: list[Any]) -> Any:
    """The stamp most of a record's fields share (the first, unless most
    fields have another)."""
    stamp = stamps[0]
    if stamps.count(stamp) * 2 <= len(stamps):  # not most of them: count
        stamp = Counter(stamps).most_common(1)[0][0]
    return stamp


def pack(
    record: Mapping[str, Any], fields: Mapping[str, Any], *, digest: bool = True
) -> dict[str, Any] | None:
    """`record` packed against its document's replicated `fields`, or None when
    it has no field to share a stamp (keep it whole). `digest=False` leaves out
    "h" (a snapshot line, which holds the values itself)."""
    cells = record.get("fields") or {}
    if not cells:
        return None
    stamp = _shared_stamp([c["s"] for c in cells.values()])
    out: dict[str, Any] = {"s": stamp}
    if digest:
        out["h"] = _digest(fields)
    stamps = {n: c["s"] for n, c in cells.items() if c["s"] != stamp}
    values = {
        n: c["v"] for n, c in cells.items() if n not in fields or not _equal(c["v"], fields[n])
    }
    missing = sorted(n for n in fields if n not in cells)
    if stamps:
        out["f"] = stamps
    if values:
        out["v"] = values
    if missing:
        out["n"] = missing
    for short, name in EXTRAS.items():
        if record.get(name):
            out[short] = record[name]
    return out


def unpack(
    packed: Mapping[str, Any], table: str, rid: str, fields: Mapping[str, Any]
) -> dict[str, Any]:
    """The record `packed` holds, its values read from the document's `fields`
    (shared, not copied: read them, never change them)."""
    stamp, stamps = packed["s"], packed.get("f") or {}
    values, missing = packed.get("v") or {}, packed.get("n") or ()
    if values or missing:
        names = sorted({*(n for n in fields if n not in missing), *values})
        cells = {n: {"v": values[n] if n in values else fields[n], "s": stamp} for n in names}
    else:  # the common record: every value is the document's
        cells = {n: {"v": fields[n], "s": stamp} for n in sorted(fields)}
    for name, other in stamps.items():
        cell = cells.get(name)
        if cell is not None:
            cell["s"] = other
    return {
        "id": rid,
        "table": table,
        "fields": cells,
        "deleted": packed.get("del"),
        "_acked": packed.get("ack") or {},
        "_conflicts": packed.get("con") or [],
    }


def is_deleted(packed: Mapping[str, Any]) -> bool:
    d = packed.get("del")
    return bool(d and d["v"])


# -- lines: a record with its values once -------------------------------------
#
# A line is `[table, id, values, stamps]`: a record's field values once and
# their stamps packed as above (without "h"), or `[table, id, None, record]`
# for a record that is not plain (kept whole). Snapshots hold one a line
# (snapshots.py), and a pull asked for with `form=lines` sends snapshot
# records so: about half the bytes of whole records, and a store that has
# no record of a line yet stores it without rebuilding it (`plain_parts`).

#: the keys of a record that a line holds with its values once
_RECORD_KEYS = {"id", "table", "fields", "deleted", "_acked", "_conflicts"}


class Parts(NamedTuple):
    """A plain record taken apart: one version per field, no delete, no
    acknowledgements, no conflicts (what a first sync receives)."""

    table: str
    id: str
    values: dict[str, Any]  # field -> value, in name order
    stamp: str  # the stamp most fields share
    others: dict[str, str]  # field -> stamp, for the fields stamped otherwise

    def newest(self) -> str:
        return max(self.stamp, *self.others.values()) if self.others else self.stamp


def line_of(record: Mapping[str, Any]) -> list[Any]:
    """A record as one line: [table, id, values, packed stamps], or
    [table, id, None, record] when it is not a plain record (kept whole)."""
    cells = record.get("fields")
    if (
        record.keys() == _RECORD_KEYS
        and isinstance(cells, dict)
        and all(type(c) is dict and len(c) == 2 and "v" in c and "s" in c for c in cells.values())
    ):
        values = {name: cell["v"] for name, cell in cells.items()}
        stamps = pack(record, values, digest=False)
        if stamps is not None:
            return [record["table"], record["id"], values, stamps]
    return [record.get("table"), record.get("id"), None, record]


def record_of_line(line: Any) -> dict[str, Any]:
    """The whole record a line holds; ValueError for anything that is not a line."""
    try:
        table, rid, values, stamps = line
        if values is None:
            record = stamps
        elif type(values) is dict and type(stamps) is dict:
            record = unpack(stamps, table, rid, values)
        else:
            raise TypeError("values and stamps must be objects")
    except (TypeError, ValueError, KeyError, AttributeError) as e:
        raise ValueError(f"not a sync record line ({e})") from None
    if not isinstance(record, dict):
        raise ValueError("not a sync record line")
    return record


def plain_parts(item: Any) -> Parts | None:
    """The parts of a plain record, given whole or as a line; None for any
    other record (deleted, acknowledged, in conflict, a stamp not a string:
    it goes the long way, which checks it). Checks only the shape: the
    caller parses the stamps."""
    if type(item) is list:
        if len(item) != 4:
            return None
        table, rid, values, stamps = item
        if type(table) is not str or type(rid) is not str or type(values) is not dict:
            return None
        if type(stamps) is not dict or not values:
            return None
        stamp, others = stamps.get("s"), stamps.get("f") or {}
        if (
            type(stamp) is not str
            or type(others) is not dict
            or len(stamps) != (2 if "f" in stamps else 1)
            or not all(type(o) is str and n in values for n, o in others.items())
        ):
            return None
        return Parts(table, rid, values, stamp, others)
    if type(item) is not dict:
        return None
    table, rid, cells = item.get("table"), item.get("id"), item.get("fields")
    if (
        type(table) is not str
        or type(rid) is not str
        or type(cells) is not dict
        or not cells
        or item.get("deleted")
        or item.get("_acked")
        or item.get("_conflicts")
    ):
        return None
    shown: dict[str, Any] = {}
    each: list[Any] = []
    for name in sorted(cells):
        cell = cells[name]
        if type(cell) is not dict or len(cell) != 2 or "v" not in cell:
            return None
        shown[name] = cell["v"]
        each.append(cell.get("s"))
    stamp = _shared_stamp(each)
    if type(stamp) is not str:
        return None
    others = {n: s for n, s in zip(shown, each, strict=True) if s != stamp}
    if not all(type(s) is str for s in others.values()):
        return None
    return Parts(table, rid, shown, stamp, others)
