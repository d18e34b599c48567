"""Dependencies that schedule: a task starts after its predecessors end, or as
its link to each says.

The rule is finish-to-start in working days (calendar.py: weekends, China's
holidays, the weekend days worked in lieu, 调休, and the team's own days; each
function takes the `WorkCalendar` to count with): a task starts on or
after the first working day after each predecessor's end (on or after a
milestone's day, which has no length). When a task moves or grows, its
successors that would start too early move later by as much as they must,
keeping their length in working days, and so on down the chain
(auto-scheduling).

A link can say more (a task's `links`, by predecessor id; `link_of`): its type,
finish-to-start (FS, the default), start-to-start (SS: start no earlier than
the predecessor starts) or finish-to-finish (FF: end no earlier than it
ends), and a lag in working days added to that (negative: a lead). A task marked `manual` is never moved: it
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


#: the types of link, finish-to-start first (the default)
LINK_TYPES = ("FS", "SS", "FF")


def link_of(task: Task, pid: str) -> tuple[str, int]:
    """(type, lag in working days) of `task`'s link to predecessor `pid`."""
    links = task.get("links")
    spec = links.get(pid) if isinstance(links, Mapping) else None
    if not isinstance(spec, Mapping):
        return "FS", 0
    kind = spec.get("type") if spec.get("type") in LINK_TYPES else "FS"
    lag = spec.get("lag")
    return str(kind), lag if isinstance(lag, int) and not isinstance(lag, bool) else 0


def length_of(task: Task, cal: WorkCalendar = NATIONAL) -> int:
    """A task's length in working days, at least 1 (a one-day task on a holiday
    stays one day long); 1 without dates."""
    start, end = _day(task.get("start")), _day(task.get("end"))
    if start is None or end is None:
        return 1
    return max(1, cal.workdays(start, end))


def earliest_start(pred: Task, cal: WorkCalendar = NATIONAL) -> date | None:
    """The first (working) day a finish-to-start successor of `pred` may start on."""
    end = _day(pred.get("end"))
    if end is None:
        return None
    return cal.next_workday(end if pred.get("milestone") else end + timedelta(days=1))


def start_bound(task: Task, pred: Task, cal: WorkCalendar = NATIONAL) -> date | None:
    """The first (working) day `task` may start on because of its link to `pred`."""
    kind, lag = link_of(task, str(pred.get("id")))
    if kind == "SS":
        p_start = _day(pred.get("start"))
        first = cal.next_workday(p_start) if p_start is not None else None
    elif kind == "FF":
        p_end = _day(pred.get("end"))
        if p_end is None:
            return None
        # it ends on or after that day; as long as it is, it starts so much earlier
        earliest_end = cal.add_workdays(cal.previous_workday(p_end), lag)
        return cal.add_workdays(earliest_end, 1 - length_of(task, cal))
    else:
        first = earliest_start(pred, cal)
    return cal.add_workdays(first, lag) if first is not None else None


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
    bounds = [b for b in (start_bound(task, p, cal) for p in preds if p is not None) if b]
    if not bounds or max(bounds) <= start:
        return None
    # As long in working days as it was (a one-day task on a holiday stays one day).
    length = length_of(task, cal)
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
        bound = start_bound(task, pred, cal) if pred is not None else None
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

    A backward pass from the latest end among `tasks`: a task must end early
    enough for each successor's latest dates, as their link says (`start_bound`
    read backwards). Successors outside `tasks` are ignored; tasks with bad
    dates get no slack.
    """
    ends = {r: _day(t.get("end")) for r, t in tasks.items()}
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
            if s in latest_end and _day(tasks[s].get("start")) is not None:
                bound = min(bound, _latest_end_for(task, tasks[s], latest_end[s], cal))
        latest_end[rid] = bound
    out: dict[str, int] = {}
    for rid, bound in latest_end.items():
        end = ends[rid]
        if end is not None:
            out[rid] = cal.workdays(end + timedelta(days=1), bound) if bound > end else 0
    return out


def _latest_end_for(pred: Task, succ: Task, succ_latest_end: date, cal: WorkCalendar) -> date:
    """The latest day `pred` may end on so that `succ` can still end by
    `succ_latest_end`, by the link from `succ` to `pred`."""
    kind, lag = link_of(succ, str(pred.get("id")))
    latest_end = cal.previous_workday(succ_latest_end)
    if kind == "FF":
        return cal.add_workdays(latest_end, -lag)
    latest_start = cal.add_workdays(cal.add_workdays(latest_end, 1 - length_of(succ, cal)), -lag)
    if kind == "SS":  # it must start by then: it ends its length later
        return cal.add_workdays(cal.previous_workday(latest_start), length_of(pred, cal) - 1)
    before = latest_start if pred.get("milestone") else latest_start - timedelta(days=1)
    return cal.previous_workday(before)


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
