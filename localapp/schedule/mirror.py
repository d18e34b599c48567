"""The schedule's tables in memory, kept current by a store listener.

The store calls `Mirror.changed` after every commit, its own or another
process's (applied from the journal), so reads never go to the file; a
project -> tasks index serves the Gantt chart's hot path.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..records import Doc
from ..store import Store
from .calendar import WorkCalendar
from .fields import DAYS, KINDS, TASKS


class Mirror:
    """An in-memory copy of the schedule tables plus a project -> tasks index.

    The store calls `changed` after every write, rollback, and after it
    applies journal records written by other processes; `sync` then re-reads
    just the documents named, so reads never scan 20,000 tasks. Only touched
    while the store's lock is held (reading() or transaction()).
    """

    def __init__(self) -> None:
        self.pending: dict[str, set[int] | None] = dict.fromkeys(KINDS)  # None: reload all
        self.docs: dict[str, dict[int, Doc]] = {k: {} for k in KINDS}
        self.ids: dict[str, dict[str, int]] = {k: {} for k in KINDS}
        self.by_project: dict[str, set[int]] = {}
        #: task id -> ids of the live tasks that depend on it
        self.dependents: dict[str, set[str]] = {}
        self._calendar: WorkCalendar | None = None  # built on first use after a change
        #: project id -> {task id: slack}: a backward pass over the whole project
        #: (hundreds of ms at 10,000 tasks), kept until a task or a team day changes,
        #: so the pages of one list do not each pay for it
        self.slack_cache: dict[str, dict[str, int]] = {}

    def changed(self, table: str | None, keys: set[str] | None) -> None:
        if table is None:
            for kind in KINDS:
                self.pending[kind] = None
            return
        if table not in self.pending:
            return
        current = self.pending[table]
        if current is None:
            return
        if keys is None:
            self.pending[table] = None
        else:
            current.update(int(k) for k in keys)

    def sync(self, store: Store) -> None:
        for kind in KINDS:
            todo = self.pending[kind]
            if todo is not None and not todo:
                continue
            self.pending[kind] = set()
            if kind in (TASKS, DAYS):
                self.slack_cache.clear()
            table = store.table(kind)
            if todo is None:
                self.docs[kind].clear()
                self.ids[kind].clear()
                if kind == TASKS:
                    self.by_project.clear()
                    self.dependents.clear()
                for doc in table.all():
                    self._add(kind, doc.doc_id, dict(doc))
                continue
            for doc_id in todo:
                self._drop(kind, doc_id)
                found = table.get(doc_id=doc_id)
                if found is not None:
                    self._add(kind, doc_id, dict(found))

    def _add(self, kind: str, doc_id: int, doc: Doc) -> None:
        if kind == DAYS:
            self._calendar = None
        self.docs[kind][doc_id] = doc
        rid = doc.get("id")
        if isinstance(rid, str):
            other = self.ids[kind].get(rid)
            # Two documents with one id should not happen; prefer the live one.
            if other is None or self.docs[kind][other].get("deleted"):
                self.ids[kind][rid] = doc_id
        if kind == TASKS:
            self.by_project.setdefault(str(doc.get("project_id")), set()).add(doc_id)
            if not doc.get("deleted") and isinstance(rid, str):
                for pred in doc.get("depends_on") or ():
                    self.dependents.setdefault(str(pred), set()).add(rid)

    def _drop(self, kind: str, doc_id: int) -> None:
        old = self.docs[kind].pop(doc_id, None)
        if old is None:
            return
        if kind == DAYS:
            self._calendar = None
        rid = old.get("id")
        if isinstance(rid, str) and self.ids[kind].get(rid) == doc_id:
            del self.ids[kind][rid]
        if kind == TASKS:
            for pred in old.get("depends_on") or ():
                deps = self.dependents.get(str(pred))
                if deps is not None:
                    deps.discard(str(rid))
                    if not deps:
                        del self.dependents[str(pred)]
            members = self.by_project.get(str(old.get("project_id")))
            if members is not None:
                members.discard(doc_id)
                if not members:
                    del self.by_project[str(old.get("project_id"))]

    # -- lookups -------------------------------------------------------------

    @property
    def calendar(self) -> WorkCalendar:
        """The working-day calendar with the team's live days on top."""
        if self._calendar is None:
            self._calendar = WorkCalendar.of(self.all_live(DAYS))
        return self._calendar

    def find(self, kind: str, rid: str) -> tuple[int, Doc] | None:
        """The stored document with this id, tombstone or not."""
        doc_id = self.ids[kind].get(rid)
        if doc_id is None:
            return None
        return doc_id, self.docs[kind][doc_id]

    def live(self, kind: str, rid: str) -> Doc | None:
        found = self.find(kind, rid)
        if found is None or found[1].get("deleted"):
            return None
        return found[1]

    def all_live(self, kind: str) -> list[Doc]:
        return [d for d in self.docs[kind].values() if not d.get("deleted")]

    def live_ids(self, kind: str) -> set[str]:
        return {d["id"] for d in self.docs[kind].values() if not d.get("deleted")}

    def project_tasks(self, project_ids: Iterable[str]) -> list[Doc]:
        docs = self.docs[TASKS]
        return [
            docs[i]
            for p in project_ids
            for i in self.by_project.get(p, ())
            if not docs[i].get("deleted")
        ]

    def successors(self, rid: str) -> list[str]:
        """The live tasks that depend on task `rid`."""
        return sorted(self.dependents.get(rid, ()))

    def deps_of(self, rid: str) -> list[str]:
        doc = self.live(TASKS, rid)
        return list(doc.get("depends_on") or []) if doc else []
