"""How a data problem names records and says what is wrong: the problem kinds,
their fixes, and the record references and messages they carry."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .. import errors
from ..catalogue.orders import ORDERS
from ..schedule import TASKS

Doc = dict[str, Any]

#: Kinds in the order they are listed; the schedule's first, since a task
#: with several problems is best fixed from its project down.
KINDS: tuple[str, ...] = (
    "orphan_tasks",
    "missing_type",
    "missing_dependency",
    "dependency_cycle",
    "early_start",
    "duplicate_sku",
    "duplicate_order",
)
ACTIONS: dict[str, tuple[str, ...]] = {
    "orphan_tasks": ("restore_project", "delete_tasks"),
    "missing_type": ("restore_type", "clear_type"),
    "missing_dependency": ("restore_task", "drop_dependencies"),
    "dependency_cycle": ("drop_link",),
    "early_start": ("schedule_task",),
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


def names(labels: list[str]) -> str:
    shown = ", ".join(repr(x) for x in labels[:NAMES_SHOWN])
    more = len(labels) - NAMES_SHOWN
    return f"{shown} and {more} more" if more > 0 else shown


def label(doc: Mapping[str, Any], *fields: str) -> str:
    for name in fields:
        value = doc.get(name)
        if isinstance(value, str) and value.strip():
            return value
    return str(doc.get("id") or "")


def ref(table: str, doc: Mapping[str, Any], **extra: Any) -> Doc:
    """A record as a problem names it: table, id, a label for people, a few details."""
    return {
        "table": table,
        "id": doc.get("id"),
        "label": label(doc, "number" if table == ORDERS else "name", "sku"),
        "deleted": bool(doc.get("deleted")),
        **extra,
    }


def task_ref(doc: Mapping[str, Any], project_name: str | None = None) -> Doc:
    return ref(
        TASKS,
        doc,
        start=doc.get("start"),
        end=doc.get("end"),
        project_id=doc.get("project_id"),
        project=project_name,
    )


def stored(m: Any, table: str, rid: str) -> Doc:
    """A schedule record known to be stored (live or a tombstone)."""
    found = m.find(table, rid)
    assert found is not None
    return dict(found[1])


def deleted_ids(m: Any, table: str) -> set[str]:
    """The ids of a schedule table's tombstones."""
    docs = m.docs[table]
    return {rid for rid, i in m.ids[table].items() if docs[i].get("deleted")}


def by_label(refs: list[Doc]) -> list[Doc]:
    return sorted(refs, key=lambda r: (r["label"].casefold(), str(r["id"])))


def invalid_request(
    fields: dict[str, str], codes: dict[str, str], message: str
) -> errors.ValidationError:
    return errors.ValidationError(message, fields=fields, extra={"field_codes": codes})
