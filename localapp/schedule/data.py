"""The seed-compatible whole-document API (/api/data) and its revisions.

`export_data` is the schedule as one document; `replace_data` applies a
whole-document POST after saving a restorable revision of the state before
it, checking every record (fields.py) and the rules between them (rules.py)
for the state it leaves behind; the revisions can be listed, read and
restored. Functions over a `Schedule` (service.py), which calls them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import orjson

from .. import errors
from ..checks import MAX_DEPTH, Invalid, record_id, too_deep
from ..records import (
    Doc,
    new_id,
    now_iso,
    same,
    stamp_change,
    stamp_new,
    stamp_tombstone,
    write,
)
from ..store import Store
from .fields import (
    DATA_KEYS,
    EXTRAS,
    KINDS,
    PROJECTS,
    RESTORED_MESSAGE,
    REVISION_BODIES,
    REVISIONS,
    REVISIONS_KEEP,
    REVISIONS_MAX_BYTES,
    TASKS,
    TYPES,
    clean_record,
    content_of,
    invalid_fields,
    public,
)
from .mirror import Mirror
from .queries import sort_records
from .rules import find_cycle, label, reference_problems

if TYPE_CHECKING:
    from .service import Schedule


@dataclass
class Plan:
    """Documents to write in one transaction, per table."""

    inserts: dict[str, list[Doc]] = field(default_factory=lambda: {k: [] for k in KINDS})
    replaces: dict[str, dict[int, Doc]] = field(default_factory=lambda: {k: {} for k in KINDS})

    def empty(self) -> bool:
        return not any(self.inserts.values()) and not any(self.replaces.values())

    def ids(self, kind: str, *, deleted: bool) -> list[str]:
        docs = [*self.inserts[kind], *self.replaces[kind].values()]
        return [d["id"] for d in docs if bool(d.get("deleted")) == deleted]


def _extras(store: Store) -> dict[str, tuple[int, Doc]]:
    return {
        d["key"]: (d.doc_id, dict(d))
        for d in store.table(EXTRAS).all()
        if isinstance(d.get("key"), str)
    }


def export_data(sched: Schedule) -> dict[str, Any]:
    """The whole document the seed's clients read: collections, then extra keys."""
    with sched.reading() as m:
        out: dict[str, Any] = {
            DATA_KEYS[k]: [public(d) for d in sort_records(k, m.all_live(k))] for k in KINDS
        }
        for key, (_doc_id, doc) in _extras(sched.store).items():
            if not doc.get("deleted") and key not in out:
                out[key] = doc.get("value")
    return out


def replace_data(
    sched: Schedule, body: Any, *, by: str = "", reason: str = "POST /api/data"
) -> str | None:
    """Apply a seed-style whole-document POST; return the saved revision's id.

    Returns None when the POST changes nothing (no revision is saved).
    Raises ValidationError with fields such as `tasks[3].end`.
    """
    if not isinstance(body, Mapping):
        raise errors.ValidationError(
            "The body must be a JSON object", fields={"body": "must be a JSON object"}
        )
    with sched.writing() as m:
        plan, extras_plan = _plan_replace(sched, m, body)
        if plan.empty() and not extras_plan[0] and not extras_plan[1]:
            return None
        now = now_iso()
        with_collections = not plan.empty()
        rev_id = _save_revision(sched, m, with_collections, by, reason, now)
        for k in KINDS:
            write(sched.store, k, plan.inserts[k], plan.replaces[k])
        write(sched.store, EXTRAS, *extras_plan)
        return rev_id


def _plan_replace(
    sched: Schedule, m: Mirror, body: Mapping[str, Any]
) -> tuple[Plan, tuple[list[Doc], dict[int, Doc]]]:
    """What a whole-document POST writes, checked; raises ValidationError with
    fields such as `tasks[3].end` when any record or rule is broken."""
    deep = {
        str(k): f"is nested more than {MAX_DEPTH} levels deep"
        for k, v in body.items()
        if too_deep(v)
    }
    if deep:
        raise invalid_fields(deep, "The data was not saved")
    posted, implicit_deps, listed, problems = _read_posted(m, body)
    # The rules between records hold for the state this POST leaves behind.
    # An invalid record still counts as listed, so its own error is not echoed
    # by every record that refers to it.
    result = {k: (listed[k] if k in posted else m.live_ids(k)) for k in KINDS}
    if TASKS in posted:
        problems.update(_posted_task_problems(posted[TASKS], implicit_deps, result))
    elif PROJECTS in posted or TYPES in posted:
        problems.update(_kept_task_problems(m, result))
    if problems:
        raise invalid_fields(problems, "The data was not saved")
    now = now_iso()
    return _collection_plan(m, posted, now), _extras_plan(sched.store, body, now)


Posted = dict[str, list[tuple[int, str, Doc]]]


def _read_posted(
    m: Mirror, body: Mapping[str, Any]
) -> tuple[Posted, set[str], dict[str, set[str]], dict[str, str]]:
    """Each posted collection's valid records (index, id, content); the tasks whose
    depends_on came from the stored record; every id listed, valid or not; and
    the per-field problems."""
    problems: dict[str, str] = {}
    posted: Posted = {}
    implicit_deps: set[str] = set()
    listed: dict[str, set[str]] = {k: set() for k in KINDS}
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
            base = content_of(found[1]) if found else None
            content, bad = clean_record(kind, item, keep_unknown=True, base=base)
            for name, why in bad.items():
                problems[f"{where}.{name}"] = why
            if not bad:
                posted[kind].append((i, rid, content))
                if kind == TASKS and "depends_on" not in item:
                    implicit_deps.add(rid)
    return posted, implicit_deps, listed, problems


def _posted_task_problems(
    tasks: list[tuple[int, str, Doc]], implicit_deps: set[str], result: dict[str, set[str]]
) -> dict[str, str]:
    """The posted tasks against the rules between records (rules.py), in the
    state the POST leaves behind."""
    problems: dict[str, str] = {}
    graph: dict[str, list[str]] = {}
    where_of: dict[str, str] = {}

    def exists(kind: str, rid: str) -> bool:
        return rid in result[kind]

    for i, rid, c in tasks:
        where = where_of[rid] = f"tasks[{i}]"
        if rid in implicit_deps:
            # The client did not send depends_on: like a REST delete, tasks this
            # POST removes quietly leave the stored list.
            c["depends_on"] = [d for d in c.get("depends_on") or [] if d in result[TASKS]]
        for name, why in reference_problems(rid, c, exists).items():
            problems[f"{where}.{name}"] = why
        graph[rid] = [d for d in c.get("depends_on") or [] if d in result[TASKS] and d != rid]
    cycle = find_cycle(graph)
    if cycle:
        names = {rid: c.get("name") for _i, rid, c in tasks}
        path = " → ".join(label(t, names.get(t)) for t in cycle)
        problems[f"{where_of[cycle[0]]}.depends_on"] = "forms a cycle: " + path
    return problems


def _kept_task_problems(m: Mirror, result: dict[str, set[str]]) -> dict[str, str]:
    """Tasks are not in this POST, so they stay: they must keep their project and type."""
    problems: dict[str, str] = {}
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
    return problems


def _collection_plan(m: Mirror, posted: Posted, now: str) -> Plan:
    """Inserts, changes and tombstones that make each posted collection the posted one."""
    plan = Plan()
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
    return plan


def _extras_plan(
    store: Store, body: Mapping[str, Any], now: str
) -> tuple[list[Doc], dict[int, Doc]]:
    """The document's other top-level keys, kept verbatim, one record each."""
    known = set(DATA_KEYS.values())
    current = _extras(store)
    inserts: list[Doc] = []
    replaces: dict[int, Doc] = {}
    for key, value in body.items():
        if key in known:
            continue
        if key not in current:
            inserts.append(stamp_new(new_id(), {"key": key, "value": value}, now))
            continue
        doc_id, doc = current[key]
        if doc.get("deleted") or not same(doc.get("value"), value):
            replaces[doc_id] = stamp_change(doc, {"key": key, "value": value}, now)
    return inserts, replaces


def _save_revision(
    sched: Schedule, m: Mirror, with_collections: bool, by: str, reason: str, now: str
) -> str:
    """Keep the state before a change; drop the oldest beyond the caps."""
    data: dict[str, Any] = {}
    counts: dict[str, int] = {}
    if with_collections:
        for k in KINDS:
            data[DATA_KEYS[k]] = [public(d) for d in sort_records(k, m.all_live(k))]
            counts[DATA_KEYS[k]] = len(data[DATA_KEYS[k]])
    extras = {
        key: doc.get("value")
        for key, (_i, doc) in _extras(sched.store).items()
        if not doc.get("deleted")
    }
    data["extras"] = extras
    size = len(orjson.dumps(data))
    metas = sched.store.table(REVISIONS)
    old = sorted((dict(d, doc_id=d.doc_id) for d in metas.all()), key=lambda d: d["seq"])
    seq = (old[-1]["seq"] + 1) if old else 1
    body_id = sched.store.table(REVISION_BODIES).insert({"id": str(seq), "data": data})
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
        sched.store.table(REVISION_BODIES).remove(
            doc_ids=[d["body_doc_id"] for d in drop if d.get("body_doc_id")]
        )
    return str(seq)


def list_revisions(sched: Schedule) -> dict[str, Any]:
    """Saved pre-POST states, newest first."""
    with sched.reading():
        metas = sorted(sched.store.table(REVISIONS).all(), key=lambda d: -int(d["seq"]))
    items = [{k: v for k, v in d.items() if k not in {"body_doc_id", "seq"}} for d in metas]
    return {"items": items, "total": len(items)}


def _revision(sched: Schedule, rev_id: str) -> tuple[Doc, Doc]:
    meta = next((d for d in sched.store.table(REVISIONS).all() if d.get("id") == rev_id), None)
    body = None
    if meta is not None and isinstance(meta.get("body_doc_id"), int):
        body = sched.store.table(REVISION_BODIES).get(doc_id=meta["body_doc_id"])
    if meta is None or body is None:
        raise errors.NotFound(
            f"There is no saved revision {rev_id!r} (only the last {REVISIONS_KEEP} are kept)."
        )
    return dict(meta), dict(body)


def get_revision(sched: Schedule, rev_id: str) -> Doc:
    with sched.reading():
        meta, body = _revision(sched, rev_id)
    out = {k: v for k, v in meta.items() if k not in {"body_doc_id", "seq"}}
    out["data"] = body.get("data")
    return out


def restore_revision(sched: Schedule, rev_id: str, *, by: str = "") -> dict[str, Any]:
    """Put /api/data back as it was before revision `rev_id`'s change.

    The restore is itself a change with its own revision, so it can be
    undone the same way.
    """
    with sched.store.transaction():
        _meta, body = _revision(sched, rev_id)
        data = dict(body.get("data") or {})
        extras = data.pop("extras", {}) or {}
        doc: dict[str, Any] = {
            **data,
            **{k: v for k, v in extras.items() if k not in DATA_KEYS.values()},
        }
        new_rev = replace_data(sched, doc, by=by, reason=f"restore of revision {rev_id}")
        # Extra keys that did not exist then are removed again (tombstoned).
        current = _extras(sched.store)
        now = now_iso()
        drop = {
            doc_id: stamp_tombstone(d, now)
            for key, (doc_id, d) in current.items()
            if key not in extras and not d.get("deleted")
        }
        if drop:
            if new_rev is None:
                new_rev = _save_revision(
                    sched, sched.mirror, False, by, f"restore of revision {rev_id}", now
                )
            write(sched.store, EXTRAS, [], drop)
    return {"ok": True, "message": RESTORED_MESSAGE, "revision": new_rev}
