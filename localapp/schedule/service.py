"""The schedule service: projects, tasks and task types over one open Store.

`Schedule` lists (queries.py, from the in-memory mirror.py), reads, creates,
changes and deletes records, each write checked field by field (fields.py)
and against the rules between records (rules.py) inside one store
transaction; the whole-document /api/data is data.py. `Schedule.setup()`
runs ordered, idempotent upgrade steps recorded in the store; step 1 creates
the seed's six default task types.

Every multi-step write runs inside one `store.transaction()`; every read
that looks at the mirror runs inside `store.reading()` (or a transaction),
which is also what serialises threads.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .. import errors
from ..checks import Invalid, record_id
from ..records import (
    Doc,
    check_rev,
    new_id,
    now_iso,
    same,
    stamp_change,
    stamp_new,
    stamp_tombstone,
    write,
)
from ..store import Store
from . import data as documents
from .calendar import WorkCalendar
from .data import Plan
from .fields import (
    BASELINES,
    DATA_KEYS,
    DAYS,
    DEFAULT_TASK_TYPES,
    KINDS,
    META,
    NOUNS,
    PROJECTS,
    TASKS,
    TYPES,
    clean_record,
    content_of,
    invalid_fields,
    public,
)
from .load import MAX_WEEKS, weekly_load
from .mirror import Mirror
from .queries import ListQuery, matches, parse_query, sort_records
from .rules import cycle_through, label, reference_problems
from .scheduling import reschedule, slack, violations
from .summaries import children_of, parent_problem, rollups


@dataclass
class TaskExport:
    """Tasks chosen for a spreadsheet, and id -> name maps to show instead of ids."""

    tasks: list[Doc]
    project_names: dict[str, str]
    type_names: dict[str, str]
    task_names: dict[str, str]


def _workdays(task: Mapping[str, Any], cal: WorkCalendar) -> int | None:
    """A task's length in working days (a milestone has none), or None without dates."""
    try:
        start = dt.date.fromisoformat(str(task.get("start")))
        end = dt.date.fromisoformat(str(task.get("end")))
    except ValueError:
        return None
    return 0 if task.get("milestone") else cal.workdays(start, end)


# -- upgrades (the schedule's migration hook) ---------------------------------


def _upgrade_default_types(sched: Schedule, m: Mirror, now: str) -> None:
    if m.docs[TYPES]:
        return  # the user (or an import) already made types: never add to them
    # Stamped with the seed's own time, not now: every store makes them alike, so
    # they never need to be sent to other devices (sync/replica.py, SEED_STAMP).
    seeded = [stamp_new(t["id"], content_of(t), SEED_TIME) for t in DEFAULT_TASK_TYPES]
    write(sched.store, TYPES, seeded, {})


#: When the six default task types are said to have been made, in every store.
SEED_TIME = "2026-01-01T00:00:00.000Z"

#: (version it produces, what it does, function). Append only; never edit old steps.
UPGRADES: list[tuple[int, str, Callable[[Schedule, Mirror, str], None]]] = [
    (1, "create the six default task types", _upgrade_default_types),
]


class Schedule:
    """The schedule over one open Store. Create one per Store and keep it."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.mirror = Mirror()
        store.add_listener(self.mirror.changed)

    @classmethod
    def open(cls, store: Store) -> Schedule:
        """A Schedule whose upgrades (default task types included) have run."""
        sched = cls(store)
        sched.setup()
        return sched

    @contextlib.contextmanager
    def reading(self) -> Iterator[Mirror]:
        """The three tables (tombstones too) as they are now, to read only, under
        the store's lock."""
        with self.store.reading():
            self.mirror.sync(self.store)
            yield self.mirror

    @contextlib.contextmanager
    def writing(self) -> Iterator[Mirror]:
        """The three tables inside a store transaction: read, check, then write."""
        with self.store.transaction():
            self.mirror.sync(self.store)
            yield self.mirror

    def setup(self) -> int:
        """Run pending upgrade steps once, even with several processes starting at once.

        Returns the schedule data version. The steps and the version marker
        are written in one transaction under the store's file lock, so a
        second process sees the first one's result and does nothing.
        """
        with self.writing() as m:
            table = self.store.table(META)
            marker = next((d for d in table.all() if d.get("key") == "version"), None)
            version = int(marker["value"]) if marker else 0
            steps = [s for s in UPGRADES if s[0] > version]
            if not steps:
                return version
            now = now_iso()
            for _v, _what, fn in steps:
                fn(self, m, now)
                self.mirror.sync(self.store)
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
        with self.reading() as m:
            hits = self._filtered(m, kind, query)
            first = (query.page - 1) * query.per_page
            items = [public(d) for d in hits[first : first + query.per_page]]
            if kind == TASKS:
                self._add_computed(m, items)
        return {"items": items, "total": len(hits), "page": query.page, "per_page": query.per_page}

    @staticmethod
    def _add_computed(m: Mirror, items: list[Doc]) -> None:
        """Each task's `workdays` (its length in working days; 0 for a milestone),
        `slack` (working days it could end later without delaying
        its project's end) and `critical` (no slack), computed over its project;
        and for a task with dependencies, `early_start`: whether it starts before
        a task it depends on allows (scheduling.violations, the rule the problems
        list uses): a manual task placed so by hand, or an automatic one that a
        sync, a whole-document save or a new team holiday left so."""
        by_project: dict[str, dict[str, int]] = {}
        for item in items:
            pid = str(item.get("project_id"))
            if pid not in by_project:
                cached = m.slack_cache.get(pid)
                if cached is None:
                    tasks = {str(d["id"]): d for d in m.project_tasks([pid])}
                    cached = m.slack_cache[pid] = slack(tasks, m.successors, m.calendar)
                by_project[pid] = cached
            length = _workdays(item, m.calendar)
            if length is not None:
                item["workdays"] = length
            days = by_project[pid].get(str(item["id"]))
            if days is not None:
                item["slack"] = days
                item["critical"] = days == 0
            if item.get("depends_on"):
                item["early_start"] = bool(violations(item, lambda r: m.live(TASKS, r), m.calendar))

    @staticmethod
    def _filtered(m: Mirror, kind: str, query: ListQuery) -> list[Doc]:
        if kind == TASKS and "project_id" in query.ids:
            candidates = m.project_tasks(query.ids["project_id"])
        else:
            candidates = m.all_live(kind)
        return sort_records(kind, [d for d in candidates if matches(kind, d, query)], query.sort)

    def tasks_for_export(self, params: Mapping[str, str] | None = None) -> TaskExport:
        """Every task the list filters select (no pages), with the names to show."""
        query = parse_query(
            TASKS, {k: v for k, v in (params or {}).items() if k not in ("page", "per_page")}
        )
        with self.reading() as m:
            tasks = [public(d) for d in self._filtered(m, TASKS, query)]
            self._add_computed(m, tasks)
            names = {
                kind: {d["id"]: d.get("name") or d["id"] for d in m.all_live(kind)}
                for kind in (PROJECTS, TYPES, TASKS)
            }
        return TaskExport(tasks, names[PROJECTS], names[TYPES], names[TASKS])

    def resource_load(
        self, project_ids: Sequence[str], start: dt.date | None, end: dt.date | None
    ) -> dict[str, Any]:
        """Working days of work per assignee per week (load.py) of the live tasks of
        `project_ids` (all projects when empty), from `start` to `end` (the tasks'
        span when not given; a year at most)."""
        with self.reading() as m:
            tasks = m.project_tasks(project_ids) if project_ids else m.all_live(TASKS)
            earliest = min((str(t["start"]) for t in tasks if t.get("start")), default=None)
            latest = max((str(t["end"]) for t in tasks if t.get("end")), default=None)
            first = start or (dt.date.fromisoformat(earliest) if earliest else dt.date.today())
            last = end or (dt.date.fromisoformat(latest) if latest else first)
            last = min(max(last, first), first + dt.timedelta(weeks=MAX_WEEKS - 1))
            return weekly_load(tasks, first, last, m.calendar)

    def work_calendar(self) -> WorkCalendar:
        """The working-day calendar, the team's days on top of the national one."""
        with self.reading() as m:
            return m.calendar

    def import_days(self, days: Sequence[Mapping[str, Any]]) -> dict[str, int]:
        """Add or change team days by date, in one transaction ({date, kind,
        name} each, checked like a REST create); how many were added, changed
        and already so."""
        counts = {"added": 0, "changed": 0, "unchanged": 0}
        with self.writing() as m:
            problems: dict[str, str] = {}
            inserts: list[Doc] = []
            replaces: dict[int, Doc] = {}
            now = now_iso()
            for i, day in enumerate(days, 1):
                content, bad = clean_record(DAYS, day)
                problems.update({f"days[{i}].{k}": v for k, v in bad.items()})
                if bad:
                    continue
                found = m.find(DAYS, content["date"])
                if found is None:
                    inserts.append(stamp_new(content["date"], content, now))
                    counts["added"] += 1
                    continue
                old = found[1]
                if not old.get("deleted") and same(content, content_of(old)):
                    counts["unchanged"] += 1
                    continue
                replaces[found[0]] = stamp_change(old, content, now)
                counts["changed"] += 1
            if problems:
                raise invalid_fields(problems, "The calendar was not imported")
            if inserts or replaces:
                write(self.store, DAYS, inserts, replaces)
        return counts

    def get(self, kind: str, rid: str) -> Doc:
        with self.reading() as m:
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
        self, m: Mirror, kind: str, rid: str, content: Doc, old: Mapping[str, Any] | None = None
    ) -> dict[str, str]:
        """The rules between records (rules.py) for one record about to be written;
        with `old`, only what the edit adds is checked."""
        if kind != TASKS:
            return {}

        def exists(k: str, r: str) -> bool:
            return m.live(k, r) is not None

        problems = reference_problems(rid, content, exists, old)
        had = set((old or {}).get("depends_on") or ())
        added = [d for d in content.get("depends_on") or [] if d not in had]
        if added and "depends_on" not in problems:
            # Only a new link can close a new cycle.
            cycle = cycle_through(rid, added, m.deps_of)
            if cycle:
                names = {rid: content.get("name")}
                path = [
                    label(t, names.get(t) or (m.live(TASKS, t) or {}).get("name")) for t in cycle
                ]
                problems["depends_on"] = "would make a cycle: " + " → ".join(path)
        if content.get("parent") != (old or {}).get("parent") or (
            content.get("parent") and content.get("project_id") != (old or {}).get("project_id")
        ):
            why = parent_problem(rid, content, lambda r: m.live(TASKS, r))
            if why:
                problems["parent"] = why
        return problems

    def create(self, kind: str, data: Mapping[str, Any]) -> Doc:
        """Create a record (201 in HTTP); an id may be given, else one is made."""
        if not isinstance(data, Mapping):
            raise errors.ValidationError(
                "The body must be a JSON object", fields={"body": "must be a JSON object"}
            )
        with self.writing() as m:
            problems: dict[str, str] = {}
            rid = new_id()
            if data.get("id") not in (None, ""):
                try:
                    rid = record_id(data["id"])
                except Invalid as exc:
                    problems["id"] = str(exc)
            content, bad = clean_record(kind, data)
            problems.update(bad)
            if kind == BASELINES and not problems:
                problems.update(self._snapshot(m, content))
            if kind == DAYS and "date" not in problems:
                # a team day is named by its date: one record per day on every device
                if data.get("id") not in (None, "", content["date"]):
                    problems["id"] = "is the day's date"
                rid = content["date"]
            if not problems:
                problems.update(self._check_refs(m, kind, rid, content))
            if problems:
                raise invalid_fields(problems, f"The {NOUNS[kind]} was not saved")
            found = m.find(kind, rid)
            now = now_iso()
            if found is None:
                doc = stamp_new(rid, content, now)
                doc, moved = self._rescheduled(m, kind, doc, now)
                write(self.store, kind, [doc], moved)
            elif not found[1].get("deleted"):
                raise errors.Conflict(
                    f"A {NOUNS[kind]} with id {rid!r} already exists",
                    fields={"id": "already exists"},
                    extra={"current": public(found[1])},
                )
            else:  # the id of a deleted record: bring it back as a new revision
                doc = stamp_change(found[1], content, now)
                doc, moved = self._rescheduled(m, kind, doc, now)
                write(self.store, kind, [], {found[0]: doc, **moved})
            return self._answer(doc, moved)

    def _rescheduled(
        self, m: Mirror, kind: str, doc: Doc, now: str, was: Mapping[str, Any] | None = None
    ) -> tuple[Doc, dict[int, Doc]]:
        """A task about to be written, placed after its predecessors (unless manual),
        and its successors moved after it (scheduling.py), and the summary tasks
        above them rolled up (summaries.py; `was`: the task before the edit, whose
        old parent rolls up too): (the task, {doc id: moved task}), all to be
        written in the same transaction."""
        if kind != TASKS:
            return doc, {}
        doc, moved = self._placed(m, doc, now)
        pending = {str(doc["id"]): doc, **{str(d["id"]): d for d in moved.values()}}
        old_parent = (was or {}).get("parent")
        rolled = self._rolled_up(m, pending, [*pending, *([old_parent] if old_parent else [])], now)
        doc = rolled.pop(str(doc["id"]), doc)
        for sid, summary in rolled.items():
            moved[m.ids[TASKS][sid]] = summary
        return doc, moved

    @staticmethod
    def _rolled_up(
        m: Mirror, pending: Mapping[str, Doc], touched: list[str], now: str
    ) -> dict[str, Doc]:
        """{id: summary task with its subtasks' dates and progress} for the summary
        tasks at or above `touched` whose values change, in the state the
        `pending` writes (id -> document, tombstones too) leave."""

        def get(r: str) -> Doc | None:
            d = pending.get(r) or m.live(TASKS, r)
            return None if d is None or d.get("deleted") else d

        projects = {str(d.get("project_id")) for d in pending.values()}
        state = {str(t["id"]): t for t in m.project_tasks(projects)} | dict(pending)
        out: dict[str, Doc] = {}
        for sid, (start, end, progress) in rollups(
            touched, get, children_of(state.values()), m.calendar
        ).items():
            current = get(sid)
            if current is None:
                continue
            values = {"start": start, "end": end, "progress": progress}
            if all(current.get(k) == v for k, v in values.items()):
                continue
            if sid in pending:
                out[sid] = {**current, **values}
            else:
                out[sid] = stamp_change(current, {**content_of(current), **values}, now)
        return out

    def _placed(self, m: Mirror, doc: Doc, now: str) -> tuple[Doc, dict[int, Doc]]:
        """The task placed after its predecessors, and the successors it moves."""
        rid = str(doc["id"])
        deps = set(doc.get("depends_on") or ())

        def successors(r: str) -> list[str]:
            # the links as they will be: this task's own are the edited ones (so
            # dropping a link out of a loop that a merge made lets both be placed)
            return [s for s in m.successors(r) if s != rid] + ([rid] if r in deps else [])

        places = reschedule(
            [rid], lambda r: doc if r == rid else m.live(TASKS, r), successors, m.calendar
        )
        if rid in places:
            doc = {**doc, "start": places[rid][0], "end": places[rid][1]}
        moved: dict[int, Doc] = {}
        for other, (start, end) in places.items():
            found = m.find(TASKS, other) if other != rid else None
            if found is not None:
                changed = {**content_of(found[1]), "start": start, "end": end}
                moved[found[0]] = stamp_change(found[1], changed, now)
        return doc, moved

    @staticmethod
    def _snapshot(m: Mirror, content: Doc) -> dict[str, str]:
        """A new baseline's `tasks`: the dates of every live task of its project now."""
        pid = str(content.get("project_id"))
        if m.live(PROJECTS, pid) is None:
            return {"project_id": f"project {pid} does not exist"}
        content["tasks"] = {
            str(t["id"]): {"start": t.get("start"), "end": t.get("end")}
            for t in m.project_tasks([pid])
        }
        return {}

    @staticmethod
    def _misplaced(m: Mirror, kind: str, doc: Doc) -> bool:
        """An automatic task starting before a predecessor allows (left so by a
        sync, a whole-document save or a new holiday): saving it places it."""
        return (
            kind == TASKS
            and not doc.get("manual")
            and bool(violations(doc, lambda r: m.live(TASKS, r), m.calendar))
        )

    @staticmethod
    def _answer(doc: Doc, moved: Mapping[int, Doc]) -> Doc:
        """The written record; with `moved`, the tasks that moved after it (in the
        order they were placed, predecessors first), so a client shows what the
        server did."""
        out = public(doc)
        if moved:
            out["moved"] = [public(d) for d in moved.values()]
        return out

    def _check_rev(self, kind: str, doc: Doc, if_match: int | None) -> None:
        check_rev(NOUNS[kind], doc, if_match, public(doc))

    def update(
        self, kind: str, rid: str, data: Mapping[str, Any], *, if_match: int | None = None
    ) -> Doc:
        """Change some fields. `if_match` (the rev the client saw) guards against lost updates."""
        if not isinstance(data, Mapping):
            raise errors.ValidationError(
                "The body must be a JSON object", fields={"body": "must be a JSON object"}
            )
        with self.writing() as m:
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
            if kind == DAYS and content.get("date") != old.get("date"):
                problems["date"] = "cannot be changed: delete the day and add the new one"
            if kind == BASELINES and content.get("project_id") != old.get("project_id"):
                problems["project_id"] = "cannot be changed: a baseline is one project's plan"
            if not problems:
                problems.update(self._check_refs(m, kind, rid, content, old))
            if problems:
                raise invalid_fields(problems, f"The {NOUNS[kind]} was not saved")
            if same(content, content_of(old)) and not self._misplaced(m, kind, old):
                return public(old)  # nothing changed: no new revision
            now = now_iso()
            doc, moved = self._rescheduled(m, kind, stamp_change(old, content, now), now, old)
            write(self.store, kind, [], {doc_id: doc, **moved})
            return self._answer(doc, moved)

    def delete(
        self, kind: str, rid: str, *, cascade: bool = False, if_match: int | None = None
    ) -> dict[str, Any]:
        """Tombstone a record; returns which ids were deleted and which tasks were edited.

        A project with live tasks needs `cascade`; a task type used by live
        tasks cannot be deleted (disable it instead); tasks that depended on
        a deleted task lose that dependency in the same transaction.
        """
        with self.writing() as m:
            found = m.find(kind, rid)
            if found is None or found[1].get("deleted"):
                raise self._not_found(kind, rid)
            doc_id, doc = found
            self._check_rev(kind, doc, if_match)
            now = now_iso()
            plan = Plan()
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
            if kind == TASKS:
                updated += self._promote_subtasks(m, plan, doc, now)
            for k in KINDS:
                write(self.store, k, plan.inserts[k], plan.replaces[k])
        deleted = {DATA_KEYS[k]: sorted(plan.ids(k, deleted=True)) for k in KINDS}
        return {
            "ok": True,
            "deleted": {k: v for k, v in deleted.items() if v},
            "updated": {"tasks": sorted(set(updated))} if updated else {},
        }

    def _promote_subtasks(self, m: Mirror, plan: Plan, gone: Doc, now: str) -> list[str]:
        """Inside a task's deletion: its subtasks move up to its own parent, and the
        summary tasks above it roll up without it. The ids of the tasks changed."""
        replaces = plan.replaces[TASKS]
        changed: list[str] = []
        for t in m.project_tasks([str(gone.get("project_id"))]):
            doc_id = m.ids[TASKS][t["id"]]
            if t.get("parent") != gone["id"] or replaces.get(doc_id, t).get("deleted"):
                continue
            content = {**content_of(replaces.get(doc_id, t)), "parent": gone.get("parent")}
            replaces[doc_id] = stamp_change(t, content, now)
            changed.append(t["id"])
        pending = {str(d["id"]): d for d in replaces.values()}
        touched = [str(gone["parent"])] if gone.get("parent") else []
        for sid, summary in self._rolled_up(m, pending, touched, now).items():
            replaces[m.ids[TASKS][sid]] = summary
            changed.append(sid)
        return changed

    # -- /api/data (data.py) ---------------------------------------------------------

    def export_data(self) -> dict[str, Any]:
        """The whole document the seed's clients read: collections, then extra keys."""
        return documents.export_data(self)

    def replace_data(
        self, body: Any, *, by: str = "", reason: str = "POST /api/data"
    ) -> str | None:
        """Apply a seed-style whole-document POST; return the saved revision's id
        (None when it changes nothing)."""
        return documents.replace_data(self, body, by=by, reason=reason)

    def list_revisions(self) -> dict[str, Any]:
        """Saved pre-POST states, newest first."""
        return documents.list_revisions(self)

    def get_revision(self, rev_id: str) -> Doc:
        return documents.get_revision(self, rev_id)

    def restore_revision(self, rev_id: str, *, by: str = "") -> dict[str, Any]:
        """Put /api/data back as it was before revision `rev_id`'s change."""
        return documents.restore_revision(self, rev_id, by=by)
