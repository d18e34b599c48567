"""The schedule's spreadsheet export (xlsx): tasks, with names instead of ids."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from .. import kinds
from ..sheets import Cell, text, write_sheet
from .scheduling import link_of

#: Columns computed by the schedule, after the declared ones: the length, and
#: the slack, in working days, and whether the task is on the critical path
#: (service.list_records).
#: Headed by the same labels as the page's CSV (schedule.csv.* in ui/i18n).
COMPUTED_COLUMNS: tuple[tuple[str, str, int], ...] = (
    ("workdays", kinds.label_text("schedule.csv.workdays"), 12),
    ("slack", kinds.label_text("schedule.csv.slack"), 10),
    ("critical", kinds.label_text("schedule.csv.critical"), 8),
)


def file_name(project_names: Iterable[str], day: dt.date, ext: str = "xlsx") -> str:
    """项目排期-<项目>-<YYYY-MM-DD>.<ext>, the project named when there is one
    (web/requests.content_disposition makes any name safe to send)."""
    names = sorted(set(project_names))
    part = f"-{names[0]}" if len(names) == 1 and names[0] else ""
    return f"项目排期{part}-{day.isoformat()}.{ext}"


def link_text(task: Mapping[str, Any], pid: str) -> str:
    """How `task` follows predecessor `pid`, after its name, when not plain
    finish-to-start: "（同时开始 +1）" (the page's CSV writes it alike)."""
    kind, lag = link_of(task, pid)
    if (kind, lag) == ("FS", 0):
        return ""
    return f"（{kinds.label_text(f'schedule.link.{kind}')}{f' {lag:+d}' if lag else ''}）"


def tasks_xlsx(
    tasks: Iterable[Mapping[str, Any]],
    project_names: Mapping[str, str],
    type_names: Mapping[str, str],
    task_names: Mapping[str, str],
    sheet: str = "任务",
) -> bytes:
    """Schedule tasks as an xlsx file's bytes, with names instead of ids.

    The columns are the task kind's exported fields (kinds.py), each cell
    written by the field's type: references by the name of what they refer
    to, flags as 是, numbers as numbers, the rest as text; then the computed
    length in working days, slack and critical path (COMPUTED_COLUMNS), where
    the tasks carry them.
    """
    names = {"projects": project_names, "task_types": type_names, "tasks": task_names}
    columns = kinds.TASK.export_columns()
    fields = [kinds.TASK.fields[name] for name, _title, _width in columns]

    def cell(fld: kinds.Field, value: Any, task: Mapping[str, Any]) -> Cell:
        if fld.type == "ref":
            return names[fld.ref or ""].get(value or "", text(value))
        if fld.type == "refs":
            return "，".join(
                names[fld.ref or ""].get(v, v) + link_text(task, v) for v in value or []
            )
        if fld.type == "bool":
            return "是" if value else ""
        if fld.type == "int":
            return int(value or 0)
        if fld.type == "date" and isinstance(value, str):
            try:
                return dt.date.fromisoformat(value)
            except ValueError:
                return value
        return text(value)

    def row(task: Mapping[str, Any]) -> list[Cell]:
        declared = [
            cell(fld, task.get(name), task)
            for fld, (name, _t, _w) in zip(fields, columns, strict=True)
        ]
        slack, length = task.get("slack"), task.get("workdays")
        computed: list[Cell] = [
            length if isinstance(length, int) else "",
            slack if isinstance(slack, int) else "",
            "是" if task.get("critical") else "",
        ]
        return declared + computed

    return write_sheet(sheet, columns + COMPUTED_COLUMNS, (row(t) for t in tasks))
