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
from typing import Any

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


def pack(
    record: Mapping[str, Any], fields: Mapping[str, Any], *, digest: bool = True
) -> dict[str, Any] | None:
    """`record` packed against its document's replicated `fields`, or None when
    it has no field to share a stamp (keep it whole). `digest=False` leaves out
    "h" (a snapshot line, which holds the values itself)."""
    cells = record.get("fields") or {}
    if not cells:
        return None
    stamps_all = [c["s"] for c in cells.values()]
    stamp = stamps_all[0]
    if stamps_all.count(stamp) * 2 <= len(stamps_all):  # not most of them: count
        stamp = Counter(stamps_all).most_common(1)[0][0]
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
