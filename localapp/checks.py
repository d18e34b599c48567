"""Checking values from requests and spreadsheets: the reasons and codes of a refusal.

`Invalid` is one refused value, with an English reason and a stable code the
UI translates (`too_long` with `max=200`); `invalid()` turns several into
the one 400 answer an API call gets. `text()` is the checker behind every
text field, `cell_text()` what a spreadsheet cell reads as. No domain names.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Set
from datetime import date
from decimal import Decimal
from typing import Any, TypeVar

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


def invalid(
    problems: Mapping[str, str | Invalid], what: str = "The data is not valid", **extra: Any
) -> errors.ValidationError:
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
    return errors.ValidationError(f"{what}: {first}{more}", fields=reasons, extra={**body, **extra})


def list_params(
    params: Mapping[str, str], allowed: Set[str], problems: dict[str, str]
) -> Iterator[tuple[str, str]]:
    """The parameters of a list request that ask for something, as (name,
    stripped value). Names starting with `_` (cache busters such as jQuery's
    `_=123`) and empty values (an empty form field: "no filter") are skipped;
    an unknown name is noted in `problems`."""
    for name, raw in params.items():
        if name.startswith("_"):
            continue
        if name not in allowed:
            problems[name] = "unknown parameter; use one of " + ", ".join(sorted(allowed))
            continue
        value = (raw or "").strip()
        if value:
            yield name, value


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


def text(
    max_len: int,
    *,
    required: bool = False,
    strip: bool = True,
    multiline: bool = False,
    default: str = "",
) -> Callable[[Any], str]:
    """A text field: at most `max_len` characters, no control characters; line
    breaks folded to spaces unless `multiline`; None (or absent) is `default`."""

    def check(value: Any) -> str:
        if value is None:
            if required:
                raise Invalid("is required", "required")
            return default
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

    return _described(check, {"type": ["string", "null"], "maxLength": max_len})


#: how deep JSON a client may nest in a value kept verbatim (the store's
#: serialiser stops at 255 levels; people's data is far from either)
MAX_DEPTH = 64


def too_deep(value: Any, limit: int = MAX_DEPTH) -> bool:
    """Whether lists and objects nest in `value` more than `limit` levels (iterative)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > limit:
                return True
            stack.extend(
                (v, depth + 1) for v in (item.values() if isinstance(item, dict) else item)
            )
    return False


#: the JSON Schema of what each check accepts (schema_of), for the API description
_SCHEMAS: dict[Callable[[Any], Any], dict[str, Any]] = {}
_Check = TypeVar("_Check", bound=Callable[[Any], Any])


def _described(check: _Check, schema: dict[str, Any]) -> _Check:
    _SCHEMAS[check] = schema
    return check


def schema_of(check: Callable[[Any], Any] | None) -> dict[str, Any]:
    """The JSON Schema of the values `check` accepts ({} when it says nothing)."""
    return dict(_SCHEMAS.get(check, {})) if check is not None else {}


_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_COLOR_RE = re.compile(r"^#[0-9a-fA-F]{6}$")
_CURRENCY_RE = re.compile(r"^[A-Z]{3}$")
_TAG_SPLIT = re.compile(r"[,，;；、|]")


def date_text(*, required: bool) -> Callable[[Any], str | None]:
    """A calendar date written YYYY-MM-DD (kept as that text)."""

    def check(value: Any) -> str | None:
        if value is None or value == "":
            if required:
                raise Invalid("is required (YYYY-MM-DD)", "required")
            return None
        if not isinstance(value, str) or not _DATE_RE.match(value):
            raise Invalid("must be a date written YYYY-MM-DD", "not_a_date")
        try:
            date.fromisoformat(value)
        except ValueError:
            raise Invalid(f"{value} is not a real date", "not_a_date") from None
        return value

    return _described(check, {"type": ["string", "null"], "format": "date"})


def record_id(value: Any) -> str:
    """A record id as the string we store: numbers from old clients become text."""
    if isinstance(value, bool):
        raise Invalid("must be text or a whole number", "not_an_id")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if not isinstance(value, str):
        raise Invalid("must be text or a whole number", "not_an_id")
    value = value.strip()
    if not value:
        raise Invalid("must not be empty", "required")
    if len(value) > 100:
        raise Invalid("must be at most 100 characters", "too_long", max=100)
    if "/" in value:
        raise Invalid("must not contain '/'", "not_an_id")
    if not value.isprintable():
        # an id goes into URLs and the Location header: a control character
        # there would fail after the record was stored
        raise Invalid("must not contain control characters", "control_characters")
    return value


def ref(*, required: bool) -> Callable[[Any], str | None]:
    """The id of another record (its existence is a rule between records)."""

    def check(value: Any) -> str | None:
        if value is None or value == "":
            if required:
                raise Invalid("is required", "required")
            return None
        return record_id(value)

    return _described(check, {"type": ["string", "integer", "null"]})


def ref_list(value: Any) -> list[str]:
    """Ids of other records, each once, in the order given."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise Invalid("must be a list of task ids", "not_a_list")
    out: list[str] = []
    for item in value:
        try:
            rid = record_id(item)
        except Invalid as exc:
            raise Invalid(f"contains an id that {exc}", exc.code) from None
        if rid not in out:  # a repeated dependency means nothing more
            out.append(rid)
    return out


#: the types of dependency link (schedule/scheduling.py) and the longest lag or lead
LINK_TYPES = ("FS", "SS", "FF")
MAX_LAG = 999


def _link_map(value: Any) -> dict[str, dict[str, Any]]:
    """How a task is linked to each predecessor: {task id: {"type": FS | SS | FF,
    "lag": working days, negative for a lead}}. Finish-to-start without lag is
    the default and is not stored."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise Invalid("must map task ids to {type, lag}", "not_an_object")
    out: dict[str, dict[str, Any]] = {}
    for key in sorted(value, key=str):
        try:
            rid = record_id(key)
        except Invalid as exc:
            raise Invalid(f"contains an id that {exc}", exc.code) from None
        spec = value[key]
        if not isinstance(spec, dict) or set(spec) - {"type", "lag"}:
            raise Invalid(f"{rid}: must be {{type, lag}}", "not_an_object")
        kind = spec.get("type") or "FS"
        if kind not in LINK_TYPES:
            raise Invalid(f"{rid}: the type must be one of FS, SS, FF", "not_a_choice")
        lag = spec.get("lag") or 0
        if isinstance(lag, bool) or not isinstance(lag, int) or abs(lag) > MAX_LAG:
            raise Invalid(
                f"{rid}: the lag must be a whole number of working days from "
                f"-{MAX_LAG} to {MAX_LAG}",
                "out_of_range",
                min=-MAX_LAG,
                max=MAX_LAG,
            )
        if (kind, lag) != ("FS", 0):
            out[rid] = {"type": kind, "lag": lag}
    return out


link_map = _described(_link_map, {"type": ["object", "null"]})


def percent(value: Any) -> int:
    """A whole number from 0 to 100 (None is 0)."""
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Invalid("must be a whole number from 0 to 100", "not_a_number")
    if isinstance(value, float):
        if not value.is_integer():
            raise Invalid("must be a whole number from 0 to 100", "not_a_number")
        value = int(value)
    if not 0 <= value <= 100:
        raise Invalid("must be from 0 to 100", "out_of_range", min=0, max=100)
    return value


def flag(default: bool) -> Callable[[Any], bool]:
    """true or false (None is `default`)."""

    def check(value: Any) -> bool:
        if value is None:
            return default
        if not isinstance(value, bool):
            raise Invalid("must be true or false", "not_a_flag")
        return value

    return _described(check, {"type": ["boolean", "null"]})


def choice(options: tuple[str, ...], *, required: bool) -> Callable[[Any], str | None]:
    """One of `options` (text)."""

    def check(value: Any) -> str | None:
        if value is None or value == "":
            if required:
                raise Invalid("is required: one of " + ", ".join(options), "required")
            return None
        if value not in options:
            raise Invalid("must be one of " + ", ".join(options), "not_a_choice")
        return str(value)

    return _described(check, {"type": ["string", "null"], "enum": [*options, None]})


def colour(default: str) -> Callable[[Any], str]:
    """A colour written #rrggbb, kept in lower case."""

    def check(value: Any) -> str:
        if value is None:
            return default
        if not isinstance(value, str) or not _COLOR_RE.match(value.strip()):
            raise Invalid("must be a colour written #rrggbb", "not_a_colour")
        return value.strip().lower()

    return _described(check, {"type": ["string", "null"], "pattern": _COLOR_RE.pattern})


def currency(default: str) -> Callable[[Any], str]:
    """A 3-letter currency code (ISO 4217), kept in upper case."""

    def check(value: Any) -> str:
        if value is None or value == "":
            return default
        if not isinstance(value, str) or not _CURRENCY_RE.match(value.strip().upper()):
            raise Invalid("must be a 3-letter currency code such as CNY", "invalid_currency")
        return value.strip().upper()

    return _described(check, {"type": ["string", "null"], "maxLength": 3})


def tags(value: Any) -> list[str]:
    """A list of short texts (or one text separated by commas, ；、|), each once."""
    if value is None or value == "":
        return []
    if isinstance(value, str):
        value = _TAG_SPLIT.split(value)
    if not isinstance(value, list):
        raise Invalid("must be a list of texts", "not_text")
    out: list[str] = []
    for item in value:
        if not isinstance(item, str):
            raise Invalid("must be a list of texts", "not_text")
        tag = " ".join(item.split())
        if len(tag) > 50:
            raise Invalid("each tag must be at most 50 characters", "too_long", max=50)
        if tag and tag not in out:
            out.append(tag)
    if len(out) > 50:
        raise Invalid("at most 50 tags", "too_many", max=50)
    return out


_described(ref_list, {"type": ["array", "null"], "items": {"type": ["string", "integer"]}})
_described(percent, {"type": ["integer", "null"], "minimum": 0, "maximum": 100})
_described(tags, {"type": ["array", "string", "null"], "items": {"type": "string"}})
