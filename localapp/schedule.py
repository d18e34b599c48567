"""Schedule domain: projects, tasks and task types, their rules, and /api/data.

Plain Python over the Store (no bottle, no webview). This module holds:

- per-field validation (`clean_record`, with the checks declared in kinds.py);
- the rules between records: a task's project and type exist, its
  dependencies exist and form no cycle anywhere in the graph, a task type in
  use cannot be deleted, a project with tasks is only deleted with cascade;
- bookkeeping: `created_at`/`updated_at` (ISO UTC), `rev` (+1 per change) and
  tombstones (`deleted`, `deleted_at`) kept in the same tables, so the sync
  issue can carry deletions; the API never shows tombstones;
- listing with filters and pages, served from an in-memory mirror of the
  three tables that a store listener keeps current (the store also calls it
  after it applies another process's journal, so the mirror is right across
  processes), with a project -> tasks index for the Gantt's hot path;
- the seed-compatible whole-document API (`export_data`, `replace_data`),
  which saves a restorable revision of the previous state before it changes
  anything;
- `Schedule.setup()`: ordered, idempotent upgrade steps recorded in the
  store; step 1 creates the seed's six default task types.

Every multi-step write runs inside one `store.transaction()`; every read
that looks at the mirror runs inside `store.reading()` (or a transaction),
which is also what serialises threads.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from . import errors, kinds
from .checks import Invalid, date_text, record_id
from .records import (
    STAMPS,
    Doc,
    new_id,
    now_iso,
    public_copy,
    same,
    stamp_change,
    stamp_new,
    stamp_tombstone,
    write,
)
from .store import Store

PROJECTS = "projects"
TASKS = "tasks"
TYPES = "task_types"
KINDS: tuple[str, ...] = (PROJECTS, TASKS, TYPES)

#: The key each collection has in /api/data (the seed's names).
DATA_KEYS: dict[str, str] = {PROJECTS: "projects", TASKS: "tasks", TYPES: "taskTypes"}
#: Singular names for messages.
NOUNS: dict[str, str] = {PROJECTS: "project", TASKS: "task", TYPES: "task type"}

EXTRAS = "data_extras"  # other top-level /api/data keys, one document per key
REVISIONS = "data_revisions"  # revision metadata (small, listed often)
REVISION_BODIES = "data_revision_bodies"  # the saved documents (large, read on demand)
META = "schedule_meta"  # the upgrade version

#: Fields the server owns; ignored when a client sends them.
BOOKKEEPING: frozenset[str] = frozenset(STAMPS)

SAVED_MESSAGE = "数据保存成功"
RESTORED_MESSAGE = "数据已恢复"

DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 1000
REVISIONS_KEEP = 20
# A revision holds whole collections; at 20,000 tasks that is ~5 MB each, so
# the history is also capped by size to keep the store quick to compact.
REVISIONS_MAX_BYTES = 32 * 1024 * 1024
MAX_FIELD_ERRORS = 100

#: The seed's six default task types (declared with their kind in kinds.py).
DEFAULT_TASK_TYPES: list[dict[str, Any]] = [dict(t) for t in kinds.TASK_TYPE.seeds]


# -- field validation --------------------------------------------------------


#: The schedule's kinds, as declared in kinds.py.
KIND: dict[str, kinds.Kind] = {PROJECTS: kinds.PROJECT, TASKS: kinds.TASK, TYPES: kinds.TASK_TYPE}


def spec(kind: str) -> dict[str, kinds.Field]:
    """A kind's fields a client may send, with their checks (read from the registry
    on every call, so a field added there is checked at once)."""
    return KIND[kind].checked()


def clean_record(
    kind: str,
    data: Mapping[str, Any],
    *,
    base: Mapping[str, Any] | None = None,
    keep_unknown: bool = False,
) -> tuple[Doc, dict[str, str]]:
    """Check one record's fields; return (content, {field: reason}).

    `content` is the record without its id and bookkeeping. With `base` (the
    stored record) fields missing from `data` keep their stored values;
    without it they get defaults. Fields not in the spec are kept verbatim
    when `keep_unknown` is set or the stored record already has them (old
    clients' extra fields), and refused otherwise, so a typo is not stored.
    """
    fields = spec(kind)
    content: Doc = {}
    problems: dict[str, str] = {}
    for name, fld in fields.items():
        if (
            kind == TASKS
            and name == "end"
            and data.get("end") in (None, "")
            and ("end" in data or base is None)
        ):
            # No end date (sent as null, or a new task without one): a one-day task.
            # When start itself is bad, its own reason is enough.
            if "start" in content:
                content["end"] = content["start"]
        elif name in data:
            check = fld.check
            assert check is not None  # spec() holds checked fields only
            try:
                content[name] = check(data[name])
            except Invalid as exc:
                problems[name] = str(exc)
        elif base is not None and name in base:
            content[name] = base[name]
        elif fld.required:
            problems[name] = "is required"
        else:
            content[name] = fld.default()
    if base is not None:
        for name, value in base.items():
            if name not in fields and name != "id" and name not in BOOKKEEPING and name not in data:
                content[name] = value
    for name, value in data.items():
        if name in fields or name == "id" or name in BOOKKEEPING:
            continue
        if keep_unknown or (base is not None and name in base):
            content[name] = value
        else:
            problems[name] = "unknown field"
    start, end = content.get("start"), content.get("end")
    if "start" not in problems and "end" not in problems and start and end and end < start:
        problems["end"] = f"must be on or after start ({start})"
    return content, problems


def content_of(doc: Mapping[str, Any]) -> Doc:
    """A stored record without its id and bookkeeping."""
    return {k: v for k, v in doc.items() if k != "id" and k not in BOOKKEEPING}


def public(doc: Mapping[str, Any]) -> Doc:
    """A record as the API shows it: a copy without the tombstone fields."""
    return public_copy(doc)


def _invalid(
    problems: dict[str, str], what: str = "The data is not valid"
) -> errors.ValidationError:
    shown = dict(list(problems.items())[:MAX_FIELD_ERRORS])
    if len(problems) > MAX_FIELD_ERRORS:
        shown["_more"] = f"{len(problems) - MAX_FIELD_ERRORS} more problems not shown"
    first = "; ".join(f"{k}: {v}" for k, v in list(problems.items())[:3])
    more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
    return errors.ValidationError(f"{what}: {first}{more}", fields=shown)


# -- dependency graph ----------------------------------------------------------


def cycle_through(
    start: str, first: Iterable[str], deps_of: Callable[[str], Iterable[str]]
) -> list[str] | None:
    """If following depends_on from `first` leads back to `start`, the cycle's path.

    The graph outside `start` is followed transitively; each task is visited
    once, so this ends even if the stored graph already had a cycle elsewhere.
    """
    parent: dict[str, str] = {}
    stack: list[str] = []
    for dep in first:
        if dep == start:
            return [start, start]
        if dep not in parent:
            parent[dep] = start
            stack.append(dep)
    while stack:
        node = stack.pop()
        for nxt in deps_of(node):
            if nxt == start:
                chain = []
                cur = node
                while cur != start:
                    chain.append(cur)
                    cur = parent[cur]
                return [start, *reversed(chain), start]
            if nxt not in parent:
                parent[nxt] = node
                stack.append(nxt)
    return None


def _label(rid: str, name: str | None) -> str:
    """How a task is named in a message: its name and id, or its id alone."""
    return f"{name} ({rid})" if name else rid


def find_cycle(graph: Mapping[str, Iterable[str]]) -> list[str] | None:
    """Any cycle in a whole dependency graph (task id -> ids it depends on), or None."""
    grey, black = 1, 2
    colour: dict[str, int] = {}
    for root in graph:
        if root in colour:
            continue
        colour[root] = grey
        path = [root]
        stack: list[Iterator[str]] = [iter(graph[root])]
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                colour[path.pop()] = black
                stack.pop()
                continue
            state = colour.get(nxt)
            if state == grey:
                return [*path[path.index(nxt) :], nxt]
            if state is None and nxt in graph:
                colour[nxt] = grey
                path.append(nxt)
                stack.append(iter(graph[nxt]))
    return None


# -- list queries --------------------------------------------------------------

_COMMON_PARAMS = {"q", "from", "to", "page", "per_page", "sort"}


def _natural(rid: str) -> tuple[int, int, str]:
    return (0, int(rid), "") if rid.isdigit() else (1, 0, rid)


def _default_key(kind: str) -> Callable[[Doc], Any]:
    if kind == TASKS:
        return lambda d: (d.get("start") or "", d.get("end") or "", d.get("name", ""), d["id"])
    if kind == PROJECTS:
        return lambda d: (d.get("start") is None, d.get("start") or "", d.get("name", ""), d["id"])
    return lambda d: (d.get("created_at") or "", _natural(d["id"]))


def _sorted(kind: str, docs: list[Doc], sort: str | None = None) -> list[Doc]:
    docs = sorted(docs, key=_default_key(kind))
    if sort:
        name = sort.lstrip("-")
        # None sorts last either way; the default order breaks ties (stable sort).
        present = [d for d in docs if d.get(name) is not None]
        absent = [d for d in docs if d.get(name) is None]
        present.sort(key=lambda d: d[name], reverse=sort.startswith("-"))
        docs = present + absent
    return docs


def _flag(value: str) -> bool:
    v = value.strip().lower()
    if v in {"1", "true", "yes", "on"}:
        return True
    if v in {"0", "false", "no", "off"}:
        return False
    raise Invalid("must be true or false")


@dataclass
class ListQuery:
    """A list request's filters, checked."""

    page: int = 1
    per_page: int = DEFAULT_PER_PAGE
    sort: str | None = None
    q: str | None = None
    date_from: str | None = None
    date_to: str | None = None
    ids: dict[str, set[str]] = field(default_factory=dict)  # field -> allowed values
    exact: dict[str, str] = field(default_factory=dict)  # field -> casefolded value
    flags: dict[str, bool] = field(default_factory=dict)
    searched: tuple[str, ...] = ()  # the fields `q` looks in


def parse_query(kind: str, params: Mapping[str, str]) -> ListQuery:
    """Turn query-string parameters into a ListQuery, or raise per-parameter errors."""
    query = ListQuery()
    problems: dict[str, str] = {}
    # what a list of this kind takes, searches and sorts by: from the registry
    declared = KIND[kind]
    allowed = _COMMON_PARAMS | set(declared.names("filter")) | set(declared.aliases)
    sorts = set(declared.names("sort"))
    query.searched = declared.names("search")
    for name, raw in params.items():
        if name.startswith("_"):
            continue  # cache busters such as jQuery's _=123
        if name not in allowed:
            problems[name] = "unknown parameter; use one of " + ", ".join(sorted(allowed))
            continue
        value = (raw or "").strip()
        if not value:
            continue  # an empty form field means "no filter"
        try:
            if name in {"page", "per_page"}:
                if not value.isdigit():
                    raise Invalid("must be a whole number")
                n = int(value)
                top = MAX_PER_PAGE if name == "per_page" else 10**9
                if not 1 <= n <= top:
                    raise Invalid(f"must be from 1 to {top}")
                setattr(query, name, n)
            elif name in {"from", "to"}:
                checked = date_text(required=True)(value)
                if name == "from":
                    query.date_from = checked
                else:
                    query.date_to = checked
            elif name == "sort":
                if value.lstrip("-") not in sorts:
                    raise Invalid("sort by one of " + ", ".join(sorted(sorts)))
                query.sort = value
            elif name == "q":
                query.q = value.casefold()
            else:
                target = declared.aliases.get(name, name)
                how = declared.fields[target].filter if target in declared.fields else "ids"
                if how == "ids":
                    query.ids[target] = {v.strip() for v in value.split(",") if v.strip()}
                elif how == "flag":
                    query.flags[name] = _flag(value)
                else:  # exact, ignoring case (assignee, status, owner)
                    query.exact[name] = value.casefold()
        except Invalid as exc:
            problems[name] = str(exc)
    if query.date_from and query.date_to and query.date_to < query.date_from:
        problems["to"] = f"must be on or after from ({query.date_from})"
    if problems:
        raise _invalid(problems, "Invalid list parameters")
    return query


def _matches(kind: str, doc: Doc, query: ListQuery) -> bool:
    for name, allowed in query.ids.items():
        if doc.get(name) not in allowed:
            return False
    for name, value in query.exact.items():
        if str(doc.get(name) or "").casefold() != value:
            return False
    for name, flag in query.flags.items():
        if bool(doc.get(name)) != flag:
            return False
    if query.date_from or query.date_to:
        # A missing date is open-ended: an undated project overlaps every window.
        start, end = doc.get("start"), doc.get("end")
        if query.date_to and start and start > query.date_to:
            return False
        if query.date_from and end and end < query.date_from:
            return False
    if query.q:
        if not any(query.q in str(doc.get(f) or "").casefold() for f in query.searched):
            return False
    return True


# -- the mirror ----------------------------------------------------------------


class _Mirror:
    """An in-memory copy of the three schedule tables plus a project -> tasks index.

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
            table = store.table(kind)
            if todo is None:
                self.docs[kind].clear()
                self.ids[kind].clear()
                if kind == TASKS:
                    self.by_project.clear()
                for doc in table.all():
                    self._add(kind, doc.doc_id, dict(doc))
                continue
            for doc_id in todo:
                self._drop(kind, doc_id)
                found = table.get(doc_id=doc_id)
                if found is not None:
                    self._add(kind, doc_id, dict(found))

    def _add(self, kind: str, doc_id: int, doc: Doc) -> None:
        self.docs[kind][doc_id] = doc
        rid = doc.get("id")
        if isinstance(rid, str):
            other = self.ids[kind].get(rid)
            # Two documents with one id should not happen; prefer the live one.
            if other is None or self.docs[kind][other].get("deleted"):
                self.ids[kind][rid] = doc_id
        if kind == TASKS:
            self.by_project.setdefault(str(doc.get("project_id")), set()).add(doc_id)

    def _drop(self, kind: str, doc_id: int) -> None:
        old = self.docs[kind].pop(doc_id, None)
        if old is None:
            return
        rid = old.get("id")
        if isinstance(rid, str) and self.ids[kind].get(rid) == doc_id:
            del self.ids[kind][rid]
        if kind == TASKS:
            members = self.by_project.get(str(old.get("project_id")))
            if members is not None:
                members.discard(doc_id)
                if not members:
                    del self.by_project[str(old.get("project_id"))]

    # -- lookups -------------------------------------------------------------

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

    def deps_of(self, rid: str) -> list[str]:
        doc = self.live(TASKS, rid)
        return list(doc.get("depends_on") or []) if doc else []


@dataclass
class TaskExport:
    """Tasks chosen for a spreadsheet, and id -> name maps to show instead of ids."""

    tasks: list[Doc]
    project_names: dict[str, str]
    type_names: dict[str, str]
    task_names: dict[str, str]


# -- write plans ---------------------------------------------------------------


@dataclass
class _Plan:
    """Documents to write in one transaction, per table."""

    inserts: dict[str, list[Doc]] = field(default_factory=lambda: {k: [] for k in KINDS})
    replaces: dict[str, dict[int, Doc]] = field(default_factory=lambda: {k: {} for k in KINDS})

    def empty(self) -> bool:
        return not any(self.inserts.values()) and not any(self.replaces.values())

    def ids(self, kind: str, *, deleted: bool) -> list[str]:
        docs = [*self.inserts[kind], *self.replaces[kind].values()]
        return [d["id"] for d in docs if bool(d.get("deleted")) == deleted]


# -- upgrades (the schedule's migration hook) ---------------------------------


def _upgrade_default_types(sched: Schedule, m: _Mirror, now: str) -> None:
    if m.docs[TYPES]:
        return  # the user (or an import) already made types: never add to them
    write(
        sched.store, TYPES, [stamp_new(t["id"], content_of(t), now) for t in DEFAULT_TASK_TYPES], {}
    )


#: (version it produces, what it does, function). Append only; never edit old steps.
UPGRADES: list[tuple[int, str, Callable[[Schedule, _Mirror, str], None]]] = [
    (1, "create the six default task types", _upgrade_default_types),
]


# -- the service ---------------------------------------------------------------


class Schedule:
    """The schedule over one open Store. Create one per Store and keep it."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._mirror = _Mirror()
        store.add_listener(self._mirror.changed)

    @classmethod
    def open(cls, store: Store) -> Schedule:
        """A Schedule whose upgrades (default task types included) have run."""
        sched = cls(store)
        sched.setup()
        return sched

    @contextlib.contextmanager
    def _reading(self) -> Iterator[_Mirror]:
        with self.store.reading():
            self._mirror.sync(self.store)
            yield self._mirror

    @contextlib.contextmanager
    def reading(self) -> Iterator[_Mirror]:
        """The three tables (tombstones too) as they are now, to read only, under
        the store's lock."""
        with self._reading() as m:
            yield m

    @contextlib.contextmanager
    def _writing(self) -> Iterator[_Mirror]:
        with self.store.transaction():
            self._mirror.sync(self.store)
            yield self._mirror

    def setup(self) -> int:
        """Run pending upgrade steps once, even with several processes starting at once.

        Returns the schedule data version. The steps and the version marker
        are written in one transaction under the store's file lock, so a
        second process sees the first one's result and does nothing.
        """
        with self._writing() as m:
            table = self.store.table(META)
            marker = next((d for d in table.all() if d.get("key") == "version"), None)
            version = int(marker["value"]) if marker else 0
            steps = [s for s in UPGRADES if s[0] > version]
            if not steps:
                return version
            now = now_iso()
            for _v, _what, fn in steps:
                fn(self, m, now)
                self._mirror.sync(self.store)
            latest = steps[-1][0]
            if marker is None:
                table.insert({"key": "version", "value": latest, "updated_at": now})
            else:
                table.update({"value": latest, "updated_at": now}, doc_ids=[marker.doc_id])
            return latest

    # -- REST: read ------------------------------------------------------------

    def list_records(self, kind: str, params: Mapping[str, str] | None = None) -> dict[str, Any]:
        """`{"items", "total", "page", "per_page"}` for a kind, filtered and paged."""
        query = parse_query(kind, params or {})
        with self._reading() as m:
            hits = self._filtered(m, kind, query)
            first = (query.page - 1) * query.per_page
            items = [public(d) for d in hits[first : first + query.per_page]]
        return {"items": items, "total": len(hits), "page": query.page, "per_page": query.per_page}

    @staticmethod
    def _filtered(m: _Mirror, kind: str, query: ListQuery) -> list[Doc]:
        if kind == TASKS and "project_id" in query.ids:
            candidates = m.project_tasks(query.ids["project_id"])
        else:
            candidates = m.all_live(kind)
        return _sorted(kind, [d for d in candidates if _matches(kind, d, query)], query.sort)

    def tasks_for_export(self, params: Mapping[str, str] | None = None) -> TaskExport:
        """Every task the list filters select (no pages), with the names to show."""
        query = parse_query(
            TASKS, {k: v for k, v in (params or {}).items() if k not in ("page", "per_page")}
        )
        with self._reading() as m:
            tasks = [public(d) for d in self._filtered(m, TASKS, query)]
            names = {
                kind: {d["id"]: d.get("name") or d["id"] for d in m.all_live(kind)}
                for kind in (PROJECTS, TYPES, TASKS)
            }
        return TaskExport(tasks, names[PROJECTS], names[TYPES], names[TASKS])

    def get(self, kind: str, rid: str) -> Doc:
        with self._reading() as m:
            doc = m.live(kind, rid)
            if doc is None:
                raise self._not_found(kind, rid)
            return public(doc)

    @staticmethod
    def _not_found(kind: str, rid: str) -> errors.NotFound:
        return errors.NotFound(
            f"There is no {NOUNS[kind]} with id {rid!r} (it may have been deleted)."
        )

    # -- REST: write -----------------------------------------------------------

    def _check_refs(
        self, m: _Mirror, kind: str, rid: str, content: Doc, old: Mapping[str, Any] | None = None
    ) -> dict[str, str]:
        """The rules between records, for one record about to be written.

        With `old` (the stored record, for an edit) only what the edit adds is
        checked: a project or type it sets, dependencies it adds. A reference
        that broke elsewhere (sync can join a task made on one device to a
        project deleted on another, see problems.py) does not block editing
        the rest of the record, or the fix itself.
        """
        problems: dict[str, str] = {}
        if kind != TASKS:
            return problems
        before = old or {}
        pid = content.get("project_id")
        if pid is not None and pid != before.get("project_id") and m.live(PROJECTS, pid) is None:
            problems["project_id"] = f"project {pid} does not exist"
        tid = content.get("type_id")
        if tid is not None and tid != before.get("type_id") and m.live(TYPES, tid) is None:
            problems["type_id"] = f"task type {tid} does not exist"
        deps = content.get("depends_on") or []
        had = set(before.get("depends_on") or ())
        added = [d for d in deps if d not in had]
        if rid in added:
            problems["depends_on"] = "a task cannot depend on itself"
        elif added:
            missing = [d for d in added if m.live(TASKS, d) is None]
            if missing:
                problems["depends_on"] = "no such task: " + ", ".join(missing)
            else:
                # Only a new link can close a new cycle.
                cycle = cycle_through(rid, added, m.deps_of)
                if cycle:
                    names = {rid: content.get("name")}
                    path = [
                        _label(t, names.get(t) or (m.live(TASKS, t) or {}).get("name"))
                        for t in cycle
                    ]
                    problems["depends_on"] = "would make a cycle: " + " → ".join(path)
        return problems

    def create(self, kind: str, data: Mapping[str, Any]) -> Doc:
        """Create a record (201 in HTTP); an id may be given, else one is made."""
        if not isinstance(data, Mapping):
            raise errors.ValidationError(
                "The body must be a JSON object", fields={"body": "must be a JSON object"}
            )
        with self._writing() as m:
            problems: dict[str, str] = {}
            rid = new_id()
            if data.get("id") not in (None, ""):
                try:
                    rid = record_id(data["id"])
                except Invalid as exc:
                    problems["id"] = str(exc)
            content, bad = clean_record(kind, data)
            problems.update(bad)
            if not problems:
                problems.update(self._check_refs(m, kind, rid, content))
            if problems:
                raise _invalid(problems, f"The {NOUNS[kind]} was not saved")
            found = m.find(kind, rid)
            now = now_iso()
            if found is None:
                doc = stamp_new(rid, content, now)
                write(self.store, kind, [doc], {})
            elif not found[1].get("deleted"):
                raise errors.Conflict(
                    f"A {NOUNS[kind]} with id {rid!r} already exists",
                    fields={"id": "already exists"},
                    extra={"current": public(found[1])},
                )
            else:  # the id of a deleted record: bring it back as a new revision
                doc = stamp_change(found[1], content, now)
                write(self.store, kind, [], {found[0]: doc})
            return public(doc)

    def _check_rev(self, kind: str, doc: Doc, if_match: int | None) -> None:
        if if_match is not None and int(doc.get("rev") or 0) != if_match:
            raise errors.Conflict(
                f"This {NOUNS[kind]} was changed by someone else (you have revision "
                f"{if_match}, the current one is {doc.get('rev')}). Reload it and try again.",
                fields={"rev": f"stale: current revision is {doc.get('rev')}"},
                extra={"current": public(doc)},
            )

    def update(
        self, kind: str, rid: str, data: Mapping[str, Any], *, if_match: int | None = None
    ) -> Doc:
        """Change some fields. `if_match` (the rev the client saw) guards against lost updates."""
        if not isinstance(data, Mapping):
            raise errors.ValidationError(
                "The body must be a JSON object", fields={"body": "must be a JSON object"}
            )
        with self._writing() as m:
            found = m.find(kind, rid)
            if found is None or found[1].get("deleted"):
                raise self._not_found(kind, rid)
            doc_id, old = found
            self._check_rev(kind, old, if_match)
            problems: dict[str, str] = {}
            if data.get("id") not in (None, ""):
                try:
                    if record_id(data["id"]) != rid:
                        problems["id"] = "cannot be changed"
                except Invalid as exc:
                    problems["id"] = str(exc)
            content, bad = clean_record(kind, data, base=old)
            problems.update(bad)
            if not problems:
                problems.update(self._check_refs(m, kind, rid, content, old))
            if problems:
                raise _invalid(problems, f"The {NOUNS[kind]} was not saved")
            if same(content, content_of(old)):
                return public(old)  # nothing changed: no new revision
            doc = stamp_change(old, content, now_iso())
            write(self.store, kind, [], {doc_id: doc})
            return public(doc)

    def delete(
        self, kind: str, rid: str, *, cascade: bool = False, if_match: int | None = None
    ) -> dict[str, Any]:
        """Tombstone a record; returns which ids were deleted and which tasks were edited.

        A project with live tasks needs `cascade`; a task type used by live
        tasks cannot be deleted (disable it instead); tasks that depended on
        a deleted task lose that dependency in the same transaction.
        """
        with self._writing() as m:
            found = m.find(kind, rid)
            if found is None or found[1].get("deleted"):
                raise self._not_found(kind, rid)
            doc_id, doc = found
            self._check_rev(kind, doc, if_match)
            now = now_iso()
            plan = _Plan()
            plan.replaces[kind][doc_id] = stamp_tombstone(doc, now)
            gone_tasks: set[str] = {rid} if kind == TASKS else set()
            if kind == PROJECTS:
                tasks = m.project_tasks([rid])
                if tasks and not cascade:
                    raise errors.Conflict(
                        f"Project {doc.get('name')!r} still has {len(tasks)} task(s). Delete "
                        "or move them first, or delete with cascade=1 to delete them too.",
                        fields={"cascade": f"{len(tasks)} live task(s) in this project"},
                        extra={"tasks": len(tasks)},
                    )
                for t in tasks:
                    plan.replaces[TASKS][m.ids[TASKS][t["id"]]] = stamp_tombstone(t, now)
                    gone_tasks.add(t["id"])
            if kind == TYPES:
                users = [t for t in m.all_live(TASKS) if t.get("type_id") == rid]
                if users:
                    raise errors.Conflict(
                        f"Task type {doc.get('name')!r} is used by {len(users)} task(s). "
                        "Disable it instead (enabled: false), or give those tasks another "
                        "type first.",
                        fields={"id": f"in use by {len(users)} task(s)"},
                        extra={"tasks": len(users)},
                    )
            updated: list[str] = []
            if gone_tasks:
                for t in m.all_live(TASKS):
                    deps = t.get("depends_on") or []
                    if t["id"] in gone_tasks or not gone_tasks.intersection(deps):
                        continue
                    content = content_of(t)
                    content["depends_on"] = [d for d in deps if d not in gone_tasks]
                    plan.replaces[TASKS][m.ids[TASKS][t["id"]]] = stamp_change(t, content, now)
                    updated.append(t["id"])
            for k in KINDS:
                write(self.store, k, plan.inserts[k], plan.replaces[k])
        deleted = {DATA_KEYS[k]: sorted(plan.ids(k, deleted=True)) for k in KINDS}
        return {
            "ok": True,
            "deleted": {k: v for k, v in deleted.items() if v},
            "updated": {"tasks": sorted(updated)} if updated else {},
        }

    # -- /api/data ---------------------------------------------------------------

    def _extras(self) -> dict[str, tuple[int, Doc]]:
        return {
            d["key"]: (d.doc_id, dict(d))
            for d in self.store.table(EXTRAS).all()
            if isinstance(d.get("key"), str)
        }

    def export_data(self) -> dict[str, Any]:
        """The whole document the seed's clients read: collections, then extra keys."""
        with self._reading() as m:
            out: dict[str, Any] = {
                DATA_KEYS[k]: [public(d) for d in _sorted(k, m.all_live(k))] for k in KINDS
            }
            for key, (_doc_id, doc) in self._extras().items():
                if not doc.get("deleted") and key not in out:
                    out[key] = doc.get("value")
        return out

    def replace_data(
        self, body: Any, *, by: str = "", reason: str = "POST /api/data"
    ) -> str | None:
        """Apply a seed-style whole-document POST; return the saved revision's id.

        Returns None when the POST changes nothing (no revision is saved).
        Raises ValidationError with fields such as `tasks[3].end`.
        """
        if not isinstance(body, Mapping):
            raise errors.ValidationError(
                "The body must be a JSON object", fields={"body": "must be a JSON object"}
            )
        with self._writing() as m:
            plan, extras_plan = self._plan_replace(m, body)
            if plan.empty() and not extras_plan[0] and not extras_plan[1]:
                return None
            now = now_iso()
            with_collections = not plan.empty()
            rev_id = self._save_revision(m, with_collections, by, reason, now)
            for k in KINDS:
                write(self.store, k, plan.inserts[k], plan.replaces[k])
            write(self.store, EXTRAS, *extras_plan)
            return rev_id

    def _plan_replace(
        self, m: _Mirror, body: Mapping[str, Any]
    ) -> tuple[_Plan, tuple[list[Doc], dict[int, Doc]]]:
        now = now_iso()
        problems: dict[str, str] = {}
        posted: dict[str, list[tuple[int, str, Doc]]] = {}
        implicit_deps: set[str] = set()  # tasks whose depends_on came from the stored record
        listed: dict[str, set[str]] = {k: set() for k in KINDS}  # ids in the lists, valid or not
        for kind in KINDS:
            key = DATA_KEYS[kind]
            if key not in body:
                continue
            items = body[key]
            if not isinstance(items, list):
                problems[key] = "must be a list of objects"
                continue
            posted[kind] = []
            seen: dict[str, int] = {}
            for i, item in enumerate(items):
                where = f"{key}[{i}]"
                if not isinstance(item, Mapping):
                    problems[where] = "must be an object"
                    continue
                if item.get("id") in (None, ""):
                    rid = new_id()
                else:
                    try:
                        rid = record_id(item["id"])
                    except Invalid as exc:
                        problems[f"{where}.id"] = str(exc)
                        continue
                listed[kind].add(rid)
                if rid in seen:
                    problems[f"{where}.id"] = f"duplicate id {rid!r} (also {key}[{seen[rid]}])"
                    continue
                seen[rid] = i
                found = m.find(kind, rid)
                content, bad = clean_record(
                    kind, item, keep_unknown=True, base=content_of(found[1]) if found else None
                )
                for name, why in bad.items():
                    problems[f"{where}.{name}"] = why
                if not bad:
                    posted[kind].append((i, rid, content))
                    if kind == TASKS and "depends_on" not in item:
                        implicit_deps.add(rid)

        # The rules between records hold for the state this POST leaves behind.
        # An invalid record still counts as listed, so its own error is not echoed
        # by every record that refers to it.
        result = {k: (listed[k] if k in posted else m.live_ids(k)) for k in KINDS}
        if TASKS in posted:
            graph: dict[str, list[str]] = {}
            where_of: dict[str, str] = {}
            for i, rid, c in posted[TASKS]:
                where = f"tasks[{i}]"
                where_of[rid] = where
                if c["project_id"] not in result[PROJECTS]:
                    problems[f"{where}.project_id"] = f"project {c['project_id']} does not exist"
                if c.get("type_id") is not None and c["type_id"] not in result[TYPES]:
                    problems[f"{where}.type_id"] = f"task type {c['type_id']} does not exist"
                deps = c.get("depends_on") or []
                if rid in implicit_deps:
                    # The client did not send depends_on: like a REST delete, tasks this
                    # POST removes quietly leave the stored list.
                    deps = c["depends_on"] = [d for d in deps if d in result[TASKS]]
                missing = [d for d in deps if d not in result[TASKS]]
                if rid in deps:
                    problems[f"{where}.depends_on"] = "a task cannot depend on itself"
                elif missing:
                    problems[f"{where}.depends_on"] = "no such task: " + ", ".join(missing)
                graph[rid] = [d for d in deps if d in result[TASKS] and d != rid]
            cycle = find_cycle(graph)
            if cycle:
                names = {rid: c.get("name") for _i, rid, c in posted[TASKS]}
                path = " → ".join(_label(t, names.get(t)) for t in cycle)
                problems[f"{where_of[cycle[0]]}.depends_on"] = "forms a cycle: " + path
        elif PROJECTS in posted or TYPES in posted:
            # Tasks are not in this POST, so they stay: they must keep their project and type.
            lost_p: dict[str, int] = {}
            lost_t: dict[str, int] = {}
            for t in m.all_live(TASKS):
                if t.get("project_id") not in result[PROJECTS]:
                    lost_p[t["project_id"]] = lost_p.get(t["project_id"], 0) + 1
                if t.get("type_id") is not None and t["type_id"] not in result[TYPES]:
                    lost_t[t["type_id"]] = lost_t.get(t["type_id"], 0) + 1
            if lost_p:
                problems["projects"] = (
                    f"{sum(lost_p.values())} task(s) still belong to project(s) left out of this "
                    f'list ({", ".join(sorted(lost_p)[:10])}); include them, or send "tasks" too'
                )
            if lost_t:
                problems["taskTypes"] = (
                    f"{sum(lost_t.values())} task(s) still use task type(s) left out of this "
                    f'list ({", ".join(sorted(lost_t)[:10])}); include them, or send "tasks" too'
                )
        if problems:
            raise _invalid(problems, "The data was not saved")

        plan = _Plan()
        for kind, records in posted.items():
            keep: set[str] = set()
            for _i, rid, content in records:
                keep.add(rid)
                found = m.find(kind, rid)
                if found is None:
                    plan.inserts[kind].append(stamp_new(rid, content, now))
                elif found[1].get("deleted") or not same(content, content_of(found[1])):
                    plan.replaces[kind][found[0]] = stamp_change(found[1], content, now)
            for doc_id, doc in m.docs[kind].items():
                if not doc.get("deleted") and doc.get("id") not in keep:
                    plan.replaces[kind][doc_id] = stamp_tombstone(doc, now)

        known = set(DATA_KEYS.values())
        current = self._extras()
        extra_inserts: list[Doc] = []
        extra_replaces: dict[int, Doc] = {}
        for key, value in body.items():
            if key in known:
                continue
            if key not in current:
                extra_inserts.append(stamp_new(new_id(), {"key": key, "value": value}, now))
                continue
            doc_id, doc = current[key]
            if doc.get("deleted") or not same(doc.get("value"), value):
                extra_replaces[doc_id] = stamp_change(doc, {"key": key, "value": value}, now)
        return plan, (extra_inserts, extra_replaces)

    def _save_revision(
        self, m: _Mirror, with_collections: bool, by: str, reason: str, now: str
    ) -> str:
        """Keep the state before a change; drop the oldest beyond the caps."""
        data: dict[str, Any] = {}
        counts: dict[str, int] = {}
        if with_collections:
            for k in KINDS:
                data[DATA_KEYS[k]] = [public(d) for d in _sorted(k, m.all_live(k))]
                counts[DATA_KEYS[k]] = len(data[DATA_KEYS[k]])
        extras = {
            key: doc.get("value")
            for key, (_i, doc) in self._extras().items()
            if not doc.get("deleted")
        }
        data["extras"] = extras
        size = len(orjson.dumps(data))
        metas = self.store.table(REVISIONS)
        old = sorted((dict(d, doc_id=d.doc_id) for d in metas.all()), key=lambda d: d["seq"])
        seq = (old[-1]["seq"] + 1) if old else 1
        body_id = self.store.table(REVISION_BODIES).insert({"id": str(seq), "data": data})
        metas.insert(
            {
                "id": str(seq),
                "seq": seq,
                "created_at": now,
                "by": by,
                "reason": reason,
                "collections": [DATA_KEYS[k] for k in KINDS] if with_collections else [],
                "counts": counts,
                "extras": sorted(extras),
                "size_bytes": size,
                "body_doc_id": body_id,
            }
        )
        kept = [*old, {"seq": seq, "size_bytes": size}]
        drop: list[dict[str, Any]] = []
        total = sum(int(d.get("size_bytes") or 0) for d in kept)
        while len(kept) > 1 and (len(kept) > REVISIONS_KEEP or total > REVISIONS_MAX_BYTES):
            gone = kept.pop(0)
            total -= int(gone.get("size_bytes") or 0)
            drop.append(gone)
        if drop:
            metas.remove(doc_ids=[d["doc_id"] for d in drop])
            self.store.table(REVISION_BODIES).remove(
                doc_ids=[d["body_doc_id"] for d in drop if d.get("body_doc_id")]
            )
        return str(seq)

    def list_revisions(self) -> dict[str, Any]:
        """Saved pre-POST states, newest first."""
        with self._reading():
            metas = sorted(self.store.table(REVISIONS).all(), key=lambda d: -int(d["seq"]))
        items = [{k: v for k, v in d.items() if k not in {"body_doc_id", "seq"}} for d in metas]
        return {"items": items, "total": len(items)}

    def _revision(self, rev_id: str) -> tuple[Doc, Doc]:
        meta = next((d for d in self.store.table(REVISIONS).all() if d.get("id") == rev_id), None)
        body = None
        if meta is not None and isinstance(meta.get("body_doc_id"), int):
            body = self.store.table(REVISION_BODIES).get(doc_id=meta["body_doc_id"])
        if meta is None or body is None:
            raise errors.NotFound(
                f"There is no saved revision {rev_id!r} (only the last {REVISIONS_KEEP} are kept)."
            )
        return dict(meta), dict(body)

    def get_revision(self, rev_id: str) -> Doc:
        with self._reading():
            meta, body = self._revision(rev_id)
        out = {k: v for k, v in meta.items() if k not in {"body_doc_id", "seq"}}
        out["data"] = body.get("data")
        return out

    def restore_revision(self, rev_id: str, *, by: str = "") -> dict[str, Any]:
        """Put /api/data back as it was before revision `rev_id`'s change.

        The restore is itself a change with its own revision, so it can be
        undone the same way.
        """
        with self.store.transaction():
            _meta, body = self._revision(rev_id)
            data = dict(body.get("data") or {})
            extras = data.pop("extras", {}) or {}
            doc: dict[str, Any] = {
                **data,
                **{k: v for k, v in extras.items() if k not in DATA_KEYS.values()},
            }
            new_rev = self.replace_data(doc, by=by, reason=f"restore of revision {rev_id}")
            # Extra keys that did not exist then are removed again (tombstoned).
            current = self._extras()
            now = now_iso()
            drop = {
                doc_id: stamp_tombstone(d, now)
                for key, (doc_id, d) in current.items()
                if key not in extras and not d.get("deleted")
            }
            if drop:
                if new_rev is None:
                    new_rev = self._save_revision(
                        self._mirror, False, by, f"restore of revision {rev_id}", now
                    )
                write(self.store, EXTRAS, [], drop)
        return {"ok": True, "message": RESTORED_MESSAGE, "revision": new_rev}
