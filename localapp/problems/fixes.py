"""The fixes of data problems. Each is an ordinary edit made through the schedule,
the catalogue or the orders, so their rules are checked again (a new SKU must
be free) and the edit syncs to every device like any other."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .. import errors
from ..catalogue import Catalogue
from ..catalogue.orders import ORDERS, Orders
from ..catalogue.search import fold
from ..schedule import PROJECTS, TASKS, TYPES, Schedule, spec
from .describe import Doc, FixBlocked, ProblemGone, invalid_request, label, ref


class Fixes:
    """Each fix: (problem, the chosen action entry, the request, by) -> changed records."""

    def __init__(self, schedule: Schedule, catalogue: Catalogue, orders: Orders) -> None:
        self.schedule = schedule
        self.catalogue = catalogue
        self.orders = orders

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
                    ref(kind, found[1])
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
                        f"Task {label(doc, 'name')!r} cannot be restored: {what} "
                        f"{'is' if len(blocked) == 1 else 'are'} deleted too. Remove the "
                        "link to it instead.",
                        extra={"task": label(doc, "name"), "blocked_by": blocked},
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
        for record in problem["records"]:
            self.schedule.delete(TASKS, record["id"])
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

    def _fix_schedule_task(
        self, problem: Doc, chosen: Doc, data: Mapping[str, Any], by: str
    ) -> list[Doc]:
        # No longer manual: the schedule places it after its predecessors.
        return self._edit_tasks([(problem["subject"]["id"], {"manual": False})])

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
            raise invalid_request(
                {"sku": "required"}, {"sku": "required"}, "Enter the product's new SKU."
            )
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
