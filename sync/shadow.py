"""The shadow a replica keeps in its store: one record per replicated document.

`sync_records` holds the replicated record (sync/merge.py) of every document
of the replicated tables, with a sequence number `q` and a push mark `d`;
`sync_state` holds one document of the replica's settings and watermarks.
`Shadow` reads and writes both, keeps the in-memory indexes over them (which
record belongs to which document, which records are marked, which hold open
conflicts) current through the store's change listener, and writes a
record's winning values back to its document.

It knows nothing of clocks, recording or pushing: `replica.py` builds those on
top. Writes are collected during a transaction and stored in one table
operation each by `_flush`.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping
from typing import Any

import orjson

from ..store.apart import SYNC_BATCHES, SYNC_RECORDS
from ..store.api import StoreAPI
from . import hlc, merge, packed
from .values import (
    LOCAL_FIELDS,
    REPLICATED,
    doc_values,
    newest_stamp,
    open_conflicts,
    replicated_fields,
    stamp_time,
)

#: the sync records and the pushed batches a hub has applied: kept apart from
#: the data file and read at their first use (localapp/store/apart.py)
RECORDS, BATCHES = SYNC_RECORDS, SYNC_BATCHES
#: this replica's id, clock and cursors: read at every start, so in the data file
STATE = "sync_state"


class Shadow:
    """The records and state document of one store, with their indexes."""

    def __init__(self, store: StoreAPI) -> None:
        self.store = store
        self.storage = store.storage
        self._index: dict[tuple[str, str], int] | None = None  # -> sync_records doc id
        self._docs: dict[str, dict[str, int]] | None = None  # table -> id -> doc id
        self._doc_ids: dict[str, dict[int, str]] = {}  # table -> doc id -> id
        self._conflicted: set[tuple[str, str]] = set()
        self._dirty: set[tuple[str, str]] = set()
        self._sent = 0  # the state's "sent" watermark, as the index was built with
        # The marked records as (sequence number, (table, id)) in that order,
        # built when a batch is first taken and then appended to (a new mark
        # has the highest number); entries no longer marked are skipped.
        self._outbox: list[tuple[int, tuple[str, str]]] | None = None
        # Every record's (sequence number, document key), in that order, for a
        # hub's pulls (`records_since`); dropped on any change of a record.
        self._by_q: tuple[list[int], list[str]] | None = None
        # Writes collected during one transaction, stored in one table
        # operation each at the end (`_flush`): per-document TinyDB calls
        # would cost more than the merging.
        self._records_out: dict[tuple[str, str], dict[str, Any]] = {}
        self._docs_out: dict[str, dict[int, dict[str, Any]]] = {}
        self._flushing = False
        #: local changes recorded by this process so far (a web write compares
        #: it before and after to know whether it made any)
        self.recorded = 0
        store.add_listener(self._on_change)

    # -- the state document ----------------------------------------------------

    def _state(self) -> dict[str, Any]:
        doc = self.storage.document(STATE, "1")
        return dict(doc) if doc else {}

    def _save_state(self, state: Mapping[str, Any]) -> None:
        table = self.store.table(STATE)
        if self.storage.document(STATE, "1") is None:
            table.insert(dict(state))
        else:
            table.update(dict(state), doc_ids=[1])

    def state(self) -> dict[str, Any]:
        with self.store.reading():
            return self._state()

    def update_state(self, **values: Any) -> dict[str, Any]:
        with self.store.transaction():
            state = self._state()
            state.update(values)
            self._save_state(state)
            return state

    # -- indexes ------------------------------------------------------------------

    def _on_change(self, table: str | None, keys: set[str] | None) -> None:
        if table is None:
            self._index = self._docs = self._by_q = None
            return
        if self._flushing:
            return  # our own `_flush`: the indexes know these writes already
        if table == STATE and self._index is not None:
            state = self.storage.document(STATE, "1") or {}
            if int(state.get("sent") or 0) != self._sent:  # another process pushed
                self._index = None
            return
        if table == RECORDS:
            self._by_q = None  # (a record removed is not `_note`d)
        if table == RECORDS and self._index is not None:
            for key in keys or ():
                doc = self.storage.document(RECORDS, key)
                if doc is not None:
                    tk = (doc["t"], doc["id"])
                    self._index[tk] = int(key)
                    self._note(tk, doc)
        elif table in REPLICATED and self._docs is not None and table in self._docs:
            id_field = REPLICATED[table]
            ids = self._docs.setdefault(table, {})
            back = self._doc_ids.setdefault(table, {})
            for key in keys or ():
                doc = self.storage.document(table, key)
                old = back.pop(int(key), None)
                if old is not None:
                    ids.pop(old, None)
                if doc is not None and doc.get(id_field) is not None:
                    ids[str(doc[id_field])] = int(key)
                    back[int(key)] = str(doc[id_field])

    def _note(self, tk: tuple[str, str], doc: Mapping[str, Any]) -> None:
        self._by_q = None
        if ("r" in doc or doc["p"].get("con")) and open_conflicts(self._full(doc)):
            self._conflicted.add(tk)
        else:
            self._conflicted.discard(tk)
        if doc.get("d") and doc["q"] > self._sent:
            self._dirty.add(tk)
            if self._outbox is not None:
                bisect.insort(self._outbox, (doc["q"], tk))
        else:
            self._dirty.discard(tk)

    def _records_index(self) -> dict[tuple[str, str], int]:
        if self._index is None:
            index: dict[tuple[str, str], int] = {}
            self._conflicted, self._dirty = set(), set()
            self._outbox = self._by_q = None
            self._sent = int(self._state().get("sent") or 0)
            for key, doc in self.storage.documents(RECORDS).items():
                tk = (doc["t"], doc["id"])
                index[tk] = int(key)
                self._note(tk, doc)
            self._index = index
        return self._index

    def _docs_index(self, table: str) -> dict[str, int]:
        if self._docs is None:
            self._docs, self._doc_ids = {}, {}
        if table not in self._docs:
            id_field = REPLICATED[table]
            ids: dict[str, int] = {}
            for key, doc in self.storage.documents(table).items():
                if doc.get(id_field) is not None:
                    ids[str(doc[id_field])] = int(key)
            self._docs[table] = ids
            self._doc_ids[table] = {v: k for k, v in ids.items()}
        return self._docs[table]

    def record(self, table: str, rid: str) -> dict[str, Any] | None:
        """The replicated record of one document (a copy), or None."""
        with self.store.reading():
            return self._record(table, rid)

    def _record(
        self, table: str, rid: str, base: Mapping[str, Any] | None = None
    ) -> dict[str, Any] | None:
        """A copy of the record of one document, or None; a packed record takes
        its values from `base` if given (the document as the transaction found
        it), else from the document as it is."""
        waiting = self._records_out.get((table, rid))
        if waiting is not None:
            return orjson.loads(orjson.dumps(self._full(waiting, base)))
        doc_id = self._records_index().get((table, rid))
        if doc_id is None:
            return None
        doc = self.storage.document(RECORDS, str(doc_id))
        return orjson.loads(orjson.dumps(self._full(doc, base))) if doc else None

    def _doc_of(self, table: str, rid: str) -> Mapping[str, Any] | None:
        """The document of a record, as stored (or about to be, in this transaction)."""
        if table not in REPLICATED:
            return None
        key = self._docs_index(table).get(rid)
        if key is None:
            return None
        waiting = self._docs_out.get(table, {}).get(key)
        return waiting if waiting is not None else self.storage.document(table, str(key))

    def _full(
        self, row: Mapping[str, Any], base: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """The record a stored row holds, whole (`packed.py`), its values read
        from `base` or the record's document. Shares the stored values: read it,
        never change it."""
        if "r" in row:
            return row["r"]
        doc = base if base is not None else self._doc_of(row["t"], row["id"])
        return packed.unpack(row["p"], row["t"], row["id"], replicated_fields(doc or {}))

    def _stale(self, table: str, rid: str, doc: Mapping[str, Any]) -> bool:
        """Whether `doc` differs from what the record's document held when it was
        packed (edited while nothing recorded)."""
        key = self._records_index().get((table, rid))
        row = self.storage.document(RECORDS, str(key)) if key is not None else None
        return bool(row and "p" in row and row["p"]["h"] != packed.digest(replicated_fields(doc)))

    def _packed(self, row: dict[str, Any]) -> dict[str, Any]:
        """A row to store: its record packed against its document when it has one."""
        if "r" not in row:
            return row  # packed already (`_put_new`)
        doc = self._doc_of(row["t"], row["id"])
        form = packed.pack(row["r"], replicated_fields(doc)) if doc is not None else None
        if form is None:
            return row
        out = {k: v for k, v in row.items() if k != "r"}
        out["p"] = form
        return out

    def _put_record(
        self,
        state: dict[str, Any],
        record: dict[str, Any],
        *,
        local: bool,
        delta: Mapping[str, Any] | None = None,
    ) -> None:
        """Save a record; `local` marks it for pushing (a mark stays until pushed).

        `delta` is the local change in record form (`merge.apply_change(None,
        change)`). The deltas made since the record was last pushed are kept
        merged in `c`, and pushing sends them instead of the whole record: an
        upstream that has the record needs only what changed, so a price edit
        stays a few hundred bytes in the bucket log whatever the record's
        history (its acknowledgements). A record marked without a delta (a
        local write given none, `mark_all` for a new upstream) sends the whole
        record until it is pushed.
        """
        tk = (record["table"], record["id"])
        self._put_row(state, tk, {"r": record}, local=local, delta=delta)

    def _put_fresh(
        self,
        state: dict[str, Any],
        tk: tuple[str, str],
        fields: Mapping[str, Any],
        stamp: str,
        *,
        local: bool,
    ) -> None:
        """Save the record of a document that has none, all its `fields` (the
        document's replicated fields, not empty) under one `stamp`, marked
        for pushing if `local`: straight in packed form, as
        `_put_record` and `_packed` would store it (its values are the
        document's, so one stamp and a digest), without building a cell per
        field first. Stamping 100,000 products at a hub's first pull, or at
        `sync setup`, spent a third of its time on that."""
        self._put_row(state, tk, {"p": {"s": stamp, "h": packed.digest(fields)}}, local=local)

    def _put_row(
        self,
        state: dict[str, Any],
        tk: tuple[str, str],
        content: dict[str, Any],
        *,
        local: bool,
        delta: Mapping[str, Any] | None = None,
    ) -> None:
        """Stage the row of record `tk` (`content`: the record whole, "r", or
        packed, "p") with the next sequence number, its mark and its pending
        delta (`_put_record`); stored by `_flush`."""
        state["seq"] = int(state.get("seq") or 0) + 1
        index = self._records_index()  # first: building it resets the marks read here
        was_dirty = tk in self._dirty
        dirty = local or was_dirty
        if local:
            self.recorded += 1
        doc = {"t": tk[0], "id": tk[1], **content, "q": state["seq"], "d": 1 if dirty else 0}
        if was_dirty:
            prev = self._records_out.get(tk)
            if prev is None and tk in index:
                prev = self.storage.document(RECORDS, str(index[tk]))
            pending = prev.get("c") if prev else None
            if pending is not None and (delta is not None or not local):
                doc["c"] = merge.merge_record(pending, delta) if delta is not None else pending
        elif local and delta is not None:
            doc["c"] = dict(delta)
        self._records_out[tk] = doc
        self._note(tk, doc)

    def _flush(self) -> None:
        """Store the records and documents collected in this transaction."""
        if self._records_out:
            index = self._records_index()
            view = self.storage.view(RECORDS)
            for tk, doc in self._records_out.items():
                key = index.get(tk)
                if key is None:
                    key = index[tk] = self.storage.next_id(RECORDS)
                view[key] = self._packed(doc)
            self._records_out.clear()
            self._after_op(RECORDS)
        for table, docs in self._docs_out.items():
            view = self.storage.view(table)
            for key, doc in docs.items():
                view[key] = doc
            self._after_op(table)
        self._docs_out.clear()

    def _after_op(self, table: str) -> None:
        # `_put_record` and `_write_doc` put these writes in our indexes already,
        # so our own listener skips them (other listeners do not).
        self._flushing = True
        try:
            self.storage.after_op(table)
        finally:
            self._flushing = False

    def _put_new(self, state: dict[str, Any], parts: packed.Parts) -> bool:
        """Store a plain record (`packed.plain_parts`) of a replicated table that
        this store has neither a record nor a document of: the bulk of a first
        sync.

        Its document and packed row are built straight from its parts: what
        `normal_form`, `_put_record`, `_write_doc` and `_packed` make of it
        (its stamps checked as `normal_form` checks them), at a fraction of
        their cost. Returns False, having done nothing, for any other record,
        and for one whose values lack its id or hold a field each store keeps
        for itself (its document would differ from its values).
        """
        table, rid = parts.table, parts.id
        id_field = REPLICATED.get(table)
        if id_field is None:
            return False
        values = parts.values
        if values.get(id_field) != rid or not LOCAL_FIELDS.isdisjoint(values):
            return False  # the document would not hold its values as they are
        ids = self._docs_index(table)
        if rid in ids:
            return False
        hlc.parse(parts.stamp)  # a malformed stamp raises, as in `normal_form`
        for other in parts.others.values():
            hlc.parse(other)
        doc = dict(values)
        doc["updated_at"] = stamp_time(parts.newest())
        doc["rev"] = 1
        doc["deleted_at"] = None
        doc["deleted"] = False
        # packed as `packed.pack` packs it: the document's replicated fields are its values
        form: dict[str, Any] = {"s": parts.stamp, "h": packed.digest(values)}
        if parts.others:
            form["f"] = dict(parts.others)
        doc_id = ids[rid] = self.storage.next_id(table)
        self._doc_ids.setdefault(table, {})[doc_id] = rid
        self._docs_out.setdefault(table, {})[doc_id] = doc
        self._put_row(state, (table, rid), {"p": form}, local=False)
        return True

    # -- writing documents ------------------------------------------------------

    def _write_doc(self, record: Mapping[str, Any], newest: str | None = None) -> None:
        """Write a record's values to its document (`newest`: its newest stamp, if known)."""
        table, rid = record["table"], record["id"]
        if table not in REPLICATED:
            return  # a table from a newer version: kept in the shadow only
        ids = self._docs_index(table)
        doc_id = ids.get(rid)
        old = self.storage.document(table, str(doc_id)) if doc_id is not None else None
        values = doc_values(record)
        deleted = merge.is_deleted(record)
        if old is None and deleted and not values:
            return
        doc = dict(old) if old else {}
        for name in [k for k in doc if k not in LOCAL_FIELDS and k not in values]:
            del doc[name]
        doc.update(values)
        doc[REPLICATED[table]] = rid
        newest = newest or newest_stamp(record)
        doc["updated_at"] = stamp_time(newest) if newest else doc.get("updated_at")
        doc["rev"] = int(doc.get("rev") or 0) + 1
        if deleted and not doc.get("deleted"):
            doc["deleted_at"] = stamp_time(record["deleted"]["s"])
        elif not deleted:
            doc["deleted_at"] = None
        doc["deleted"] = deleted
        if doc_id is None:
            doc_id = ids[rid] = self.storage.next_id(table)
            self._doc_ids.setdefault(table, {})[doc_id] = rid
        self._docs_out.setdefault(table, {})[doc_id] = doc
