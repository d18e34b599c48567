"""The schedule's records: their tables, names, limits and per-field validation.

The fields themselves (types, checks, defaults, labels) are declared in
localapp/kinds.py; `clean_record` applies them to what a client sends.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .. import errors, kinds
from ..checks import Invalid
from ..records import STAMPS, Doc, public_copy

PROJECTS = "projects"
TASKS = "tasks"
TYPES = "task_types"
DAYS = "calendar_days"
BASELINES = "baselines"
KINDS: tuple[str, ...] = (PROJECTS, TASKS, TYPES, DAYS, BASELINES)

#: The key each collection has in /api/data (the seed's names).
DATA_KEYS: dict[str, str] = {
    PROJECTS: "projects",
    TASKS: "tasks",
    TYPES: "taskTypes",
    DAYS: "calendarDays",
    BASELINES: "baselines",
}
#: Singular names for messages.
NOUNS: dict[str, str] = {k: kinds.by_table(k).noun for k in KINDS}

EXTRAS = "data_extras"  # other top-level /api/data keys, one document per key
REVISIONS = "data_revisions"  # revision metadata (small, listed often)
REVISION_BODIES = "data_revision_bodies"  # the saved documents (large, read on demand)
META = "schedule_meta"  # the upgrade version

#: Fields the server owns; ignored when a client sends them.
BOOKKEEPING: frozenset[str] = frozenset(STAMPS)

SAVED_MESSAGE = "数据保存成功"
RESTORED_MESSAGE = "数据已恢复"

DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 1000
REVISIONS_KEEP = 20
# A revision holds whole collections; at 20,000 tasks that is ~5 MB each, so
# the history is also capped by size to keep the store quick to compact.
REVISIONS_MAX_BYTES = 32 * 1024 * 1024
MAX_FIELD_ERRORS = 100

#: The seed's six default task types (declared with their kind in kinds.py).
DEFAULT_TASK_TYPES: list[dict[str, Any]] = [dict(t) for t in kinds.TASK_TYPE.seeds]


#: The schedule's kinds, as declared in kinds.py.
KIND: dict[str, kinds.Kind] = {k: kinds.by_table(k) for k in KINDS}


def spec(kind: str) -> dict[str, kinds.Field]:
    """A kind's fields a client may send, with their checks (read from the registry
    on every call, so a field added there is checked at once)."""
    return KIND[kind].checked()


def clean_record(
    kind: str,
    data: Mapping[str, Any],
    *,
    base: Mapping[str, Any] | None = None,
    keep_unknown: bool = False,
) -> tuple[Doc, dict[str, str]]:
    """Check one record's fields; return (content, {field: reason}).

    `content` is the record without its id and bookkeeping. With `base` (the
    stored record) fields missing from `data` keep their stored values;
    without it they get defaults. Fields not in the spec are kept verbatim
    when `keep_unknown` is set or the stored record already has them (old
    clients' extra fields), and refused otherwise, so a typo is not stored.
    """
    fields = spec(kind)
    content: Doc = {}
    problems: dict[str, str] = {}
    for name, fld in fields.items():
        if (
            kind == TASKS
            and name == "end"
            and data.get("end") in (None, "")
            and ("end" in data or base is None)
        ):
            # No end date (sent as null, or a new task without one): a one-day task.
            # When start itself is bad, its own reason is enough.
            if "start" in content:
                content["end"] = content["start"]
        elif name in data:
            check = fld.check
            assert check is not None  # spec() holds checked fields only
            try:
                content[name] = check(data[name])
            except Invalid as exc:
                problems[name] = str(exc)
        elif base is not None and name in base:
            content[name] = base[name]
        elif fld.required:
            problems[name] = "is required"
        else:
            content[name] = fld.default()
    if base is not None:
        for name, value in base.items():
            if name not in fields and name != "id" and name not in BOOKKEEPING and name not in data:
                content[name] = value
    for name, value in data.items():
        if name in fields or name == "id" or name in BOOKKEEPING:
            continue
        if keep_unknown or (base is not None and name in base):
            content[name] = value
        else:
            problems[name] = "unknown field"
    if kind == TASKS and isinstance(content.get("links"), dict):
        # a link's details go with the link: none for a task it does not depend on
        deps = content.get("depends_on") or ()
        content["links"] = {k: v for k, v in content["links"].items() if k in deps}
    start, end = content.get("start"), content.get("end")
    if "start" not in problems and "end" not in problems and start and end and end < start:
        problems["end"] = f"must be on or after start ({start})"
    return content, problems


def content_of(doc: Mapping[str, Any]) -> Doc:
    """A stored record without its id and bookkeeping."""
    return {k: v for k, v in doc.items() if k != "id" and k not in BOOKKEEPING}


def public(doc: Mapping[str, Any]) -> Doc:
    """A record as the API shows it: a copy without the tombstone fields."""
    return public_copy(doc)


def invalid_fields(
    problems: dict[str, str], what: str = "The data is not valid"
) -> errors.ValidationError:
    shown = dict(list(problems.items())[:MAX_FIELD_ERRORS])
    if len(problems) > MAX_FIELD_ERRORS:
        shown["_more"] = f"{len(problems) - MAX_FIELD_ERRORS} more problems not shown"
    first = "; ".join(f"{k}: {v}" for k, v in list(problems.items())[:3])
    more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
    return errors.ValidationError(f"{what}: {first}{more}", fields=shown)
