"""The schedule's Gantt chart as a PDF to print: A4 landscape, Chinese embedded.

The browser's print cuts a long chart at the paper's edge and shows Chinese only
where the printer has the fonts; this file reads the same everywhere. Every page
has the title and legend in a band above the date header, the task names (under
their summary task, by project) and assignees left of the bars, and its dates and
"第 N 页，共 M 页" in the footer; pages go by time at a readable scale, and by
rows when needed. The CJK font (localapp/fonts.py) is embedded as a subset of
the characters used, so a schedule is tens of KB. Pure domain code: no bottle.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .. import fonts
from .scheduling import link_of

Color = tuple[int, int, int]
Style = tuple[float, bool, Color]
Item = tuple[str, str, Color]  # in the legend: (sample, label, colour)
Place = tuple[int, float, float]  # a task drawn on a page: (row, left, right)

PAGE_W, PAGE_H = 297.0, 210.0  # A4 landscape, in mm
MARGIN = 10.0
NAME_W, WHO_W = 64.0, 21.0  # the task and assignee columns
CHART_X = MARGIN + NAME_W + WHO_W
CHART_W = PAGE_W - MARGIN - CHART_X
ROW_H, MIN_ROW_H = 5.6, 4.6  # a row's height: squeezed down to MIN_ROW_H to fit one page
HEAD_H = 5.0  # each of the date header's two rows
BODY_BOTTOM = PAGE_H - MARGIN - 7.0  # the footer below it
INDENT = 3.5  # per level under a summary task

#: Scales, finest first: (name, narrowest readable day in mm); time_axis picks one.
SCALES: tuple[tuple[str, float], ...] = (("day", 4.4), ("week", 1.4), ("month", 0.4))
MAX_TIME_PAGES = 3

INK, MUTED, RULE, FAINT = (33, 37, 41), (110, 118, 129), (206, 212, 218), (233, 236, 239)
WEEKEND, PROJECT_BG, SUMMARY = (243, 244, 246), (231, 236, 245), (52, 58, 64)
CRITICAL, TODAY, ARROW = (201, 42, 42), (224, 49, 49), (120, 130, 145)
#: Text styles: (size in pt, bold, colour).
TITLE, HEAD = (14, True, INK), (7.5, True, MUTED)
SMALL, NOTE = (7.5, False, MUTED), (6, False, MUTED)
UNTYPED = (140, 150, 168)  # a task without a (known) type
NEUTRAL = (150, 160, 176)  # the legend's sample bars for progress and the critical path

#: Each label in Chinese and in English.
LABELS: dict[str, tuple[str, str]] = {
    "task": ("任务名称", "Task"),
    "assignee": ("负责人", "Assignee"),
    "page": ("第 {n} 页，共 {m} 页", "Page {n} of {m}"),
    "rows": ("第 {a}–{b} 行，共 {n} 行", "Rows {a}–{b} of {n}"),
    "continued": ("{name}（续）", "{name} (cont.)"),
    "exported": ("导出于 {day}", "Exported {day}"),
    "milestone": ("里程碑", "Milestone"),
    "summary": ("汇总任务", "Summary task"),
    "progress": ("进度", "Progress"),
    "critical": ("关键路径", "Critical path"),
    "today": ("今天", "Today"),
    "untyped": ("未分类", "No type"),
}
MONTHS_EN = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()

ONE_DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class Row:
    """One line of the chart: a project's heading or a task under it."""

    project: str
    text: str
    task: Mapping[str, Any] | None = None
    depth: int = 0
    summary: bool = False
    start: dt.date | None = None
    end: dt.date | None = None
    continued: bool = False  # a project's heading again atop a page


@dataclass(frozen=True)
class Axis:
    """The time scale of every page, and the date range each page covers."""

    scale: str
    day_w: float
    spans: tuple[tuple[dt.date, dt.date], ...]  # (first, last) day of each page


def tasks_pdf(
    tasks: Iterable[Mapping[str, Any]],
    project_names: Mapping[str, str],
    type_names: Mapping[str, str],
    type_colors: Mapping[str, str],
    title: str,
    *,
    today: dt.date,
    lang: str = "zh",
) -> bytes:
    """The tasks' Gantt chart as PDF bytes. `lang` "en" writes the labels in English.

    Pages go across, then down: every date range of the first rows, then of the
    next ones, so a reader lays a row of pages side by side to follow the tasks
    in time. Raises fonts.FontMissing when no CJK font is installed.
    """
    lang = "en" if lang == "en" else "zh"
    rows = build_rows(tasks, project_names)
    axis = time_axis([d for r in rows for d in (r.start, r.end) if d], today)
    gantt = _Gantt(title, lang, today, _legend(rows, type_names, type_colors, lang))
    # rows as tall as fit one page, between MIN_ROW_H and ROW_H; pages by rows below that
    row_h = min(ROW_H, max(MIN_ROW_H, gantt.body_h / max(1, len(rows))))
    chunks = row_pages(rows, int(gantt.body_h // row_h))
    gantt.total, gantt.all_rows = len(chunks) * len(axis.spans), len(rows)
    first_row = 0
    for chunk in chunks:
        for first, last in axis.spans:
            page = _Page(chunk, axis, first, last, gantt.body_top, row_h)
            gantt.page(page, first_row, type_colors)
        first_row += sum(1 for r in chunk if not r.continued)
    return bytes(gantt.pdf.output())


# ---- rows and pages ------------------------------------------------------------


def _day(value: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def _span(*days: dt.date | None) -> tuple[dt.date | None, dt.date | None]:
    """The first and last of the dates given (None for none): a task's end before
    its start still spans both, a summary task spans all its subtasks."""
    known = [d for d in days if d is not None]
    return (min(known), max(known)) if known else (None, None)


def build_rows(tasks: Iterable[Mapping[str, Any]], project_names: Mapping[str, str]) -> list[Row]:
    """A heading per project (in `project_names` order, then unnamed ones) and its
    tasks, each under its summary task (a parent in another project or missing
    counts as none; a cycle of parents is cut), siblings by start, end and name."""
    by_project: dict[str, list[Mapping[str, Any]]] = {}
    for task in tasks:
        by_project.setdefault(str(task.get("project_id") or ""), []).append(task)
    order = [p for p in project_names if p in by_project]
    order += [p for p in by_project if p not in project_names]
    rows: list[Row] = []
    for pid in order:
        name = project_names.get(pid) or pid or "—"
        rows += [Row(name, name), *_project_rows(by_project[pid], name)]
    return rows


KEYS = ("start", "end", "name")  # the order of sibling tasks, as on the page


def _project_rows(tasks: list[Mapping[str, Any]], project: str) -> list[Row]:
    """One project's task rows, depth first: each summary task, then its subtasks."""
    ids = {str(t.get("id")) for t in tasks}
    children: dict[str, list[Mapping[str, Any]]] = {}
    for t in tasks:
        parent = str(t.get("parent") or "")
        children.setdefault(parent if parent in ids else "", []).append(t)

    rows: list[Row] = []
    seen: set[str] = set()

    def walk(items: list[Mapping[str, Any]], depth: int) -> tuple[dt.date | None, dt.date | None]:
        first = last = None
        for t in sorted(items, key=lambda t: [str(t.get(k) or "~") for k in KEYS]):
            tid = str(t.get("id"))
            if tid in seen:
                continue
            seen.add(tid)
            at = len(rows)
            rows.append(Row(project, str(t.get("name") or ""), t, depth))
            start, end = _span(_day(t.get("start")), _day(t.get("end")))
            is_summary = bool(children.get(tid))
            if is_summary:
                start, end = _span(start, end, *walk(children[tid], depth + 1))
            rows[at] = Row(project, rows[at].text, t, depth, is_summary, start, end)
            first, last = _span(first, last, start, end)
        return first, last

    walk(children.get("", []), 0)
    for t in tasks:  # in a cycle of parents: shown at the top level
        if str(t.get("id")) not in seen:
            walk([t], 0)
    return rows


def row_pages(rows: Sequence[Row], max_rows: int) -> list[list[Row]]:
    """The rows cut into pages of about equal length (no page of three rows
    after one of thirty); a page that starts inside a project starts with that
    project's heading again, marked as continued (the one row kept free for it)."""
    per = max_rows if len(rows) <= max_rows else max(1, max_rows - 1)
    pages = max(1, math.ceil(len(rows) / per))
    size = math.ceil(len(rows) / pages) if rows else 1
    chunks: list[list[Row]] = []
    for i in range(0, max(1, len(rows)), size):
        chunk = list(rows[i : i + size])
        if chunk and chunk[0].task is not None:
            chunk.insert(0, Row(chunk[0].project, chunk[0].project, continued=True))
        chunks.append(chunk)
    return chunks


def time_axis(days: Sequence[dt.date], today: dt.date) -> Axis:
    """The scale and pages by time for dates `days` (today when none): at least four
    whole weeks from a Monday, as many on each page so all share one scale, at the
    finest of SCALES that needs at most MAX_TIME_PAGES pages, else the coarsest."""
    first = min(days) if days else today
    last = max(days) if days else today
    monday = first - dt.timedelta(days=first.weekday())
    weeks = max(4, (last - monday).days // 7 + 1)  # a short schedule not drawn huge
    for scale, narrowest in SCALES:
        pages = math.ceil(weeks / max(1, int(CHART_W / narrowest) // 7))
        if pages <= MAX_TIME_PAGES or scale == SCALES[-1][0]:
            break
    step = dt.timedelta(days=7 * math.ceil(weeks / pages))
    spans = tuple((monday + step * i, monday + step * (i + 1) - ONE_DAY) for i in range(pages))
    return Axis(scale, CHART_W / step.days, spans)


def rgb(hex_color: str | None) -> Color:
    """'#4f8ef7' or '#48f' as (r, g, b); the untyped grey for anything else."""
    text = (hex_color or "").strip().lstrip("#")
    text = "".join(c * 2 for c in text) if len(text) == 3 else text
    try:
        r, g, b = (int(text[i : i + 2], 16) for i in (0, 2, 4))
    except ValueError:
        return UNTYPED
    return (r, g, b) if len(text) == 6 else UNTYPED


def darker(color: Color, by: float = 0.38) -> Color:
    """The progress part of a bar: the type's colour mixed with black."""
    r, g, b = color
    return (int(r * (1 - by)), int(g * (1 - by)), int(b * (1 - by)))


def _label(key: str, lang: str, **values: Any) -> str:
    text = LABELS[key][1 if lang == "en" else 0]
    return text.format(**values) if values else text


def _legend(
    rows: Sequence[Row], type_names: Mapping[str, str], type_colors: Mapping[str, str], lang: str
) -> list[Item]:
    """(sample, label, colour) for the legend: the types the tasks use (in the
    order of `type_names`) and only those markers the chart shows."""
    tasks = [r.task for r in rows if r.task is not None]
    used = {str(t.get("type_id") or "") for t in tasks}
    items = [("type", type_names[t], rgb(type_colors.get(t))) for t in type_names if t in used]
    if any(tid not in type_names for tid in used):
        items.append(("type", _label("untyped", lang), UNTYPED))
    markers = [
        ("progress", True, NEUTRAL),
        ("summary", any(r.summary for r in rows), SUMMARY),
        ("milestone", any(t.get("milestone") for t in tasks), SUMMARY),
        ("critical", any(t.get("critical") for t in tasks), NEUTRAL),
        ("today", True, TODAY),
    ]
    return items + [(kind, _label(kind, lang), color) for kind, shown, color in markers if shown]


# ---- drawing -------------------------------------------------------------------


def _month_label(day: dt.date, lang: str, unit: str = "month") -> str:
    """A heading: "2026年12月" or "Dec 2026"; `unit` "short" the month alone, "year" the year."""
    if unit == "year":
        return str(day.year) if lang == "en" else f"{day.year}年"
    if lang == "en":
        return MONTHS_EN[day.month - 1] + ("" if unit == "short" else f" {day.year}")
    return f"{day.month}月" if unit == "short" else f"{day.year}年{day.month}月"


def _segments(first: dt.date, last: dt.date, unit: str) -> list[tuple[dt.date, dt.date]]:
    """(first, last) day of each month (or "year") that [first, last] touches, cut to it."""
    out, day = [], first
    while day <= last:
        y, m = (day.year + 1, 0) if unit == "year" else divmod(day.year * 12 + day.month, 12)
        out.append((day, min(dt.date(y, m + 1, 1) - ONE_DAY, last)))
        day = dt.date(y, m + 1, 1)
    return out


def _short(day: dt.date) -> str:
    return f"{day.month}/{day.day}"


@dataclass(frozen=True)
class _Page:
    """What one page draws: its rows, its date range, where its body starts."""

    rows: Sequence[Row]
    axis: Axis
    first: dt.date
    last: dt.date
    top: float  # the body's top edge, under the date header
    row_h: float

    def x(self, day: dt.date) -> float:
        """The left edge of `day` on this page (off the chart when outside it)."""
        return CHART_X + (day - self.first).days * self.axis.day_w

    def y(self, index: int) -> float:
        return self.top + index * self.row_h

    @property
    def bottom(self) -> float:
        return self.y(len(self.rows))


class _Gantt:
    """One PDF document: the fonts, the band atop every page, then page by page."""

    def __init__(self, title: str, lang: str, today: dt.date, legend: list[Item]) -> None:
        pdf, bold = fonts.cjk_document("L")
        pdf.set_title(title)
        pdf.set_lang("en" if lang == "en" else "zh-CN")
        self.pdf, self.bold, self.title, self.lang = pdf, "B" if bold else "", title, lang
        self.today, self.legend = today, legend
        self.header_top = self._band(measure_only=True) + 3.0
        self.body_top = self.header_top + 2 * HEAD_H
        self.body_h = BODY_BOTTOM - self.body_top
        self.number, self.total, self.all_rows = 0, 0, 0

    def _font(self, style: Style) -> None:
        size, bold, color = style
        self.pdf.set_font("cjk", self.bold if bold else "", size)
        self.pdf.set_text_color(*color)

    def _text(
        self, x: float, mid: float, text: str, style: Style, align: str = "L", fit: float = 0
    ) -> None:
        """`text` in `style`, its middle at height `mid`, starting (L), centred (C)
        or ending (R) at x; cut with an ellipsis to `fit` mm wide when given."""
        self._font(style)
        fonts.place_text(self.pdf, x, mid, text, align, fit)

    def page(self, page: _Page, first_row: int, type_colors: Mapping[str, str]) -> None:
        """One page: band, grid, header, labels, then the bars, arrows and today's
        line clipped to the chart, then the table's lines and the footer."""
        self.pdf.add_page()
        self.number += 1
        self._band()
        self._grid(page)
        self._header(page)
        self._labels(page)
        clip = (CHART_X, page.top, CHART_W, page.bottom - page.top)
        with self.pdf.local_context(), self.pdf.rect_clip(*clip):
            if page.first <= self.today <= page.last:  # under the bars, over the grid
                x = page.x(self.today) + page.axis.day_w / 2
                fonts.set_pen(self.pdf, TODAY, 0.4)
                self.pdf.line(x, page.top, x, page.bottom)
            self._arrows(page, self._bars(page, type_colors))
        self._frame(page)
        self._footer(page, first_row)

    def _band(self, measure_only: bool = False) -> float:
        """The title, and the legend to its right when both fit on one line, else
        on lines of its own below it; returns the band's bottom edge, which the
        date header keeps clear of."""
        pdf, inner = self.pdf, PAGE_W - 2 * MARGIN
        self._font(TITLE)
        title_w = min(inner, pdf.get_string_width(self.title))
        self._font(SMALL)
        widths = [7.0 + pdf.get_string_width(label) + 4.5 for _k, label, _c in self.legend]
        inline = sum(widths) <= inner - title_w - 12.0  # beside the title
        lines: list[list[int]] = [[]]
        for i, w in enumerate(widths):
            if lines[-1] and sum(widths[j] for j in lines[-1]) + w > inner:
                lines.append([])
            lines[-1].append(i)
        bottom = MARGIN + 7.0 + (0.0 if inline else len(lines) * 5.0)
        if measure_only:
            return bottom
        self._text(MARGIN, MARGIN + 3.5, self.title, TITLE, fit=inner)
        for n, line in enumerate(lines):
            mid = MARGIN + 3.5 + (n if inline else n + 1) * 5.0
            x = PAGE_W - MARGIN + 4.5 - sum(widths[i] for i in line) if inline else MARGIN
            for i in line:
                self._legend_item(x, mid, *self.legend[i])
                x += widths[i]
        fonts.set_pen(self.pdf, RULE, 0.3)
        pdf.line(MARGIN, bottom + 0.5, PAGE_W - MARGIN, bottom + 0.5)
        return bottom

    def _legend_item(self, x: float, mid: float, kind: str, label: str, color: Color) -> None:
        """A sample of what the chart draws (6 mm wide), then its label."""
        if kind in ("type", "critical", "progress"):
            self._bar(x, x + 6.0, mid, 2.8, color, 55 if kind == "progress" else 0)
            if kind == "critical":
                self._outline(x, x + 6.0, mid, 2.8)
        elif kind == "summary":
            self._summary_shape(x, x + 6.0, mid - 1.2)
        elif kind == "milestone":
            self._diamond(x + 3.0, mid, 1.8, color, None)
        else:  # today
            fonts.set_pen(self.pdf, color, 0.4)
            self.pdf.line(x + 3.0, mid - 1.8, x + 3.0, mid + 1.8)
        self._text(x + 7.0, mid, label, SMALL)

    def _header(self, page: _Page) -> None:
        """Column titles on the left; on the right months over days (day scale),
        months over weeks, or years over months; today's day marked in red."""
        pdf, top, scale = self.pdf, self.header_top, page.axis.scale
        fonts.set_pen(self.pdf, fill=(241, 243, 245))
        pdf.rect(MARGIN, top, PAGE_W - 2 * MARGIN, 2 * HEAD_H, style="F")
        self._text(MARGIN + 1.5, top + HEAD_H, _label("task", self.lang), HEAD)
        self._text(MARGIN + NAME_W + 1.5, top + HEAD_H, _label("assignee", self.lang), HEAD)
        fonts.set_pen(self.pdf, RULE)
        upper = "year" if scale == "month" else "month"
        for first, last in _segments(page.first, page.last, upper):
            x0, x1 = page.x(first), page.x(last + ONE_DAY)
            pdf.line(x0, top, x0, top + 2 * HEAD_H)
            label = _month_label(first, self.lang, upper)
            self._text(x0 + 1.2, top + HEAD_H / 2, label, (7.5, True, INK), fit=x1 - x0 - 1.5)
        pdf.line(CHART_X, top + HEAD_H, PAGE_W - MARGIN, top + HEAD_H)
        for first, last, label in self._units(page):
            x0, x1 = page.x(first), page.x(last + ONE_DAY)
            if scale != "day":
                pdf.line(x0, top + HEAD_H, x0, top + 2 * HEAD_H)
                self._text(x0 + 1, top + 1.5 * HEAD_H, label, (7, False, MUTED), fit=x1 - x0 - 1.2)
                continue
            color = MUTED if first.weekday() < 5 else (160, 166, 173)
            if first == self.today:
                fonts.set_pen(self.pdf, fill=TODAY)
                pdf.rect(x0, top + HEAD_H, x1 - x0, HEAD_H, style="F")
                color = (255, 255, 255)
            self._text((x0 + x1) / 2, top + 1.5 * HEAD_H, label, (6.5, False, color), "C")

    def _units(self, page: _Page) -> list[tuple[dt.date, dt.date, str]]:
        """(first, last, label) of each column of the header's lower row."""
        if page.axis.scale == "month":
            months = _segments(page.first, page.last, "month")
            return [(a, b, _month_label(a, self.lang, "short")) for a, b in months]
        step = 1 if page.axis.scale == "day" else 7
        out, day = [], page.first
        while day <= page.last:
            last = day + dt.timedelta(days=step - 1)
            out.append((day, last, str(day.day) if step == 1 else _short(day)))
            day = last + ONE_DAY
        return out

    def _grid(self, page: _Page) -> None:
        """Banded rows, weekends shaded, project headings tinted, and lines at
        each week (day scale) and month so bars can be read against dates."""
        pdf, scale = self.pdf, page.axis.scale
        for i, row in enumerate(page.rows):
            if row.task is None or i % 2:
                fonts.set_pen(self.pdf, fill=PROJECT_BG if row.task is None else (249, 250, 251))
                pdf.rect(MARGIN, page.y(i), PAGE_W - 2 * MARGIN, page.row_h, style="F")
        day = page.first
        while day <= page.last:
            if scale != "month" and day.weekday() >= 5:
                fonts.set_pen(self.pdf, fill=WEEKEND)
                for i in (i for i, row in enumerate(page.rows) if row.task is not None):
                    pdf.rect(page.x(day), page.y(i), page.axis.day_w, page.row_h, style="F")
            if day.day == 1 or (scale == "day" and day.weekday() == 0):
                fonts.set_pen(self.pdf, RULE if day.day == 1 else FAINT)
                pdf.line(page.x(day), page.top, page.x(day), page.bottom)
            day += ONE_DAY

    def _frame(self, page: _Page) -> None:
        """The table's outline, the column rules and a line under each project heading."""
        pdf = self.pdf
        fonts.set_pen(self.pdf, RULE)
        for i, row in enumerate(page.rows):
            if row.task is None:
                pdf.line(MARGIN, page.y(i + 1), PAGE_W - MARGIN, page.y(i + 1))
        pdf.line(MARGIN + NAME_W, self.header_top, MARGIN + NAME_W, page.bottom)
        fonts.set_pen(self.pdf, (173, 181, 189), 0.3)
        pdf.line(CHART_X, self.header_top, CHART_X, page.bottom)
        pdf.line(MARGIN, page.top, PAGE_W - MARGIN, page.top)
        pdf.rect(MARGIN, self.header_top, PAGE_W - 2 * MARGIN, page.bottom - self.header_top)

    def _labels(self, page: _Page) -> None:
        """Project headings, task names indented under their summary task, assignees."""
        size = 8.0 if page.row_h >= 5.0 else 7.5
        for i, row in enumerate(page.rows):
            mid = page.y(i) + page.row_h / 2
            if row.task is None:
                text = _label("continued", self.lang, name=row.text) if row.continued else row.text
                self._text(MARGIN + 1.5, mid, text, (size, True, INK), fit=NAME_W + WHO_W - 3)
                continue
            indent = MARGIN + 3.0 + row.depth * INDENT
            fit = MARGIN + NAME_W - 1.5 - indent
            self._text(indent, mid, row.text, (size, row.summary, INK), fit=fit)
            who = str(row.task.get("assignee") or "")
            self._text(MARGIN + NAME_W + 1.5, mid, who, (size - 0.5, False, MUTED), fit=WHO_W - 3)

    def _bars(self, page: _Page, colors: Mapping[str, str]) -> dict[str, Place]:
        """Each task's bar, bracket or diamond, or at the chart's edge the date it
        ends before or starts after this page; returns (row, left, right) of each
        task on this page by id, where the dependency arrows start and end."""
        places: dict[str, Place] = {}
        day_w, bar_h = page.axis.day_w, page.row_h * 0.56
        for i, row in enumerate(page.rows):
            task, mid = row.task, page.y(i) + page.row_h / 2
            if task is None or row.start is None or row.end is None:
                continue
            if row.end < page.first or row.start > page.last:
                before = row.end < page.first
                text = f"◀ {_short(row.end)}" if before else f"{_short(row.start)} ▶"
                self._note(CHART_X + 1.0 if before else PAGE_W - MARGIN - 1.0, mid, text, True)
                continue
            x0, x1 = page.x(row.start), max(page.x(row.end) + day_w, page.x(row.start) + 0.6)
            color, done = rgb(colors.get(str(task.get("type_id")))), _progress(task)
            if row.summary:
                self._summary_shape(x0, x1, mid - bar_h / 2)
            elif task.get("milestone"):
                r, cx = page.row_h * 0.34, page.x(row.end) + day_w / 2
                self._diamond(cx, mid, r, color, CRITICAL if task.get("critical") else INK)
                x0, x1 = cx - r, cx + r
                self._note(x1 + 1.0, mid, _short(row.end))
            else:
                self._bar(x0, x1, mid, bar_h, color, done)
                if task.get("critical"):
                    self._outline(x0, x1, mid, bar_h)
                if done:
                    self._note(x1 + 1.0, mid, f"{done}%")
            places[str(task.get("id"))] = (i, x0, x1)
        return places

    def _bar(self, x0: float, x1: float, mid: float, h: float, fill: Color, done: int) -> None:
        """A task's bar in its type's colour, the part `done` (per cent) darker."""
        pdf, top, w = self.pdf, mid - h / 2, x1 - x0
        fonts.set_pen(self.pdf, fill=fill)
        pdf.rect(x0, top, w, h, style="F", round_corners=True, corner_radius=0.6)
        if done:
            fonts.set_pen(self.pdf, fill=darker(fill))
            pdf.rect(x0, top, w * done / 100, h, style="F", round_corners=True, corner_radius=0.6)
            if done < 100 and w * done / 100 > 1.2:  # a square edge where the done part stops
                pdf.rect(x0 + w * done / 100 - 0.6, top, 0.6, h, style="F")

    def _outline(self, x0: float, x1: float, mid: float, h: float) -> None:
        """The red edge of a bar on the critical path."""
        fonts.set_pen(self.pdf, CRITICAL, 0.35)
        self.pdf.rect(x0, mid - h / 2, x1 - x0, h, style="D", round_corners=True, corner_radius=0.6)

    def _summary_shape(self, x0: float, x1: float, top: float) -> None:
        """The dark bracket of a summary task: a thin bar with a point down at each end."""
        pdf, h, tip = self.pdf, 1.4, min(1.6, (x1 - x0) / 2)
        fonts.set_pen(self.pdf, fill=SUMMARY)
        pdf.rect(x0, top, x1 - x0, h, style="F")
        pdf.polygon([(x0, top + h), (x0 + tip, top + h), (x0, top + h + 1.5)], style="F")
        pdf.polygon([(x1, top + h), (x1 - tip, top + h), (x1, top + h + 1.5)], style="F")

    def _diamond(self, cx: float, mid: float, r: float, fill: Color, edge: Color | None) -> None:
        fonts.set_pen(self.pdf, edge, 0.3, fill)
        points = [(cx, mid - r), (cx + r, mid), (cx, mid + r), (cx - r, mid)]
        self.pdf.polygon(points, style="DF" if edge is not None else "F")

    def _note(self, x: float, mid: float, text: str, edge: bool = False) -> None:
        """A small grey note by a bar (its progress, a milestone's date) or, on a
        white ground, at the chart's left or right `edge` (the date off the page)."""
        self._font(NOTE)
        width = self.pdf.get_string_width(text)
        x = x - width if edge and x > CHART_X + 5 else x
        if edge:
            fonts.set_pen(self.pdf, fill=(255, 255, 255))
            self.pdf.rect(x - 0.6, mid - 1.3, width + 1.2, 2.6, style="F")
        self._text(x, mid, text, NOTE)

    def _arrows(self, page: _Page, places: Mapping[str, Place]) -> None:
        """An arrow for each dependency between two tasks of this page's rows
        (finish-to-start, or the link's type where it has one: scheduling.link_of)."""
        fonts.set_pen(self.pdf, ARROW, 0.22, ARROW)
        for task in (r.task for r in page.rows if r.task and str(r.task.get("id")) in places):
            for pid in (str(p) for p in task.get("depends_on") or [] if str(p) in places):
                kind = link_of(task, pid)[0]
                points = _route(page, places[pid], places[str(task.get("id"))], kind)
                self.pdf.polyline(points)
                (ex, ey), way = points[-1], (1 if kind[1] == "S" else -1)
                head = [(ex, ey), (ex - way * 1.3, ey - 0.75), (ex - way * 1.3, ey + 0.75)]
                self.pdf.polygon(head, style="F")

    def _footer(self, page: _Page, first_row: int) -> None:
        """The page's dates (and rows, when pages split them), page N of M, the export date."""
        mid = PAGE_H - MARGIN - 2.0
        fonts.set_pen(self.pdf, RULE)
        self.pdf.line(MARGIN, mid - 3.2, PAGE_W - MARGIN, mid - 3.2)
        where = f"{page.first.isoformat()} – {page.last.isoformat()}"
        shown = sum(1 for r in page.rows if not r.continued)
        if shown < self.all_rows:
            rows = _label("rows", self.lang, a=first_row + 1, b=first_row + shown, n=self.all_rows)
            where += f"  ·  {rows}"
        self._text(MARGIN, mid, where, SMALL)
        pages = _label("page", self.lang, n=self.number, m=self.total)
        self._text(PAGE_W / 2, mid, pages, SMALL, "C")
        self._text(PAGE_W - MARGIN, mid, _label("exported", self.lang, day=self.today), SMALL, "R")


def _progress(task: Mapping[str, Any]) -> int:
    value = task.get("progress")
    if isinstance(value, bool) or not isinstance(value, int | float):
        return 0
    return int(min(100, max(0, value)))


def _route(page: _Page, source: Place, target: Place, kind: str) -> list[tuple[float, float]]:
    """The corners of an arrow between two tasks' (row, left, right) for a link
    of `kind` (FS, SS, FF, SF): down from the predecessor's bar near its end (F…)
    or start (S…), which keeps it off the note after the bar, then into the
    successor's start (…S) or end (…F), round by the row's edge when needed."""
    (r0, a0, a1), (r1, b0, b1) = source, target
    inset, half, gap = min(1.2, (a1 - a0) / 2), page.row_h * 0.28, 1.6
    sx = a1 - inset if kind[0] == "F" else a0 + inset
    into = 1 if kind[1] == "S" else -1
    ex, ey = (b0 if into == 1 else b1), page.y(r1) + page.row_h / 2
    down = r1 >= r0
    sy = page.y(r0) + page.row_h / 2 + (half if down else -half)
    if r1 != r0 and (ex - sx) * into >= gap:
        return [(sx, sy), (sx, ey), (ex, ey)]
    edge = page.y(r1) if down and r1 != r0 else page.y(r1 + 1)
    near = ex - into * gap
    return [(sx, sy), (sx, edge), (near, edge), (near, ey), (ex, ey)]
