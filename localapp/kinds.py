"""The record-kind registry: one declaration per kind of record.

Each kind the app keeps (a project, a task, a task type, a product, an
image, an order, the extra /api/data documents) is declared here once: its
table, the field that names a document across devices, and per field its
type, its label (an i18n key in ui/i18n/*.json), whether lists search,
sort and filter by it, whether and how wide it is exported, which kind it
refers to, and how sync treats it (quiet, joined, files it points at).

What derives from it:

- validation of every field a client or a spreadsheet sends (schedule.py,
  catalogue.py, imports.py);
- the schedule's list parameters, searched fields and sorts (schedule.py);
- the xlsx export columns and their headers, from the same labels the UI's
  CSV export uses (exports.py), so the two never disagree again;
- the sync policy: which tables replicate and by which key, quiet and joined
  fields, the seed records every store creates alike, the files a record
  points at (sync/replica.py, sync/service.py, sync/files.py);
- `GET /api/kinds`, which the UI reads instead of keeping a copy.

Adding a field to a kind is one `Field(...)` line here plus its label in the
two translation files (docs/architecture.md works the example through).
Each field also names its check (localapp/checks.py), whether a new record
must have it and what it gets when missing: the schedule's `clean_record`,
the catalogue's `check_product` and the spreadsheet import validate with
these. Rules between records (a task's project exists) are the domains'.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from . import checks as c
from .money import parse_cents

__all__ = ["KINDS", "Field", "Kind", "by_table", "label_text", "replicated"]


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


_CREATED = Field("time", "common.createdAt", sort=True, quiet=True)
_NOTES = c.text(10000, strip=False, multiline=True)
_UPDATED = Field("time", "catalogue.field.updatedAt", sort=True)

#: The six default task types of the seed (its API contract): ids "1" to "6".
DEFAULT_TASK_TYPES: tuple[dict[str, Any], ...] = (
    {"id": "1", "name": "开发排期", "color": "#1890ff", "enabled": True},
    {"id": "2", "name": "开发联调", "color": "#52c41a", "enabled": True},
    {"id": "3", "name": "测试排期", "color": "#faad14", "enabled": True},
    {"id": "4", "name": "测试联调", "color": "#f5222d", "enabled": True},
    {"id": "5", "name": "产品UAT", "color": "#722ed1", "enabled": True},
    {"id": "6", "name": "上线", "color": "#13c2c2", "enabled": True},
)

PROJECT = Kind(
    "projects",
    "project",
    {
        "name": Field(
            "text",
            "schedule.field.projectName",
            search=True,
            sort=True,
            check=c.text(200, required=True),
            required=True,
        ),
        "owner": Field(
            "text",
            "schedule.field.owner",
            search=True,
            sort=True,
            filter="exact",
            check=c.text(100),
            default=str,
        ),
        "status": Field(
            "text",
            "schedule.field.status",
            sort=True,
            filter="exact",
            check=c.text(40, default="active"),
            default=lambda: "active",
        ),
        "start": Field(
            "date", "schedule.field.start", sort=True, check=c.date_text(required=False)
        ),
        "end": Field("date", "schedule.field.end", sort=True, check=c.date_text(required=False)),
        "notes": Field("text", "schedule.field.notes", search=True, check=_NOTES, default=str),
        "created_at": _CREATED,
        "updated_at": Field("time", "common.updatedAt", sort=True),
    },
    aliases={"project_id": "id"},
)

TASK = Kind(
    "tasks",
    "task",
    {
        "project_id": Field(
            "ref",
            "schedule.csv.project",
            filter="ids",
            export=24,
            ref="projects",
            check=c.ref(required=True),
            required=True,
        ),
        "name": Field(
            "text",
            "schedule.csv.task",
            search=True,
            sort=True,
            export=32,
            check=c.text(200, required=True),
            required=True,
        ),
        # A summary task's subtasks name it; its dates and progress are theirs,
        # rolled up (schedule/summaries.py).
        "parent": Field(
            "ref",
            "schedule.csv.parent",
            filter="ids",
            export=20,
            ref="tasks",
            check=c.ref(required=False),
        ),
        "type_id": Field(
            "ref",
            "schedule.csv.type",
            filter="ids",
            export=12,
            ref="task_types",
            check=c.ref(required=False),
        ),
        "start": Field(
            "date",
            "schedule.csv.start",
            sort=True,
            export=12,
            check=c.date_text(required=True),
            required=True,
        ),
        "end": Field(
            "date",
            "schedule.csv.end",
            sort=True,
            export=12,
            check=c.date_text(required=True),
            required=True,
        ),
        "assignee": Field(
            "text",
            "schedule.csv.assignee",
            search=True,
            sort=True,
            filter="exact",
            export=12,
            check=c.text(100),
            default=str,
        ),
        "progress": Field(
            "int", "schedule.csv.progress", sort=True, export=9, check=c.percent, default=lambda: 0
        ),
        "milestone": Field(
            "bool",
            "schedule.csv.milestone",
            filter="flag",
            export=8,
            check=c.flag(False),
            default=lambda: False,
        ),
        "depends_on": Field(
            "refs", "schedule.csv.dependsOn", export=30, ref="tasks", check=c.ref_list, default=list
        ),
        # How it follows each predecessor, when not finish-to-start without lag:
        # {task id: {"type": "SS" | "FF" | "FS", "lag": working days}}
        "links": Field("json", "schedule.field.links", check=c.link_map, default=dict),
        # Manual scheduling: never moved after its predecessors (schedule/scheduling.py);
        # a start before one ends is shown as a problem instead.
        "manual": Field(
            "bool",
            "schedule.csv.manual",
            filter="flag",
            export=8,
            check=c.flag(False),
            default=lambda: False,
        ),
        "notes": Field(
            "text", "schedule.csv.notes", search=True, export=30, check=_NOTES, default=str
        ),
        "created_at": _CREATED,
        "updated_at": Field("time", "common.updatedAt", sort=True),
    },
)

TASK_TYPE = Kind(
    "task_types",
    "task type",
    {
        "name": Field(
            "text",
            "schedule.field.typeName",
            search=True,
            sort=True,
            check=c.text(50, required=True),
            required=True,
        ),
        "color": Field(
            "color", "schedule.field.color", check=c.colour("#1890ff"), default=lambda: "#1890ff"
        ),
        "enabled": Field(
            "bool",
            "schedule.field.enabled",
            filter="flag",
            check=c.flag(True),
            default=lambda: True,
        ),
        "created_at": _CREATED,
    },
    seeds=DEFAULT_TASK_TYPES,
)

#: A team's own day: a company holiday, or a workday that would be off (the
#: national calendar, China's holidays and 调休, is in schedule/calendar.py).
#: Its id is its date, so the same day marked on two devices is one record.
CALENDAR_DAY = Kind(
    "calendar_days",
    "calendar day",
    {
        "date": Field(
            "date",
            "schedule.team.date",
            sort=True,
            export=12,
            check=c.date_text(required=True),
            required=True,
        ),
        "kind": Field(
            "text",
            "schedule.team.kind",
            filter="exact",
            export=10,
            check=c.choice(("holiday", "workday"), required=True),
            required=True,
        ),
        "name": Field(
            "text",
            "schedule.team.name",
            search=True,
            export=20,
            check=c.text(50),
            default=str,
        ),
        "created_at": _CREATED,
    },
)

#: A saved plan of one project: every task's dates when it was saved, to compare
#: the schedule with (planned against current bars, the slip in working days).
#: The server fills `tasks` from the project when the baseline is made.
BASELINE = Kind(
    "baselines",
    "baseline",
    {
        "name": Field(
            "text",
            "schedule.baseline.name",
            search=True,
            sort=True,
            check=c.text(100, required=True),
            required=True,
        ),
        "project_id": Field(
            "ref",
            "schedule.csv.project",
            filter="ids",
            ref="projects",
            check=c.ref(required=True),
            required=True,
        ),
        # {task id: {"start": "YYYY-MM-DD", "end": "YYYY-MM-DD"}}
        "tasks": Field("json", "schedule.baseline.tasks"),
        "created_at": _CREATED,
    },
)

#: the currency a product has unless it says otherwise
DEFAULT_CURRENCY = "CNY"

PRODUCT = Kind(
    "products",
    "product",
    {
        "sku": Field(
            "text", "catalogue.field.sku", search=True, export=16, check=c.text(100), default=str
        ),
        "name": Field(
            "text",
            "catalogue.field.name",
            search=True,
            sort=True,
            export=32,
            check=c.text(200, required=True),
            required=True,
        ),
        "spec": Field(
            "text", "catalogue.field.spec", search=True, export=20, check=c.text(200), default=str
        ),
        "unit": Field("text", "catalogue.field.unit", export=8, check=c.text(20), default=str),
        # checked by the catalogue: cents, or `price_decimal` as text (catalogue.py)
        "price": Field("money", "catalogue.field.price", sort=True, export=12, required=True),
        "currency": Field(
            "currency",
            "catalogue.field.currency",
            export=8,
            check=c.currency(DEFAULT_CURRENCY),
            default=lambda: DEFAULT_CURRENCY,
        ),
        "category": Field(
            "text",
            "catalogue.field.category",
            search=True,
            filter="exact",
            export=14,
            check=c.text(100),
            default=str,
        ),
        "supplier": Field(
            "text",
            "catalogue.field.supplier",
            search=True,
            filter="exact",
            export=20,
            check=c.text(200),
            default=str,
        ),
        "tags": Field("tags", "catalogue.field.tags", export=16, check=c.tags, default=list),
        "notes": Field("text", "catalogue.field.notes", export=30, check=_NOTES, default=str),
        # reordered or shortened by an edit; added by an upload (catalogue.py)
        "images": Field("keys", "catalogue.field.images", blob="images", default=list),
        # a log of every price, joined across devices rather than chosen between
        "price_history": Field("json", "catalogue.field.priceHistory", quiet=True, joined=True),
        # the product search index (catalogue/search.py) sorts by these three only
        "created_at": Field("time", "common.createdAt", quiet=True),
        "updated_at": Field("time", "catalogue.field.updatedAt", sort=True, export=24),
    },
)

IMAGE = Kind(
    "images",
    "image",
    {
        "key": Field("text", "catalogue.field.images", blob="images"),
        "created_at": _CREATED,
    },
    key="key",
)

ORDER = Kind(
    "orders",
    "order",
    {
        "number": Field("text", "catalogue.orders.col.number"),
        "customer": Field("text", "catalogue.orders.col.customer"),
        "date": Field("date", "catalogue.orders.col.date"),
        "source_file": Field("json", "catalogue.orders.sourceFile", blob="orders"),
        "attachments": Field("json", "catalogue.orders.attachments", blob="images"),
        "created_at": _CREATED,
    },
)

#: An order line matched to a product by hand, remembered for the next sheet from
#: the same customer. Its id is made from the customer and the line's SKU or name,
#: so one mapping made on two devices is one record.
ORDER_MATCH = Kind(
    "order_matches",
    "remembered order match",
    {
        "customer": Field("text", "catalogue.orders.col.customer"),
        "key": Field("text", "catalogue.review.key"),
        "product_id": Field("ref", "catalogue.review.product", ref="products"),
        "created_at": _CREATED,
    },
)

DATA_EXTRA = Kind(
    "data_extras",
    "data document",
    {
        "value": Field("json", ""),
        "created_at": _CREATED,
    },
    key="key",
)

KINDS: tuple[Kind, ...] = (
    PROJECT,
    TASK,
    TASK_TYPE,
    CALENDAR_DAY,
    BASELINE,
    PRODUCT,
    IMAGE,
    ORDER,
    ORDER_MATCH,
    DATA_EXTRA,
)


def by_table(table: str) -> Kind:
    for kind in KINDS:
        if kind.table == table:
            return kind
    raise KeyError(table)


def replicated() -> dict[str, str]:
    """{table: key field} of the kinds sync carries."""
    return {k.table: k.key for k in KINDS if k.synced}


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
