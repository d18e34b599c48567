"""JournalStorage: a TinyDB storage that is crash-safe and multi-process.

On disk, in the data directory:

- `localapp.json`          the snapshot: every table, the schema version and
                           a generation number, written atomically;
- `localapp.json.journal`  an append-only journal of committed transactions
                           since that snapshot (see journal.py);
- `localapp.json.lock`     the lock file. It is never replaced, so a lock on
                           it always means the same thing;
- `localapp.json.sync-<G>` the tables kept apart (sync metadata), read at
                           their first use (apart.py).

Every write and every consistent read takes an exclusive portalocker lock on
the lock file, then catches up with what other processes committed (a stat of
the two files, then reading only the journal's new bytes). A commit appends
one journal line and fdatasyncs it: a small edit costs one short write, not a
rewrite of a 100,000-product file. When the journal grows past a threshold
the state is compacted into a new snapshot with the next generation, and the
journal restarts with that generation in its header, so a crash between the
two steps leaves a journal that is recognisably stale rather than applied
twice.

In memory the tables are TinyDB's raw layout, `{table: {str(doc_id): doc}}`.
Writes go through `transaction()`: the first touch of a document records its
serialised "before" value, which gives both the set of changed documents to
journal at commit and the undo log for a rollback.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

import orjson
import portalocker
from tinydb.storages import Storage

from ..errors import StoreCorrupt, StoreError, StoreFull, StoreUnwritable
from . import journal
from .apart import APART, Apart
from .datafile import Damaged, Tables, read_snapshot, snapshot_bytes, snapshot_chunks
from .files import atomic_write, fsync_dir, remove_stale_temps
from .memory import gc_paused, keep_long_lived
from .views import MemoryTables, TableView, Txn, clone

log = logging.getLogger(__name__)

DB_NAME = "localapp.json"
#: seconds before a compaction that failed is tried again
COMPACT_RETRY_S = 30
COMPACT_MIN_BYTES = 4 * 1024 * 1024

Listener = Callable[[str | None, set[str] | None], None]
_EMPTY: dict[str, Any] = {}

#: Called inside a transaction just before it is saved, with the documents it
#: touched as (table, key, serialised before-value or None); may write more.
CommitHook = Callable[[list[tuple[str, str, bytes | None]]], None]


class JournalStorage(Storage):
    """TinyDB storage over a snapshot plus journal, safe across processes."""

    def __init__(
        self, directory: Path, name: str = DB_NAME, compact_min_bytes: int = COMPACT_MIN_BYTES
    ) -> None:
        self.directory = Path(directory)
        self.path = self.directory / name
        self.journal_path = self.directory / f"{name}.journal"
        self.lock_path = self.directory / f"{name}.lock"
        self.compact_min_bytes = compact_min_bytes
        #: what is wrong with saving right now (a full disk, a compaction that
        #: cannot run), for /health; None when all is well
        self.problem: str | None = None
        self.compact_problem: str | None = None
        self._compact_retry_at = 0.0
        self._bulk = 0  # inside `bulk()`: commits leave compacting to its end
        self._lock_file = open(self.lock_path, "a+b")  # noqa: SIM115 - held for life
        self._rlock = threading.RLock()
        self._depth = 0
        self._tables: Tables = MemoryTables({}, self._read_apart)
        self._apart = Apart(self.path)
        self.schema = 0
        self.generation = 0
        self._snap_id: tuple[int, int, int] | None = None
        self._loaded = False
        self._j_ino: int | None = None
        self._j_off = 0
        self._j_stale = False
        self._j_fd: int | None = None
        self._j_fd_ino: int | None = None
        self._max_ids: dict[str, int] = {}
        self._txn: Txn | None = None
        self._listeners: list[Listener] = []
        self._commit_hooks: list[CommitHook] = []
        try:
            with self.locked():
                remove_stale_temps(self.directory, name)
                remove_stale_temps(self.directory, f"{name}.sync-*")
                remove_stale_temps(self.directory, self.journal_path.name)
        except BaseException:
            self.close()
            raise

    # -- locking and catching up -------------------------------------------

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the file lock (reentrant per thread) and be up to date."""
        with self._rlock:
            first = self._depth == 0
            if first:
                portalocker.lock(self._lock_file, portalocker.LockFlags.EXCLUSIVE)
            self._depth += 1  # held from here: what catching up reads needs no new lock
            try:
                if first:
                    self._refresh()
                yield
            finally:
                self._depth -= 1
                if self._depth == 0:
                    portalocker.unlock(self._lock_file)

    def _refresh(self) -> None:
        try:
            st = os.stat(self.path)
            snap_id: tuple[int, int, int] | None = (st.st_ino, st.st_mtime_ns, st.st_size)
        except FileNotFoundError:
            snap_id = None
        if not self._loaded or snap_id != self._snap_id:
            self._load_all(snap_id)
            return
        try:
            jst = os.stat(self.journal_path)
        except FileNotFoundError:
            self._j_ino, self._j_off = None, 0
            return
        if self._j_ino is None:
            # Another process started the journal for our generation.
            with open(self.journal_path, "rb") as f:
                head = f.read(64)
            try:
                jgen, start = journal.parse_header(head)
            except journal.JournalDamaged as exc:
                raise Damaged(f"{self.journal_path}: {exc}") from None
            if jgen != self.generation:
                self._load_all(snap_id)
                return
            self._j_ino, self._j_off = jst.st_ino, start
        elif jst.st_ino != self._j_ino or jst.st_size < self._j_off:
            self._load_all(snap_id)
            return
        if jst.st_size == self._j_off or self._j_stale:
            return
        with open(self.journal_path, "rb") as f:
            f.seek(self._j_off)
            data = f.read()
        try:
            records, good_end, _torn = journal.parse_records(data, 0)
        except journal.JournalDamaged as exc:
            raise Damaged(f"{self.journal_path}: {exc}") from None
        self._j_off += good_end
        for record in records:
            self._apply(record)

    def _load_all(self, snap_id: tuple[int, int, int] | None) -> None:
        if snap_id is None:
            tables: Tables = {}
            schema, gen, apart = 0, 0, None
        else:
            tables, schema, gen, apart = read_snapshot(self.path.read_bytes(), self.path)
        self._apart.reset(apart)
        self._tables = MemoryTables(tables, self._read_apart)
        self.schema, self.generation = schema, gen
        self._snap_id = snap_id
        self._max_ids.clear()
        self._j_ino, self._j_off, self._j_stale = None, 0, False
        self._loaded = True
        try:
            data = self.journal_path.read_bytes()
            self._j_ino = os.stat(self.journal_path).st_ino
        except FileNotFoundError:
            data = b""
        if self._j_ino is not None and not data:
            # An empty journal (cut to 0 bytes by hand, a disk tool, a crash of
            # the file system) holds nothing that can be read back. Appending to
            # it without a header would make the next open fail: start it again.
            log.warning(
                "The journal %s is empty (%d bytes, no header): any edits it held "
                "since the last snapshot are gone. It is started again; the data file "
                "%s is intact.",
                self.journal_path,
                len(data),
                self.path,
            )
            self._j_stale = True
            data = b""
        if data:
            try:
                jgen, start = journal.parse_header(data)
                if jgen is not None and jgen > gen:
                    raise Damaged(
                        f"{self.journal_path} belongs to a newer data file (generation {jgen}) "
                        f"than {self.path} (generation {gen}); the data file was replaced "
                        "by an older copy"
                    )
                if jgen != gen:
                    # Compaction wrote the snapshot but crashed before it reset
                    # the journal: its records are already in the snapshot.
                    self._j_stale = True
                else:
                    with gc_paused():
                        records, good_end, torn = journal.parse_records(data, start)
                    keep_long_lived()
                    self._j_off = good_end
                    if torn:
                        log.warning(
                            "Ignoring an unfinished last write in %s (a crash "
                            "before it was saved); it will be cleaned up",
                            self.journal_path,
                        )
                    for record in records:
                        self._apply(record, notify=False)
            except journal.JournalDamaged as exc:
                raise Damaged(f"{self.journal_path}: {exc}") from None
        self._notify(None, None)

    def _apply(self, record: dict[str, Any], notify: bool = True) -> None:
        for name, change in record.get("t", {}).items():
            if name in APART:
                self._apart.dirty = True
                if self._apart.queue is not None:  # not read yet: applied after it
                    self._apart.queue.append((name, change))
                    continue
            keys = self._apply_change(name, change)
            if notify:
                self._notify(name, keys)

    def _apply_change(self, name: str, change: dict[str, Any]) -> set[str]:
        table = self._tables.setdefault(name, {})
        keys: set[str] = set()
        for key, doc in change.get("s", {}).items():
            table[key] = doc
            keys.add(key)
            self._note_id(name, int(key))
        for key in change.get("d", []):
            table.pop(key, None)
            keys.add(key)
        return keys

    def _read_apart(self) -> bool:
        """Read the tables kept apart, if they wait to be read (under the lock);
        whether they did."""
        if self._apart.queue is None:
            return False
        with self.locked(), gc_paused():
            if self._apart.queue is None:  # read while catching up
                return False
            try:
                tables, queue = self._apart.take()
            except Damaged as exc:
                raise StoreCorrupt(
                    f"The sync records cannot be read: {exc}. The products, projects and "
                    "tasks are not affected; restore a backup to get the sync records back."
                ) from None
            self._tables.update(tables)
            for name, change in queue:
                self._apply_change(name, change)
        keep_long_lived()
        return True

    # -- listeners ---------------------------------------------------------

    def add_listener(self, fn: Listener) -> None:
        self._listeners.append(fn)

    def add_commit_hook(self, fn: CommitHook) -> None:
        """Run `fn` in every local transaction before it is saved (see CommitHook).

        Whatever it writes is saved in the same journal record, so it is never
        half done; an exception from it rolls the whole transaction back.
        """
        self._commit_hooks.append(fn)

    def remove_commit_hook(self, fn: CommitHook) -> None:
        with contextlib.suppress(ValueError):
            self._commit_hooks.remove(fn)

    def _raw(self, table: str, *, create: bool = False) -> dict[str, Any]:
        """A table's raw documents (read first if kept apart); with `create`,
        made empty if it has none, else an empty mapping stands in."""
        if table in APART:
            self._read_apart()
        return self._tables.setdefault(table, {}) if create else self._tables.get(table, _EMPTY)

    def document(self, table: str, key: str) -> Any:
        """The stored document itself (not a copy: read it, never change it)."""
        return self._raw(table).get(key)

    def documents(self, table: str) -> Mapping[str, Any]:
        """A table's stored documents by key, read-only and not copied (read them
        under the store's lock, never change them)."""
        return MappingProxyType(self._raw(table))

    def _notify(self, table: str | None, keys: set[str] | None) -> None:
        for fn in self._listeners:
            try:
                fn(table, keys)
            except Exception:  # an index must never break a commit
                log.exception("store listener failed")

    # -- TinyDB storage contract ---------------------------------------------

    def read(self) -> Tables:
        with self.locked():
            return self._tables

    def write(self, data: dict[str, dict[str, Any]]) -> None:
        """Replace everything (TinyDB's drop_table(s) path): a full snapshot."""
        with self.locked():
            if self._txn is not None:
                raise StoreError("Tables cannot be dropped inside a transaction")
            self._tables = MemoryTables(clone(data), self._read_apart)
            self._apart.loaded()
            self._max_ids.clear()
            self.compact()
            self._notify(None, None)

    def close(self) -> None:
        if self._j_fd is not None:
            os.close(self._j_fd)
            self._j_fd = None
        if not self._lock_file.closed:
            self._lock_file.close()

    # -- transactions --------------------------------------------------------

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """All writes inside become one durable journal record, or none."""
        with self.locked():
            if self._txn is not None:
                yield  # nested: part of the outer transaction
                return
            self._txn = Txn()
            try:
                yield
                self._commit()
            except BaseException:
                self._rollback()
                raise
            finally:
                self._txn = None

    @contextlib.contextmanager
    def handover(self) -> Iterator[None]:
        """A transaction whose stored documents are kept as given, not copied: for
        a bulk write of fresh documents the caller never changes afterwards
        (their nested lists and dicts are shared with the store)."""
        with self.transaction():
            txn = self._txn
            assert txn is not None
            outer, txn.adopt = txn.adopt, True
            try:
                yield
            finally:
                txn.adopt = outer

    def view(self, name: str) -> TableView:
        if self._txn is None:
            raise RuntimeError("table views exist only inside a transaction")
        self._txn.op_keys = set()
        return TableView(self, name, self._txn)

    def after_op(self, name: str) -> None:
        """Tell listeners which documents one TinyDB operation changed."""
        txn = self._txn
        assert txn is not None
        raw = self._tables.get(name, {})
        changed = set()
        for key in txn.op_keys:
            if (name, key) in txn.written:
                changed.add(key)
                continue
            doc = raw.get(key)
            now = None if doc is None else orjson.dumps(doc)
            if now != txn.undo.get((name, key)):
                changed.add(key)
        if changed:
            self._notify(name, changed)

    def _commit(self) -> None:
        txn = self._txn
        assert txn is not None
        if self._commit_hooks:  # called even when nothing was touched
            touched = [(name, key, before) for (name, key), before in txn.undo.items()]
            for hook in list(self._commit_hooks):
                hook(touched)
        changes: dict[str, dict[str, Any]] = {}
        for (name, key), before in txn.undo.items():
            doc = self._tables.get(name, {}).get(key)
            now = txn.fresh.get((name, key)) if doc is not None else None
            if now is None and doc is not None:
                now = orjson.dumps(doc)
            if now == before:
                continue
            change = changes.setdefault(name, {"s": {}, "d": []})
            if now is None:
                change["d"].append(key)
            else:
                change["s"][key] = orjson.Fragment(now)
        if not changes:
            return
        if not APART.isdisjoint(changes):
            self._apart.dirty = True
        line = journal.encode({"at": time.time(), "t": changes})
        fd = -1
        try:
            fd = self._journal_fd()
            if os.fstat(fd).st_size != self._j_off:
                os.ftruncate(fd, self._j_off)  # drop a torn write left by a crash
            view = memoryview(line)
            while view:
                view = view[os.write(fd, view) :]
            os.fdatasync(fd)
        except OSError as exc:
            if fd >= 0:
                with contextlib.suppress(OSError):
                    os.ftruncate(fd, self._j_off)
            self.problem = f"could not save to {self.journal_path}: {exc.strerror or exc}"
            if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                raise StoreFull(
                    f"The disk holding {self.directory} is full, so the change was not "
                    "saved. Free some space and try again: nothing else needs to be done."
                ) from None
            raise StoreUnwritable(
                f"The change could not be saved to {self.journal_path} ({exc.strerror or exc}). "
                "Reading goes on; check that the data folder and its files can be written."
            ) from None
        # Durable from here on: whatever happens next, the change is acknowledged.
        self._j_off += len(line)
        self.problem = self.compact_problem
        if not self._bulk and self._compact_due():
            self._try_compact()

    def _compact_due(self) -> bool:
        """The journal has grown past a quarter of the data file (and a minimum)."""
        return self._j_off > max(self.compact_min_bytes, (self._snap_id or (0, 0, 0))[2] // 4) and (
            time.monotonic() >= self._compact_retry_at
        )

    @contextlib.contextmanager
    def bulk(self) -> Iterator[None]:
        """Many transactions in a row (the pages of a first sync): the journal is
        folded into the data file once at the end, not each time it passes a
        quarter of it (100,000 records arriving in 100 pages folded it 14
        times, writing five times the final file). Each commit is durable in
        the journal as always; a crash meanwhile only makes the next open
        read a longer journal."""
        with self._rlock:
            self._bulk += 1
        try:
            yield
        finally:
            with self._rlock:
                self._bulk -= 1
                done = self._bulk == 0
            if done:
                with self.locked():
                    if self._txn is None and self._compact_due():
                        self._try_compact()

    def _try_compact(self) -> None:
        """Compact after a commit; a compaction that cannot run (a full disk: it
        needs room for a whole new data file) is tried again later, and the
        journal goes on taking writes meanwhile."""
        try:
            self.compact()
        except OSError as exc:
            self.compact_problem = (
                f"could not fold the journal into {self.path}: {exc.strerror or exc}"
            )
            self.problem = self.compact_problem
            self._compact_retry_at = time.monotonic() + COMPACT_RETRY_S
            log.warning(
                "%s; the journal keeps the changes, tried again in %d s",
                self.compact_problem,
                COMPACT_RETRY_S,
            )
        else:
            self.compact_problem = self.problem = None
            self._compact_retry_at = 0.0

    def _rollback(self) -> None:
        txn = self._txn
        assert txn is not None
        touched: dict[str, set[str]] = {}
        for (name, key), before in txn.undo.items():
            table = self._tables.setdefault(name, {})
            if before is None:
                table.pop(key, None)
            else:
                table[key] = orjson.loads(before)
            touched.setdefault(name, set()).add(key)
        for name, keys in touched.items():
            self._notify(name, keys)

    def _journal_fd(self) -> int:
        """The journal, open for appending, for the current generation."""
        if self._j_ino is None or self._j_stale:
            atomic_write(self.journal_path, journal.header(self.generation))
            self._j_ino = os.stat(self.journal_path).st_ino
            self._j_off = len(journal.header(self.generation))
            self._j_stale = False
        if self._j_fd is None or self._j_fd_ino != self._j_ino:
            if self._j_fd is not None:
                os.close(self._j_fd)
            self._j_fd = os.open(self.journal_path, os.O_WRONLY | os.O_APPEND)
            self._j_fd_ino = os.fstat(self._j_fd).st_ino
        return self._j_fd

    # -- ids, compaction, whole-state operations ----------------------------

    def _note_id(self, name: str, doc_id: int) -> None:
        if name in self._max_ids and doc_id > self._max_ids[name]:
            self._max_ids[name] = doc_id

    def next_id(self, name: str) -> int:
        with self._rlock:
            if self._depth == 0:  # not inside locked(): catch up first
                with self.locked():
                    return self.next_id(name)
            if name not in self._max_ids:
                raw = self._raw(name, create=True)
                self._max_ids[name] = max(map(int, raw), default=0)
            self._max_ids[name] += 1
            return self._max_ids[name]

    def compact(self) -> None:
        """Fold the journal into a new snapshot (next generation): the tables kept
        apart first, in a file of their own if they changed (apart.py)."""
        with self.locked():
            gen = self.generation + 1
            if self._apart.dirty:
                self._read_apart()
            if self._apart.pending:  # unchanged and not read: the same file
                apart = self._apart.gen
            else:
                apart = self._apart.write(self._tables, self.schema, gen)
            main = {name: docs for name, docs in self._tables.items() if name not in APART}
            atomic_write(self.path, snapshot_chunks(main, self.schema, gen, apart))
            st = os.stat(self.path)
            self._snap_id = (st.st_ino, st.st_mtime_ns, st.st_size)
            self.generation = gen
            # The journal belongs to the old generation now: if starting it
            # again fails, the next commit starts it (or fails, unacknowledged).
            self._j_stale = True
            atomic_write(self.journal_path, journal.header(gen))
            self._j_ino = os.stat(self.journal_path).st_ino
            self._j_off = len(journal.header(gen))
            self._j_stale = False
            self._apart.remove_others()

    def replace_all(self, tables: Tables, schema: int) -> None:
        """Install a whole new state (restore, migration) as a new snapshot."""
        with self.locked():
            if self._txn is not None:
                raise StoreError("The whole store cannot be replaced inside a transaction")
            self._tables = MemoryTables(tables, self._read_apart)
            self._apart.loaded()
            self.schema = schema
            self._max_ids.clear()
            self.compact()
            self._notify(None, None)

    def dump(self) -> bytes:
        """The current state in snapshot format, every table in one file (backups)."""
        with self.locked():
            self._read_apart()
            return snapshot_bytes(self._tables, self.schema, self.generation)

    def all_tables(self) -> Tables:
        """Every table, those kept apart read too (migrations)."""
        with self.locked():
            self._read_apart()
            return self._tables

    def info(self) -> dict[str, Any]:
        size = self._apart.size()
        last = None
        for p in (self.path, self.journal_path):
            with contextlib.suppress(FileNotFoundError):
                st = os.stat(p)
                size += st.st_size
                last = max(last or 0.0, st.st_mtime)
        return {
            "path": str(self.path),
            "size_bytes": size,
            "last_write": last,
            "schema": self.schema,
            "generation": self.generation,
        }

    def sync_dir(self) -> None:
        fsync_dir(self.directory)
