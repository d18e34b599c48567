"""Dependencies that schedule: a task starts after its predecessors end.

The rule is finish-to-start in calendar days: a task starts on or after the
day after each predecessor's end (on or after a milestone's day, which has no
length). When a task moves or grows, its successors that would start too
early move later by as much as they must, keeping their length, and so on
down the chain (auto-scheduling). A task marked `manual` is never moved: it
keeps its dates, and the violation is shown (`violations`) instead of hidden.
Nothing moves earlier on its own: a move that makes room leaves the rest as
it is, as in MS Project's default.

Pure functions over plain task documents; no I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date, timedelta
from typing import Any

Task = Mapping[str, Any]


def _day(text: Any) -> date | None:
    try:
        return date.fromisoformat(str(text))
    except ValueError:
        return None


def earliest_start(pred: Task) -> date | None:
    """The first day a successor of `pred` may start on."""
    end = _day(pred.get("end"))
    if end is None:
        return None
    return end if pred.get("milestone") else end + timedelta(days=1)


def reschedule(
    changed: Iterable[str],
    task_of: Callable[[str], Task | None],
    successors_of: Callable[[str], Iterable[str]],
) -> dict[str, tuple[str, str]]:
    """The tasks to move after the tasks `changed` moved: {id: (start, end)}.

    A changed task that now starts before a predecessor allows is placed too
    (unless manual), then its successors. `task_of` gives a task's current
    document (already with the changes),
    `successors_of` the ids of the tasks that depend on one. Each successor
    is placed once, after all its moved predecessors are (a topological order
    of the tasks reachable from `changed`), so a chain of 2,000 tasks is one
    pass. Cycles cannot be stored (rules.cycle_through), but a damaged graph
    only stops the walk, it never loops.
    """
    reach: set[str] = set(changed)
    stack = list(reach)
    while stack:
        for s in successors_of(stack.pop()):
            if s not in reach:
                reach.add(s)
                stack.append(s)
    # How many predecessors inside the reached part each task still waits for.
    waiting = dict.fromkeys(reach, 0)
    for t in reach:
        for s in successors_of(t):
            if s in waiting:
                waiting[s] += 1
    ready = [t for t, n in waiting.items() if n == 0]
    moved: dict[str, tuple[str, str]] = {}

    def current(rid: str) -> Task | None:
        task = task_of(rid)
        if task is None or rid not in moved:
            return task
        return {**task, "start": moved[rid][0], "end": moved[rid][1]}

    while ready:
        rid = ready.pop()
        task = current(rid)
        if task is not None and not task.get("manual"):
            new = _placed(task, [current(p) for p in task.get("depends_on") or ()])
            if new is not None:
                moved[rid] = new
        for s in successors_of(rid):
            if s in waiting:
                waiting[s] -= 1
                if waiting[s] == 0:
                    ready.append(s)
    return moved


def _placed(task: Task, preds: list[Task | None]) -> tuple[str, str] | None:
    """(start, end) that `task` must move to after `preds`, or None if it may stay."""
    start, end = _day(task.get("start")), _day(task.get("end"))
    if start is None or end is None:
        return None
    bounds = [b for b in (earliest_start(p) for p in preds if p is not None) if b is not None]
    if not bounds or max(bounds) <= start:
        return None
    shift = max(bounds) - start
    return (start + shift).isoformat(), (end + shift).isoformat()


def violations(task: Task, task_of: Callable[[str], Task | None]) -> list[dict[str, str]]:
    """The predecessors `task` starts too early for: [{predecessor, earliest}]."""
    start = _day(task.get("start"))
    if start is None:
        return []
    out = []
    for pid in task.get("depends_on") or ():
        pred = task_of(pid)
        bound = earliest_start(pred) if pred is not None else None
        if bound is not None and start < bound:
            out.append({"predecessor": pid, "earliest": bound.isoformat()})
    return out
