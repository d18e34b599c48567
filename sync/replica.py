"""One store's side of sync: every local write becomes a stamped change.

A `Replica` attaches to an open `Store` and keeps, in the same store (the
tables and their indexes are `shadow.py`'s):

- `sync_records`: the replicated record (sync/merge.py) of every document of
  the replicated tables, the shadow of what sync knows about it, with a
  sequence number `q` (bumped on every change, what a hub serves pulls by)
  and a mark `d` once it holds a local change. The outbox is the marked
  records numbered above the state's `sent` watermark: pushing a batch moves
  the watermark, it does not rewrite the records;
- `sync_state`: one document: this replica's id, its clock, the pull cursor,
  the batch being pushed, the `sent` watermark, and the client's settings and
  last result;
- `sync_batches`: on a hub, the ids of batches received, so a repeated push
  is answered without applying it again.

**Recording.** A commit hook runs inside every local transaction, just before
it is saved. For each touched document of a replicated table it compares the
document's fields with its record's winning values; what differs becomes a
change stamped with this replica's hybrid logical clock (`merge.make_change`),
folded into the record, which is marked for pushing, all in the same journal
record as the edit. So an edit and its change are saved together or not at
all, whichever code path made the edit. Bookkeeping fields (`rev`,
`updated_at`, `deleted_at`) stay local; `deleted` becomes the tombstone.

**Applying.** Records received from upstream are merged into the shadow
(`merge.merge_record`) and the winning values written back to the documents,
so the domain's own listeners (the schedule mirror, the search index) see them
like any other write. The commit hook then finds nothing to record, because
the documents equal their records.

**Safety net.** `attach()` compares every document with its record once, so
an edit made while no replica was attached (an older version, another tool)
is still recorded, only with a later stamp.

Nothing here does I/O besides the store; see `rounds.py` for pushing and
pulling and `remote.py` for where to.
"""

from __future__ import annotations

import bisect
import contextlib
import logging
import threading
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import orjson

from ..records import gc_paused
from ..store.api import StoreAPI
from . import hlc, merge, packed
from .shadow import BATCHES, RECORDS, Shadow
from .values import (
    REPLICATED,
    added_only,
    doc_values,
    newest_stamp,
    normal_form,
    open_conflicts,
    replicated_fields,
    same,
)

log = logging.getLogger(__name__)

#: The stamp of seed data (records every store creates alike, such as the six
#: default task types): lower than any real edit, so a store that starts
#: empty and seeds them again never outranks what people changed.
SEED_STAMP = "0000000000000-00000-seed"
#: How many batch ids a hub remembers, to answer a repeated push as done.
BATCHES_KEEP = 10_000


def _whole(doc: dict[str, Any]) -> None:
    """A marked record pushes whole (`mark_all`): drop its pending delta."""
    doc.pop("c", None)


def _stamps_of(parts: packed.Parts) -> dict[str, Any]:
    return {"s": parts.stamp, "f": parts.others} if parts.others else {"s": parts.stamp}


def _new_replica_id() -> str:
    return "r" + uuid.uuid4().hex[:12]


class Replica(Shadow):
    """The sync side of one open store (see the module docstring)."""

    def __init__(
        self,
        store: StoreAPI,
        *,
        max_drift_ms: int = hlc.DEFAULT_MAX_DRIFT_MS,
        seeds: Mapping[tuple[str, str], Mapping[str, Any]] | None = None,
        recording: bool = True,
    ) -> None:
        super().__init__(store)
        #: (table, id) -> the seed's values; a first record equal to them gets SEED_STAMP
        self.seeds = dict(seeds or {})
        self._lock = threading.RLock()
        self._in_hook = False
        # Set by a transaction that records its own writes (apply, decide,
        # record_all), so the commit hook does not compare them all again.
        self._skip_commit = False
        with store.transaction():
            state = self._state()
            if not state.get("replica"):
                state["replica"] = _new_replica_id()
                self._save_state(state)
        self.replica_id: str = state["replica"]
        self.clock = hlc.Clock(self.replica_id, max_drift_ms=max_drift_ms, last=state.get("clock"))
        #: whether local writes are recorded (a desktop that never set up sync
        #: records nothing: its records cost no more than the data itself)
        self.recording = False
        #: cleared while documents edited without recording may wait to be found
        self.checked = threading.Event()
        self.checked.set()
        if recording:
            self.start_recording()

    @classmethod
    def attach(cls, store: StoreAPI, **kwargs: Any) -> Replica:
        """A replica on `store`, after recording anything edited while none was attached."""
        return cls(store, **kwargs)

    def start_recording(self, *, check: bool = True) -> int:
        """Record every local write from now on, and stamp once what was written
        while nothing was recorded (all of it, the first time); how many records.

        `check=False` leaves that comparison of every document (about a second
        at 100,000) to `check()`, called once the app is up; merging anything
        received, or pushing, checks first if it has not run yet."""
        if self.recording:
            return 0
        self.storage.add_commit_hook(self._on_commit)
        self.recording = True
        if not check:
            self.checked.clear()
            return 0
        return self.record_all()

    def check(self) -> int:
        """The comparison `start_recording(check=False)` left, unless done."""
        return 0 if self.checked.is_set() else self.record_all()

    def detach(self) -> None:
        if self.recording:
            self.storage.remove_commit_hook(self._on_commit)
            self.recording = False

    def _tick(self, state: dict[str, Any]) -> None:
        """Keep the clock at least at the stamp saved by any process sharing the store."""
        saved = state.get("clock")
        if saved and (self.clock.last is None or saved > self.clock.last):
            self.clock = hlc.Clock(
                self.replica_id, max_drift_ms=self.clock.max_drift_ms, last=saved
            )

    @contextlib.contextmanager
    def _own_writes(self) -> Iterator[dict[str, Any]]:
        """A transaction in which this replica writes records and documents itself.

        Yields the state document (clock caught up). On success the clock is
        saved and the collected writes flushed; the commit hook skips this
        commit, since everything in it was recorded here already.
        """
        with self.store.transaction(), self._lock:
            self._in_hook = self._skip_commit = True
            try:
                state = self._state()
                self._tick(state)
                yield state
                state["clock"] = self.clock.last
                self._save_state(state)
                self._flush()
            except BaseException:
                self._skip_commit = False
                raise
            finally:
                self._records_out.clear()
                self._docs_out.clear()
                self._in_hook = False

    # -- recording local writes -------------------------------------------------

    def _on_commit(self, touched: list[tuple[str, str, bytes | None]]) -> None:
        if self._skip_commit:
            self._skip_commit = False
            return
        if self._in_hook:
            return
        relevant = [t for t in touched if t[0] in REPLICATED]
        if not relevant:
            return
        with self._lock:
            self._in_hook = True
            try:
                state = self._state()
                self._tick(state)
                made = 0
                for table, key, before in relevant:
                    made += self._record_doc(state, table, key, before)
                if made:
                    state["clock"] = self.clock.last
                    self._save_state(state)
                self._flush()
            finally:
                self._records_out.clear()
                self._in_hook = False

    def _record_doc(
        self,
        state: dict[str, Any],
        table: str,
        key: str,
        before: bytes | None,
        *,
        unknown: bool = False,
    ) -> int:
        """Record one document's change against its record; how many (0 or 1).

        `before` is the document as the transaction found it (a packed record's
        values are read from it); `unknown`: the document was changed while
        nothing recorded, so what its record held is not known and every field
        it holds is stamped again."""
        doc = self.storage.document(table, key)
        id_field = REPLICATED[table]
        old = orjson.loads(before) if before else None
        source = doc if doc is not None else old
        if source is None or source.get(id_field) is None:
            return 0
        rid = str(source[id_field])
        record = self._record(table, rid, old)
        if old is not None and not unknown and not self.checked.is_set():
            # not compared yet since the start: was it edited without recording?
            unknown = self._stale(table, rid, old)
        if doc is None:  # removed outright: a delete
            content: dict[str, Any] = {}
            deleted = True
        else:
            content = replicated_fields(doc)
            deleted = bool(doc.get("deleted"))
        shown = doc_values(record) if record and not unknown else {}
        fields = {k: v for k, v in content.items() if k not in shown or not same(shown[k], v)}
        was_deleted = merge.is_deleted(record) if record else False
        if record is None and deleted and doc is None:
            return 0
        if not fields and deleted == was_deleted and record is not None:
            return 0
        stamp = self.clock.now()
        if record is None and not deleted:  # a new document: its record, directly
            seed = self.seeds.get((table, rid))
            if seed is not None and all(same(fields.get(k), v) for k, v in seed.items()):
                stamp = SEED_STAMP
            # A seed record is made alike by every store: it is never pushed, so
            # a start that made only the seeds sends nothing.
            local = stamp != SEED_STAMP
            if fields:  # packed at once: one stamp and the document's digest
                self._put_fresh(state, (table, rid), fields, stamp, local=local)
                return 1
            self._put_record(
                state,
                {
                    "id": rid,
                    "table": table,
                    "deleted": None,
                    "_acked": {},
                    "_conflicts": [],
                    "fields": {k: {"v": fields[k], "s": stamp} for k in sorted(fields)},
                },
                local=local,
                delta=None,  # the whole record is the change
            )
            return 1
        change = merge.make_change(
            record,
            table=table,
            id=rid,
            stamp=stamp,
            fields=fields,
            deleted=deleted if deleted != was_deleted else None,
        )
        pushed = {**change, "fields": added_only(change["fields"], shown)}
        self._put_record(
            state,
            merge.apply_change(record, change),
            local=True,
            delta=merge.apply_change(None, pushed),
        )
        return 1

    def record_all(self) -> int:
        """Record every document that differs from its record; returns how many.

        A packed record knows its document by digest (`packed.py`); one kept
        whole by an older version is packed here when its document matches it
        (the upgrade of a data file, done once)."""
        made = 0
        with self._own_writes() as state:
            repacked: dict[int, dict[str, Any]] = {}
            for table in REPLICATED:
                for key in list(self.storage.documents(table)):
                    doc = self.storage.document(table, key)
                    rid = doc.get(REPLICATED[table])
                    if rid is None:
                        continue
                    rec_id = self._records_index().get((table, str(rid)))
                    unknown = False
                    if rec_id is not None:
                        row = self.storage.document(RECORDS, str(rec_id))
                        fields = replicated_fields(doc)
                        deleted = bool(doc.get("deleted"))
                        if "p" in row:
                            unknown = row["p"]["h"] != packed.digest(fields)
                            if not unknown and deleted == packed.is_deleted(row["p"]):
                                continue
                        elif same(fields, doc_values(row["r"])) and deleted == merge.is_deleted(
                            row["r"]
                        ):
                            form = packed.pack(row["r"], fields)
                            if form is not None:
                                repacked[rec_id] = {
                                    **{k: v for k, v in row.items() if k != "r"},
                                    "p": form,
                                }
                            continue
                    made += self._record_doc(state, table, key, None, unknown=unknown)
            if repacked:
                view = self.storage.view(RECORDS)
                for rec_id, row in repacked.items():
                    view[rec_id] = row
                self._after_op(RECORDS)
                log.info("Packed %d sync records kept whole by an older version", len(repacked))
        self.checked.set()
        if made:
            log.info("Recorded %d documents edited while sync was not attached", made)
        return made

    # -- applying what others wrote ------------------------------------------

    def check_stamps(self, records: Iterable[Mapping[str, Any]]) -> None:
        """Refuse records stamped too far in the future (`ClockDrift`), before any change."""
        newest = max((s for r in records if (s := newest_stamp(r))), default=None)
        if newest is not None:
            self.clock.check(newest)

    def apply(self, records: Iterable[Any], **state_values: Any) -> int:
        """Merge records from upstream into this store; returns how many changed here.

        A record comes whole or as a line (`packed.line_of`, a pull asked for
        with form=lines). `state_values` (the new pull cursor) are saved in
        the same transaction, so after a crash the page is either applied with
        its cursor or not at all.
        """
        self.check()  # a document edited without recording is recorded before any merge
        changed = 0
        with gc_paused():
            items: list[tuple[packed.Parts | None, Mapping[str, Any] | None, str | None]] = []
            for item in records:
                parts = packed.plain_parts(item)
                if parts is not None:
                    items.append((parts, item if type(item) is dict else None, parts.newest()))
                else:
                    rec = packed.record_of_line(item) if type(item) is list else item
                    items.append((None, rec, newest_stamp(rec)))
            top = max((s for _, _, s in items if s), default=None)
            if top is not None:
                self.clock.check(top)  # before any change
            with self._own_writes() as state:
                if top is not None:
                    self.clock.update(top)  # the next local write sorts after all of them
                for parts, rec, newest in items:
                    if parts is not None:
                        if self._record(parts.table, parts.id) is None and self._put_new(
                            state, parts
                        ):
                            changed += 1  # the common record of a first sync
                            continue
                        if rec is None:
                            rec = packed.record_of_line(
                                [parts.table, parts.id, parts.values, _stamps_of(parts)]
                            )
                    assert rec is not None
                    table, rid = str(rec["table"]), str(rec["id"])
                    old = self._record(table, rid)
                    if old is None:
                        new = normal_form(rec)  # same stamps: `newest` holds
                    else:
                        if same(old, rec):
                            continue  # had it already (merging is idempotent)
                        new = merge.merge_record(old, rec)
                        if same(old, new):
                            continue
                        newest = newest_stamp(new)
                    self._put_record(state, new, local=False)
                    self._write_doc(new, newest)
                    changed += 1
                state.update(state_values)
        return changed

    # -- the outbox: records marked for pushing ---------------------------------

    def pending(self) -> int:
        with self.store.reading():
            self._records_index()
            return len(self._dirty)

    def mark_all(self) -> int:
        """Mark every record for pushing (a new upstream has none of them)."""
        with self.store.transaction(), self._lock:
            table = self.store.table(RECORDS)
            rows = self.storage.documents(RECORDS)
            keys = [int(k) for k, d in rows.items() if not d.get("d")]
            if keys:
                table.update({"d": 1}, doc_ids=keys)
            # the new upstream needs whole records, not the changes since a push
            partial = [int(k) for k, d in rows.items() if "c" in d]
            if partial:
                table.update(_whole, doc_ids=partial)
            state = self._state()
            # marks at or below the watermark count again; a batch in flight
            # must not move it back up over them
            state.update(sent=0, inflight=None)
            self._save_state(state)
            self._index = None
            return len(keys)

    def take_batch(
        self, limit: int, max_bytes: int | None = None
    ) -> tuple[str, list[dict[str, Any]]] | None:
        """The batch to push next: the one in flight (after a crash), else a new one.

        The batch id and the records' sequence numbers are saved before
        anything is sent, so a batch whose answer was lost is sent again with
        the same id and the hub can tell it has it already. A new batch holds
        the `limit` marked records with the lowest sequence numbers, fewer if
        their JSON passes `max_bytes` (at least one). The records are the
        store's own: read them, never change them.
        """
        self.check()
        with gc_paused(), self.store.transaction():
            state = self._state()
            rows = self.storage.documents(RECORDS)
            inflight = state.get("inflight")
            if inflight is None:
                marked = self._lowest_marked(rows, limit, max_bytes)
                if not marked:
                    return None
                inflight = {"batch": uuid.uuid4().hex, "keys": {k: q for q, k in marked}}
                state["inflight"] = inflight
                self._save_state(state)
            return inflight["batch"], [
                rows[k].get("c") or self._full(rows[k]) for k in inflight["keys"] if k in rows
            ]

    def _lowest_marked(
        self, rows: Mapping[str, Any], limit: int, max_bytes: int | None
    ) -> list[tuple[int, str]]:
        """(sequence number, document key) of the `limit` lowest marked records,
        as many as fit in `max_bytes` of JSON (at least one)."""
        index = self._records_index()
        if self._outbox is None:
            self._outbox = sorted((rows[str(index[tk])]["q"], tk) for tk in self._dirty)
        order = self._outbox
        out: list[tuple[int, str]] = []
        size = 0
        gone = 0  # entries at the front no longer marked (sent, or marked again later)
        for q, tk in order:
            if len(out) >= limit:
                break
            key = str(index.get(tk))
            doc = rows.get(key)
            if doc is not None and doc["q"] == q and q > self._sent and doc.get("d"):
                if max_bytes is not None:
                    size += len(orjson.dumps(doc.get("c") or self._full(doc)))
                    if size > max_bytes and out:
                        break
                out.append((q, key))
            elif not out:
                gone += 1
        del order[:gone]
        return out

    def batch_done(self, batch: str) -> None:
        """The hub has the batch: unmark what it carried, unless edited again since.

        Not record by record: the state's `sent` watermark moves up to the
        batch's highest sequence number. A record is marked while its mark `d`
        is set and its sequence number is above `sent`. Every record marked at
        or below that number was in the batch (a batch takes the lowest), and
        a record edited since has a higher number, so it stays marked.
        """
        with gc_paused(), self.store.transaction():
            state = self._state()
            inflight = state.get("inflight")
            if not inflight or inflight["batch"] != batch:
                return
            self._records_index()
            sent = max([int(state.get("sent") or 0), *inflight["keys"].values()])
            rows = self.storage.documents(RECORDS)
            self._sent = state["sent"] = sent
            state["inflight"] = None
            self._save_state(state)
            for key in inflight["keys"]:
                doc = rows.get(key)
                if doc is not None and doc["q"] <= sent:
                    self._dirty.discard((doc["t"], doc["id"]))

    # -- what a hub serves ---------------------------------------------------------

    def receive(self, batch: str, records: Sequence[Mapping[str, Any]]) -> tuple[int, bool]:
        """A pushed batch of records, applied once: (seq after it, whether it was a repeat)."""
        self.check_stamps(records)
        with self.store.transaction():
            seen = self.storage.documents(BATCHES)
            for doc in seen.values():
                if doc.get("b") == batch:
                    return int(doc["q"]), True
            self.apply(records)
            seq = int(self._state().get("seq") or 0)
            table = self.store.table(BATCHES)
            table.insert({"b": batch, "q": seq})
            if len(seen) > BATCHES_KEEP:
                table.remove(doc_ids=sorted(map(int, seen))[: len(seen) - BATCHES_KEEP])
            return seq, False

    def records_since(self, seq: int, limit: int) -> tuple[list[dict[str, Any]], int, bool]:
        """Records changed after `seq`, oldest change first: (records, next seq, more)."""
        with self.store.reading():
            self._records_index()  # up to date with other processes' writes
            rows = self.storage.documents(RECORDS)
            if self._by_q is None:  # sorted once, not once a page (100 pages at 100,000)
                order = sorted((d["q"], k) for k, d in rows.items())
                self._by_q = ([q for q, _ in order], [k for _, k in order])
            qs, keys = self._by_q
            start = bisect.bisect_right(qs, seq)
            page = [rows[k] for k in keys[start : start + limit]]
            nxt = page[-1]["q"] if page else max(seq, int(self._state().get("seq") or 0))
            records = orjson.loads(orjson.dumps([self._full(d) for d in page]))
            return records, nxt, start + limit < len(qs)

    def settled(self, cursor_key: str) -> tuple[str | None, list[bytes]] | None:
        """(the cursor under `cursor_key`, every record as a snapshot line), read
        at one instant, when nothing waits to be pushed; None while something
        does. A hub that has pulled its upstream to the end holds then exactly
        what the upstream held up to that cursor (a snapshot's promise).

        A line is `[table, id, fields, packed]` (sync/snapshots.py), made from
        the stored row and its document's fields without building the record:
        100,000 whole records took about 1 GB, their lines about 60 MB."""
        with self.store.reading():
            self._records_index()
            if self._dirty:
                return None
            lines = []
            for row in self.storage.documents(RECORDS).values():
                if "p" in row:
                    doc = self._doc_of(row["t"], row["id"])
                    stamps = {k: v for k, v in row["p"].items() if k != "h"}
                    line = [row["t"], row["id"], replicated_fields(doc or {}), stamps]
                else:
                    line = [row["t"], row["id"], None, row["r"]]
                lines.append(orjson.dumps(line))
            return self._state().get(cursor_key), lines

    def all_records(self) -> list[dict[str, Any]]:
        with self.store.reading():
            return self._all()

    def _all(self) -> list[dict[str, Any]]:
        """Every record, a copy."""
        rows = self.storage.documents(RECORDS).values()
        return orjson.loads(orjson.dumps([self._full(d) for d in rows]))

    # -- conflicts --------------------------------------------------------------------

    def conflicts(self) -> Iterator[tuple[dict[str, Any], int, dict[str, Any]]]:
        """(record, index, conflict) for every open conflict, by table and id."""
        with self.store.reading():
            index = self._records_index()
            for tk in sorted(self._conflicted):
                rec = self._record(*tk) if tk in index else None
                if rec is None:
                    continue
                for i, c in open_conflicts(rec):
                    yield rec, i, c

    def conflict_count(self) -> int:
        with self.store.reading():
            self._records_index()
            total = 0
            for tk in self._conflicted:
                doc_id = self._index.get(tk) if self._index else None
                if doc_id is not None:
                    row = self.storage.document(RECORDS, str(doc_id))
                    total += len(open_conflicts(self._full(row))) if row else 0
            return total

    def decide(
        self, table: str, rid: str, stamp: str, kind: str, field: str | None, use: bool
    ) -> dict[str, Any]:
        """ "Use this version" (use=True) or "keep the current one" for one conflict.

        The conflict is named by its stamp, kind and field rather than its
        position, so a list shown before a sync still picks the right one.
        Returns the record after the decision; the decision syncs as a change.
        """
        from .errors import SyncError

        with self._own_writes() as state:
            rec = self._record(table, rid)
            found = (
                None
                if rec is None
                else next(
                    (
                        i
                        for i, c in enumerate(rec["_conflicts"])
                        if c["s"] == stamp and c["kind"] == kind and c.get("field") == field
                    ),
                    None,
                )
            )
            if rec is None or found is None:
                raise SyncError(
                    "This conflict was settled already (perhaps on another "
                    "device). The list has been refreshed.",
                    title="Conflict already settled",
                    code="conflict_gone",
                    status=409,
                )
            make = merge.resolve if use else merge.dismiss
            change = make(rec, found, self.clock.now())
            new = merge.apply_change(rec, change)
            self._put_record(state, new, local=True, delta=merge.apply_change(None, change))
            self._write_doc(new)
        return new
