"""Resource load: how many working days of tasks each assignee has in each week,
against the working days that week has (weekends, China's holidays and 调休,
the team's days: calendar.py).

A task counts one day of work for its assignee on each of its working days
(a milestone counts none); two tasks on the same day are two days of work in
one day, which is what an overload is. Pure functions; no I/O.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from .calendar import WorkCalendar

#: the most weeks one answer covers (a year)
MAX_WEEKS = 53
_DAY = dt.timedelta(days=1)


def monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def weekly_load(
    tasks: Iterable[Mapping[str, Any]], start: dt.date, end: dt.date, cal: WorkCalendar
) -> dict[str, Any]:
    """Per assignee, per week from `start`'s Monday to `end`'s week: `{"weeks":
    [{"start", "capacity"}], "people": [{"assignee", "days": [..], "tasks": [..],
    "overloaded": [week index, ...]}]}`, people by name; tasks without an
    assignee are under "" (unassigned), never overloaded."""
    first = monday(start)
    weeks: list[dt.date] = []
    week = first
    while week <= end and len(weeks) < MAX_WEEKS:
        weeks.append(week)
        week += dt.timedelta(days=7)
    capacity = [cal.workdays(w, w + dt.timedelta(days=6)) for w in weeks]
    days: dict[str, list[int]] = {}
    counts: dict[str, list[int]] = {}
    last = weeks[-1] + dt.timedelta(days=6) if weeks else first
    for task in tasks:
        if task.get("milestone"):
            continue
        try:
            t_start = dt.date.fromisoformat(str(task.get("start")))
            t_end = dt.date.fromisoformat(str(task.get("end")))
        except ValueError:
            continue
        who = str(task.get("assignee") or "")
        row = days.setdefault(who, [0] * len(weeks))
        seen = counts.setdefault(who, [0] * len(weeks))
        day, stop = max(t_start, first), min(t_end, last)
        touched: set[int] = set()
        while day <= stop:
            if cal.is_workday(day):
                i = (day - first).days // 7
                row[i] += 1
                touched.add(i)
            day += _DAY
        for i in touched:
            seen[i] += 1
    people = [
        {
            "assignee": who,
            "days": days[who],
            "tasks": counts[who],
            # unassigned work is nobody's overload: it is shown, never flagged
            "overloaded": [i for i, n in enumerate(days[who]) if who and n > capacity[i]],
        }
        for who in sorted(days, key=lambda w: (w == "", w))
        if any(days[who])
    ]
    return {
        "weeks": [
            {"start": w.isoformat(), "capacity": c} for w, c in zip(weeks, capacity, strict=True)
        ],
        "people": people,
    }
