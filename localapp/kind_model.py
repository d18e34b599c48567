"""The shape of a record-kind declaration: `Field` and `Kind` (kinds.py declares
the kinds themselves with these), and the zh-CN label of an i18n key."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from . import checks as c
from .money import parse_cents


@dataclass(frozen=True)
class Field:
    """What the app knows of one field of a kind."""

    #: "text", "date", "ref", "refs", "int", "bool", "color", "money", "currency",
    #: "tags", "keys", "time", "json"
    type: str
    #: the i18n key of its name (ui/i18n/zh-CN.json, en.json)
    label: str = ""
    #: a list's `q` searches it
    search: bool = False
    #: a list can `sort` by it
    sort: bool = False
    #: a list filters by it: "ids" (any of a comma list), "exact" (ignoring
    #: case) or "flag" (true/false)
    filter: str | None = None
    #: its column width in the xlsx export; 0: not exported
    export: int = 0
    #: the table of the kind it refers to ("ref" and "refs")
    ref: str | None = None
    #: sync: losing versions are not shown as conflicts
    quiet: bool = False
    #: sync: versions are lists whose entries are joined, never chosen between
    joined: bool = False
    #: sync: it holds keys of files under uploads/<blob>/
    blob: str | None = None
    #: how a value sent by a client or a spreadsheet is checked and normalised
    #: (localapp/checks.py); None: the server sets it, or its domain checks it
    check: Callable[[Any], Any] | None = field(default=None, compare=False, repr=False)
    #: a new record must have it
    required: bool = False
    #: what a new record gets when it is missing
    default: Callable[[], Any] = field(default=lambda: None, compare=False, repr=False)


@dataclass(frozen=True)
class Kind:
    table: str
    #: what a person calls one ("task type"), for messages
    noun: str
    fields: dict[str, Field]
    #: the field that names a document across devices
    key: str = "id"
    #: whether sync carries it
    synced: bool = True
    #: list parameters that filter by another name: {param: field} (a project
    #: list's `project_id` filters by the project's own id)
    aliases: dict[str, str] = field(default_factory=dict)
    #: records every store creates alike (default task types), as documents
    seeds: tuple[dict[str, Any], ...] = ()

    def names(self, flag: str) -> tuple[str, ...]:
        """The fields with `flag` set ("search", "sort", "quiet" ...), in declaration order."""
        return tuple(n for n, f in self.fields.items() if getattr(f, flag))

    def export_columns(self) -> tuple[tuple[str, str, int], ...]:
        """(field, zh-CN header, width) of the exported fields, in declaration order."""
        return tuple((n, label_text(f.label), f.export) for n, f in self.fields.items() if f.export)

    def checked(self) -> dict[str, Field]:
        """The fields a client may send, each with its check, in declaration order."""
        return {n: f for n, f in self.fields.items() if f.check is not None}

    def checks(self) -> dict[str, Callable[[Any], Any]]:
        """{field: its check} of the fields a client may send."""
        return {n: f.check for n, f in self.fields.items() if f.check is not None}

    def value_problem(self, name: str, value: Any) -> str | None:
        """Why `value`, as stored (a sync push carries stored values), is not one
        this field can hold; None when it can (or the field is not declared:
        a newer version's field is kept as it is)."""
        fld = self.fields.get(name)
        if fld is None or value is None:
            return None
        try:
            if fld.check is not None:
                fld.check(value)
            elif fld.type == "money":
                parse_cents(value)
            elif fld.type == "keys" and not (
                isinstance(value, list) and all(isinstance(k, str) for k in value)
            ):
                return "must be a list of keys"
            elif fld.type == "time" and not isinstance(value, str):
                return "must be a time written as text"
        except c.Invalid as exc:
            return exc.reason
        return None

    def describe(self) -> dict[str, Any]:
        """The kind as `GET /api/kinds` shows it."""
        shown = (
            "type",
            "label",
            "search",
            "sort",
            "filter",
            "export",
            "ref",
            "quiet",
            "joined",
            "blob",
            "required",
        )
        return {
            "table": self.table,
            "noun": self.noun,
            "key": self.key,
            "synced": self.synced,
            "fields": {
                n: {
                    **{
                        k: getattr(f, k) for k in shown if getattr(f, k) not in (None, False, 0, "")
                    },
                    # a client may send it (it has a check): forms offer it
                    **({"input": True} if f.check is not None else {}),
                }
                for n, f in self.fields.items()
            },
        }


@cache
def _zh() -> dict[str, Any]:
    from .paths import ui_root

    data: dict[str, Any] = json.loads(
        ui_root().joinpath("i18n", "zh-CN.json").read_text(encoding="utf-8")
    )
    return data


def label_text(key: str) -> str:
    """The zh-CN text of an i18n key ("schedule.csv.start" -> "开始日期"); the key if absent."""
    text = _zh().get(key)
    return text if isinstance(text, str) else key
