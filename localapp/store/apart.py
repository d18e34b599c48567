"""The tables kept apart: sync metadata, in a file of its own, read at first use.

A server that devices sync with keeps a sync record for every record it
holds: about 15 MB at 100,000 products. The first page never needs them,
so they are not in the data file. They are in a file beside it,
`localapp.json.sync-<G>`, which the data file names (`"apart": G`, see
datafile.py). That file is parsed the first time one of its tables is used:
a push or pull, a local edit while sync records, or the comparison run
once the app is up. A desktop that never set up sync has no such tables and
no such file.

The file's name carries the generation of the compaction that wrote it, so
a compaction never replaces it in place. It writes the new file first, then
the data file that names it, then restarts the journal, and only then
removes the old file. A crash anywhere in between leaves a data file that
names a complete file of its own time (an orphan left behind is removed at
the next compaction). A compaction that finds these tables unchanged since
they were written keeps the same file and does not read it.

Changes to these tables are in the journal like any other change. While the
file has not been read, they are queued, and applied after it.

A data file written before this (schema 1, its sync tables inside it) is
migrated at open (migrations.py, after a backup): it is written again with
these tables apart. Schema 2 makes an older program refuse the data folder
rather than drop the sync records it does not know where to find.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

from .datafile import Damaged, Tables, read_snapshot, snapshot_chunks
from .files import atomic_write
from .memory import gc_paused

#: The names of the tables kept apart (sync/shadow.py takes its names from here).
SYNC_RECORDS = "sync_records"
SYNC_BATCHES = "sync_batches"
APART = frozenset({SYNC_RECORDS, SYNC_BATCHES})


def apart_path(main: Path, generation: int) -> Path:
    return main.with_name(f"{main.name}.sync-{generation}")


class Apart:
    """Where the tables kept apart are, for the data file loaded last."""

    def __init__(self, main: Path) -> None:
        self.main = main
        #: the generation of the file the loaded data file names; None: the
        #: data file holds these tables itself (or there are none)
        self.gen: int | None = None
        #: changes from the journal waiting for the file to be read; None once
        #: it is read (or when there is no file to read)
        self.queue: list[tuple[str, dict[str, Any]]] | None = None
        #: whether these tables changed since the file was written
        self.dirty = False

    @property
    def pending(self) -> bool:
        return self.queue is not None

    def reset(self, gen: int | None) -> None:
        """A data file naming file `gen` (or none) was loaded: nothing read yet."""
        if gen is not None and not apart_path(self.main, gen).is_file():
            raise Damaged(
                f"{apart_path(self.main, gen)} is missing: {self.main} keeps its sync records there"
            )
        self.gen = gen
        self.queue = [] if gen is not None else None
        self.dirty = False

    def loaded(self) -> None:
        """Every table is in memory (replaced whole): nothing waits to be read."""
        self.queue = None
        self.dirty = True

    def take(self) -> tuple[Tables, list[tuple[str, dict[str, Any]]]]:
        """Read the file: (its tables, the journal's changes to apply after them)."""
        assert self.gen is not None and self.queue is not None
        path = apart_path(self.main, self.gen)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise Damaged(f"{path} cannot be read: {exc.strerror or exc}") from None
        with gc_paused():
            snap = read_snapshot(data, path)
        if snap.generation != self.gen or set(snap.tables) - APART:
            raise Damaged(f"{path} is not the file of sync records {self.main} names")
        queue, self.queue = self.queue, None
        return snap.tables, queue

    def write(self, tables: Tables, schema: int, generation: int) -> int | None:
        """Write the tables kept apart for a compaction to `generation`, unless
        unchanged; returns the generation of the file the data file names."""
        assert self.queue is None, "read the file before writing it again"
        kept = {name: tables[name] for name in sorted(APART) if tables.get(name)}
        if not kept:
            self.gen = None
        elif self.dirty or self.gen is None:
            path = apart_path(self.main, generation)
            atomic_write(path, snapshot_chunks(kept, schema, generation))
            self.gen = generation
        self.dirty = False
        return self.gen

    def remove_others(self) -> None:
        """Remove the files no data file names any more (after a compaction)."""
        keep = None if self.gen is None else apart_path(self.main, self.gen).name
        for p in self.main.parent.glob(f"{self.main.name}.sync-*"):
            if p.name != keep:
                with contextlib.suppress(OSError):
                    p.unlink()

    def size(self) -> int:
        if self.gen is None:
            return 0
        try:
            return os.stat(apart_path(self.main, self.gen)).st_size
        except FileNotFoundError:
            return 0
