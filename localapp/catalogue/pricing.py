"""What a product costs a customer, and what a quotation line comes to with tax.

**The lookup order** (`lookup`), as 用友好生意's 售价提取 and ERPNext's pricing
rules order theirs, first found wins:

1. the customer's own price for the product (a `customer_prices` record);
2. the product's quantity break for the quantity: the highest `min_qty` at
   or below it (≥ 100 件 at ¥11.00);
3. the product's price for the customer's grade (`grade_prices`, by the
   customer's `grade`: 批发价, VIP ...);
4. the product's list price (`price`).

The answer says which one it was (`source`), so a quote shows why a price is
what it is.

**Tax** (`line_amounts`), per line and rounded half up to the cent, as on a
Chinese VAT invoice (money stays integer cents, worked in Decimal):

- prices with tax (含税, the default): amount = qty × price, rounded; tax =
  amount × rate / (100 + rate), rounded; net = amount − tax.
- prices without tax (不含税): net = qty × price, rounded; tax = net × rate /
  100, rounded; amount = net + tax.

The quotation's totals are the sums of its lines' net, tax and amount, so
they always add up: 价税合计 = 不含税金额 + 税额. docs/catalogue.md works an
example through.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ..money import round_cents

#: the VAT rates a line may have, in percent (general, reduced, services, exempt)
TAX_RATES: tuple[int, ...] = (13, 9, 6, 3, 1, 0)
DEFAULT_TAX_RATE = 13
SOURCES = ("customer", "break", "grade", "list")


@dataclass(frozen=True)
class Quoted:
    """A product's price for one customer and quantity, and where it came from."""

    price: int
    source: str
    #: the grade or the break's quantity it came from, when it did
    detail: str = ""


def lookup(
    product: Mapping[str, Any],
    *,
    qty: Decimal = Decimal(1),
    grade: str = "",
    own_price: int | None = None,
) -> Quoted:
    """The price of `product` for a customer of `grade` buying `qty`, whose own
    price for it (if any) is `own_price`; see the module's lookup order."""
    if own_price is not None:
        return Quoted(own_price, "customer")
    breaks = [b for b in product.get("breaks") or () if Decimal(b["min_qty"]) <= qty]
    if breaks:
        best = max(breaks, key=lambda b: b["min_qty"])
        return Quoted(int(best["price"]), "break", str(best["min_qty"]))
    grades = product.get("grade_prices") or {}
    if grade and grade in grades:
        return Quoted(int(grades[grade]), "grade", grade)
    return Quoted(int(product.get("price") or 0), "list")


def line_amounts(qty: Decimal, price: int, rate: int, *, inclusive: bool) -> dict[str, int]:
    """{"net", "tax", "amount"} of one line in cents (see the module's tax rules)."""
    if inclusive:
        amount = round_cents(qty * price)
        tax = round_cents(Decimal(amount) * rate / (100 + rate))
        return {"net": amount - tax, "tax": tax, "amount": amount}
    net = round_cents(qty * price)
    tax = round_cents(Decimal(net) * rate / 100)
    return {"net": net, "tax": tax, "amount": net + tax}


def totals(lines: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """不含税金额, 税额 and 价税合计 of a quotation: the sums of its lines'."""
    out = {"net_cents": 0, "tax_cents": 0, "gross_cents": 0}
    for line in lines:
        out["net_cents"] += int(line["net_cents"])
        out["tax_cents"] += int(line["tax_cents"])
        out["gross_cents"] += int(line["amount_cents"])
    return out
