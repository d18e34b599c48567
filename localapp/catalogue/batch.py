"""Batch edits of chosen products: a category or supplier set on all of them, or a
price (the list price, or one grade's) moved by an amount or a percent.

`plan` works out each product's new values from a request, without writing:
the dry run shows them, and the commit writes exactly those, in one
transaction (products.py). Every answer carries `undo`, each product's values
before, which sent back as `restore` puts them back in one transaction too:
one batch, one undo.

Money stays exact: a percent is applied in Decimal and rounded half up to the
cent; a price that would fall below zero refuses the whole batch, naming the
product.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from .. import errors
from ..checks import Invalid, text
from ..kind_checks import GRADE
from ..money import parse_money, round_cents

MAX_BATCH = 5000
#: the text fields a batch may set
SETTABLE = ("category", "supplier")
#: the fields a restore may put back
RESTORABLE = frozenset({"price", "grade_prices", *SETTABLE})


@dataclass
class Batch:
    """What a request asks for, checked."""

    ids: list[str]
    set: dict[str, str] = field(default_factory=dict)
    #: ("price" | grade name, "percent" | "amount", value)
    price: tuple[str, str, Decimal] | None = None
    restore: dict[str, dict[str, Any]] | None = None


def _bad(fields: dict[str, str]) -> errors.ValidationError:
    return errors.ValidationError(
        "The batch edit is not valid; nothing was changed.", fields=fields
    )


def parse(body: Any) -> Batch:
    """A batch request, checked; a 400 naming what is wrong."""
    if not isinstance(body, Mapping):
        raise _bad({"body": "must be a JSON object"})
    if isinstance(body.get("restore"), Mapping):
        restore = {str(k): dict(v) for k, v in body["restore"].items() if isinstance(v, Mapping)}
        if any(set(v) - RESTORABLE for v in restore.values()) or len(restore) > MAX_BATCH:
            raise _bad({"restore": "an undo from a batch answer"})
        return Batch(ids=list(restore), restore=restore)
    ids = body.get("ids")
    if not isinstance(ids, list) or not ids or len(ids) > MAX_BATCH:
        raise _bad({"ids": f"choose 1 to {MAX_BATCH} products"})
    out = Batch(ids=[str(i) for i in dict.fromkeys(map(str, ids))])
    changes = body.get("set") or {}
    if not isinstance(changes, Mapping):
        raise _bad({"set": "an object of category and supplier"})
    for name, value in changes.items():
        if name not in SETTABLE:
            raise _bad({f"set.{name}": "only " + ", ".join(SETTABLE)})
        try:
            out.set[name] = text(200)(value)
        except Invalid as exc:
            raise _bad({f"set.{name}": str(exc)}) from exc
    price = body.get("price")
    if price is not None:
        out.price = _price(price)
    if not out.set and out.price is None:
        raise _bad({"body": "set a category or supplier, or move a price"})
    return out


def _price(spec: Any) -> tuple[str, str, Decimal]:
    if not isinstance(spec, Mapping) or spec.get("by") not in ("percent", "amount"):
        raise _bad({"price.by": "percent or amount"})
    target = spec.get("grade") or "price"
    if target != "price":
        try:
            target = GRADE(target)
        except Invalid as exc:
            raise _bad({"price.grade": str(exc)}) from exc
    try:
        raw = str(spec.get("value", "")).strip()
        negative = raw.startswith("-")
        value = Decimal(parse_money(raw.lstrip("+-")))
    except (Invalid, InvalidOperation) as exc:
        raise _bad({"price.value": "a number such as 5, -2.5 or 1.20"}) from exc
    if spec["by"] == "percent":
        value = value / 100  # parse_money gave hundredths: 5 -> 500
    return target, spec["by"], -value if negative else value


def new_values(doc: Mapping[str, Any], batch: Batch) -> dict[str, Any]:
    """The fields of `doc` this batch changes, with their new values ({} for none).
    Raises Invalid when a price would fall below zero."""
    if batch.restore is not None:
        return dict(batch.restore.get(str(doc.get("id")), {}))
    out: dict[str, Any] = {k: v for k, v in batch.set.items() if doc.get(k) != v}
    if batch.price is not None:
        target, by, value = batch.price
        grades = dict(doc.get("grade_prices") or {})
        old = int(doc.get("price") or 0) if target == "price" else grades.get(target)
        if old is None:
            old = int(doc.get("price") or 0)  # a grade it lacks starts from the list price
        new = round_cents(Decimal(old) * (1 + value / 100)) if by == "percent" else old + int(value)
        if new < 0:
            raise Invalid(f"{doc.get('name')}: the price would fall below zero", "negative")
        if target == "price":
            if new != doc.get("price"):
                out["price"] = new
        elif grades.get(target) != new:
            out["grade_prices"] = {**grades, target: new}
    return out


def before(doc: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """The values `changes` replaces: what an undo puts back."""
    return {k: doc.get(k) for k in changes}
