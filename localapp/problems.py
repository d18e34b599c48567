"""Rules between records that sync cannot keep: found in the data, with fixes.

Each device checks the rules between records where an edit is made: a SKU
belongs to one product, a task's project, type and dependencies exist and
form no loop, an order sheet is uploaded once. Sync merges record by record
(sync/merge.py), so edits made offline on two devices can together break a
rule that neither broke alone. No record is lost, but the result can hide
one from its user (the schedule shows only the tasks of live projects, and
the seed's whole-document save of /api/data is refused while such a task
exists), count one twice, or leave two products behind one SKU. This module
lists those states and offers fixes:

| kind                 | what                                          | fixes (`action`)                                   |
|----------------------|-----------------------------------------------|----------------------------------------------------|
| `orphan_tasks`       | live tasks of a deleted project               | `restore_project`, `delete_tasks`                  |
| `missing_type`       | live tasks of a deleted task type             | `restore_type`, `clear_type`                       |
| `missing_dependency` | a live task depending on deleted tasks        | `restore_task` (one of them), `drop_dependencies`  |
| `dependency_cycle`   | tasks depending on each other in a loop       | `drop_link` (one link of the loop)                 |
| `duplicate_sku`      | live products sharing a SKU (case ignored)    | `keep_product` (delete the others), `change_sku`   |
| `duplicate_order`    | one order file behind several live orders     | `keep_order` (delete the others)                   |

A reference to a record this store has never seen, not even as a tombstone,
is not listed: it is a record whose own change has not arrived yet.

Every fix is an ordinary edit made through schedule.py, catalogue.py or
orders.py, so their rules are checked again (a new SKU must be free) and the
edit syncs to every device like any other. The problem is looked up again
inside the fix's transaction; one fixed meanwhile (on another device, say)
raises `ProblemGone`. The list is cached until a table it reads changes (a
store listener), so polling it costs nothing between edits, and duplicate
SKUs cost nothing to find: the search index keeps them (search.py).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from . import errors
from .catalogue import Catalogue
from .catalogue.orders import ORDERS, Orders
from .catalogue.search import fold
from .money import cents_text
from .records import gc_paused
from .schedule import PROJECTS, TASKS, TYPES, Schedule, find_cycle, spec

Doc = dict[str, Any]

#: Kinds in the order they are listed; the schedule's first, since a task
#: with several problems is best fixed from its project down.
KINDS: tuple[str, ...] = (
    "orphan_tasks",
    "missing_type",
    "missing_dependency",
    "dependency_cycle",
    "duplicate_sku",
    "duplicate_order",
)
ACTIONS: dict[str, tuple[str, ...]] = {
    "orphan_tasks": ("restore_project", "delete_tasks"),
    "missing_type": ("restore_type", "clear_type"),
    "missing_dependency": ("restore_task", "drop_dependencies"),
    "dependency_cycle": ("drop_link",),
    "duplicate_sku": ("keep_product", "change_sku"),
    "duplicate_order": ("keep_order",),
}
#: What an action names besides the problem: the record(s) it acts on.
TARGETS: dict[str, tuple[str, ...]] = {
    "restore_task": ("task",),
    "drop_link": ("task", "depends_on"),
    "keep_product": ("product",),
    "change_sku": ("product",),
    "keep_order": ("order",),
}
#: At most this many problems are listed (the total is always exact).
LIST_LIMIT = 200
#: Loops are found one at a time, each in one pass over the graph.
MAX_CYCLES = 100
#: Names a message lists before "and N more".
NAMES_SHOWN = 5


class ProblemGone(errors.AppError):
    """The problem a fix names is not there any more."""

    status = 409
    code = "problem_gone"
    title = "Already fixed"


class FixBlocked(errors.AppError):
    """A fix cannot be made before another problem is settled."""

    status = 409
    code = "fix_blocked"
    title = "Fix another problem first"


def _names(labels: list[str]) -> str:
    shown = ", ".join(repr(x) for x in labels[:NAMES_SHOWN])
    more = len(labels) - NAMES_SHOWN
    return f"{shown} and {more} more" if more > 0 else shown


def _label(doc: Mapping[str, Any], *fields: str) -> str:
    for name in fields:
        value = doc.get(name)
        if isinstance(value, str) and value.strip():
            return value
    return str(doc.get("id") or "")


def _ref(table: str, doc: Mapping[str, Any], **extra: Any) -> Doc:
    """A record as a problem names it: table, id, a label for people, a few details."""
    label = _label(doc, "number" if table == ORDERS else "name", "sku")
    return {
        "table": table,
        "id": doc.get("id"),
        "label": label,
        "deleted": bool(doc.get("deleted")),
        **extra,
    }


def _task_ref(doc: Mapping[str, Any], project_name: str | None = None) -> Doc:
    return _ref(
        TASKS,
        doc,
        start=doc.get("start"),
        end=doc.get("end"),
        project_id=doc.get("project_id"),
        project=project_name,
    )


def _stored(m: Any, table: str, rid: str) -> Doc:
    """A schedule record known to be stored (live or a tombstone)."""
    found = m.find(table, rid)
    assert found is not None
    return dict(found[1])


def _deleted(m: Any, table: str) -> set[str]:
    """The ids of a schedule table's tombstones."""
    docs = m.docs[table]
    return {rid for rid, i in m.ids[table].items() if docs[i].get("deleted")}


def _by_label(refs: list[Doc]) -> list[Doc]:
    return sorted(refs, key=lambda r: (r["label"].casefold(), str(r["id"])))


def _invalid(fields: dict[str, str], codes: dict[str, str], message: str) -> errors.ValidationError:
    return errors.ValidationError(message, fields=fields, extra={"field_codes": codes})


class Problems:
    """Finds and fixes the problems of one store. Create one per store and keep it."""

    def __init__(self, schedule: Schedule, catalogue: Catalogue, orders: Orders) -> None:
        if schedule.store is not catalogue.store:
            raise ValueError("the schedule and the catalogue must share one store")
        self.schedule = schedule
        self.catalogue = catalogue
        self.orders = orders
        self.store = catalogue.store
        self._versions = {"schedule": 0, "orders": 0}
        self._cache: dict[str, tuple[Any, list[Doc]]] = {}
        self.store.add_listener(self._changed)

    def _changed(self, table: str | None, keys: set[str] | None) -> None:
        if table is None or table in (PROJECTS, TASKS, TYPES):
            self._versions["schedule"] += 1
        if table is None or table == ORDERS:
            self._versions["orders"] += 1

    def _cached(self, part: str, version: Any, compute: Callable[[], list[Doc]]) -> list[Doc]:
        hit = self._cache.get(part)
        if hit is not None and hit[0] == version:
            return hit[1]
        found = compute()
        self._cache[part] = (version, found)
        return found

    # -- finding ---------------------------------------------------------------

    def find(self) -> list[Doc]:
        """Every problem, in `KINDS` order. The dicts are shared with the cache:
        read them, do not change them."""
        with self.store.reading():
            # The version is read under the lock, after the store has caught
            # up with other processes (which tells the listener).
            # Paused: with 100,000 products in memory a full collection
            # triggered by this pass's allocations would cost more than the pass.
            with gc_paused():
                schedule = self._cached(
                    "schedule", self._versions["schedule"], self._schedule_problems
                )
            with self.catalogue.reading() as index:
                products = self._cached(
                    "products", index.version, lambda: self._product_problems(index)
                )
            orders = self._cached("orders", self._versions["orders"], self._order_problems)
        return [*schedule, *products, *orders]

    def listing(self, limit: int = LIST_LIMIT) -> Doc:
        """`{"items", "total", "counts"}`: the first `limit` problems, how many
        there are, and how many of each kind."""
        found = self.find()
        counts = {kind: 0 for kind in KINDS}
        for problem in found:
            counts[problem["kind"]] += 1
        return {
            "items": found[:limit],
            "total": len(found),
            "counts": {k: n for k, n in counts.items() if n},
        }

    def _schedule_problems(self) -> list[Doc]:
        """One pass over the live tasks: broken references, then loops."""
        with self.schedule.reading() as m:
            dead_projects, dead_types = _deleted(m, PROJECTS), _deleted(m, TYPES)
            tasks = m.docs[TASKS]
            live: dict[str, Doc] = {}
            dead_tasks: set[str] = set()
            for rid, i in m.ids[TASKS].items():
                doc = tasks[i]
                if doc.get("deleted"):
                    dead_tasks.add(rid)
                else:
                    live[rid] = doc
            orphans: dict[str, list[Doc]] = {}
            untyped: dict[str, list[Doc]] = {}
            dangling: dict[str, list[str]] = {}  # task id -> deleted tasks it depends on
            graph: dict[str, list[str]] = {}
            for rid, doc in live.items():
                pid = doc.get("project_id")
                if pid.__class__ is str and pid in dead_projects:
                    orphans.setdefault(pid, []).append(doc)
                tid = doc.get("type_id")
                if tid.__class__ is str and tid in dead_types:
                    untyped.setdefault(tid, []).append(doc)
                deps = doc.get("depends_on")
                if not deps or deps.__class__ is not list:
                    continue
                try:
                    if all(map(live.__contains__, deps)):  # the common case, looped in C
                        graph[rid] = deps
                        continue
                except TypeError:  # an id that is not text: no link
                    pass
                links = [d for d in deps if d.__class__ is str and d in live]
                gone = [d for d in deps if d.__class__ is str and d in dead_tasks]
                if gone:
                    dangling[rid] = gone
                if links:
                    graph[rid] = links

            def project_name(pid: Any) -> str | None:
                found = m.find(PROJECTS, pid) if isinstance(pid, str) else None
                return _label(found[1], "name") if found else None

            out: list[Doc] = []
            for pid, members in orphans.items():
                project = _stored(m, PROJECTS, pid)
                refs = _by_label([_task_ref(t, _label(project, "name")) for t in members])
                name = _label(project, "name")
                out.append(
                    {
                        "id": f"orphan_tasks:{pid}",
                        "kind": "orphan_tasks",
                        "message": (
                            f"Project {name!r} was deleted, but {len(refs)} task(s) in it "
                            "were added or changed on another device meanwhile: "
                            f"{_names([r['label'] for r in refs])}. The schedule does not "
                            "show them. Restore the project, or delete the tasks."
                        ),
                        "subject": _ref(PROJECTS, project),
                        "records": refs,
                        "actions": [{"action": "restore_project"}, {"action": "delete_tasks"}],
                    }
                )
            for tid, members in untyped.items():
                kind_doc = _stored(m, TYPES, tid)
                refs = _by_label([_task_ref(t, project_name(t.get("project_id"))) for t in members])
                name = _label(kind_doc, "name")
                out.append(
                    {
                        "id": f"missing_type:{tid}",
                        "kind": "missing_type",
                        "message": (
                            f"Task type {name!r} was deleted, but {len(refs)} task(s) were "
                            "given it on another device meanwhile: "
                            f"{_names([r['label'] for r in refs])}. Restore the type, or "
                            "clear it from these tasks."
                        ),
                        "subject": _ref(TYPES, kind_doc),
                        "records": refs,
                        "actions": [{"action": "restore_type"}, {"action": "clear_type"}],
                    }
                )
            for rid, deps in dangling.items():
                task = live[rid]
                gone_tasks = [_stored(m, TASKS, d) for d in deps]
                refs = _by_label(
                    [_task_ref(d, project_name(d.get("project_id"))) for d in gone_tasks]
                )
                out.append(
                    {
                        "id": f"missing_dependency:{rid}",
                        "kind": "missing_dependency",
                        "message": (
                            f"Task {_label(task, 'name')!r} depends on "
                            f"{_names([r['label'] for r in refs])}, deleted on another "
                            "device. Restore a task it depends on, or remove these links."
                        ),
                        "subject": _task_ref(task, project_name(task.get("project_id"))),
                        "records": refs,
                        "actions": [
                            *({"action": "restore_task", "task": r["id"]} for r in refs),
                            {"action": "drop_dependencies"},
                        ],
                    }
                )
            for loop in _cycles(graph):
                refs = [_task_ref(live[t], project_name(live[t].get("project_id"))) for t in loop]
                loop_links = [
                    {"task": a, "depends_on": b}
                    for a, b in zip(loop, [*loop[1:], loop[0]], strict=True)
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
        order = {k: i for i, k in enumerate(KINDS)}
        out.sort(
            key=lambda p: (order[p["kind"]], (p["subject"] or p["records"][0])["label"], p["id"])
        )
        return out

    def _product_problems(self, index: Any) -> list[Doc]:
        out = []
        for sku, doc_ids in sorted(index.shared_skus().items()):
            docs = [index.docs[i] for i in doc_ids]
            refs = _by_label(
                [
                    _ref(
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
                        f"{_names([r['label'] for r in refs])}. A SKU belongs to one "
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

    def _order_problems(self) -> list[Doc]:
        by_digest: dict[str, dict[str, Doc]] = {}
        for doc in self.store.table(ORDERS).all():
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
                    _ref(
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
                        f"{_names([r['label'] for r in refs])} (on different devices). "
                        "Statistics count it each time. Keep one."
                    ),
                    "subject": None,
                    "records": refs,
                    "actions": [{"action": "keep_order", "order": r["id"]} for r in refs],
                }
            )
        return out

    # -- fixing ----------------------------------------------------------------

    def fix(self, data: Mapping[str, Any], *, by: str = "") -> Doc:
        """Apply one of a problem's fixes: `{"problem", "action", <targets>...}`.

        Returns `{"ok", "problem", "action", "fixed", "changed", "total"}`:
        whether the problem is gone now (keeping one of three products leaves
        none; a new SKU for one of three leaves two), the records changed, and
        how many problems are left.
        """
        if not isinstance(data, Mapping):
            raise _invalid(
                {"body": "must be a JSON object"},
                {"body": "not_an_object"},
                "The body must be a JSON object.",
            )
        missing = {
            k: "required"
            for k in ("problem", "action")
            if not isinstance(data.get(k), str) or not data.get(k)
        }
        if missing:
            raise _invalid(
                missing,
                dict.fromkeys(missing, "required"),
                "Say which problem to fix and how (problem, action).",
            )
        problem_id, action = str(data["problem"]), str(data["action"])
        with self.store.transaction():
            problem = next((p for p in self.find() if p["id"] == problem_id), None)
            if problem is None:
                raise ProblemGone(
                    "This problem is not there any more (perhaps it was fixed "
                    "on another device). The list has been refreshed."
                )
            allowed = ACTIONS[problem["kind"]]
            if action not in allowed:
                raise _invalid(
                    {"action": "must be one of " + ", ".join(allowed)},
                    {"action": "unknown_action"},
                    f"A {problem['kind']} problem is fixed with "
                    f"{' or '.join(allowed)}, not {action!r}.",
                )
            chosen = self._chosen(problem, action, data)
            changed = getattr(self, f"_fix_{action}")(problem, chosen, data, by)
            left = self.find()
        return {
            "ok": True,
            "problem": problem_id,
            "action": action,
            "fixed": all(p["id"] != problem_id for p in left),
            "changed": changed,
            "total": len(left),
        }

    @staticmethod
    def _chosen(problem: Doc, action: str, data: Mapping[str, Any]) -> Doc:
        """The problem's own action entry that the request names."""
        targets = TARGETS.get(action, ())
        bad = {k: "required" for k in targets if not isinstance(data.get(k), str)}
        if bad:
            raise _invalid(
                bad, dict.fromkeys(bad, "required"), f"{action} needs {' and '.join(targets)}."
            )
        for entry in problem["actions"]:
            if entry["action"] == action and all(entry[k] == data[k] for k in targets):
                return entry
        fields = dict.fromkeys(targets, "not one of this problem's records")
        raise _invalid(
            fields,
            dict.fromkeys(targets, "not_in_problem"),
            f"{action} can only act on the records this problem lists.",
        )

    # Each fix: (problem, the chosen action entry, the request, by) -> changed records.

    def _restore(self, table: str, rid: str) -> Doc:
        """Undelete a schedule record as it was, through `Schedule.create`."""
        with self.schedule.reading() as m:
            found = m.find(table, rid)
            if found is None or not found[1].get("deleted"):
                raise ProblemGone(
                    "That record is not deleted any more. The list has been refreshed."
                )
            doc = found[1]
            data = {k: doc[k] for k in spec(table) if k in doc}
            if table == TASKS:
                # As a delete does for the tasks that stay: links to tasks gone since.
                data["depends_on"] = [
                    d for d in data.get("depends_on") or () if m.live(TASKS, d) is not None
                ]
                refs = [(PROJECTS, doc.get("project_id")), (TYPES, doc.get("type_id"))]
                blocked = [
                    _ref(kind, found[1])
                    for kind, ref_id in refs
                    if isinstance(ref_id, str)
                    and (found := m.find(kind, ref_id)) is not None
                    and found[1].get("deleted")
                ]
                if blocked:
                    what = " and ".join(
                        f"its {'project' if b['table'] == PROJECTS else 'task type'} {b['label']!r}"
                        for b in blocked
                    )
                    raise FixBlocked(
                        f"Task {_label(doc, 'name')!r} cannot be restored: {what} "
                        f"{'is' if len(blocked) == 1 else 'are'} deleted too. Remove the "
                        "link to it instead.",
                        extra={"task": _label(doc, "name"), "blocked_by": blocked},
                    )
        self.schedule.create(table, {"id": rid, **data})
        return {"table": table, "id": rid, "change": "restored"}

    def _fix_restore_project(
        self, problem: Doc, chosen: Doc, data: Mapping[str, Any], by: str
    ) -> list[Doc]:
        return [self._restore(PROJECTS, problem["subject"]["id"])]

    def _fix_restore_type(
        self, problem: Doc, chosen: Doc, data: Mapping[str, Any], by: str
    ) -> list[Doc]:
        return [self._restore(TYPES, problem["subject"]["id"])]

    def _fix_restore_task(
        self, problem: Doc, chosen: Doc, data: Mapping[str, Any], by: str
    ) -> list[Doc]:
        return [self._restore(TASKS, chosen["task"])]

    def _fix_delete_tasks(
        self, problem: Doc, chosen: Doc, data: Mapping[str, Any], by: str
    ) -> list[Doc]:
        for ref in problem["records"]:
            self.schedule.delete(TASKS, ref["id"])
        return [{"table": TASKS, "id": r["id"], "change": "deleted"} for r in problem["records"]]

    def _edit_tasks(self, edits: Iterable[tuple[str, Doc]]) -> list[Doc]:
        changed = []
        for rid, values in edits:
            self.schedule.update(TASKS, rid, values)
            changed.append({"table": TASKS, "id": rid, "change": "edited"})
        return changed

    def _fix_clear_type(
        self, problem: Doc, chosen: Doc, data: Mapping[str, Any], by: str
    ) -> list[Doc]:
        return self._edit_tasks((r["id"], {"type_id": None}) for r in problem["records"])

    def _deps(self, rid: str) -> list[str]:
        return list(self.schedule.get(TASKS, rid).get("depends_on") or [])

    def _fix_drop_dependencies(
        self, problem: Doc, chosen: Doc, data: Mapping[str, Any], by: str
    ) -> list[Doc]:
        rid = problem["subject"]["id"]
        gone = {r["id"] for r in problem["records"]}
        return self._edit_tasks(
            [(rid, {"depends_on": [d for d in self._deps(rid) if d not in gone]})]
        )

    def _fix_drop_link(
        self, problem: Doc, chosen: Doc, data: Mapping[str, Any], by: str
    ) -> list[Doc]:
        rid = chosen["task"]
        return self._edit_tasks(
            [(rid, {"depends_on": [d for d in self._deps(rid) if d != chosen["depends_on"]]})]
        )

    def _fix_keep_product(
        self, problem: Doc, chosen: Doc, data: Mapping[str, Any], by: str
    ) -> list[Doc]:
        others = [r["id"] for r in problem["records"] if r["id"] != chosen["product"]]
        for rid in others:
            self.catalogue.delete(rid)
        return [{"table": "products", "id": rid, "change": "deleted"} for rid in others]

    def _fix_change_sku(
        self, problem: Doc, chosen: Doc, data: Mapping[str, Any], by: str
    ) -> list[Doc]:
        sku = data.get("sku")
        if not isinstance(sku, str) or not sku.strip():
            raise _invalid({"sku": "required"}, {"sku": "required"}, "Enter the product's new SKU.")
        if fold(sku) == problem["id"].removeprefix("duplicate_sku:"):
            # The catalogue lets a product keep its own SKU; here that settles nothing.
            other = next(r for r in problem["records"] if r["id"] != chosen["product"])
            raise errors.Conflict(
                f"SKU {sku.strip()!r} is the one these products share (also used by "
                f"{other['label']!r}). Enter a different SKU.",
                fields={"sku": f"already used by product {other['id']}"},
                extra={
                    "field_codes": {"sku": "duplicate_sku"},
                    "field_params": {
                        "sku": {"sku": sku.strip(), "name": other["label"], "id": other["id"]}
                    },
                },
            )
        self.catalogue.update(chosen["product"], {"sku": sku}, by=by)
        return [{"table": "products", "id": chosen["product"], "change": "edited"}]

    def _fix_keep_order(
        self, problem: Doc, chosen: Doc, data: Mapping[str, Any], by: str
    ) -> list[Doc]:
        others = [r["id"] for r in problem["records"] if r["id"] != chosen["order"]]
        for rid in others:
            self.orders.delete(rid)
        return [{"table": ORDERS, "id": rid, "change": "deleted"} for rid in others]


def _cycles(graph: dict[str, list[str]]) -> list[list[str]]:
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
