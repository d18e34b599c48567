"""Problem routes: the rules between records that sync cannot keep (see
localapp/problems.py), listed, and fixed with one of their fixes. Documented
in docs/sync.md.

The Catalogue and Schedule are the ones the catalogue and schedule routes
made (each keeps an index of its own; a second one would double it), or
made here when those routes are not installed.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import bottle

from .. import errors
from ..auth import Principal
from ..problems import LIST_LIMIT, Problems
from .context import AppContext
from .plugins import json_body
from .requests import query_params


def list_problems(problems: Problems) -> dict[str, Any]:
    """Rules between records that merged edits broke (two products with one SKU, tasks of a deleted project …), with their fixes."""
    # ?limit=0 asks for the counts alone (the top bar polls them).
    raw = query_params().get("limit", "").strip()
    if raw and not (raw.isdigit() and int(raw) <= LIST_LIMIT):
        raise errors.ValidationError(
            f"limit must be a whole number from 0 to {LIST_LIMIT}.",
            fields={"limit": f"must be from 0 to {LIST_LIMIT}"},
        )
    return problems.listing(int(raw) if raw else LIST_LIMIT)


def fix_problem(problems: Problems, user: Principal) -> dict[str, Any]:
    """Apply one of a problem's fixes (an ordinary edit that syncs)."""
    return problems.fix(json_body(), by=user.name)


def install(app: bottle.Bottle, ctx: AppContext) -> None:
    problems = ctx.services.problems
    app.route("/api/problems", "GET", partial(list_problems, problems))
    app.route("/api/problems/fix", "POST", partial(fix_problem, problems))
