"""Working an uploaded order: matching a line to a product by hand, correcting a
line's quantity or price, and marking the order reviewed (issue 18).

Pure functions over an order's lines; `Orders.review` (orders.py) checks the
request and writes the result as one ordinary edit (a new revision, synced).
Each change to a line is kept in its `history` ({at, by, field, old, new}), so
a corrected price never hides what the sheet said.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from ..checks import Invalid
from ..money import parse_money, round_cents
from .order_sheets import parse_qty, qty_text

#: flags a person's edits settle (the others are recomputed from the line)
_RECOMPUTED = {"unmatched", "price_differs", "amount_differs", "no_price", "price_from_catalogue"}


def edit_line(
    line: Mapping[str, Any],
    edit: Mapping[str, Any],
    product: Mapping[str, Any] | None,
    *,
    by: str,
    at: str,
) -> dict[str, Any]:
    """`line` with `edit` applied: `product_id` (the matched `product`), `qty`,
    `unit_price` (cents or "12.50"); flags and amount recomputed, history kept.
    Raises `Invalid` with the field named in its reason."""
    out = dict(line)
    history = list(line.get("history") or [])
    flags = [f for f in line.get("flags") or [] if f not in _RECOMPUTED]

    def note(fld: str, old: Any, new: Any) -> None:
        if old != new:
            history.append({"at": at, "by": by, "field": fld, "old": old, "new": new})

    if "product_id" in edit:
        if product is None:
            raise Invalid("product_id: there is no such product", "not_found")
        note("product_id", line.get("product_id"), product.get("id"))
        out.update(
            product_id=product.get("id"),
            match="manual",
            catalogue_name=product.get("name", ""),
            catalogue_sku=product.get("sku", ""),
            catalogue_price=product.get("price"),
        )
    if "qty" in edit:
        try:
            qty = parse_qty(edit["qty"])
        except Invalid as exc:
            raise Invalid(f"qty {exc.reason}", exc.code) from None
        note("qty", line.get("qty"), qty_text(qty))
        out["qty"] = qty_text(qty)
    if "unit_price" in edit:
        raw = edit["unit_price"]
        try:
            price = raw if isinstance(raw, int) and not isinstance(raw, bool) else parse_money(raw)
        except Invalid as exc:
            raise Invalid(f"unit_price {exc.reason}", exc.code) from None
        note("unit_price", line.get("unit_price"), price)
        out["unit_price"] = price
    elif "no_price" in (line.get("flags") or []) and out.get("catalogue_price") is not None:
        out["unit_price"] = out["catalogue_price"]  # matched now: the catalogue's price
        flags.append("price_from_catalogue")
    elif "no_price" in (line.get("flags") or []):
        flags.append("no_price")
    out["amount"] = round_cents(Decimal(str(out["qty"])) * int(out["unit_price"] or 0))
    stated = out.get("stated_amount")
    if stated is not None and stated != out["amount"] and not {"qty", "unit_price"} & edit.keys():
        flags.append("amount_differs")  # a corrected line is what the person meant
    if not out.get("product_id"):
        flags.append("unmatched")
    elif out.get("catalogue_price") is not None and out["unit_price"] != out["catalogue_price"]:
        flags.append("price_differs")
    out["flags"] = flags
    out["history"] = history
    return out


def summary(lines: Sequence[Mapping[str, Any]], reviewed: bool) -> dict[str, Any]:
    """The order's total, count of flagged lines and status after its lines changed."""
    flagged = sum(1 for line in lines if line.get("flags"))
    status = "reviewed" if reviewed else ("needs_review" if flagged or not lines else "ok")
    return {
        "total": sum(int(line.get("amount") or 0) for line in lines),
        "flagged": flagged,
        "line_count": len(lines),
        "status": status,
    }
