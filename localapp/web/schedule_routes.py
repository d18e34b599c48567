"""Schedule HTTP routes: thin handlers over localapp.schedule (the domain).

REST for projects, tasks, task types and the team's calendar days (with an
.ics / holiday-cn import), the seed-compatible whole-document
`/api/data`, and its revision history. Every rule lives in the domain; a
handler only reads the request (query, If-Match, JSON body) and shapes the
answer. Documented in docs/schedule.md.

Handlers are module functions bound with functools.partial rather than
closures: bottle's `Route.get_undecorated_callback` follows a closure's
cells looking for a wrapped function, and a partial leaves it nothing to
misread.
"""

from __future__ import annotations

import datetime as dt
from functools import partial
from typing import Any

import bottle

from .. import errors
from ..auth import Principal
from ..schedule import BASELINES, DAYS, PROJECTS, SAVED_MESSAGE, TASKS, TYPES, Schedule
from ..schedule.calendar import MAX_DAYS, known_years
from ..schedule.export import file_name, tasks_xlsx
from ..schedule.interchange import export_project, import_project
from ..schedule.mspdi import MAX_BYTES as MAX_MSPDI_BYTES
from ..schedule.pdf import tasks_pdf
from ..schedule.teamdays import read_days
from ..sheets import XLSX_TYPE
from .context import AppContext
from .plugins import json_body
from .requests import attachment, if_match, query_params, uploaded_file
from .requests import flag as _flag
from .requests import with_etag as _with_etag

#: URL segment -> domain kind.
KIND_PATHS: dict[str, str] = {
    "projects": PROJECTS,
    "tasks": TASKS,
    "task-types": TYPES,
    "calendar-days": DAYS,
    "baselines": BASELINES,
}
MSPDI_TYPE = "application/vnd.ms-project+xml"
#: the largest calendar file taken (a year of holiday-cn is about 3 KB)
MAX_CALENDAR_BYTES = 1024 * 1024


# -- REST ----------------------------------------------------------------------


def list_records(sched: Schedule, kind: str) -> dict[str, Any]:
    """List projects, tasks or task types, with filters and pages."""
    return sched.list_records(kind, query_params())


def create_record(sched: Schedule, kind: str, path: str) -> dict[str, Any]:
    """Create a project, task or task type."""
    record = sched.create(kind, json_body())
    bottle.response.status = 201
    bottle.response.set_header("Location", f"/api/{path}/{record['id']}")
    return _with_etag(record)


def get_record(sched: Schedule, kind: str, id: str) -> dict[str, Any]:
    """One project, task or task type."""
    return _with_etag(sched.get(kind, id))


def update_record(sched: Schedule, kind: str, id: str) -> dict[str, Any]:
    """Change a project, task or task type (If-Match for safety)."""
    return _with_etag(sched.update(kind, id, json_body(), if_match=if_match()))


def delete_record(sched: Schedule, kind: str, id: str) -> dict[str, Any]:
    """Delete a project (?cascade=1 with its tasks), a task or a task type."""
    return sched.delete(kind, id, cascade=_flag("cascade"), if_match=if_match())


def export_tasks(sched: Schedule) -> bottle.HTTPResponse:
    """The tasks (same filters as the list) as a spreadsheet."""
    found = sched.tasks_for_export(query_params())
    body = tasks_xlsx(found.tasks, found.project_names, found.type_names, found.task_names)
    shown = (found.project_names.get(str(t.get("project_id")), "") for t in found.tasks)
    return attachment(body, XLSX_TYPE, file_name(shown, dt.date.today()), "schedule.xlsx")


def export_pdf(sched: Schedule) -> bottle.HTTPResponse:
    """The tasks (same filters as the list) as a Gantt chart in a PDF, Chinese
    text in an embedded font subset; `lang=en` for English labels."""
    params = query_params()
    lang = "en" if params.pop("lang", "") == "en" else "zh"
    found = sched.tasks_for_export(params)
    types = sched.list_records(TYPES, {"per_page": "1000"})["items"]
    colors = {str(t["id"]): str(t.get("color") or "") for t in types}
    shown = sorted(
        {found.project_names.get(str(t.get("project_id")), "") for t in found.tasks} - {""}
    )
    title = ("Schedule" if lang == "en" else "项目排期") + (
        f" · {'、'.join(shown)}" if shown else ""
    )
    today = dt.date.today()
    body = tasks_pdf(
        found.tasks, found.project_names, found.type_names, colors, title, today=today, lang=lang
    )
    return attachment(body, "application/pdf", file_name(shown, today, "pdf"), "schedule.pdf")


def export_mspdi(sched: Schedule) -> bottle.HTTPResponse:
    """One project (`project_id`) as an MS Project XML file."""
    pid = query_params().get("project_id", "")
    if not pid or "," in pid:
        raise errors.ValidationError(
            "Choose one project: an MS Project file holds one.",
            fields={"project_id": "one project id"},
        )
    name, body = export_project(sched, pid)
    return attachment(body, MSPDI_TYPE, file_name([name], dt.date.today(), "xml"), "schedule.xml")


def import_mspdi(sched: Schedule) -> dict[str, Any]:
    """A new project from an uploaded MS Project XML file (MSPDI)."""
    data, _name = uploaded_file(MAX_MSPDI_BYTES)
    answer = import_project(sched, data)
    bottle.response.status = 201
    return answer


# -- /api/data -----------------------------------------------------------------


def get_data(sched: Schedule) -> dict[str, Any]:
    """The whole schedule as one document (the seed's API)."""
    return sched.export_data()


def post_data(sched: Schedule, user: Principal) -> dict[str, Any]:
    """Save the whole schedule document."""
    revision = sched.replace_data(json_body(), by=user.name)
    if revision is not None:
        bottle.response.set_header("X-Data-Revision", revision)
    # The seed's clients expect exactly this answer, nothing more.
    return {"ok": True, "message": SAVED_MESSAGE}


def list_revisions(sched: Schedule) -> dict[str, Any]:
    """The saved states before each `POST /api/data`."""
    return sched.list_revisions()


def get_revision(sched: Schedule, revision: str) -> dict[str, Any]:
    """One saved state."""
    return sched.get_revision(revision)


def restore_revision(sched: Schedule, revision: str, user: Principal) -> dict[str, Any]:
    """Go back to a saved state."""
    return sched.restore_revision(revision, by=user.name)


def import_days(sched: Schedule) -> dict[str, Any]:
    """Add the days of an uploaded .ics or holiday-cn JSON file to the team calendar."""
    data, _name = uploaded_file(MAX_CALENDAR_BYTES)
    days = read_days(data)
    return {**sched.import_days(days), "days": len(days)}


def _dates(
    params: dict[str, str],
    names: tuple[str, ...],
    *,
    required: bool = False,
    what: str = "The dates are not valid.",
) -> dict[str, dt.date | None]:
    """YYYY-MM-DD query parameters (None when absent and not `required`); a bad
    or missing one is a 400 naming it."""
    out: dict[str, dt.date | None] = {}
    fields: dict[str, str] = {}
    for name in names:
        if not params.get(name) and not required:
            out[name] = None
            continue
        try:
            out[name] = dt.date.fromisoformat(params.get(name, ""))
        except ValueError:
            fields[name] = ("required: " if required else "") + "a date as YYYY-MM-DD"
    if fields:
        raise errors.ValidationError(what, fields=fields)
    return out


def resource_load(sched: Schedule) -> dict[str, Any]:
    """Working days of work per assignee per week, against each week's working days."""
    params = query_params()
    dates = _dates(params, ("from", "to"))
    ids = [p for p in params.get("project_id", "").split(",") if p.strip()]
    return sched.resource_load(ids, dates["from"], dates["to"])


def calendar_days(sched: Schedule) -> dict[str, Any]:
    """Holidays and make-up workdays (调休) between `from` and `to` (inclusive),
    the team's days (`"team": true`) in place of the national ones."""
    what = "The calendar range is not valid."
    dates = _dates(query_params(), ("from", "to"), required=True, what=what)
    start, end = dates["from"], dates["to"]
    assert start is not None and end is not None  # required
    if end < start:
        raise errors.ValidationError(what, fields={"to": "on or after from"})
    if (end - start).days > MAX_DAYS:
        raise errors.ValidationError(what, fields={"to": f"at most {MAX_DAYS} days after from"})
    years = known_years()
    return {
        "days": sched.work_calendar().special_days(start, end),
        "known_years": [years.start, years.stop - 1],
    }


def install(app: bottle.Bottle, ctx: AppContext) -> None:
    sched = ctx.services.schedule

    app.route("/api/tasks/export.xlsx", "GET", partial(export_tasks, sched))
    app.route("/api/calendar-days/import", "POST", partial(import_days, sched))
    app.route("/api/tasks/export.xml", "GET", partial(export_mspdi, sched))
    app.route("/api/tasks/export.pdf", "GET", partial(export_pdf, sched))
    app.route("/api/projects/import", "POST", partial(import_mspdi, sched))
    for path, kind in KIND_PATHS.items():
        base = f"/api/{path}"
        app.route(base, "GET", partial(list_records, sched, kind))
        app.route(base, "POST", partial(create_record, sched, kind, path))
        app.route(base + "/<id>", "GET", partial(get_record, sched, kind))
        app.route(base + "/<id>", "PATCH", partial(update_record, sched, kind))
        app.route(base + "/<id>", "DELETE", partial(delete_record, sched, kind))

    app.route("/api/calendar", "GET", partial(calendar_days, sched))
    app.route("/api/resource-load", "GET", partial(resource_load, sched))
    app.route("/api/data", "GET", partial(get_data, sched))
    app.route("/api/data", "POST", partial(post_data, sched))
    app.route("/api/data/revisions", "GET", partial(list_revisions, sched))
    app.route("/api/data/revisions/<revision>", "GET", partial(get_revision, sched))
    app.route("/api/data/revisions/<revision>/restore", "POST", partial(restore_revision, sched))
