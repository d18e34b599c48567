"""Listing the schedule's records: filters, search, sort and pages.

What a list of each kind takes, searches and sorts by is read from the
registry (localapp/kinds.py) on every request.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..checks import Invalid, date_text, list_params
from ..records import Doc
from .fields import DAYS, DEFAULT_PER_PAGE, KIND, MAX_PER_PAGE, PROJECTS, TASKS, invalid_fields

_COMMON_PARAMS = {"q", "from", "to", "page", "per_page", "sort"}


def _natural(rid: str) -> tuple[int, int, str]:
    return (0, int(rid), "") if rid.isdigit() else (1, 0, rid)


def _default_key(kind: str) -> Callable[[Doc], Any]:
    if kind == TASKS:
        return lambda d: (d.get("start") or "", d.get("end") or "", d.get("name", ""), d["id"])
    if kind == DAYS:
        return lambda d: (d.get("date") or "", d["id"])
    if kind == PROJECTS:
        return lambda d: (d.get("start") is None, d.get("start") or "", d.get("name", ""), d["id"])
    return lambda d: (d.get("created_at") or "", _natural(d["id"]))


def sort_records(kind: str, docs: list[Doc], sort: str | None = None) -> list[Doc]:
    docs = sorted(docs, key=_default_key(kind))
    if sort:
        name = sort.lstrip("-")
        # None sorts last either way; the default order breaks ties (stable sort).
        present = [d for d in docs if d.get(name) is not None]
        absent = [d for d in docs if d.get(name) is None]
        present.sort(key=lambda d: d[name], reverse=sort.startswith("-"))
        docs = present + absent
    return docs


def _flag(value: str) -> bool:
    v = value.strip().lower()
    if v in {"1", "true", "yes", "on"}:
        return True
    if v in {"0", "false", "no", "off"}:
        return False
    raise Invalid("must be true or false")


@dataclass
class ListQuery:
    """A list request's filters, checked."""

    page: int = 1
    per_page: int = DEFAULT_PER_PAGE
    sort: str | None = None
    q: str | None = None
    date_from: str | None = None
    date_to: str | None = None
    ids: dict[str, set[str]] = field(default_factory=dict)  # field -> allowed values
    exact: dict[str, str] = field(default_factory=dict)  # field -> casefolded value
    flags: dict[str, bool] = field(default_factory=dict)
    searched: tuple[str, ...] = ()  # the fields `q` looks in


def parse_query(kind: str, params: Mapping[str, str]) -> ListQuery:
    """Turn query-string parameters into a ListQuery, or raise per-parameter errors."""
    query = ListQuery()
    problems: dict[str, str] = {}
    # what a list of this kind takes, searches and sorts by: from the registry
    declared = KIND[kind]
    allowed = _COMMON_PARAMS | set(declared.names("filter")) | set(declared.aliases)
    sorts = set(declared.names("sort"))
    query.searched = declared.names("search")
    for name, value in list_params(params, allowed, problems):
        try:
            if name in {"page", "per_page"}:
                if not value.isdigit():
                    raise Invalid("must be a whole number")
                n = int(value)
                top = MAX_PER_PAGE if name == "per_page" else 10**9
                if not 1 <= n <= top:
                    raise Invalid(f"must be from 1 to {top}")
                setattr(query, name, n)
            elif name in {"from", "to"}:
                checked = date_text(required=True)(value)
                if name == "from":
                    query.date_from = checked
                else:
                    query.date_to = checked
            elif name == "sort":
                if value.lstrip("-") not in sorts:
                    raise Invalid("sort by one of " + ", ".join(sorted(sorts)))
                query.sort = value
            elif name == "q":
                query.q = value.casefold()
            else:
                target = declared.aliases.get(name, name)
                how = declared.fields[target].filter if target in declared.fields else "ids"
                if how == "ids":
                    query.ids[target] = {v.strip() for v in value.split(",") if v.strip()}
                elif how == "flag":
                    query.flags[name] = _flag(value)
                else:  # exact, ignoring case (assignee, status, owner)
                    query.exact[name] = value.casefold()
        except Invalid as exc:
            problems[name] = str(exc)
    if query.date_from and query.date_to and query.date_to < query.date_from:
        problems["to"] = f"must be on or after from ({query.date_from})"
    if problems:
        raise invalid_fields(problems, "Invalid list parameters")
    return query


def matches(kind: str, doc: Doc, query: ListQuery) -> bool:
    for name, allowed in query.ids.items():
        if doc.get(name) not in allowed:
            return False
    for name, value in query.exact.items():
        if str(doc.get(name) or "").casefold() != value:
            return False
    for name, flag in query.flags.items():
        if bool(doc.get(name)) != flag:
            return False
    if query.date_from or query.date_to:
        # A missing date is open-ended: an undated project overlaps every window.
        start, end = doc.get("start"), doc.get("end")
        if query.date_to and start and start > query.date_to:
            return False
        if query.date_from and end and end < query.date_from:
            return False
    if query.q:
        if not any(query.q in str(doc.get(f) or "").casefold() for f in query.searched):
            return False
    return True
