"""The product record: its fields, how a client's values are checked, how the API
shows it, and the list parameters.

The fields themselves (checks, defaults, labels, exports) are declared in
localapp/kinds.py; prices are integer cents (localapp/money.py), sent as
`price` (cents) or `price_decimal` (text in yuan). A price change appends to
`price_history`, which is never rewritten.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from .. import kinds, records
from ..checks import Invalid, invalid, list_params
from ..money import MAX_CENTS, cents_text, parse_cents, parse_money
from ..records import Doc
from .search import FILTERS, SORTS, SearchQuery

PRODUCTS = "products"
IMAGES = "images"

DEFAULT_CURRENCY = kinds.DEFAULT_CURRENCY
DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 500
MAX_IMAGES = 50

#: Fields the server owns; ignored when a client sends them back.
BOOKKEEPING: frozenset[str] = records.BOOKKEEPING | {
    "price_history",
    "grade_history",
    "price_decimal",
}

#: The product's fields a client may send, with their checks (kinds.py); the
#: price and the images are checked below, by the catalogue itself.
CHECKS: dict[str, Callable[[Any], Any]] = kinds.PRODUCT.checks()
DEFAULTS: dict[str, Callable[[], Any]] = {
    name: f.default
    for name, f in kinds.PRODUCT.fields.items()
    if name in CHECKS or name == "images"
}
#: fields an imported product leaves out while empty: 100,000 products would
#: each carry an empty barcode, cost, grade prices and breaks otherwise (about
#: 130 MiB of memory); readers take a missing one as empty
SPARSE: frozenset[str] = frozenset({"barcode", "cost", "grade_prices", "breaks"})
NEW_DEFAULTS: dict[str, Any] = {
    k: v() for k, v in DEFAULTS.items() if k not in ("tags", "images") and k not in SPARSE
}


def _price_from(data: Mapping[str, Any], base: Mapping[str, Any] | None = None) -> int | None:
    """The price a request gives, as cents: `price` (cents) or `price_decimal` (text).

    A client may send a whole record back with only one of the two edited;
    the one still equal to the stored price is then ignored.
    """
    cents = from_text = None
    if data.get("price") is not None:
        cents = parse_cents(data["price"])
    if data.get("price_decimal") not in (None, ""):
        from_text = parse_money(data["price_decimal"])
    if cents is None or from_text is None or cents == from_text:
        return cents if cents is not None else from_text
    stored = base.get("price") if base is not None else None
    if from_text == stored:
        return cents
    if cents == stored:
        return from_text
    raise Invalid(
        f"price ({cents} cents) and price_decimal ({data['price_decimal']}) "
        "disagree; send one of them",
        "conflicting",
    )


def clean_product(
    data: Mapping[str, Any], *, base: Mapping[str, Any] | None = None
) -> tuple[Doc, dict[str, str]]:
    """Check a product's fields; return (content, {field: reason}).

    The same as `check_product`, with the problems as English reasons only.
    """
    content, problems = check_product(data, base=base)
    return content, {name: problem.reason for name, problem in problems.items()}


def check_product(
    data: Mapping[str, Any], *, base: Mapping[str, Any] | None = None
) -> tuple[Doc, dict[str, Invalid]]:
    """Check a product's fields; return (content, {field: problem with its code}).

    `content` has every product field except the bookkeeping. With `base`
    (the stored record) fields missing from `data` keep their stored values.
    Unknown fields are refused, so a typo is not silently stored.
    """
    content: Doc = {}
    problems: dict[str, Invalid] = {}
    for name, check in CHECKS.items():
        if name in data:
            try:
                content[name] = check(data[name])
            except Invalid as exc:
                problems[name] = exc
        elif base is not None and name in base:
            content[name] = base[name]
        elif name == "name":
            problems[name] = Invalid("is required", "required")
        else:
            content[name] = DEFAULTS[name]()
    try:
        price = _price_from(data, base)
    except Invalid as exc:
        problems["price"] = exc
    else:
        if price is not None:
            content["price"] = price
        elif base is not None and "price" in base:
            content["price"] = base["price"]
        else:
            problems["price"] = Invalid("is required", "required")
    old_images = list(base.get("images") or []) if base is not None else []
    if "images" in data and data["images"] is not None:
        images = data["images"]
        if not isinstance(images, list) or not all(isinstance(k, str) for k in images):
            problems["images"] = Invalid("must be a list of image keys", "not_a_list")
        elif not set(images) <= set(old_images):
            problems["images"] = Invalid(
                "can only be reordered or shortened here; upload new images with "
                "POST /api/products/<id>/images",
                "image_not_uploaded",
            )
        else:
            content["images"] = list(dict.fromkeys(images))
    else:
        content["images"] = old_images
    for name in data:
        if name not in CHECKS and name not in BOOKKEEPING and name not in ("price", "images"):
            if base is not None and name in base:
                content[name] = data[name]  # a field an older version stored: kept
            else:
                problems[name] = Invalid("unknown field", "unknown_field")
    if base is not None:
        for name, value in base.items():
            if name not in content and name not in BOOKKEEPING and name not in data:
                content[name] = value
    return content, problems


def content_of(doc: Mapping[str, Any]) -> Doc:
    return {k: v for k, v in doc.items() if k not in BOOKKEEPING}


def public(doc: Mapping[str, Any], *, history: bool = True) -> Doc:
    """A product as the API shows it: a copy, with `price_decimal`, without tombstone fields."""
    out = records.public_copy(
        doc, records.HIDDEN if history else records.HIDDEN | {"price_history", "grade_history"}
    )
    price = doc.get("price")
    if isinstance(price, int):
        out["price_decimal"] = cents_text(price)
    return out


def _history_entry(price: int, at: str, source: str, by: str, file: str | None = None) -> Doc:
    entry: Doc = {"price": price, "at": at, "source": source, "by": by}
    if file:
        entry["file"] = file
    return entry


def _grade_entries(
    old: Mapping[str, Any], new: Mapping[str, Any], at: str, source: str, by: str
) -> list[Doc]:
    """A `grade_history` entry for each grade whose price was set or changed."""
    return [
        {"grade": grade, **_history_entry(price, at, source, by)}
        for grade, price in (new.get("grade_prices") or {}).items()
        if (old.get("grade_prices") or {}).get(grade) != price
    ]


def stamp_new(
    rid: str, content: Doc, now: str, source: str, by: str, file: str | None = None
) -> Doc:
    grades = _grade_entries({}, content, now, source, by)
    return records.stamp_new(
        rid,
        content,
        now,
        price_history=[_history_entry(content["price"], now, source, by, file)],
        **({"grade_history": grades} if grades else {}),
    )


def stamp_change(
    old: Mapping[str, Any], content: Doc, now: str, source: str, by: str, file: str | None = None
) -> Doc:
    history = list(old.get("price_history") or [])
    if content.get("price") != old.get("price"):
        history.append(_history_entry(content["price"], now, source, by, file))
    grades = [*(old.get("grade_history") or []), *_grade_entries(old, content, now, source, by)]
    extra = {"grade_history": grades} if grades else {}
    return records.stamp_change(old, content, now, price_history=history, **extra)


# -- list parameters -----------------------------------------------------------------

#: `category` and `supplier` are the product's declared filters (search.FILTERS)
LIST_PARAMS = frozenset({"q", "min_price", "max_price", "sort", "page", "per_page", *FILTERS})


def parse_list_params(params: Mapping[str, str]) -> SearchQuery:
    """Query-string parameters as a SearchQuery, or per-parameter errors (400)."""
    query = SearchQuery()
    problems: dict[str, str] = {}
    for name, value in list_params(params, LIST_PARAMS, problems):
        if name in {"page", "per_page"}:
            top = MAX_PER_PAGE if name == "per_page" else 10**7
            if not value.isdigit() or not 1 <= int(value) <= top:
                problems[name] = f"must be a whole number from 1 to {top}"
            else:
                setattr(query, name, int(value))
        elif name in {"min_price", "max_price"}:
            if not value.isdigit():
                problems[name] = "must be a whole number of cents (1250 for 12.50)"
            else:
                setattr(query, name, min(int(value), MAX_CENTS + 1))
        elif name == "sort":
            if value.lstrip("-") not in SORTS or value.startswith("--"):
                problems[name] = "sort by one of " + ", ".join(SORTS) + " (prefix - to reverse)"
            else:
                query.sort = value
        elif name == "q":
            if len(value) > 200:
                problems[name] = "must be at most 200 characters"
            query.q = value
        else:  # a declared filter: category, supplier
            setattr(query, name, value)
    if (
        query.min_price is not None
        and query.max_price is not None
        and query.max_price < query.min_price
    ):
        problems["max_price"] = f"must not be below min_price ({query.min_price})"
    if problems:
        raise invalid(problems, "Invalid list parameters")
    return query
