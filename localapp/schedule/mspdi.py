"""MS Project XML (MSPDI), the interchange file MS Project, GanttProject and
ProjectLibre all read and write: one project's tasks, their outline, links,
calendar and people.

Reading (`read`) takes what a schedule here can hold:

- tasks by `UID`, skipping the project's own summary row (outline level 0)
  and blank rows (`IsNull`); the outline (`OutlineLevel`, in file order)
  becomes each task's `parent`, so summary tasks stay summary tasks;
- `Start` and `Finish` as dates (a finish at midnight ends the day before),
  `Milestone`, `PercentComplete`, `Manual`, `Notes`;
- links (`PredecessorLink`): finish-to-start, start-to-start and
  finish-to-finish with their lag in working days (`LinkLag` is in tenths of
  a minute, over the project's `MinutesPerDay`); a start-to-finish link,
  which the schedule does not have, comes in as finish-to-start and says so;
- the people assigned (`Assignments` to `Resources`) as the assignee.

Anything else (costs, work, custom fields, resource calendars) is left out,
and `Imported.notes` lists what was approximated, for the import's answer.

Writing (`write`) gives the same fields back, with the outline numbers,
durations in working days (8 hours a day), one resource per assignee and a
standard calendar (Monday to Friday, 08:00-12:00 and 13:00-17:00) whose
exceptions are the project's holidays and make-up workdays (调休) from the
working-day calendar, so the file schedules alike in MS Project.

The parsing is defusedxml's (no entity expansion, no external entities:
the file comes from anyone); the writing is the standard library's.
"""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from defusedxml import ElementTree as SafeET

from .. import errors
from .calendar import MAX_DAYS, WorkCalendar
from .scheduling import link_of

NS = "http://schemas.microsoft.com/project"
#: the largest file taken (a 10,000-task MS Project file is about 30 MB)
MAX_BYTES = 50 * 1024 * 1024
MAX_TASKS = 20_000
#: MSPDI link types
_TYPES_IN = {"0": "FF", "1": "FS", "2": "SF", "3": "SS"}
_TYPES_OUT = {"FF": "0", "FS": "1", "SS": "3"}
_LAG_IN_PERCENT = {"19", "20", "51", "52"}  # LagFormat: percent, elapsed percent (and estimated)
_HOURS_A_DAY = 8


@dataclass
class Imported:
    """What a file holds, as the schedule's records (ids are the file's UIDs)."""

    name: str
    tasks: list[dict[str, Any]]
    #: what was approximated: {"code", "count"} each, for the UI to say
    notes: list[dict[str, Any]] = field(default_factory=list)


def _bad(reason: str, code: str = "mspdi_invalid") -> errors.AppError:
    """A refusal naming what is wrong with the file (`code` for the UI's text)."""
    message = f"This is not an MS Project XML file that can be imported: {reason}"
    if code == "too_large":
        return errors.TooLarge(message, fields={"file": reason})
    return errors.ValidationError(message, code=code, fields={"file": reason})


def _text(el: ET.Element | None, name: str) -> str:
    found = el.find(f"{{{NS}}}{name}") if el is not None else None
    return (found.text or "").strip() if found is not None else ""


def _day(text: str) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        return None


def _parse(data: bytes) -> ET.Element:
    if len(data) > MAX_BYTES:
        raise _bad(f"it is larger than {MAX_BYTES // (1024 * 1024)} MB", "too_large")
    try:
        root = SafeET.fromstring(data)
    except Exception as e:  # defusedxml's refusals and expat's syntax errors alike
        raise _bad(f"the XML cannot be read ({type(e).__name__}: {e})") from e
    if root.tag != f"{{{NS}}}Project":
        raise _bad(f"its root element is {root.tag!r}, not MS Project's <Project>")
    return root


def read(data: bytes) -> Imported:
    """The project in an MSPDI file; `BadRequest` when it is not one."""
    root = _parse(data)
    minutes_a_day = int(_text(root, "MinutesPerDay") or 480) or 480
    name = _text(root, "Title") or _text(root, "Name").removesuffix(".xml") or "MS Project"
    people = {
        _text(r, "UID"): _text(r, "Name")
        for r in root.iterfind(f"{{{NS}}}Resources/{{{NS}}}Resource")
        if _text(r, "Name")
    }
    assigned: dict[str, list[str]] = {}
    for a in root.iterfind(f"{{{NS}}}Assignments/{{{NS}}}Assignment"):
        who = people.get(_text(a, "ResourceUID"))
        if who:
            assigned.setdefault(_text(a, "TaskUID"), []).append(who)
    out = Imported(name[:200], [])
    outline: list[tuple[int, str]] = []  # (level, uid) of the tasks above, for parents
    sf = 0
    rows = root.findall(f"{{{NS}}}Tasks/{{{NS}}}Task")
    if len(rows) > MAX_TASKS:
        raise _bad(f"it has {len(rows)} tasks; at most {MAX_TASKS} are taken", "too_large")
    for row in rows:
        uid, level = _text(row, "UID"), int(_text(row, "OutlineLevel") or 1)
        if level < 1 or _text(row, "IsNull") == "1" or not uid:
            continue
        task, links_sf = _task(row, uid, minutes_a_day, assigned.get(uid, []))
        sf += links_sf
        if task is None:
            continue
        while outline and outline[-1][0] >= level:
            outline.pop()
        task["parent"] = outline[-1][1] if outline else None
        outline.append((level, uid))
        out.tasks.append(task)
    if not out.tasks:
        raise _bad("it holds no task with a name and dates", "mspdi_empty")
    known = {t["id"] for t in out.tasks}
    for t in out.tasks:  # links to tasks left out (blank rows, other projects)
        t["depends_on"] = [d for d in t["depends_on"] if d in known]
        t["links"] = {d: v for d, v in t["links"].items() if d in known}
    if sf:
        # start-to-finish links imported as finish-to-start
        out.notes.append({"code": "sf_as_fs", "count": sf})
    return out


def _task(
    row: ET.Element, uid: str, minutes_a_day: int, people: Sequence[str]
) -> tuple[dict[str, Any] | None, int]:
    """(the task of one <Task> row, or None without a name or dates; how many
    start-to-finish links it had)."""
    name = _text(row, "Name")
    start, finish = _day(_text(row, "Start")), _day(_text(row, "Finish"))
    if not name or start is None or finish is None:
        return None, 0
    milestone = _text(row, "Milestone") == "1"
    end = finish.date()
    if finish.time() == dt.time(0) and end > start.date():
        end -= dt.timedelta(days=1)  # a finish at midnight is the end of the day before
    deps: list[str] = []
    links: dict[str, dict[str, Any]] = {}
    sf = 0
    for link in row.iterfind(f"{{{NS}}}PredecessorLink"):
        pred = _text(link, "PredecessorUID")
        kind = _TYPES_IN.get(_text(link, "Type") or "1", "FS")
        if kind == "SF":
            kind, sf = "FS", sf + 1
        # LinkLag is in tenths of a minute whatever LagFormat shows it as (hours,
        # days, weeks ...), except a lag in percent of the predecessor (left out)
        lag = 0
        if _text(link, "LagFormat") not in _LAG_IN_PERCENT:
            lag = round(float(_text(link, "LinkLag") or 0) / 10 / minutes_a_day)
        if pred and pred not in deps and pred != uid:
            deps.append(pred)
            if kind != "FS" or lag:
                links[pred] = {"type": kind, "lag": lag}
    progress = int(float(_text(row, "PercentComplete") or 0))
    return {
        "id": uid,
        "name": name[:200],
        "start": start.date().isoformat(),
        "end": start.date().isoformat() if milestone else max(end, start.date()).isoformat(),
        "milestone": milestone,
        "progress": max(0, min(100, progress)),
        "manual": _text(row, "Manual") == "1",
        "assignee": "、".join(dict.fromkeys(people))[:100],
        "notes": _text(row, "Notes")[:5000],
        "depends_on": deps,
        "links": links,
    }, sf


# -- writing -----------------------------------------------------------------------


def _sub(parent: ET.Element, name: str, text: Any = None) -> ET.Element:
    el = ET.SubElement(parent, name)
    if text is not None:
        el.text = str(text)
    return el


def _outline(tasks: Sequence[Mapping[str, Any]]) -> list[tuple[Mapping[str, Any], str]]:
    """(task, outline number "1.2.1") in outline order: each task after its
    parent, siblings by start date (tasks whose parent is missing at the top)."""
    ids = {str(t["id"]) for t in tasks}
    kids: dict[str, list[Mapping[str, Any]]] = {}
    for t in tasks:
        parent = t.get("parent")
        kids.setdefault(str(parent) if parent and parent in ids else "", []).append(t)
    out: list[tuple[Mapping[str, Any], str]] = []
    seen: set[str] = set()

    def walk(key: str, prefix: str) -> None:
        order = sorted(kids.get(key, []), key=lambda t: (t["start"], t["end"], t["name"]))
        for n, t in enumerate(order, 1):
            if str(t["id"]) in seen:
                continue  # a loop that sync made: each task once
            seen.add(str(t["id"]))
            number = f"{prefix}{n}"
            out.append((t, number))
            walk(str(t["id"]), number + ".")

    walk("", "")
    return out


def write(
    project_name: str,
    tasks: Sequence[Mapping[str, Any]],
    cal: WorkCalendar,
    *,
    now: dt.datetime | None = None,
) -> bytes:
    """One project's tasks as an MSPDI file's bytes."""
    now = now or dt.datetime.now()
    rows = _outline([t for t in tasks if t.get("start") and t.get("end")])
    uid = {str(t["id"]): n for n, (t, _num) in enumerate(rows, 1)}
    first = min((str(t["start"]) for t, _ in rows), default=now.date().isoformat())
    last = max((str(t["end"]) for t, _ in rows), default=first)
    ET.register_namespace("", NS)
    root = ET.Element(f"{{{NS}}}Project")
    q = root
    for name, value in (
        ("SaveVersion", 14),
        ("Name", f"{project_name}.xml"),
        ("Title", project_name),
        ("CreationDate", now.strftime("%Y-%m-%dT%H:%M:%S")),
        ("ScheduleFromStart", 1),
        ("StartDate", f"{first}T08:00:00"),
        ("FinishDate", f"{last}T17:00:00"),
        ("CalendarUID", 1),
        ("DefaultStartTime", "08:00:00"),
        ("DefaultFinishTime", "17:00:00"),
        ("MinutesPerDay", _HOURS_A_DAY * 60),
        ("MinutesPerWeek", _HOURS_A_DAY * 60 * 5),
        ("DaysPerMonth", 20),
        ("DurationFormat", 7),
        ("WeekStartDay", 1),
    ):
        _sub(q, f"{{{NS}}}{name}", value)
    _calendar(_sub(_sub(q, f"{{{NS}}}Calendars"), f"{{{NS}}}Calendar"), cal, first, last)
    tasks_el = _sub(q, f"{{{NS}}}Tasks")
    _summary_row(tasks_el, project_name, first, last)
    parents = {str(t.get("parent")) for t, _ in rows if t.get("parent")}
    for (task, number), n in zip(rows, range(1, len(rows) + 1), strict=True):
        _task_row(tasks_el, task, n, number, uid, cal, summary=str(task["id"]) in parents)
    _people(q, rows, uid)
    ET.indent(root, space="  ")
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def _calendar(el: ET.Element, cal: WorkCalendar, first: str, last: str) -> None:
    """The standard week, with the holidays and make-up workdays of the
    project's span (and a month either side) as exceptions."""
    for name, value in (("UID", 1), ("Name", "Standard"), ("IsBaseCalendar", 1)):
        _sub(el, f"{{{NS}}}{name}", value)
    _sub(el, f"{{{NS}}}BaseCalendarUID", -1)
    week = _sub(el, f"{{{NS}}}WeekDays")
    for day_type in range(1, 8):  # 1 = Sunday
        wd = _sub(week, f"{{{NS}}}WeekDay")
        _sub(wd, f"{{{NS}}}DayType", day_type)
        working = day_type not in (1, 7)
        _sub(wd, f"{{{NS}}}DayWorking", int(working))
        if working:
            _hours(wd)
    start = dt.date.fromisoformat(first) - dt.timedelta(days=31)
    end = min(dt.date.fromisoformat(last) + dt.timedelta(days=31), start + dt.timedelta(MAX_DAYS))
    exceptions = _sub(el, f"{{{NS}}}Exceptions")
    for day in cal.special_days(start, end):
        date = str(day.get("date"))
        working = day.get("kind") == "workday"
        ex = _sub(exceptions, f"{{{NS}}}Exception")
        _sub(ex, f"{{{NS}}}EnteredByOccurrences", 0)
        period = _sub(ex, f"{{{NS}}}TimePeriod")
        _sub(period, f"{{{NS}}}FromDate", f"{date}T00:00:00")
        _sub(period, f"{{{NS}}}ToDate", f"{date}T23:59:00")
        _sub(ex, f"{{{NS}}}Occurrences", 1)
        _sub(ex, f"{{{NS}}}Name", day.get("name_zh") or ("调休上班" if working else "节假日"))
        _sub(ex, f"{{{NS}}}Type", 1)
        _sub(ex, f"{{{NS}}}DayWorking", int(working))
        if working:
            _hours(ex)


def _hours(el: ET.Element) -> None:
    times = _sub(el, f"{{{NS}}}WorkingTimes")
    for a, b in (("08:00:00", "12:00:00"), ("13:00:00", "17:00:00")):
        wt = _sub(times, f"{{{NS}}}WorkingTime")
        _sub(wt, f"{{{NS}}}FromTime", a)
        _sub(wt, f"{{{NS}}}ToTime", b)


def _summary_row(el: ET.Element, name: str, first: str, last: str) -> None:
    row = _sub(el, f"{{{NS}}}Task")
    for k, v in (
        ("UID", 0),
        ("ID", 0),
        ("Name", name),
        ("Type", 1),
        ("IsNull", 0),
        ("OutlineNumber", 0),
        ("OutlineLevel", 0),
        ("Start", f"{first}T08:00:00"),
        ("Finish", f"{last}T17:00:00"),
        ("Summary", 1),
    ):
        _sub(row, f"{{{NS}}}{k}", v)


def _task_row(
    el: ET.Element,
    task: Mapping[str, Any],
    n: int,
    number: str,
    uid: Mapping[str, int],
    cal: WorkCalendar,
    *,
    summary: bool,
) -> None:
    row = _sub(el, f"{{{NS}}}Task")
    milestone = bool(task.get("milestone"))
    start, end = str(task["start"]), str(task["end"])
    days = (
        0
        if milestone
        else max(1, cal.workdays(dt.date.fromisoformat(start), dt.date.fromisoformat(end)))
    )
    finish = f"{start}T08:00:00" if milestone else f"{end}T17:00:00"
    for k, v in (
        ("UID", n),
        ("ID", n),
        ("Name", task.get("name") or ""),
        ("Type", 0),
        ("IsNull", 0),
        ("WBS", number),
        ("OutlineNumber", number),
        ("OutlineLevel", number.count(".") + 1),
        ("Start", f"{start}T08:00:00"),
        ("Finish", finish),
        ("Duration", f"PT{days * _HOURS_A_DAY}H0M0S"),
        ("DurationFormat", 7),
        ("Milestone", int(milestone)),
        ("Summary", int(summary)),
        ("PercentComplete", int(task.get("progress") or 0)),
        ("Manual", int(bool(task.get("manual")))),
    ):
        _sub(row, f"{{{NS}}}{k}", v)
    if task.get("notes"):
        _sub(row, f"{{{NS}}}Notes", task["notes"])
    for pred in task.get("depends_on") or []:
        if str(pred) not in uid:
            continue  # a predecessor in another project
        kind, lag = link_of(task, str(pred))
        link = _sub(row, f"{{{NS}}}PredecessorLink")
        _sub(link, f"{{{NS}}}PredecessorUID", uid[str(pred)])
        _sub(link, f"{{{NS}}}Type", _TYPES_OUT.get(kind, "1"))
        _sub(link, f"{{{NS}}}CrossProject", 0)
        _sub(link, f"{{{NS}}}LinkLag", lag * _HOURS_A_DAY * 60 * 10)
        _sub(link, f"{{{NS}}}LagFormat", 7)


def _people(
    el: ET.Element, rows: Iterable[tuple[Mapping[str, Any], str]], uid: Mapping[str, int]
) -> None:
    """A resource per person named as an assignee ("、" joins several), and
    their assignments."""
    resources = _sub(el, f"{{{NS}}}Resources")
    assignments = _sub(el, f"{{{NS}}}Assignments")
    person: dict[str, int] = {}
    for task, _number in rows:
        for who in filter(None, (p.strip() for p in str(task.get("assignee") or "").split("、"))):
            if who not in person:
                person[who] = len(person) + 1
                r = _sub(resources, f"{{{NS}}}Resource")
                for k, v in (("UID", person[who]), ("ID", person[who]), ("Name", who), ("Type", 1)):
                    _sub(r, f"{{{NS}}}{k}", v)
            a = _sub(assignments, f"{{{NS}}}Assignment")
            _sub(a, f"{{{NS}}}UID", len(assignments))
            _sub(a, f"{{{NS}}}TaskUID", uid[str(task["id"])])
            _sub(a, f"{{{NS}}}ResourceUID", person[who])
            _sub(a, f"{{{NS}}}Units", 1)
