"""The record kernel: what every kind of record shares, with no domain names.

Every record the app keeps (a project, a task, a product, an order ...) is
a JSON document in a store table with an `id` and the same bookkeeping:
`created_at` / `updated_at` (ISO 8601 UTC with milliseconds), `rev` (+1 per
change) and a tombstone (`deleted`, `deleted_at`) instead of removal, so
sync can carry deletions. This module stamps that bookkeeping, makes ids,
compares values as JSON does, writes batches with one table operation, and
pauses the garbage collector during bulk work. The domains (schedule/,
catalogue/) build on it; it imports nothing of theirs.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Mapping, MutableMapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import orjson

from . import errors
from .store.memory import gc_paused, keep_long_lived

if TYPE_CHECKING:
    from .store import Store

__all__ = [
    "BOOKKEEPING",
    "check_rev",
    "HIDDEN",
    "STAMPS",
    "Doc",
    "gc_paused",
    "keep_long_lived",
    "new_id",
    "new_ids",
    "now_iso",
    "public_copy",
    "same",
    "stamp_change",
    "stamp_new",
    "stamp_tombstone",
    "write",
]

Doc = dict[str, Any]

#: The fields the server stamps on every record; a client's values for them are ignored.
STAMPS: tuple[str, ...] = ("created_at", "updated_at", "rev", "deleted", "deleted_at")
#: The id and the stamps: what is not a record's content.
BOOKKEEPING: frozenset[str] = frozenset({"id", *STAMPS})
#: The tombstone fields, which the API never shows.
HIDDEN: frozenset[str] = frozenset({"deleted", "deleted_at"})


def now_iso() -> str:
    """The current time as ISO 8601 UTC with milliseconds, e.g. 2025-03-01T08:00:00.000Z."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def new_id() -> str:
    return uuid.uuid4().hex


def new_ids(n: int) -> list[str]:
    """`n` uuid4 hex ids at once: an import of 100,000 rows needs them quickly.

    The same format as uuid.uuid4().hex (version nibble 4, variant 10xx),
    from one read of the OS random source instead of 100,000.
    """
    raw = os.urandom(16 * n).hex()
    out = []
    for i in range(0, 32 * n, 32):
        h = raw[i : i + 32]
        out.append(f"{h[:12]}4{h[13:16]}{'89ab'[int(h[16], 16) & 3]}{h[17:]}")
    return out


def same(a: Any, b: Any) -> bool:
    """Exact JSON equality: in Python 1 == 1.0 == True, in a JSON file they differ."""
    opt = orjson.OPT_SORT_KEYS
    return orjson.dumps(a, option=opt) == orjson.dumps(b, option=opt)


def stamp_new(rid: str, content: Doc, now: str, **extra: Any) -> Doc:
    """A new record: its id, content, `extra` fields the domain keeps, and fresh stamps."""
    return {
        "id": rid,
        **content,
        **extra,
        "created_at": now,
        "updated_at": now,
        "rev": 1,
        "deleted": False,
        "deleted_at": None,
    }


def stamp_change(old: Mapping[str, Any], content: Doc, now: str, **extra: Any) -> Doc:
    """A changed (or restored) record: the new content, `rev` + 1, no tombstone."""
    return {
        "id": old["id"],
        **content,
        **extra,
        "created_at": old.get("created_at") or now,
        "updated_at": now,
        "rev": int(old.get("rev") or 0) + 1,
        "deleted": False,
        "deleted_at": None,
    }


def stamp_tombstone(old: Mapping[str, Any], now: str) -> Doc:
    """A deleted record: everything kept, marked deleted."""
    return {
        **old,
        "updated_at": now,
        "rev": int(old.get("rev") or 0) + 1,
        "deleted": True,
        "deleted_at": now,
    }


def check_rev(noun: str, doc: Mapping[str, Any], if_match: int | None, current: Doc) -> None:
    """Refuse a write made on an older revision than `doc`'s (the If-Match a client
    sent): 409 with `current` (the record as the API shows it), nothing changed."""
    if if_match is not None and int(doc.get("rev") or 0) != if_match:
        raise errors.Conflict(
            f"This {noun} was changed by someone else (you have revision {if_match}, "
            f"the current one is {doc.get('rev')}). Reload it and try again.",
            fields={"rev": f"stale: current revision is {doc.get('rev')}"},
            extra={
                "field_codes": {"rev": "stale_revision"},
                "field_params": {"rev": {"rev": doc.get("rev")}},
                "current": current,
            },
        )


def public_copy(doc: Mapping[str, Any], skip: frozenset[str] = HIDDEN) -> Doc:
    """A record as the API shows it: a deep copy without the tombstone (or `skip`) fields."""
    out: Doc = {}
    for k, v in doc.items():
        if k in skip:
            continue
        out[k] = orjson.loads(orjson.dumps(v)) if isinstance(v, list | dict) else v
    return out


def write(
    store: Store, table_name: str, inserts: list[Doc], replaces: Mapping[int, Doc]
) -> dict[int, Doc]:
    """Insert and replace documents with one table operation each; {doc id: document}."""
    table = store.table(table_name)
    written: dict[int, Doc] = {}
    if inserts:
        # Fresh documents, never changed after this (records are copy-on-write):
        # the store keeps them without a copy of each.
        with store.storage.handover():
            written.update(zip(table.insert_multiple(inserts), inserts, strict=True))
    if replaces:
        # TinyDB's updater is given documents, not their ids: find each by its record id.
        by_rid = {d["id"]: d for d in replaces.values()}

        def replace(doc: MutableMapping[str, Any]) -> None:
            new = orjson.loads(orjson.dumps(by_rid[doc["id"]]))
            doc.clear()
            doc.update(new)

        # One table operation for the whole batch: per-document calls would
        # each pay TinyDB's per-operation overhead.
        table.update(replace, doc_ids=list(replaces))
        written.update(replaces)
    return written
