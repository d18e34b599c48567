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

from typing import Any

from . import checks as c
from . import kind_checks as k
from .kind_model import Field, Kind, label_text

__all__ = ["KINDS", "Field", "Kind", "by_table", "label_text", "replicated"]


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
        # a scanner types it and Enter: the product opens (catalogue page, quotes)
        "barcode": Field(
            "text", "catalogue.field.barcode", search=True, export=16, check=k.barcode, default=str
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
        # what the product costs us (进价): never shown to anonymous readers
        # (LOCALAPP_PUBLIC_READ); the page shows the margin beside the price
        "cost": Field(
            "money", "catalogue.field.cost", export=12, check=k.cost, default=lambda: None
        ),
        # prices by price grade (批发价, VIP ...) and by quantity (≥ 100 件): the
        # price lookup (catalogue/pricing.py) takes them after a customer's own price
        "grade_prices": Field(
            "json", "catalogue.field.gradePrices", check=k.grade_prices, default=dict
        ),
        "breaks": Field("json", "catalogue.field.breaks", check=k.breaks, default=list),
        # every change of a grade's price, as price_history is of the list price
        "grade_history": Field(
            "json", "catalogue.field.gradeHistory", quiet=True, joined=True, default=list
        ),
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

CUSTOMER = Kind(
    "customers",
    "customer",
    {
        "name": Field(
            "text",
            "catalogue.customer.name",
            search=True,
            sort=True,
            export=24,
            check=c.text(200, required=True),
            required=True,
        ),
        "contact": Field(
            "text",
            "catalogue.customer.contact",
            search=True,
            export=10,
            check=c.text(100),
            default=str,
        ),
        "phone": Field(
            "text",
            "catalogue.customer.phone",
            search=True,
            export=16,
            check=c.text(50),
            default=str,
        ),
        "address": Field(
            "text", "catalogue.customer.address", export=30, check=c.text(300), default=str
        ),
        "tax_id": Field(
            "text",
            "catalogue.customer.taxId",
            search=True,
            export=22,
            check=c.text(40),
            default=str,
        ),
        # the price grade this customer buys at (a key of a product's grade_prices)
        "grade": Field(
            "text",
            "catalogue.customer.grade",
            sort=True,
            filter="exact",
            export=10,
            check=k.GRADE,
            default=str,
        ),
        "notes": Field("text", "catalogue.field.notes", export=30, check=_NOTES, default=str),
        "created_at": _CREATED,
        "updated_at": Field("time", "common.updatedAt", sort=True),
    },
)

#: A customer's own price for a product, above every grade and break. Its id
#: is "<customer id>:<product id>", so one price set on two devices is one record.
CUSTOMER_PRICE = Kind(
    "customer_prices",
    "customer price",
    {
        "customer_id": Field(
            "ref",
            "catalogue.customer.name",
            filter="exact",
            ref="customers",
            check=c.ref(required=True),
            required=True,
        ),
        "product_id": Field(
            "ref",
            "catalogue.field.name",
            filter="exact",
            ref="products",
            check=c.ref(required=True),
            required=True,
        ),
        "price": Field("money", "catalogue.field.price", check=k.cents, required=True),
        "created_at": _CREATED,
        "updated_at": Field("time", "common.updatedAt", sort=True),
    },
)

#: A quotation (报价单): its lines and totals are computed by catalogue/quotes.py.
QUOTE = Kind(
    "quotes",
    "quotation",
    {
        "number": Field("text", "catalogue.quote.number", search=True, sort=True, export=18),
        "customer_id": Field(
            "ref",
            "catalogue.quote.customer",
            filter="exact",
            ref="customers",
            check=c.ref(required=True),
            required=True,
        ),
        "customer_name": Field("text", "catalogue.quote.customer", search=True, export=24),
        "date": Field(
            "date", "catalogue.quote.date", sort=True, export=12, check=c.date_text(required=False)
        ),
        "valid_until": Field(
            "date", "catalogue.quote.validUntil", export=12, check=c.date_text(required=False)
        ),
        "status": Field(
            "text",
            "catalogue.quote.status",
            filter="exact",
            export=8,
            check=c.choice(("draft", "sent", "accepted", "expired", "ordered"), required=False),
            default=lambda: "draft",
        ),
        "revision": Field("int", "catalogue.quote.revision", export=6),
        "tax_inclusive": Field(
            "bool", "catalogue.quote.taxInclusive", check=c.flag(True), default=lambda: True
        ),
        # [{product_id, qty, price?, tax_rate}] as sent; quotes.py fills the rest
        "lines": Field("json", "catalogue.quote.lines", check=k.quote_lines, default=list),
        "totals": Field("json", "catalogue.quote.totals"),
        "payment_terms": Field("text", "catalogue.quote.payment", check=c.text(500), default=str),
        "delivery_terms": Field("text", "catalogue.quote.delivery", check=c.text(500), default=str),
        "notes": Field("text", "catalogue.field.notes", check=_NOTES, default=str),
        "order_id": Field("ref", "catalogue.quote.order", ref="orders"),
        "created_at": _CREATED,
        "updated_at": Field("time", "common.updatedAt", sort=True),
    },
)

#: The company's own details for its documents (a quotation's header): one
#: record, id "company", set in the catalogue's settings.
COMPANY = Kind(
    "company",
    "company profile",
    {
        "name": Field("text", "catalogue.company.name", check=c.text(200), default=str),
        "address": Field("text", "catalogue.company.address", check=c.text(300), default=str),
        "phone": Field("text", "catalogue.company.phone", check=c.text(50), default=str),
        "tax_id": Field("text", "catalogue.company.taxId", check=c.text(40), default=str),
        "bank": Field("text", "catalogue.company.bank", check=c.text(200), default=str),
        # an image's key (images.py), set by uploading it: the quotation's header
        "logo": Field("text", "catalogue.company.logo", blob="images", default=str),
        "created_at": _CREATED,
        "updated_at": Field("time", "common.updatedAt"),
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
    CUSTOMER,
    CUSTOMER_PRICE,
    QUOTE,
    COMPANY,
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
