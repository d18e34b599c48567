"""Catalogue statistics for GET /api/statistics (the seed's dashboard numbers).

All money is integer cents; averages are rounded half up to a cent. The
answer is computed from the search index's copy of the products (no store
scan) and the orders table, and cached until either changes, so a
dashboard polling it costs almost nothing.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from ..money import round_cents
from ..records import now_iso
from .fields import PRODUCTS
from .orders import ORDERS
from .products import Catalogue

TOP_PRODUCTS = 10
PRICE_CHANGE_DAYS = 30
PRICE_CHANGES_SHOWN = 50


class Statistics:
    """Computes the statistics; one per Catalogue."""

    def __init__(self, catalogue: Catalogue) -> None:
        self.catalogue = catalogue
        self.store = catalogue.store
        self._orders_version = 0
        self._cache: tuple[tuple[Any, ...], dict[str, Any]] | None = None
        self.store.add_listener(self._changed)

    def _changed(self, table: str | None, keys: set[str] | None) -> None:
        if table is None or table == ORDERS:
            self._orders_version += 1

    def compute(
        self,
        now: datetime | None = None,
        *,
        start: date | None = None,
        end: date | None = None,
    ) -> dict[str, Any]:
        """The statistics; with `start` and/or `end` (inclusive), the orders of those
        days (by order date) and the price changes made in them, instead of all
        orders and the last PRICE_CHANGE_DAYS days."""
        now = now or datetime.now(UTC)
        span = (start.isoformat() if start else "", end.isoformat() if end else "")
        with self.catalogue.reading() as index:
            stamp = (index.version, self._orders_version, now.strftime("%Y-%m-%d %H"), *span)
            if self._cache is not None and self._cache[0] == stamp:
                return self._cache[1]
            live = [doc for _doc_id, doc in index.live_docs()]
            changes = self._price_changes(index, now, start, end)
            orders = [
                dict(d)
                for d in self.store.table(ORDERS).all()
                if not d.get("deleted") and _within(d, span)
            ]
            products = {pid: index.docs[doc_id] for pid, doc_id in index.ids.items()}
        result = {
            "counts": {
                "products": len(live),
                "categories": len({c for d in live if (c := _key(d.get("category")))}),
                "suppliers": len({s for d in live if (s := _key(d.get("supplier")))}),
                "orders": len(orders),
            },
            "orders_by_month": _by_month(orders),
            "top_products": _top_products(orders, products),
            "price_changes": changes,
            "average_price_by_category": _average_by_category(live),
            "generated_at": now_iso(),
            "range": {"from": span[0] or None, "to": span[1] or None},
        }
        self._cache = (stamp, result)
        return result

    def _price_changes(
        self, index: Any, now: datetime, start: date | None = None, end: date | None = None
    ) -> dict[str, Any]:
        since = (
            start.isoformat()
            if start
            else (now - timedelta(days=PRICE_CHANGE_DAYS))
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z")
        )
        # a change at "2026-12-31T..." is on the 31st: before "2026-12-31~" (after any time)
        until = f"{end.isoformat()}~" if end else "~"
        # Only products updated since then can have changed price since then, and
        # only those with two or more history entries: the index keeps a history
        # of one entry (every freshly imported product) and drops longer ones.
        recent = [
            doc_id
            for doc_id, doc in index.live_docs()
            if str(doc.get("updated_at") or "") >= since and "price_history" not in doc
        ]
        table = self.store.table(PRODUCTS)
        items: list[dict[str, Any]] = []
        for doc_id in recent:
            doc = table.get(doc_id=doc_id)
            if doc is None:
                continue
            history = doc.get("price_history") or []
            for before, after in zip(history, history[1:], strict=False):
                at = str(after.get("at") or "")
                if since <= at < until and after.get("price") != before.get("price"):
                    items.append(
                        {
                            "product_id": doc.get("id"),
                            "sku": doc.get("sku", ""),
                            "name": doc.get("name", ""),
                            "old_price": before.get("price"),
                            "new_price": after.get("price"),
                            "at": after.get("at"),
                            "source": after.get("source"),
                        }
                    )
        items.sort(key=lambda i: str(i["at"]), reverse=True)
        return {
            "days": PRICE_CHANGE_DAYS if start is None else None,
            "count": len(items),
            "items": items[:PRICE_CHANGES_SHOWN],
        }


def _within(order: dict[str, Any], span: tuple[str, str]) -> bool:
    """Whether an order's date is in the span ("" for no bound)."""
    day = str(order.get("date") or order.get("created_at") or "")[:10]
    return (not span[0] or day >= span[0]) and (not span[1] or day <= span[1])


def _key(value: Any) -> str:
    return value.strip().casefold() if isinstance(value, str) else ""


def _by_month(orders: list[dict[str, Any]]) -> list[dict[str, Any]]:
    months: dict[str, dict[str, int]] = {}
    for order in orders:
        month = str(order.get("date") or order.get("created_at") or "")[:7]
        if len(month) != 7:
            continue
        slot = months.setdefault(month, {"total": 0, "count": 0})
        slot["total"] += int(order.get("total") or 0)
        slot["count"] += 1
    return [{"month": m, **v} for m, v in sorted(months.items())]


def _top_products(
    orders: list[dict[str, Any]], products: dict[str, dict[str, Any]]
) -> list[dict[str, Any]]:
    """Matched order lines summed per product, shown with the product's own SKU and name."""
    totals: dict[str, dict[str, Any]] = {}
    for order in orders:
        for line in order.get("lines") or []:
            pid = line.get("product_id")
            if not pid:
                continue
            product = products.get(pid, line)
            slot = totals.setdefault(
                pid,
                {
                    "product_id": pid,
                    "sku": product.get("sku", ""),
                    "name": product.get("name", ""),
                    "amount": 0,
                    "qty": Decimal(0),
                    "lines": 0,
                },
            )
            slot["amount"] += int(line.get("amount") or 0)
            slot["qty"] += Decimal(str(line.get("qty") or "0"))
            slot["lines"] += 1
    top = sorted(totals.values(), key=lambda s: (-s["amount"], s["name"]))[:TOP_PRODUCTS]
    for slot in top:
        slot["qty"] = format(slot["qty"].normalize(), "f")
    return top


def _average_by_category(live: list[dict[str, Any]]) -> list[dict[str, Any]]:
    groups: dict[str, list[int]] = {}
    names: dict[str, str] = {}
    for doc in live:
        price = doc.get("price")
        if not isinstance(price, int):
            continue
        category = doc.get("category")
        raw = category if isinstance(category, str) else ""
        key = _key(raw)
        names.setdefault(key, raw.strip())
        groups.setdefault(key, []).append(price)
    out: list[dict[str, Any]] = [
        {"category": names[k], "average": round_cents(Decimal(sum(v)) / len(v)), "count": len(v)}
        for k, v in groups.items()
    ]
    out.sort(key=lambda r: (-int(r["count"]), str(r["category"])))
    return out
