"""Summary tasks: a task that other tasks of its project name as their `parent`.

A summary task's dates and progress are its subtasks', rolled up, as in MS
Project, GanttProject and ProjectLibre:

- it starts when its earliest subtask starts and ends when its latest ends;
- its progress is its subtasks' progress weighted by their length in working
  days (a milestone weighs one day), rounded to a whole percent;
- a summary of summaries rolls up its subtree, level by level.

The service writes the rolled-up values whenever a subtask is written, in the
same transaction (`rollups`), so every reader (the list, `/api/data`, the
exports, the other devices through sync) sees the same dates, and an edit of
a summary task's own dates is replaced by its subtasks'.

The rules: a parent is a live task of the same project, not a milestone, and
following parents from a task never leads back to it (`parent_problem`).

Pure functions over plain task documents; no I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from .calendar import WorkCalendar
from .rules import label
from .scheduling import length_of

Task = Mapping[str, Any]
#: task id -> the live task, or None
Get = Callable[[str], Task | None]


def children_of(tasks: Iterable[Task]) -> dict[str, list[str]]:
    """{parent id: the ids of its live subtasks} over some tasks."""
    out: dict[str, list[str]] = {}
    for t in tasks:
        parent = t.get("parent")
        if parent and not t.get("deleted"):
            out.setdefault(str(parent), []).append(str(t["id"]))
    return out


def ancestors(rid: str, get: Get) -> list[str]:
    """The ids of a task's parent, its parent's parent, ... (nearest first),
    stopping at a missing task or a loop (which sync could make)."""
    out: list[str] = []
    seen = {rid}
    task = get(rid)
    while task is not None and task.get("parent"):
        parent = str(task["parent"])
        if parent in seen:
            break
        seen.add(parent)
        out.append(parent)
        task = get(parent)
    return out


def parent_problem(rid: str, content: Task, get: Get) -> str | None:
    """Why `content` (task `rid` about to be written) cannot have its parent, or None."""
    parent_id = content.get("parent")
    if not parent_id:
        return None
    parent = get(str(parent_id))
    if parent_id == rid:
        return "a task cannot be its own parent"
    if parent is None:
        return f"no such task: {parent_id}"
    if parent.get("project_id") != content.get("project_id"):
        return "must be a task of the same project"
    if parent.get("milestone"):
        return "a milestone cannot hold subtasks"
    above = ancestors(str(parent_id), get)
    if rid in above:
        chain = [rid, str(parent_id), *above[: above.index(rid) + 1]]
        names = [label(r, (get(r) or content).get("name")) for r in chain]
        return "would make a loop: " + " → ".join(names)
    return None


def rollup(children: Iterable[Task], cal: WorkCalendar) -> tuple[str, str, int] | None:
    """(start, end, progress) of a summary task with these subtasks, or None
    when none has dates."""
    starts: list[str] = []
    ends: list[str] = []
    weight = done = 0
    for child in children:
        start, end = child.get("start"), child.get("end")
        if not isinstance(start, str) or not isinstance(end, str):
            continue
        starts.append(start)
        ends.append(end)
        days = 1 if child.get("milestone") else length_of(child, cal)
        progress = child.get("progress")
        weight += days
        done += days * (progress if isinstance(progress, int) else 0)
    if not starts:
        return None
    return min(starts), max(ends), round(done / weight) if weight else 0


def rollups(
    touched: Iterable[str], get: Get, children: Mapping[str, list[str]], cal: WorkCalendar
) -> dict[str, tuple[str, str, int]]:
    """{summary id: its rolled-up (start, end, progress)} for every summary task
    at or above the `touched` tasks, in the state `get` and `children` give
    (the writes about to be made included). Deepest first, so each level
    rolls up the level below as it will be."""
    pending: list[str] = []
    for rid in touched:
        for up in [rid, *ancestors(rid, get)]:
            if up in children and up not in pending:
                pending.append(up)
    depth = {rid: len(ancestors(rid, get)) for rid in pending}
    out: dict[str, tuple[str, str, int]] = {}

    def current(r: str) -> Task | None:
        task = get(r)
        if task is None or r not in out:
            return task
        start, end, progress = out[r]
        return {**task, "start": start, "end": end, "progress": progress}

    for rid in sorted(pending, key=lambda r: -depth[r]):
        kids = [k for k in (current(c) for c in children[rid]) if k is not None]
        rolled = rollup(kids, cal)
        if rolled is not None:
            out[rid] = rolled
    return out
