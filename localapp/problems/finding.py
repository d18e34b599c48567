"""Finding the data problems: one pass over the schedule's live tasks (broken
references, then loops), the SKUs the search index knows are shared, and the
order files behind more than one live order."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..catalogue.orders import ORDERS
from ..money import cents_text
from ..schedule import PROJECTS, TASKS, TYPES, Schedule, find_cycle
from ..schedule.calendar import WorkCalendar
from ..schedule.rules import broken_references
from ..schedule.scheduling import violations
from ..store import Store
from .describe import (
    KINDS,
    MAX_CYCLES,
    Doc,
    by_label,
    deleted_ids,
    label,
    names,
    ref,
    stored,
    task_ref,
)


@dataclass
class _Scan:
    """What one pass over the live tasks found."""

    live: dict[str, Doc] = field(default_factory=dict)
    orphans: dict[str, list[Doc]] = field(default_factory=dict)  # deleted project -> tasks
    untyped: dict[str, list[Doc]] = field(default_factory=dict)  # deleted type -> tasks
    dangling: dict[str, list[str]] = field(default_factory=dict)  # task -> deleted deps
    graph: dict[str, list[str]] = field(default_factory=dict)  # task -> live deps


def schedule_problems(schedule: Schedule) -> list[Doc]:
    """One pass over the live tasks: broken references, then loops."""
    with schedule.reading() as m:
        scan = _scan(m)

        def project_name(pid: Any) -> str | None:
            found = m.find(PROJECTS, pid) if isinstance(pid, str) else None
            return label(found[1], "name") if found else None

        loops = cycles(scan.graph)
        out = [
            *_orphan_problems(m, scan),
            *_type_problems(m, scan, project_name),
            *_dependency_problems(m, scan, project_name),
            *_cycle_problems(scan, loops, project_name),
            *_early_start_problems(scan, loops, project_name, m.calendar),
        ]
    order = {k: i for i, k in enumerate(KINDS)}
    out.sort(key=lambda p: (order[p["kind"]], (p["subject"] or p["records"][0])["label"], p["id"]))
    return out


def _scan(m: Any) -> _Scan:
    """Which live tasks refer to deleted records, by the schedule's own rule
    (`rules.broken_references`), and the links between live tasks."""
    scan = _Scan()
    live, graph = scan.live, scan.graph  # locals: this loop runs over every task
    dead = {kind: deleted_ids(m, kind) for kind in (PROJECTS, TYPES)}
    alive = {PROJECTS: m.live_ids(PROJECTS), TYPES: m.live_ids(TYPES), TASKS: live}
    tasks = m.docs[TASKS]
    dead[TASKS] = set()
    for rid, i in m.ids[TASKS].items():
        doc = tasks[i]
        if doc.get("deleted"):
            dead[TASKS].add(rid)
        else:
            live[rid] = doc

    def exists(kind: str, ref: str) -> bool:
        return ref.__class__ is not str or ref in alive[kind]  # not an id: not a link

    for rid, doc in live.items():
        deps = doc.get("depends_on")
        if deps.__class__ is not list:
            deps = []
        try:
            links_live = all(map(live.__contains__, deps))  # the common case, looped in C
        except TypeError:  # an id that is not text: no link
            links_live = False
        project, kind = doc.get("project_id"), doc.get("type_id")
        if (
            links_live
            and project.__class__ is str
            and project in alive[PROJECTS]
            and (kind is None or (kind.__class__ is str and kind in alive[TYPES]))
        ):
            if deps:
                graph[rid] = deps
            continue
        broken = broken_references(rid, doc, exists)
        for gone_id in broken.get("project_id", ()):
            if gone_id in dead[PROJECTS]:  # never seen here: its own change is on its way
                scan.orphans.setdefault(gone_id, []).append(doc)
        for gone_id in broken.get("type_id", ()):
            if gone_id in dead[TYPES]:
                scan.untyped.setdefault(gone_id, []).append(doc)
        gone = [d for d in broken.get("depends_on", ()) if d in dead[TASKS]]
        if gone:
            scan.dangling[rid] = gone
        links = [d for d in deps if d.__class__ is str and d in live]
        if links:
            graph[rid] = links
    return scan


NameOf = Callable[[Any], "str | None"]


def _orphan_problems(m: Any, scan: _Scan) -> list[Doc]:
    out: list[Doc] = []
    for pid, members in scan.orphans.items():
        project = stored(m, PROJECTS, pid)
        refs = by_label([task_ref(t, label(project, "name")) for t in members])
        name = label(project, "name")
        out.append(
            {
                "id": f"orphan_tasks:{pid}",
                "kind": "orphan_tasks",
                "message": (
                    f"Project {name!r} was deleted, but {len(refs)} task(s) in it "
                    "were added or changed on another device meanwhile: "
                    f"{names([r['label'] for r in refs])}. The schedule does not "
                    "show them. Restore the project, or delete the tasks."
                ),
                "subject": ref(PROJECTS, project),
                "records": refs,
                "actions": [{"action": "restore_project"}, {"action": "delete_tasks"}],
            }
        )
    return out


def _type_problems(m: Any, scan: _Scan, project_name: NameOf) -> list[Doc]:
    out: list[Doc] = []
    for tid, members in scan.untyped.items():
        kind_doc = stored(m, TYPES, tid)
        refs = by_label([task_ref(t, project_name(t.get("project_id"))) for t in members])
        name = label(kind_doc, "name")
        out.append(
            {
                "id": f"missing_type:{tid}",
                "kind": "missing_type",
                "message": (
                    f"Task type {name!r} was deleted, but {len(refs)} task(s) were "
                    "given it on another device meanwhile: "
                    f"{names([r['label'] for r in refs])}. Restore the type, or "
                    "clear it from these tasks."
                ),
                "subject": ref(TYPES, kind_doc),
                "records": refs,
                "actions": [{"action": "restore_type"}, {"action": "clear_type"}],
            }
        )
    return out


def _dependency_problems(m: Any, scan: _Scan, project_name: NameOf) -> list[Doc]:
    out: list[Doc] = []
    for rid, deps in scan.dangling.items():
        task = scan.live[rid]
        gone_tasks = [stored(m, TASKS, d) for d in deps]
        refs = by_label([task_ref(d, project_name(d.get("project_id"))) for d in gone_tasks])
        out.append(
            {
                "id": f"missing_dependency:{rid}",
                "kind": "missing_dependency",
                "message": (
                    f"Task {label(task, 'name')!r} depends on "
                    f"{names([r['label'] for r in refs])}, deleted on another "
                    "device. Restore a task it depends on, or remove these links."
                ),
                "subject": task_ref(task, project_name(task.get("project_id"))),
                "records": refs,
                "actions": [
                    *({"action": "restore_task", "task": r["id"]} for r in refs),
                    {"action": "drop_dependencies"},
                ],
            }
        )
    return out


def _cycle_problems(scan: _Scan, loops: list[list[str]], project_name: NameOf) -> list[Doc]:
    out: list[Doc] = []
    live = scan.live
    for loop in loops:
        refs = [task_ref(live[t], project_name(live[t].get("project_id"))) for t in loop]
        loop_links = [
            {"task": a, "depends_on": b} for a, b in zip(loop, [*loop[1:], loop[0]], strict=True)
        ]
        path = " → ".join(repr(r["label"]) for r in [*refs, refs[0]])
        digest = hashlib.sha256("\n".join(sorted(loop)).encode()).hexdigest()[:16]
        out.append(
            {
                "id": f"dependency_cycle:{digest}",
                "kind": "dependency_cycle",
                "message": (
                    f"These tasks depend on each other in a loop: {path} (each "
                    "waits for the next). The links were added on different "
                    "devices. Remove one of them."
                ),
                "subject": None,
                "records": refs,
                "links": loop_links,
                "actions": [{"action": "drop_link", **link} for link in loop_links],
            }
        )
    return out


def _early_start_problems(
    scan: _Scan, loops: list[list[str]], project_name: NameOf, cal: WorkCalendar
) -> list[Doc]:
    """Tasks that start before a predecessor allows: a manual task placed so by
    hand (a violation the user forced), or an automatic one that an edit could
    not move (a sync merged its predecessor's change, a whole-document save, a
    team holiday added since; schedule/scheduling.py moves it when it is saved).
    Tasks in a loop are left to the loop's own problem: none of them can be placed."""
    out: list[Doc] = []
    live = scan.live
    looped = {t for loop in loops for t in loop}
    for rid in scan.graph:  # the tasks with live dependencies
        if rid in looped:
            continue
        task = live[rid]
        found = violations(task, live.get, cal)
        if not found:
            continue
        refs = by_label(
            [
                task_ref(
                    live[v["predecessor"]], project_name(live[v["predecessor"]].get("project_id"))
                )
                for v in found
            ]
        )
        earliest = max(v["earliest"] for v in found)
        out.append(
            {
                "id": f"early_start:{rid}",
                "kind": "early_start",
                "message": (
                    f"Task {label(task, 'name')!r} "
                    + ("is scheduled by hand to start" if task.get("manual") else "starts")
                    + f" on {task.get('start')}, before {names([r['label'] for r in refs])} "
                    f"end(s): it could start on {earliest} at the earliest. Schedule it "
                    "automatically, or move it yourself."
                ),
                "subject": task_ref(task, project_name(task.get("project_id"))),
                "records": refs,
                "earliest": earliest,
                "manual": bool(task.get("manual")),
                "actions": [{"action": "schedule_task"}],
            }
        )
    return out


def product_problems(index: Any) -> list[Doc]:
    out = []
    for sku, doc_ids in sorted(index.shared_skus().items()):
        docs = [index.docs[i] for i in doc_ids]
        refs = by_label(
            [
                ref(
                    "products",
                    d,
                    sku=d.get("sku"),
                    price=d.get("price"),
                    price_decimal=cents_text(d["price"])
                    if isinstance(d.get("price"), int)
                    else None,
                    supplier=d.get("supplier"),
                    updated_at=d.get("updated_at"),
                )
                for d in docs
            ]
        )
        shown = docs[0].get("sku")
        out.append(
            {
                "id": f"duplicate_sku:{sku}",
                "kind": "duplicate_sku",
                "sku": shown,
                "message": (
                    f"{len(refs)} products have the SKU {shown!r}: "
                    f"{names([r['label'] for r in refs])}. A SKU belongs to one "
                    "product; these were added on different devices. Keep one, or "
                    "give the others a new SKU."
                ),
                "subject": None,
                "records": refs,
                "actions": [
                    {"action": a, "product": r["id"]}
                    for r in refs
                    for a in ("keep_product", "change_sku")
                ],
            }
        )
    return out


def order_problems(store: Store) -> list[Doc]:
    by_digest: dict[str, dict[str, Doc]] = {}
    for doc in store.table(ORDERS).all():
        if doc.get("deleted") or not isinstance(doc.get("id"), str):
            continue
        for source in [doc.get("source_file"), *(doc.get("attachments") or ())]:
            digest = source.get("sha256") if isinstance(source, dict) else None
            if isinstance(digest, str):
                by_digest.setdefault(digest, {})[doc["id"]] = doc
    out, seen = [], set()
    for digest, docs in sorted(by_digest.items()):
        if len(docs) < 2 or frozenset(docs) in seen:
            continue
        seen.add(frozenset(docs))
        refs = sorted(
            (
                ref(
                    ORDERS,
                    d,
                    customer=d.get("customer"),
                    date=d.get("date"),
                    created_at=d.get("created_at"),
                    total=d.get("total"),
                    line_count=d.get("line_count"),
                )
                for d in docs.values()
            ),
            key=lambda r: (str(r["created_at"]), str(r["id"])),
        )
        out.append(
            {
                "id": f"duplicate_order:{digest}",
                "kind": "duplicate_order",
                "message": (
                    f"One order file was uploaded as {len(refs)} orders: "
                    f"{names([r['label'] for r in refs])} (on different devices). "
                    "Statistics count it each time. Keep one."
                ),
                "subject": None,
                "records": refs,
                "actions": [{"action": "keep_order", "order": r["id"]} for r in refs],
            }
        )
    return out


def cycles(graph: dict[str, list[str]]) -> list[list[str]]:
    """Loops in a dependency graph, each as its tasks in order (a depends on b ...),
    starting from its smallest id so every device names it alike. A task is in
    at most one listed loop: breaking that one shows the next. Takes the graph
    apart as it goes."""
    found: list[list[str]] = []
    while len(found) < MAX_CYCLES:
        path = find_cycle(graph)
        if path is None:
            break
        loop = path[:-1]
        first = loop.index(min(loop))
        found.append(loop[first:] + loop[:first])
        for rid in loop:
            graph.pop(rid, None)
    return found
