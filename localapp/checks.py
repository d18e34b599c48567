"""Checking values from requests and spreadsheets: the reasons and codes of a refusal.

`Invalid` is one refused value, with an English reason and a stable code the
UI translates (`too_long` with `max=200`); `invalid()` turns several into
the one 400 answer an API call gets. `text()` is the checker behind every
text field, `cell_text()` what a spreadsheet cell reads as. No domain names.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from . import errors

#: per-field problems one answer lists at most (the rest are counted)
MAX_FIELD_ERRORS = 100
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


class Invalid(ValueError):
    """One value is not acceptable: a reason in words and a stable code for the UI.

    `params` are the values the reason names (`max=200` for "at most 200
    characters"), so the UI can say the same in its own language.
    """

    def __init__(self, reason: str, code: str = "invalid", **params: Any) -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code
        self.params = params


def field_details(problems: Mapping[str, str | Invalid]) -> dict[str, Any]:
    """`fields` (English reasons), `field_codes` and, where a reason names values,
    `field_params`: the three maps an error body carries for per-field problems.

    A plain text reason gets the code `invalid`, so every field in `fields`
    has a code the UI can look up.
    """
    fields: dict[str, str] = {}
    codes: dict[str, str] = {}
    params: dict[str, dict[str, Any]] = {}
    for name, problem in problems.items():
        if isinstance(problem, Invalid):
            fields[name], codes[name] = problem.reason, problem.code
            if problem.params:
                params[name] = dict(problem.params)
        else:
            fields[name], codes[name] = problem, "invalid"
    out: dict[str, Any] = {"fields": fields, "field_codes": codes}
    if params:
        out["field_params"] = params
    return out


def invalid(problems: Mapping[str, str | Invalid], what: str = "The data is not valid",
            **extra: Any) -> errors.ValidationError:
    """One ValidationError for several per-field problems, the first few in the message.

    The body carries `fields` (English reasons, as always) and `field_codes`
    (a stable code per field, e.g. `{"price": "negative"}`) for the UI to
    translate, plus `field_params` for codes whose text names values.
    """
    items: list[tuple[str, str | Invalid]] = list(problems.items())
    shown = dict(items[:MAX_FIELD_ERRORS])
    if len(items) > MAX_FIELD_ERRORS:
        hidden = len(items) - MAX_FIELD_ERRORS
        shown["_more"] = Invalid(f"{hidden} more problems not shown", "more", n=hidden)
    details = field_details(shown)
    reasons = details["fields"]
    first = "; ".join(f"{k}: {reasons[k]}" for k, _ in items[:3])
    more = f" (and {len(items) - 3} more)" if len(items) > 3 else ""
    body = {k: v for k, v in details.items() if k != "fields"}
    return errors.ValidationError(f"{what}: {first}{more}", fields=reasons,
                                  extra={**body, **extra})


def cell_text(value: Any) -> str:
    """Any cell or JSON scalar as the text a person sees (123.0 -> "123")."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return format(value, ".15g")
    if isinstance(value, int | Decimal):
        return str(value)
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return str(value)


def text(max_len: int, *, required: bool = False, strip: bool = True,
          multiline: bool = False) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if value is None:
            value = ""
        if value.__class__ is not str:
            if not isinstance(value, str):
                raise Invalid("must be text", "not_text")
            value = str(value)
        if strip:
            value = value.strip()
        if required and not value:
            raise Invalid("is required", "required")
        if len(value) > max_len:
            raise Invalid(f"must be at most {max_len} characters", "too_long", max=max_len)
        if value.isprintable():
            return value  # the common case, decided in C
        if not multiline and ("\n" in value or "\r" in value):
            value = " ".join(value.split())
        if _CONTROL.search(value):
            raise Invalid("must not contain control characters", "control_characters")
        return value

    return check
