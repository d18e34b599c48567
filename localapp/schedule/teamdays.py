"""Reading a team calendar from a file: an iCalendar (.ics) file or the holiday-cn
JSON (github.com/NateScarlet/holiday-cn), into team days `{date, kind, name}`.

Each year's holidays are announced late in the year before, and a release of
the `chinesecalendar` package can lag behind; a team also has days of its
own (a company holiday, a Saturday worked before a deadline). Both formats
are recognised by their content, never by the file's name:

- holiday-cn JSON: `{"year", "days": [{"name", "date", "isOffDay"}]}`; a day
  off is a holiday, a day on (`isOffDay: false`) a workday (调休).
- iCalendar: every all-day event (`VEVENT`) covers the days from `DTSTART`
  up to, not including, `DTEND`. An event whose summary says it is worked
  (上班, 补班, 调休上班, or "(班)" / "workday") makes workdays; any other event
  makes holidays, named by its summary. holiday-cn publishes its years in
  this form too ("上班(补春节假期)").

The parsing is icalendar's (PyPI); this module only reads its events.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import icalendar

from .. import errors

#: the most days one file may hold (ten years of every day)
MAX_DAYS = 3660
#: how a summary says the day is worked
_WORKED = ("上班", "补班", "调休上班", "（班）", "(班)", "workday", "working day")
_NAME_LEN = 50


def read_days(data: bytes) -> list[dict[str, Any]]:
    """The team days in an .ics or holiday-cn JSON file, by date; `BadRequest`
    with a clear reason when the file is neither or holds no day."""
    text = _text(data)
    stripped = text.lstrip()
    if stripped.startswith("{"):
        days = _holiday_cn(stripped)
    elif stripped.upper().startswith("BEGIN:VCALENDAR"):
        days = _ics(stripped)
    else:
        raise _refused(
            "This file is neither an iCalendar (.ics) file nor holiday-cn JSON.", "not_a_calendar"
        )
    if not days:
        raise _refused("The file holds no days.", "no_days")
    if len(days) > MAX_DAYS:
        raise _refused(f"The file holds more than {MAX_DAYS} days.", "too_many_days")
    return [days[d] for d in sorted(days)]


def _text(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _refused("The file is not UTF-8 text.", "not_a_calendar") from None


def _refused(message: str, code: str) -> errors.ValidationError:
    return errors.ValidationError(
        message + " Choose an .ics calendar or a holiday-cn JSON file (YYYY.json).",
        fields={"file": code},
    )


def _day(date: dt.date, kind: str, name: str) -> dict[str, Any]:
    return {"date": date.isoformat(), "kind": kind, "name": name.strip()[:_NAME_LEN]}


def _holiday_cn(text: str) -> dict[str, dict[str, Any]]:
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise _refused(f"The JSON cannot be read ({exc}).", "not_a_calendar") from None
    entries = doc.get("days") if isinstance(doc, dict) else None
    if not isinstance(entries, list):
        raise _refused('The JSON has no "days" list.', "not_a_calendar")
    out: dict[str, dict[str, Any]] = {}
    for i, entry in enumerate(entries, 1):
        try:
            date = dt.date.fromisoformat(str(entry["date"]))
            off = entry["isOffDay"]
            if not isinstance(off, bool):
                raise TypeError
        except (KeyError, TypeError, ValueError):
            raise _refused(
                f'Day {i} of the JSON needs a "date" (YYYY-MM-DD) and "isOffDay" (true or false).',
                "not_a_calendar",
            ) from None
        day = _day(date, "holiday" if off else "workday", str(entry.get("name") or ""))
        out[day["date"]] = day
    return out


def _ics(text: str) -> dict[str, dict[str, Any]]:
    try:
        cal = icalendar.Calendar.from_ical(text)
    except ValueError as exc:
        raise _refused(f"The calendar cannot be read ({exc}).", "not_a_calendar") from None
    out: dict[str, dict[str, Any]] = {}
    for event in cal.walk("VEVENT"):
        start = event.decoded("DTSTART", None)
        if start is None:
            continue
        if isinstance(start, dt.datetime):
            start = start.date()
        end = event.decoded("DTEND", None)
        if isinstance(end, dt.datetime):
            end = end.date() + dt.timedelta(days=1)  # a timed event covers its day
        if not isinstance(end, dt.date) or end <= start:
            end = start + dt.timedelta(days=1)
        if (end - start).days > MAX_DAYS:
            raise _refused(f"An event lasts more than {MAX_DAYS} days.", "too_many_days")
        summary = str(event.get("SUMMARY") or "")
        kind = "workday" if any(w in summary.lower() for w in _WORKED) else "holiday"
        day = start
        while day < end:
            entry = _day(day, kind, summary)
            out[entry["date"]] = entry
            day += dt.timedelta(days=1)
    return out
