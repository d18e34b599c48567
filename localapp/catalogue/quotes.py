"""Customers, their own prices, and quotations (报价单).

Three declared kinds (kinds.py) kept by the generic `RecordSet`
(recordsets.py), with the catalogue's rules on top:

- `Customers`: found by name, contact, phone and tax id, and by the pinyin of
  the name (宁波家居 by `ningbo`, `nbjj`), like products.
- `CustomerPrices`: one price per customer and product, id
  "<customer>:<product>"; `set_price` makes or changes it.
- `Quotes`: a quotation's lines are sent as product ids, quantities, tax
  rates and, optionally, prices. On every save the quote is completed in
  the same transaction: each line gets the product's code, name, spec and
  unit as they are now, its price from the lookup (pricing.py: the
  customer's own price, a quantity break, the customer's grade, the list
  price) unless one was given (then `overridden`, with the list price kept
  beside it), its net, tax and amount; the quote gets its totals, the
  customer's name, a number on creation (QT-YYYYMMDD-NNN) and a revision
  that counts the changes of its content. A line without a product (a
  service, freight) needs a name and a price.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from typing import Any

from .. import errors, kinds
from ..checks import Invalid, cell_text
from ..money import parse_cents
from ..records import Doc, new_id, now_iso, public_copy, stamp_change, stamp_new, write
from ..recordsets import RecordSet, clean
from ..store import Store
from . import columns, imports
from .order_sheets import parse_qty, qty_text
from .pinyin import pinyin_forms
from .pricing import DEFAULT_TAX_RATE, TAX_RATES, line_amounts, lookup, totals
from .rmb import capitals

#: the orders' table (orders.py), read for a customer's last price
ORDERS_TABLE = "orders"
#: how long a new quotation is valid unless it says
VALID_DAYS = 14
#: content changes that do not make a new revision
_NOT_A_REVISION = frozenset({"status", "order_id"})


def spell(text: str) -> tuple[str, ...]:
    """The pinyin and initials a name is also found by."""
    full, initials = pinyin_forms(text)
    return (full, initials) if full else ()


#: customer columns and the headers that name them (an import; the template's headers first)
CUSTOMER_SYNONYMS: dict[str, tuple[str, ...]] = {
    "name": ("客户名称", "客户", "名称", "单位名称", "公司名称", "customer", "name", "company"),
    "contact": ("联系人", "contact", "contactperson"),
    "phone": ("电话", "联系电话", "手机", "phone", "tel", "mobile"),
    "address": ("地址", "收货地址", "address"),
    "tax_id": ("税号", "纳税人识别号", "统一社会信用代码", "taxid", "vat"),
    "grade": ("价格等级", "等级", "grade", "pricegrade"),
    "notes": ("备注", "notes", "remark"),
}


class Customers(RecordSet):
    def __init__(self, store: Store) -> None:
        super().__init__(store, kinds.CUSTOMER, spell=spell)

    def import_sheet(self, data: bytes, *, commit: bool = True) -> dict[str, Any]:
        """Customers from a spreadsheet (xlsx, xls, csv): a row whose name is a
        customer's (ignoring case) changes it, any other makes one; total rows
        are left out; a row with a problem stops the whole import, which is one
        transaction. `commit=False` only counts."""
        table = imports.read_table(data)
        mapping = columns.map_columns(table, CUSTOMER_SYNONYMS, None, required=(("name",),))
        first = mapping.header_index + 1
        rows: list[tuple[int, dict[str, Any]]] = []
        problems: list[dict[str, Any]] = []
        for offset, cells in enumerate(table.rows[first:]):
            number = table.row_number(first + offset)
            if columns.total_row(cells) is not None or not any(str(c).strip() for c in cells):
                continue
            sent = {
                f: cell_text(cells[i]) if i < len(cells) else "" for f, i in mapping.fields.items()
            }
            content, bad = clean(self.kind, sent)
            problems += [mapping.row_error(number, f, f"{f} {why}") for f, why in bad.items()]
            rows.append((number, content))
        counts = {"rows": len(rows), "created": 0, "updated": 0, "unchanged": 0}
        if problems:
            raise errors.ValidationError(
                f"{len(problems)} problem(s) in the sheet; nothing was imported.",
                fields={"file": "rows with problems"},
                extra={"errors": problems[:1000], "counts": counts},
            )
        now = now_iso()
        with self.store.transaction():
            by_name = {str(d.get("name", "")).casefold(): d for d in self._live()}
            inserts: list[Doc] = []
            replaces: dict[int, Doc] = {}
            for _number, content in rows:
                old = by_name.get(content["name"].casefold())
                if old is None:
                    doc = stamp_new(new_id(), content, now)
                    inserts.append(doc)
                    by_name[content["name"].casefold()] = doc
                    counts["created"] += 1
                    continue
                merged = {
                    **{k: old.get(k) for k in self.kind.checked()},
                    **{k: v for k, v in content.items() if k in mapping.fields},
                }
                if all(merged.get(k) == old.get(k) for k in merged):
                    counts["unchanged"] += 1
                    continue
                found = self._find(str(old["id"]))
                if found is not None:
                    replaces[found[0]] = stamp_change(found[1], merged, now)
                    counts["updated"] += 1
            if commit and (inserts or replaces):
                write(self.store, self.kind.table, inserts, replaces)
        return {
            "counts": counts,
            "committed": commit,
            "mapping": mapping.describe(tuple(CUSTOMER_SYNONYMS))["mapping"],
        }


class CustomerPrices(RecordSet):
    def __init__(self, store: Store) -> None:
        super().__init__(store, kinds.CUSTOMER_PRICE)

    def set_price(self, customer_id: str, product_id: str, price: int) -> Doc:
        """Make or change a customer's own price for a product, in one transaction."""
        rid = f"{customer_id}:{product_id}"
        with self.store.transaction():
            found = self._find(rid)
            content = {"customer_id": customer_id, "product_id": product_id, "price": price}
            if found is None:
                doc = stamp_new(rid, content, now_iso())
                write(self.store, self.kind.table, [doc], {})
            else:
                doc = stamp_change(found[1], {**found[1], **content, "deleted": False}, now_iso())
                write(self.store, self.kind.table, [], {found[0]: doc})
        return public_copy(doc)

    def of(self, customer_id: str) -> dict[str, int]:
        """{product id: the customer's own price} (live prices only)."""
        return {
            str(d["product_id"]): int(d["price"])
            for d in self._live()
            if d.get("customer_id") == customer_id
        }


class Company(RecordSet):
    """The company's own details, one record (id "company")."""

    ID = "company"

    def __init__(self, store: Store) -> None:
        super().__init__(store, kinds.COMPANY)

    def get_or_empty(self) -> Doc:
        with self.store.reading():
            found = self._find(self.ID)
        if found is None or found[1].get("deleted"):
            return {name: "" for name in (*kinds.COMPANY.checked(), "logo")}
        return public_copy(found[1])

    def save(self, data: Mapping[str, Any], *, if_match: int | None = None) -> Doc:
        with self.store.reading():
            found = self._find(self.ID)
        if found is None or found[1].get("deleted"):
            return self.create({**data, "id": self.ID}) if found is None else self._revive(data)
        return self.update(self.ID, data, if_match=if_match)

    def set_logo(self, key: str) -> Doc:
        """Make `key` (a stored image, images.py; "" for none) the company's logo."""
        self.save({})
        with self.store.transaction():
            found = self._find(self.ID)
            assert found is not None
            content = {k: v for k, v in found[1].items() if k in self.kind.fields}
            doc = stamp_change(found[1], {**content, "logo": key}, now_iso())
            write(self.store, self.kind.table, [], {found[0]: doc})
        return public_copy(doc)

    def _revive(self, data: Mapping[str, Any]) -> Doc:
        with self.store.transaction():
            found = self._find(self.ID)
            assert found is not None
            doc = stamp_change(found[1], {**self.get_or_empty(), **data}, now_iso())
            write(self.store, self.kind.table, [], {found[0]: doc})
        return public_copy(doc)


class Quotes(RecordSet):
    """Quotations, completed on every save (see the module's docstring)."""

    def __init__(
        self, store: Store, customers: Customers, prices: CustomerPrices, products: Any
    ) -> None:
        super().__init__(store, kinds.QUOTE)
        self.customers = customers
        self.prices = prices
        #: the catalogue (products by id): `.get_many(ids)` -> {id: product}
        self.products = products

    def rules(self, rid: str, content: Doc, old: Mapping[str, Any] | None) -> dict[str, str]:
        customer = self.customers._find(str(content.get("customer_id")))
        if customer is None or customer[1].get("deleted"):
            return {"customer_id": f"no such customer: {content.get('customer_id')}"}
        content["customer_name"] = customer[1].get("name", "")
        today = date.today()
        content["date"] = content.get("date") or (old or {}).get("date") or today.isoformat()
        if not content.get("valid_until"):
            start = date.fromisoformat(str(content["date"]))
            content["valid_until"] = (start + timedelta(days=VALID_DAYS)).isoformat()
        lines, problems = self.priced(
            content.get("lines") or [],
            grade=str(customer[1].get("grade") or ""),
            own=self.prices.of(str(customer[1]["id"])),
            inclusive=bool(content.get("tax_inclusive", True)),
        )
        if problems:
            return problems
        content["lines"] = lines
        content["totals"] = {**totals(lines)}
        content["totals"]["capitals"] = capitals(content["totals"]["gross_cents"])
        if old is None:
            content["number"] = self._next_number(str(content["date"]))
            content["revision"] = 1
        else:
            content["number"] = old.get("number")
            before = {k: v for k, v in old.items() if k in kinds.QUOTE.fields}
            changed = any(
                content.get(k) != before.get(k)
                for k in kinds.QUOTE.fields
                if k not in _NOT_A_REVISION and k not in ("created_at", "updated_at")
            )
            content["revision"] = int(old.get("revision") or 1) + (1 if changed else 0)
        return {}

    def priced(
        self,
        sent: Iterable[Mapping[str, Any]],
        *,
        grade: str,
        own: Mapping[str, int],
        inclusive: bool,
    ) -> tuple[list[dict[str, Any]], dict[str, str]]:
        """The lines completed (product, price, amounts), or {field: reason}."""
        sent = list(sent)
        ids = [str(x["product_id"]) for x in sent if x.get("product_id")]
        found = self.products.get_many(ids)
        out: list[dict[str, Any]] = []
        problems: dict[str, str] = {}
        for i, line in enumerate(sent, 1):
            try:
                out.append(self._line(line, found, grade, own, inclusive))
            except Invalid as exc:
                problems[f"lines[{i}]"] = str(exc)
        return out, problems

    @staticmethod
    def _line(
        line: Mapping[str, Any],
        products: Mapping[str, Mapping[str, Any]],
        grade: str,
        own: Mapping[str, int],
        inclusive: bool,
    ) -> dict[str, Any]:
        pid = str(line.get("product_id") or "")
        product = products.get(pid) if pid else None
        if pid and product is None:
            raise Invalid(f"no such product: {pid}", "not_found")
        try:
            qty = parse_qty(line.get("qty", 1))
        except Invalid as exc:
            raise Invalid(f"qty {exc}", exc.code) from exc
        rate = line.get("tax_rate", DEFAULT_TAX_RATE)
        if rate not in TAX_RATES:
            raise Invalid(f"tax_rate must be one of {', '.join(map(str, TAX_RATES))}", "invalid")
        given = line.get("price")
        if given is not None:
            try:
                given = parse_cents(given)
            except Invalid as exc:
                raise Invalid(f"price {exc}", exc.code) from exc
        if product is None:
            name = str(line.get("name") or "").strip()[:200]
            if not name or given is None:
                raise Invalid("a line without a product needs a name and a price", "required")
            quoted = None
            shown: Mapping[str, Any] = {k: line.get(k) or "" for k in ("sku", "spec", "unit")}
        else:
            name = str(product.get("name") or "")
            quoted = lookup(product, qty=qty, grade=grade, own_price=own.get(pid))
            shown = product
        price = given if given is not None else (quoted.price if quoted else 0)
        amounts = line_amounts(qty, price, int(rate), inclusive=inclusive)
        return {
            "product_id": pid or None,
            "sku": str(shown.get("sku") or ""),
            "name": name,
            "spec": str(shown.get("spec") or ""),
            "unit": str(shown.get("unit") or ""),
            "qty": qty_text(qty),
            "price": price,
            "price_source": quoted.source if quoted and given is None else "manual",
            "list_price": quoted.price if quoted else None,
            "overridden": bool(quoted and given is not None and given != quoted.price),
            "tax_rate": int(rate),
            "net_cents": amounts["net"],
            "tax_cents": amounts["tax"],
            "amount_cents": amounts["amount"],
        }

    def _next_number(self, day: str) -> str:
        prefix = f"QT-{day.replace('-', '')}-"
        taken = [
            str(d.get("number"))
            for d in self.store.table(self.kind.table).all()
            if str(d.get("number", "")).startswith(prefix)
        ]
        last = max((int(n[len(prefix) :]) for n in taken if n[len(prefix) :].isdigit()), default=0)
        return f"{prefix}{last + 1:03d}"

    def quote_price(self, customer_id: str, product_id: str, qty: Any = 1) -> dict[str, Any]:
        """What the lookup gives for one product, customer and quantity, and the
        last price this customer was quoted for it in an accepted quotation."""
        with self.store.reading():
            customer = self.customers._find(customer_id)
            if customer is None or customer[1].get("deleted"):
                raise self.customers.not_found(customer_id)
            product = self.products.get_many([product_id]).get(product_id)
            if product is None:
                raise errors.NotFound(f"There is no product with id {product_id!r}.")
            quoted = lookup(
                product,
                qty=parse_qty(qty),
                grade=str(customer[1].get("grade") or ""),
                own_price=self.prices.of(customer_id).get(product_id),
            )
            last = self._last_paid(customer_id, product_id)
        return {
            "price": quoted.price,
            "source": quoted.source,
            "detail": quoted.detail,
            "list_price": int(product.get("price") or 0),
            "last": last,
        }

    def prices_for(self, customer_id: str, products: list[dict[str, Any]]) -> None:
        """Give each listed product its `customer_price` ({"price", "source"}) for
        this customer, one of them (the phone's price look-up)."""
        with self.store.reading():
            customer = self.customers._find(customer_id)
            if customer is None or customer[1].get("deleted"):
                raise self.customers.not_found(customer_id)
            own = self.prices.of(customer_id)
        grade = str(customer[1].get("grade") or "")
        for product in products:
            quoted = lookup(product, grade=grade, own_price=own.get(str(product.get("id"))))
            product["customer_price"] = {"price": quoted.price, "source": quoted.source}

    def _last_paid(self, customer_id: str, product_id: str) -> dict[str, Any] | None:
        """The newest price this customer agreed to for the product: in an accepted
        (or ordered) quotation, or in an order of theirs (by the customer's name,
        as order sheets name them), whichever is later."""
        best: dict[str, Any] | None = None
        customer = self.customers._find(customer_id)
        name = str((customer[1] if customer else {}).get("name") or "").casefold()
        for order in self.store.table(ORDERS_TABLE).all():
            if order.get("deleted") or str(order.get("customer") or "").casefold() != name:
                continue
            for line in order.get("lines") or []:
                if line.get("product_id") == product_id and (
                    best is None or str(order.get("date")) > best["date"]
                ):
                    best = {
                        "price": line.get("unit_price"),
                        "date": str(order.get("date")),
                        "number": order.get("number"),
                    }
        for q in self._live():
            if q.get("customer_id") != customer_id or q.get("status") not in (
                "accepted",
                "ordered",
            ):
                continue
            for line in q.get("lines") or []:
                if line.get("product_id") == product_id and (
                    best is None or str(q.get("date")) > best["date"]
                ):
                    best = {
                        "price": line["price"],
                        "date": str(q.get("date")),
                        "number": q.get("number"),
                    }
        return best

    def mark_ordered(self, rid: str, order_id: str) -> Doc:
        """The quote became an order: its status, and the order it became."""
        with self.store.transaction():
            found = self._find(rid)
            if found is None or found[1].get("deleted"):
                raise self.not_found(rid)
            doc = stamp_change(
                found[1], {**found[1], "status": "ordered", "order_id": order_id}, now_iso()
            )
            write(self.store, self.kind.table, [], {found[0]: doc})
        return public_copy(doc)


#: the columns of a quotation's xlsx (field, header, width)
QUOTE_COLUMNS: tuple[tuple[str, str, int], ...] = (
    ("n", "序号", 6),
    ("sku", "编码", 14),
    ("name", "名称", 28),
    ("spec", "规格", 16),
    ("unit", "单位", 6),
    ("qty", "数量", 10),
    ("price", "单价", 12),
    ("tax_rate", "税率", 8),
    ("net", "不含税金额", 14),
    ("tax", "税额", 12),
    ("amount", "金额", 14),
)


def quote_rows(quote: Mapping[str, Any]) -> list[list[Any]]:
    """A quotation's lines as spreadsheet rows (money as exact decimals), a blank
    row, then its totals and the amount in Chinese capitals."""
    from decimal import Decimal

    from ..money import cents_text

    def yuan(cents: Any) -> Decimal:
        return Decimal(cents_text(int(cents or 0)))

    rows: list[list[Any]] = [
        [
            i,
            line.get("sku", ""),
            line.get("name", ""),
            line.get("spec", ""),
            line.get("unit", ""),
            Decimal(str(line.get("qty", "0"))),
            yuan(line.get("price")),
            f"{line.get('tax_rate', 0)}%",
            yuan(line.get("net_cents")),
            yuan(line.get("tax_cents")),
            yuan(line.get("amount_cents")),
        ]
        for i, line in enumerate(quote.get("lines") or [], 1)
    ]
    t = quote.get("totals") or {}
    blank = [""] * 8
    rows.append([])
    rows.append(
        [
            *blank[:7],
            "合计",
            yuan(t.get("net_cents")),
            yuan(t.get("tax_cents")),
            yuan(t.get("gross_cents")),
        ]
    )
    rows.append(
        [
            "大写金额",
            t.get("capitals", ""),
            "",
            "",
            "",
            "",
            "",
            "",
            f"报价单号 {quote.get('number', '')}",
            f"客户 {quote.get('customer_name', '')}",
        ]
    )
    return rows
