"""Dependencies that schedule: a task starts after its predecessors end.

The rule is finish-to-start in working days (calendar.py: weekends, China's
holidays, the weekend days worked in lieu, 调休, and the team's own days; each
function takes the `WorkCalendar` to count with): a task starts on or
after the first working day after each predecessor's end (on or after a
milestone's day, which has no length). When a task moves or grows, its
successors that would start too early move later by as much as they must,
keeping their length in working days, and so on down the chain
(auto-scheduling). A task marked `manual` is never moved: it
keeps its dates, and the violation is shown (`violations`) instead of hidden.
Nothing moves earlier on its own: a move that makes room leaves the rest as
it is, as in MS Project's default.

Pure functions over plain task documents; no I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date, timedelta
from typing import Any

from .calendar import NATIONAL, WorkCalendar

Task = Mapping[str, Any]


def _day(text: Any) -> date | None:
    try:
        return date.fromisoformat(str(text))
    except ValueError:
        return None


def earliest_start(pred: Task, cal: WorkCalendar = NATIONAL) -> date | None:
    """The first (working) day a successor of `pred` may start on."""
    end = _day(pred.get("end"))
    if end is None:
        return None
    return cal.next_workday(end if pred.get("milestone") else end + timedelta(days=1))


def reschedule(
    changed: Iterable[str],
    task_of: Callable[[str], Task | None],
    successors_of: Callable[[str], Iterable[str]],
    cal: WorkCalendar = NATIONAL,
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
    order, _in_cycles = _topological(sorted(reach), successors_of)
    moved: dict[str, tuple[str, str]] = {}

    def current(rid: str) -> Task | None:
        task = task_of(rid)
        if task is None or rid not in moved:
            return task
        return {**task, "start": moved[rid][0], "end": moved[rid][1]}

    for rid in order:
        task = current(rid)
        if task is not None and not task.get("manual"):
            new = _placed(task, [current(p) for p in task.get("depends_on") or ()], cal)
            if new is not None:
                moved[rid] = new
    return moved


def _placed(task: Task, preds: list[Task | None], cal: WorkCalendar) -> tuple[str, str] | None:
    """(start, end) that `task` must move to after `preds`, or None if it may stay."""
    start, end = _day(task.get("start")), _day(task.get("end"))
    if start is None or end is None:
        return None
    bounds = [b for b in (earliest_start(p, cal) for p in preds if p is not None) if b is not None]
    if not bounds or max(bounds) <= start:
        return None
    # As long in working days as it was (a one-day task on a holiday stays one day).
    length = max(1, cal.workdays(start, end))
    new_start = max(bounds)
    return new_start.isoformat(), cal.add_workdays(new_start, length - 1).isoformat()


def violations(
    task: Task, task_of: Callable[[str], Task | None], cal: WorkCalendar = NATIONAL
) -> list[dict[str, str]]:
    """The predecessors `task` starts too early for: [{predecessor, earliest}]."""
    start = _day(task.get("start"))
    if start is None:
        return []
    out = []
    for pid in task.get("depends_on") or ():
        pred = task_of(pid)
        bound = earliest_start(pred, cal) if pred is not None else None
        if bound is not None and start < bound:
            out.append({"predecessor": pid, "earliest": bound.isoformat()})
    return out


def slack(
    tasks: Mapping[str, Task],
    successors_of: Callable[[str], Iterable[str]],
    cal: WorkCalendar = NATIONAL,
) -> dict[str, int]:
    """Each task's total slack in working days: how much later it could end
    without making the last of `tasks` end later (the critical path has 0).

    A backward pass from the latest end among `tasks`: a task must end before
    its successors' latest start allows (the working day before it, or that
    day when it is a milestone, as `earliest_start` counts). Successors
    outside `tasks` are ignored; tasks with bad dates get no slack.
    """
    ends = {r: _day(t.get("end")) for r, t in tasks.items()}
    starts = {r: _day(t.get("start")) for r, t in tasks.items()}
    known = [e for e in ends.values() if e is not None]
    if not known:
        return {}
    finish = max(known)
    order, in_cycles = _topological([r for r in tasks if ends[r] is not None], successors_of)
    order += in_cycles
    latest_end: dict[str, date] = {}
    for rid in reversed(order):
        task = tasks[rid]
        bound = finish
        for s in successors_of(rid):
            s_start, s_end = starts.get(s), ends.get(s)
            if s not in latest_end or s_start is None or s_end is None:
                continue
            length = max(1, cal.workdays(s_start, s_end))
            latest_start = cal.add_workdays(cal.previous_workday(latest_end[s]), 1 - length)
            before = latest_start if task.get("milestone") else latest_start - timedelta(days=1)
            bound = min(bound, cal.previous_workday(before))
        latest_end[rid] = bound
    out: dict[str, int] = {}
    for rid, bound in latest_end.items():
        end = ends[rid]
        if end is not None:
            out[rid] = cal.workdays(end + timedelta(days=1), bound) if bound > end else 0
    return out


def _topological(
    ids: list[str], successors_of: Callable[[str], Iterable[str]]
) -> tuple[list[str], list[str]]:
    """(`ids` with every task before its successors (Kahn), the tasks of `ids`
    left over in a damaged cycle, in id order); links leaving `ids` are ignored."""
    inside = set(ids)
    waiting = dict.fromkeys(ids, 0)
    for r in ids:
        for s in successors_of(r):
            if s in inside:
                waiting[s] += 1
    ready = sorted((r for r, n in waiting.items() if n == 0), reverse=True)
    out: list[str] = []
    while ready:
        r = ready.pop()
        out.append(r)
        for s in successors_of(r):
            if s in inside:
                waiting[s] -= 1
                if waiting[s] == 0:
                    ready.append(s)
    placed = set(out)
    return out, sorted(r for r in ids if r not in placed)
