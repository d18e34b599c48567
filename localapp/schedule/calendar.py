"""The working-day calendar: weekends, China's statutory holidays and the
make-up workdays (调休) that the State Council announces each year, with the
team's own days on top (`WorkCalendar`: company holidays, extra workdays,
the `calendar_days` records people edit and import, which win over the
national calendar on their date).

The holidays come from the maintained `chinesecalendar` package (PyPI
chinesecalendar; it knows each year once the schedule is announced, late in
the year before). A year it does not know yet counts weekends only, and says
so (`known`), rather than guessing.

Pure functions; no I/O.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable, Mapping
from typing import Any

import chinese_calendar

#: Chinese names of the holidays the package names in English
HOLIDAY_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利70周年纪念日",
}
#: the longest range one call describes (the chart shows a few months at most)
MAX_DAYS = 3 * 366


@functools.cache
def known_years() -> range:
    """The years whose holidays the installed package knows."""
    years = {d.year for d in chinese_calendar.holidays} | {
        d.year for d in chinese_calendar.workdays
    }
    return range(min(years), max(years) + 1)


def special_days(start: dt.date, end: dt.date) -> list[dict[str, Any]]:
    """The days from `start` to `end` (inclusive) that are not ordinary: holidays
    (`"kind": "holiday"`, on weekdays and on the weekend days inside them) and
    make-up workdays on a weekend (`"kind": "workday"`), each with the holiday's
    name in Chinese and English. Weekends are not listed: every client knows them.
    """
    if end < start:
        raise ValueError("the end is before the start")
    if (end - start).days > MAX_DAYS:
        raise ValueError(f"at most {MAX_DAYS} days at a time")
    years = known_years()
    out: list[dict[str, Any]] = []
    day = start
    while day <= end:
        if day.year in years:
            holiday, name = chinese_calendar.get_holiday_detail(day)
            weekend = day.weekday() >= 5
            if holiday and name is not None:
                out.append(_entry(day, "holiday", name))
            elif not holiday and weekend:
                out.append(_entry(day, "workday", _lieu_of(day)))
        day += dt.timedelta(days=1)
    return out


def _lieu_of(day: dt.date) -> str | None:
    """The holiday a make-up workday is for (the package names it), if known."""
    name = chinese_calendar.workdays.get(day)
    return name if isinstance(name, str) else None


def _entry(day: dt.date, kind: str, name: str | None) -> dict[str, Any]:
    return {
        "date": day.isoformat(),
        "kind": kind,
        "name": name,
        "name_zh": HOLIDAY_NAMES.get(name or "", name),
    }


@functools.lru_cache(maxsize=16384)  # a scheduling pass asks about the same days often
def national_workday(day: dt.date) -> bool:
    """Whether `day` is a working day nationally (weekends only, for a year not known yet)."""
    if day.year in known_years():
        return bool(chinese_calendar.is_workday(day))
    return day.weekday() < 5


_DAY = dt.timedelta(days=1)
#: what a team day can be
TEAM_KINDS = ("holiday", "workday")


class WorkCalendar:
    """The national calendar with a team's own days on top (they win on their date)."""

    def __init__(self, team: Mapping[dt.date, tuple[str, str]] | None = None) -> None:
        #: date -> (kind, name) of the team's days
        self.team = dict(team or {})

    @classmethod
    def of(cls, docs: Iterable[Mapping[str, Any]]) -> WorkCalendar:
        """The calendar with these live `calendar_days` documents on top."""
        team: dict[dt.date, tuple[str, str]] = {}
        for doc in docs:
            try:
                day = dt.date.fromisoformat(str(doc.get("date")))
            except ValueError:
                continue  # a damaged document is not a day off
            if doc.get("kind") in TEAM_KINDS:
                team[day] = (str(doc["kind"]), str(doc.get("name") or ""))
        return cls(team)

    def is_workday(self, day: dt.date) -> bool:
        own = self.team.get(day)
        return own[0] == "workday" if own is not None else national_workday(day)

    def next_workday(self, day: dt.date) -> dt.date:
        """`day` if it is worked, else the first working day after it."""
        while not self.is_workday(day):
            day += _DAY
        return day

    def previous_workday(self, day: dt.date) -> dt.date:
        """`day` if it is worked, else the last working day before it."""
        while not self.is_workday(day):
            day -= _DAY
        return day

    def add_workdays(self, day: dt.date, n: int) -> dt.date:
        """The working day `n` working days after (n < 0: before) working day `day`."""
        step = _DAY if n >= 0 else -_DAY
        for _ in range(abs(n)):
            day += step
            while not self.is_workday(day):
                day += step
        return day

    def workdays(self, start: dt.date, end: dt.date) -> int:
        """How many working days from `start` to `end`, both included (0 if none)."""
        count, day = 0, start
        while day <= end:
            count += self.is_workday(day)
            day += _DAY
        return count

    def special_days(self, start: dt.date, end: dt.date) -> list[dict[str, Any]]:
        """`special_days` with the team's days in their place (`"team": true`);
        a team day that only repeats what the day is anyway is listed too."""
        national = [d for d in special_days(start, end) if self._date(d) not in self.team]
        own = [
            {"date": day.isoformat(), "kind": kind, "name": name, "name_zh": name, "team": True}
            for day, (kind, name) in self.team.items()
            if start <= day <= end
        ]
        return sorted(national + own, key=lambda d: str(d["date"]))

    @staticmethod
    def _date(entry: Mapping[str, Any]) -> dt.date:
        return dt.date.fromisoformat(str(entry["date"]))


#: the national calendar alone (no team days)
NATIONAL = WorkCalendar()
