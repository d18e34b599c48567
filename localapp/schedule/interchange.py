"""Whole projects in and out of the schedule: MS Project XML (mspdi.py) today.

`import_project` makes a new project of a file's tasks in one transaction:
every task is checked like a REST create (fields.py), the file's ids are
replaced by new ones with its outline (`parent`) and links kept, and a loop
of links refuses the whole file. Nothing is rescheduled: the dates are the
file's, and a task that now starts too early by this calendar (China's
holidays are not MS Project's) is shown as a problem, like any other.

`export_project` writes one project's live tasks back (mspdi.write), with the
working-day calendar's holidays and make-up workdays.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import errors
from ..records import new_id, now_iso, stamp_new, write
from . import mspdi
from .fields import PROJECTS, TASKS, clean_record, invalid_fields, public
from .rules import find_cycle

if TYPE_CHECKING:
    from .service import Schedule


def import_project(sched: Schedule, data: bytes) -> dict[str, Any]:
    """A new project from an MS Project XML file; {"project", "tasks", "notes"}."""
    found = mspdi.read(data)
    ids = {str(t["id"]): new_id() for t in found.tasks}
    graph = {ids[str(t["id"])]: [ids[d] for d in t["depends_on"]] for t in found.tasks}
    loop = find_cycle(graph)
    if loop:
        names = {ids[str(t["id"])]: t["name"] for t in found.tasks}
        raise errors.ValidationError(
            "The file's links make a loop: " + " → ".join(names[r] for r in loop),
            code="mspdi_loop",
            fields={"file": "links make a loop"},
        )
    now = now_iso()
    pid = new_id()
    project, problems = clean_record(PROJECTS, {"name": found.name})
    docs = []
    for i, task in enumerate(found.tasks, 1):
        body = {
            **{k: v for k, v in task.items() if k != "id"},
            "project_id": pid,
            "parent": ids.get(str(task.get("parent"))),
            "depends_on": [ids[d] for d in task["depends_on"]],
            "links": {ids[d]: spec for d, spec in task["links"].items()},
        }
        content, bad = clean_record(TASKS, body)
        problems.update({f"tasks[{i}].{k}": v for k, v in bad.items()})
        docs.append(stamp_new(ids[str(task["id"])], content, now))
    if problems:
        raise invalid_fields(problems, "The project was not imported")
    made = stamp_new(pid, project, now)
    with sched.writing():
        write(sched.store, PROJECTS, [made], {})
        write(sched.store, TASKS, docs, {})
    return {"project": public(made), "tasks": len(docs), "notes": found.notes}


def export_project(sched: Schedule, project_id: str) -> tuple[str, bytes]:
    """(the project's name, its MS Project XML file)."""
    project = sched.get(PROJECTS, project_id)
    tasks = sched.tasks_for_export({"project_id": project_id}).tasks
    body = mspdi.write(str(project.get("name") or project_id), tasks, sched.work_calendar())
    return str(project.get("name") or ""), body
