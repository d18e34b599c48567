"""The checks of the catalogue's richer fields (kinds.py declares the fields with
them): money in cents, grade prices, quantity breaks, barcodes and the lines
of a quotation as a client sends them."""

from __future__ import annotations

from typing import Any

from . import checks as c
from .money import parse_cents

#: a price grade's name (零售价, 批发价, VIP ...)
GRADE = c.text(50)
#: the most grades on a product and quantity breaks on a product
MAX_GRADES = 20
MAX_BREAKS = 20


def cents(value: Any) -> int:
    """A price in whole cents, not negative (the API's money, as `price`)."""
    return parse_cents(value)


def cost(value: Any) -> int | None:
    """A cost price in cents, or None for none."""
    return None if value is None or value == "" else cents(value)


def grade_prices(value: Any) -> dict[str, int]:
    """{grade name: price in cents}: a product's prices by price grade."""
    if not isinstance(value, dict) or len(value) > MAX_GRADES:
        raise c.Invalid(f"must be an object of at most {MAX_GRADES} grade prices", "invalid")
    out: dict[str, int] = {}
    for grade, amount in value.items():
        name = GRADE(grade)
        if not name:
            raise c.Invalid("a grade needs a name", "required")
        out[name] = cents(amount)
    return out


#: what a client may send for a quotation line; catalogue/quotes.py reads the values
QUOTE_LINE_KEYS = frozenset(
    {"product_id", "name", "sku", "spec", "unit", "qty", "price", "tax_rate"}
)
#: and what the server adds to each line (a stored quote is sent back as it is by
#: clients and by sync, and must pass the same check)
QUOTE_LINE_COMPUTED = frozenset(
    {"price_source", "list_price", "overridden", "net_cents", "tax_cents", "amount_cents"}
)
MAX_QUOTE_LINES = 500


def quote_lines(value: Any) -> list[dict[str, Any]]:
    """A quotation's lines as sent: a list of objects with known keys (the values
    are read by catalogue/quotes.py, which knows products and prices)."""
    if not isinstance(value, list) or len(value) > MAX_QUOTE_LINES:
        raise c.Invalid(f"must be a list of at most {MAX_QUOTE_LINES} lines", "invalid")
    for i, line in enumerate(value, 1):
        if not isinstance(line, dict) or not set(line) <= QUOTE_LINE_KEYS | QUOTE_LINE_COMPUTED:
            raise c.Invalid(f"line {i} must be an object with known keys", "invalid", line=i)
        if c.too_deep(line, 3):
            raise c.Invalid(f"line {i} is nested too deep", "invalid", line=i)
    return [dict(line) for line in value]


def barcode(value: Any) -> str:
    """An EAN-13, UPC-A (12 digits) or EAN-8 barcode, its check digit right; "" for none.

    The check digit: from the right, excluding it, digits weighted 3, 1, 3 ...;
    it makes the sum a multiple of 10 (GS1's rule, the same for all three).
    """
    text = c.text(20)(value)
    digits = "".join(text.split())
    if not digits:
        return ""
    if not digits.isdigit() or not digits.isascii() or len(digits) not in (8, 12, 13):
        raise c.Invalid("must be 8, 12 or 13 digits (EAN-8, UPC-A, EAN-13)", "barcode_format")
    body, check = digits[:-1], int(digits[-1])
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    if (10 - total % 10) % 10 != check:
        raise c.Invalid("has a wrong check digit: mistyped?", "barcode_check")
    return digits


def breaks(value: Any) -> list[dict[str, int]]:
    """Quantity breaks, [{"min_qty": 100, "price": 1100}], by quantity."""
    if not isinstance(value, list) or len(value) > MAX_BREAKS:
        raise c.Invalid(f"must be a list of at most {MAX_BREAKS} quantity breaks", "invalid")
    out: dict[int, int] = {}
    for item in value:
        qty = item.get("min_qty") if isinstance(item, dict) else None
        if isinstance(qty, bool) or not isinstance(qty, int) or not 1 < qty <= 10**9:
            raise c.Invalid("each break needs min_qty, a whole number above 1", "invalid")
        out[qty] = cents(item.get("price"))
    return [{"min_qty": q, "price": out[q]} for q in sorted(out)]
