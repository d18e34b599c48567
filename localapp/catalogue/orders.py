"""Orders: an uploaded order sheet (or a photo of one) becomes an order record.

An order sheet is an xlsx, xls or csv file read like a product import
(imports.py): the line table starts at the first row naming known columns
(编码/SKU, 名称, 数量/qty, 单价/price, 金额/amount ...); cells above it such as
"客户：张三五金店" or "订单号 | SO-001" give the order's customer, number and
date. Form fields sent with the upload win over what the file says.

Each line is matched to the catalogue by SKU (without regard to case), then
by exact name. Lines that match nothing, prices that differ from the
catalogue and stated amounts that differ from qty x unit price are flagged,
never silently changed; an order with flags is "needs_review". Amounts are
exact: qty is a Decimal, prices are integer cents, qty x price is rounded
half up to the cent once per line, and the total is the sum of the lines.

A line that cannot be read at all (a quantity that is not a number, a
negative price) refuses the whole upload with per-row reasons. An image
upload is kept as an attachment of an order without lines.

Order warnings are English sentences in `warnings` and, in the same order,
`{code, params}` in `warning_codes`, so the UI can say them in its language.
The uploaded sheet is kept under its content hash and can be downloaded
again (`source`), under its cleaned display name.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from .. import errors
from ..checks import Invalid, cell_text, invalid
from ..money import round_cents
from ..records import (
    check_rev,
    new_id,
    now_iso,
    stamp_change,
    stamp_new,
    stamp_tombstone,
    write,
)
from . import imports, order_review, order_sheets
from .images import ImageStore, display_name, looks_like_image, write_atomic
from .order_sheets import parse_date, qty_text
from .products import Catalogue
from .search import fold

ORDERS = "orders"
#: hand matches remembered per customer (kinds.ORDER_MATCH)
MATCHES = "order_matches"
DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 500
_NUMBER_TEXT = re.compile(r"^[\w\-/#.]{1,60}$")
#: A stored order file's key: its SHA-256 and its kind. Checked before the key
#: becomes a path, since records may arrive from elsewhere (sync, a restore).
_SOURCE_KEY = re.compile(r"^[0-9a-f]{64}\.(xlsx|xls|csv)$")
SOURCE_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "xls": "application/vnd.ms-excel",
    "csv": "text/csv",
}
#: Characters no file name offered for download may hold (Windows refuses them too).
_NOT_IN_NAMES = frozenset('"\\/:*?<>|')


@dataclass(frozen=True)
class OrderWarning:
    """One thing about an order worth a look: English text, a code and its values."""

    code: str
    message: str
    params: dict[str, Any]

    def code_dict(self) -> dict[str, Any]:
        return {"code": self.code, "params": self.params}


def warnings_fields(warnings: list[OrderWarning]) -> dict[str, Any]:
    """`warnings` (English sentences) and `warning_codes` (the same, as codes) of a record."""
    return {
        "warnings": [w.message for w in warnings],
        "warning_codes": [w.code_dict() for w in warnings],
    }


@dataclass(frozen=True)
class SourceFile:
    """An order's stored sheet: where it is, its type and the name to offer it under."""

    path: Path
    content_type: str
    name: str
    fallback: str  # an ASCII name for clients that cannot read `name`


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class Orders:
    """Orders over one Catalogue (for matching) and one uploads directory."""

    def __init__(self, catalogue: Catalogue, uploads: Path) -> None:
        self.catalogue = catalogue
        self.store = catalogue.store
        self.files = Path(uploads) / "orders"
        self.images = ImageStore(uploads)

    # -- creating -----------------------------------------------------------------

    def upload(
        self, data: bytes, client_name: str | None, *, fields: Mapping[str, str], by: str = ""
    ) -> dict[str, Any]:
        """Turn an uploaded order file (or image) into a stored order; returns it."""
        given = self._form_fields(fields)
        name = display_name(client_name, "order")
        digest = _sha256(data)
        if looks_like_image(data):
            return self._from_image(data, client_name, given, digest, by)
        kind = imports.sniff(data) if data else None
        if data and kind is None:
            raise errors.UnsupportedType(
                "An order must be an xlsx, xls or csv file, or a PNG/JPEG/GIF/WebP image.",
                fields={"file": "not a spreadsheet or image"},
            )
        table, mapping, info = order_sheets.parse_sheet(data)
        lines, problems = order_sheets.read_lines(table, mapping)
        if problems:
            raise errors.ValidationError(
                f"{len({p['row'] for p in problems})} line(s) of the order cannot be read; "
                "nothing was saved.",
                fields={"file": "rows with problems"},
                extra={"errors": problems[:1000]},
            )
        if not lines:
            raise errors.ValidationError(
                "The order file has no lines.", fields={"file": "no order lines"}
            )
        ext = kind or "bin"
        customer = given.get("customer") or self._info_text(info.get("customer"))
        with self.catalogue.writing() as index:
            self._refuse_duplicate(digest)
            out_lines, warnings = self._match(index, lines, customer)
            number = (
                given.get("number") or self._info_text(info.get("number")) or self._new_number()
            )
            order_date = given.get("date") or parse_date(info.get("date"))
            if (
                info.get("date") is not None
                and parse_date(info.get("date")) is None
                and not given.get("date")
            ):
                shown = cell_text(info["date"])[:40]
                warnings.append(
                    OrderWarning(
                        "date_unreadable",
                        f"The date in the file ({shown}) could not be read; today's date was used.",
                        {"value": shown},
                    )
                )
            key = f"{digest}.{ext}"
            target = self.files / key
            if not target.exists():
                write_atomic(target, data)
            doc = self._stamp(
                {
                    "number": number,
                    "customer": customer,
                    "date": order_date or date.today().isoformat(),
                    "lines": out_lines,
                    "total": sum(line["amount"] for line in out_lines),
                    "source_file": {
                        "name": name,
                        "key": key,
                        "type": ext,
                        "size": len(data),
                        "sha256": digest,
                        "sheet": table.sheet,
                    },
                    "attachments": [],
                    **warnings_fields(warnings),
                },
                by,
            )
            write(self.store, ORDERS, [doc], {})
        return public(doc)

    def from_quote(self, quote: Mapping[str, Any], *, by: str = "") -> dict[str, Any]:
        """An order of an accepted quotation's lines (quotes.py), in one transaction:
        its customer, its prices as quoted, each line matched to its product."""
        lines = [
            {
                "row": i,
                "sku": line.get("sku", ""),
                "name": line.get("name", ""),
                "qty": line["qty"],
                "unit_price": line["price"],
                "amount": line["amount_cents"],
                "stated_amount": None,
                "product_id": line.get("product_id"),
                "match": "quote" if line.get("product_id") else None,
                "catalogue_name": line.get("name") if line.get("product_id") else None,
                "catalogue_sku": line.get("sku") if line.get("product_id") else None,
                "catalogue_price": line.get("list_price"),
                "flags": [] if line.get("product_id") else ["unmatched"],
            }
            for i, line in enumerate(quote.get("lines") or [], 1)
        ]
        content = {
            "number": str(quote.get("number") or self._new_number()).replace("QT-", "ORD-", 1),
            "customer": quote.get("customer_name", ""),
            "date": date.today().isoformat(),
            "lines": lines,
            "total": sum(int(line["amount"]) for line in lines),
            "source_file": None,
            "quote_id": quote.get("id"),
            "attachments": [],
        }
        with self.store.transaction():
            doc = self._stamp(content, by)
            write(self.store, ORDERS, [doc], {})
        return public(doc)

    def _from_image(
        self, data: bytes, client_name: str | None, given: Mapping[str, str], digest: str, by: str
    ) -> dict[str, Any]:
        try:
            info = self.images.save(data, client_name)
        except errors.UnsupportedType:
            raise errors.UnsupportedType(
                "An order must be an xlsx, xls or csv file, or a PNG/JPEG/GIF/WebP image.",
                fields={"file": "not a spreadsheet or image"},
            ) from None
        with self.store.transaction():
            self._refuse_duplicate(digest)
            doc = self._stamp(
                {
                    "number": given.get("number") or self._new_number(),
                    "customer": given.get("customer", ""),
                    "date": given.get("date") or date.today().isoformat(),
                    "lines": [],
                    "total": 0,
                    "source_file": None,
                    "attachments": [{**info.to_dict(), "sha256": digest}],
                    **warnings_fields(
                        [
                            OrderWarning(
                                "picture_not_read",
                                "This order is a picture; its lines were not read automatically.",
                                {},
                            )
                        ]
                    ),
                },
                by,
            )
            write(self.store, ORDERS, [doc], {})
        return public(doc)

    @staticmethod
    def _form_fields(fields: Mapping[str, str]) -> dict[str, str]:
        out: dict[str, str] = {}
        problems: dict[str, str] = {}
        for name, limit in (("number", 60), ("customer", 200)):
            value = " ".join((fields.get(name) or "").split())
            if len(value) > limit:
                problems[name] = f"must be at most {limit} characters"
            elif value:
                out[name] = value
        raw_date = (fields.get("date") or "").strip()
        if raw_date:
            parsed = parse_date(raw_date) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw_date) else None
            if parsed is None:
                problems["date"] = "must be a real date written YYYY-MM-DD"
            else:
                out["date"] = parsed
        if problems:
            raise invalid(problems, "The order was not saved")
        return out

    @staticmethod
    def _info_text(value: Any) -> str:
        text = " ".join(cell_text(value).split())
        return text[:200]

    @staticmethod
    def _new_number() -> str:
        return f"ORD-{date.today():%Y%m%d}-{os.urandom(3).hex().upper()}"

    def _refuse_duplicate(self, digest: str) -> None:
        for doc in self.store.table(ORDERS).all():
            if doc.get("deleted"):
                continue
            sources = [doc.get("source_file") or {}, *(doc.get("attachments") or [])]
            if any(isinstance(s, dict) and s.get("sha256") == digest for s in sources):
                raise errors.Conflict(
                    f"This file was already uploaded as order {doc.get('number')!r}. Delete "
                    "that order first to upload it again.",
                    fields={"file": f"already uploaded as order {doc.get('id')}"},
                    # its own code, so the page says this and not "changed by someone else"
                    code="order_duplicate",
                    extra={"current": public(doc, lines=False), "number": doc.get("number")},
                )

    def _match(
        self, index: Any, lines: list[dict[str, Any]], customer: str = ""
    ) -> tuple[list[dict[str, Any]], list[OrderWarning]]:
        by_name: dict[str, list[dict[str, Any]]] = {}
        for _doc_id, doc in index.live_docs():
            by_name.setdefault(fold(doc.get("name")), []).append(doc)
        remembered = self._remembered(customer)
        out: list[dict[str, Any]] = []
        for line in lines:
            flags: list[str] = []
            product, how = None, None
            if line["sku"]:
                found = index.by_sku(line["sku"])
                if found is not None:
                    product, how = found[1], "sku"
            if product is None and line["name"]:
                named = by_name.get(fold(line["name"]), [])
                if len(named) == 1:
                    product, how = named[0], "name"
            if product is None and remembered:
                for key in match_keys(line):
                    pid = remembered.get(key)
                    found = index.find(pid) if pid else None
                    if found is not None and not found[1].get("deleted"):
                        product, how = found[1], "remembered"
                        break
            qty: Decimal = line["qty"]
            price = line["unit_price"]
            stated = line["amount"]
            catalogue_price = product.get("price") if product else None
            if price is None and stated is not None:
                exact = Decimal(stated) / qty
                if exact == exact.to_integral_value():
                    price = int(exact)
                else:
                    price = round_cents(exact)
                    flags.append("price_rounded")
            if price is None and catalogue_price is not None:
                price = catalogue_price
                flags.append("price_from_catalogue")
            if price is None:
                price = 0
                flags.append("no_price")
            amount = round_cents(qty * price)
            if stated is not None and stated != amount:
                flags.append("amount_differs")
            if product is None:
                flags.append("unmatched")
            elif catalogue_price is not None and price != catalogue_price:
                flags.append("price_differs")
            out.append(
                {
                    "row": line["row"],
                    "sku": line["sku"] or (product or {}).get("sku", ""),
                    "name": line["name"] or (product or {}).get("name", ""),
                    "qty": qty_text(qty),
                    "unit_price": price,
                    "amount": amount,
                    "stated_amount": stated,
                    "product_id": product.get("id") if product else None,
                    "match": how,
                    # What the line was matched to, as the catalogue had it then.
                    "catalogue_name": product.get("name", "") if product else None,
                    "catalogue_sku": product.get("sku", "") if product else None,
                    "catalogue_price": catalogue_price,
                    "flags": flags,
                }
            )
        return out, []

    def _remembered(self, customer: str) -> dict[str, str]:
        """{line key: product id} of the hand matches kept for `customer`."""
        if not customer:
            return {}
        who = fold(customer)
        return {
            str(d.get("key")): str(d.get("product_id"))
            for d in self.store.table(MATCHES).all()
            if not d.get("deleted") and fold(d.get("customer")) == who
        }

    def _remember(self, customer: str, line: Mapping[str, Any], product_id: str, now: str) -> None:
        """Keep a hand match for the next sheet from `customer` (one record per key)."""
        table = self.store.table(MATCHES)
        docs = {d.get("id"): d for d in table.all()}
        inserts, replaces = [], {}
        for key in match_keys(line)[:1]:  # the SKU when the line has one, else its name
            rid = hashlib.sha256(f"{fold(customer)}\n{key}".encode()).hexdigest()[:20]
            content = {"customer": customer, "key": key, "product_id": product_id}
            old = docs.get(rid)
            if old is None:
                inserts.append(stamp_new(rid, content, now))
            else:
                replaces[old.doc_id] = stamp_change(dict(old), content, now)
        write(self.store, MATCHES, inserts, replaces)

    def _stamp(self, content: dict[str, Any], by: str) -> dict[str, Any]:
        now = now_iso()
        flagged = sum(1 for line in content["lines"] if line["flags"])
        needs_review = flagged > 0 or not content["lines"]
        return {
            "id": new_id(),
            **content,
            "line_count": len(content["lines"]),
            "flagged": flagged,
            "status": "needs_review" if needs_review else "ok",
            "by": by,
            "created_at": now,
            "updated_at": now,
            "rev": 1,
            "deleted": False,
            "deleted_at": None,
        }

    # -- reading and deleting ------------------------------------------------------

    def live(self) -> list[dict[str, Any]]:
        with self.store.reading():
            return [dict(d) for d in self.store.table(ORDERS).all() if not d.get("deleted")]

    def list(self, params: Mapping[str, str]) -> dict[str, Any]:
        allowed = {"q", "status", "page", "per_page"}
        problems: dict[str, str] = {}
        page, per_page, q, status = 1, DEFAULT_PER_PAGE, "", ""
        for name, raw in params.items():
            value = (raw or "").strip()
            if name.startswith("_") or not value:
                continue
            if name not in allowed:
                problems[name] = "unknown parameter; use one of " + ", ".join(sorted(allowed))
            elif name in ("page", "per_page"):
                top = MAX_PER_PAGE if name == "per_page" else 10**7
                if not value.isdigit() or not 1 <= int(value) <= top:
                    problems[name] = f"must be a whole number from 1 to {top}"
                elif name == "page":
                    page = int(value)
                else:
                    per_page = int(value)
            elif name == "q":
                q = value.casefold()
            else:
                status = value
        if problems:
            raise invalid(problems, "Invalid list parameters")
        docs = self.live()
        if q:
            docs = [d for d in docs if q in f"{d.get('number')}\x1f{d.get('customer')}".casefold()]
        if status:
            docs = [d for d in docs if d.get("status") == status]
        docs.sort(key=lambda d: (d.get("date") or "", d.get("created_at") or ""), reverse=True)
        first = (page - 1) * per_page
        return {
            "items": [public(d, lines=False) for d in docs[first : first + per_page]],
            "total": len(docs),
            "page": page,
            "per_page": per_page,
        }

    def _find(self, oid: str) -> tuple[int, dict[str, Any]]:
        for doc in self.store.table(ORDERS).all():
            if doc.get("id") == oid and not doc.get("deleted"):
                return doc.doc_id, dict(doc)
        raise errors.NotFound(f"There is no order with id {oid!r} (it may have been deleted).")

    def get(self, oid: str) -> dict[str, Any]:
        with self.store.reading():
            return public(self._find(oid)[1])

    def source(self, oid: str) -> SourceFile:
        """The order's uploaded sheet, to download; NotFound when it has none."""
        with self.store.reading():
            doc = self._find(oid)[1]
        info = doc.get("source_file")
        key = info.get("key") if isinstance(info, dict) else None
        match = _SOURCE_KEY.match(key) if isinstance(key, str) else None
        if info is None:
            raise errors.NotFound(
                f"Order {doc.get('number')!r} has no order sheet: it was made from a picture, "
                "which is shown with the order."
            )
        if match is None or not isinstance(key, str):
            raise errors.NotFound(f"The file of order {doc.get('number')!r} is not known.")
        path = self.files / key
        if not path.is_file():
            raise errors.NotFound(
                f"The file of order {doc.get('number')!r} is no longer in the uploads folder."
            )
        kind = match.group(1)
        number = str(doc.get("number") or "")
        return SourceFile(
            path=path,
            content_type=SOURCE_TYPES[kind],
            name=download_name(info.get("name"), kind, number or "order"),
            fallback=f"order-{number}.{kind}" if number else f"order.{kind}",
        )

    def review(
        self, oid: str, data: Mapping[str, Any], *, by: str = "", if_match: int | None = None
    ) -> dict[str, Any]:
        """Work an order (order_review.py): `{"lines": [{"row", "product_id"?, "qty"?,
        "unit_price"?}], "reviewed": true | false}`, one edit, one new revision."""
        if not isinstance(data, Mapping) or not set(data) <= {"lines", "reviewed"}:
            raise invalid({"body": "send lines and/or reviewed"}, "The order was not changed")
        edits = data.get("lines") or []
        if not isinstance(edits, list) or not all(isinstance(e, Mapping) for e in edits):
            raise invalid({"lines": "must be a list of line edits"}, "The order was not changed")
        with self.store.transaction():
            doc_id, doc = self._find(oid)
            check_rev("order", doc, if_match, public(doc))
            lines = [dict(line) for line in doc.get("lines") or []]
            by_row = {line.get("row"): i for i, line in enumerate(lines)}
            remember: list[tuple[dict[str, Any], str]] = []
            now = now_iso()
            problems: dict[str, str] = {}
            for n, edit in enumerate(edits):
                i = by_row.get(edit.get("row"))
                if i is None:
                    problems[f"lines[{n}].row"] = "no line with this row"
                    continue
                product = None
                if "product_id" in edit:
                    try:
                        product = self.catalogue.get(str(edit.get("product_id")))
                    except errors.NotFound:
                        product = None
                try:
                    lines[i] = order_review.edit_line(lines[i], edit, product, by=by, at=now)
                except Invalid as exc:
                    name, _, why = exc.reason.partition(" ")
                    problems[f"lines[{n}].{name.rstrip(':')}"] = why
                    continue
                if product is not None and edit.get("remember") and doc.get("customer"):
                    remember.append((lines[i], str(product["id"])))
            if problems:
                raise invalid(problems, "The order was not changed")
            reviewed = (
                bool(data["reviewed"]) if "reviewed" in data else doc.get("status") == "reviewed"
            )
            new = {
                **doc,
                "lines": lines,
                **order_review.summary(lines, reviewed),
                "reviewed_by": by if reviewed else None,
                "updated_at": now,
                "rev": int(doc.get("rev") or 0) + 1,
            }
            write(self.store, ORDERS, [], {doc_id: new})
            for line, pid in remember:
                self._remember(str(doc["customer"]), line, pid, now)
        return public(new)

    def delete(self, oid: str) -> dict[str, Any]:
        with self.store.transaction():
            doc_id, doc = self._find(oid)
            write(self.store, ORDERS, [], {doc_id: stamp_tombstone(doc, now_iso())})
        return {"ok": True, "id": oid}


def match_keys(line: Mapping[str, Any]) -> list[str]:
    """How a sheet's line is recognised for a remembered match: its SKU, then its name."""
    keys = []
    if line.get("sku"):
        keys.append("sku:" + fold(line["sku"]))
    if line.get("name"):
        keys.append("name:" + fold(line["name"]))
    return keys


def download_name(stored: Any, kind: str, number: str) -> str:
    """The name to offer an order's sheet under: the uploaded file's name, cleaned
    again (never a path), ending in the file's real type; else the order number."""

    def clean(text: Any) -> str:
        name = display_name(text if isinstance(text, str) else None, "")
        return "".join("_" if c in _NOT_IN_NAMES else c for c in name).strip(" .")

    name = clean(stored) or clean(number) or "order"
    if not name.lower().endswith(f".{kind}"):
        name = f"{name}.{kind}"
    return name


def public(doc: Mapping[str, Any], *, lines: bool = True) -> dict[str, Any]:
    out = {
        k: v
        for k, v in doc.items()
        if k not in ("deleted", "deleted_at") and (lines or k != "lines")
    }
    return out
