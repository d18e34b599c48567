"""How often each table changed, so a page can see someone else's edit.

A store listener counts the changes of every table in this process: edits
made here, edits another process (`localapp` run on the same data folder)
wrote to the journal, and records sync brought. `GET /api/changes` serves the
counts with an ETag; the page asks every few seconds (`If-None-Match`, so an
idle answer is a 304 without a body) and refreshes the views whose tables
moved. The counts start again at 0 with each process, so the ETag carries
this process's start too.
"""

from __future__ import annotations

import threading
import uuid
from typing import Any


class Changes:
    """Change counts per table since this process started (a store listener)."""

    def __init__(self) -> None:
        self.boot = uuid.uuid4().hex[:8]
        self._counts: dict[str, int] = {}
        self._all = 0  # changes of unknown tables (a whole reload)
        self._lock = threading.Lock()

    def changed(self, table: str | None, keys: set[str] | None) -> None:
        with self._lock:
            if table is None:
                self._all += 1
            else:
                self._counts[table] = self._counts.get(table, 0) + 1

    def snapshot(self) -> dict[str, Any]:
        """{"tables": {name: count}, "all": n, "etag": "<boot>-<total>"}."""
        with self._lock:
            counts, everything = dict(self._counts), self._all
        total = sum(counts.values()) + everything
        return {"tables": counts, "all": everything, "etag": f"{self.boot}-{total}"}
